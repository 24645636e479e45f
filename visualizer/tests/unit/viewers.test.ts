import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import type { Viewer, Viewers } from '../../src/api/client';
import { others, viewersMachine, type ReportInput } from '../../src/machines/viewers';

const viewer = (annotator: string, frame: number, you = false): Viewer => ({
  annotator,
  frame,
  feature: 0,
  seen: '2026-12-02T10:00:00Z',
  you,
});

function start(report: (input: ReportInput) => Promise<Viewers>, interval = 20) {
  const machine = viewersMachine.provide({
    actors: { report: fromPromise(({ input }: { input: ReportInput }) => report(input)) },
    delays: { reportInterval: interval },
  });
  return createActor(machine, { input: { projectId: 'p' } }).start();
}

describe('viewers', () => {
  it('reports the frame again and again and keeps the list of who is there', async () => {
    const sent: number[] = [];
    const actor = start(async ({ frame }) => {
      sent.push(frame);
      return { viewers: [viewer('alice', 0, true), viewer('bob', 3)], stale_seconds: 10 };
    });
    await waitFor(actor, () => sent.length >= 3);
    expect(sent.slice(0, 3)).toEqual([0, 0, 0]);
    expect(others(actor.getSnapshot().context.viewers)).toEqual([viewer('bob', 3)]);
    actor.stop();
  });

  it('reports a new frame at once, not at the next beat', async () => {
    const sent: number[] = [];
    const actor = start(async ({ frame }) => {
      sent.push(frame);
      return { viewers: [], stale_seconds: 10 };
    }, 60_000);
    await waitFor(actor, (s) => s.matches('waiting'));
    actor.send({ type: 'POSITION', frame: 4, feature: 0 });
    await waitFor(actor, (s) => s.matches('waiting') && sent.length === 2);
    expect(sent).toEqual([0, 4]);
    // The same position again sends nothing.
    actor.send({ type: 'POSITION', frame: 4, feature: 0 });
    expect(actor.getSnapshot().matches('waiting')).toBe(true);
    actor.stop();
  });

  it('keeps the last list when a report fails, and says so', async () => {
    let fail = false;
    const actor = start(async () => {
      if (fail) throw new Error('offline');
      return { viewers: [viewer('bob', 1)], stale_seconds: 10 };
    });
    await waitFor(actor, (s) => s.context.viewers.length === 1);
    fail = true;
    await waitFor(actor, (s) => s.context.failing);
    expect(actor.getSnapshot().context.viewers).toEqual([viewer('bob', 1)]);
    actor.stop();
  });
});
