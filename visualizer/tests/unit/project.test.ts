import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import type { ProjectMetadata } from '../../src/api/client';
import { projectMachine } from '../../src/machines/project';

const metadata = (status: ProjectMetadata['status'], progress: number): ProjectMetadata => ({
  id: 'p',
  name: 'big',
  frames: 1,
  height: 16384,
  width: 16384,
  channels: 3,
  features: 1,
  dtype: 'uint16',
  channel_names: [],
  feature_names: [],
  version: 0,
  cells: [],
  divisions: [],
  cellTypes: [],
  status,
  progress,
  status_message: status === 'failed' ? 'The disk is full' : 'Writing raw tiles, level 2 of 6',
});

function start(answers: ProjectMetadata[]) {
  const asked: number[] = [];
  const actor = createActor(
    projectMachine.provide({
      actors: {
        load: fromPromise(async () => {
          asked.push(Date.now());
          return answers[Math.min(asked.length - 1, answers.length - 1)];
        }),
      },
      delays: { buildPoll: 10 },
    }),
    { input: { projectId: 'p' } },
  );
  actor.start();
  return { actor, asked };
}

describe('project loading', () => {
  it('asks again while the project is being built and opens it once ready', async () => {
    const { actor, asked } = start([
      metadata('building', 0.1),
      metadata('building', 0.6),
      metadata('ready', 1),
    ]);
    await waitFor(actor, (s) => s.matches('building'));
    expect(actor.getSnapshot().context.metadata?.progress).toBe(0.1);
    await waitFor(actor, (s) => s.matches('ready'), { timeout: 1000 });
    expect(asked).toHaveLength(3);
    expect(actor.getSnapshot().context.metadata?.status).toBe('ready');
  });

  it('stops at a failed build with its reason', async () => {
    const { actor, asked } = start([metadata('building', 0.3), metadata('failed', 0.3)]);
    await waitFor(actor, (s) => s.matches('buildFailed'), { timeout: 1000 });
    expect(actor.getSnapshot().context.metadata?.status_message).toBe('The disk is full');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(asked).toHaveLength(2);
  });
});
