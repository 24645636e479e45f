import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import { ApiError, NetworkError, type EditResponse } from '../../src/api/client';
import {
  editQueueMachine,
  type EditQueueEmitted,
  type SendInput,
} from '../../src/machines/editQueue';

const record = (version: number, kind = 'edit') => ({
  version,
  action: 'brush',
  kind,
  patches: [],
  cells: [],
  divisions: null,
  cellTypes: null,
});

const edit = (action: string) => ({
  action,
  args: {},
  frame: 0,
  feature: 0,
  write_mode: 'exclude' as const,
});

function start(
  send: (input: SendInput) => Promise<EditResponse>,
  poll?: (version: number) => Promise<EditResponse>,
) {
  const machine = editQueueMachine.provide({
    actors: {
      send: fromPromise(({ input }: { input: SendInput }) => send(input)),
      poll: fromPromise(({ input }: { input: { projectId: string; version: number } }) =>
        poll ? poll(input.version) : Promise.resolve({ version: input.version, edits: [] }),
      ),
    },
    delays: { pollInterval: 5, retryInterval: 5 },
  });
  const actor = createActor(machine, { input: { projectId: 'p', version: 3 } }).start();
  const emitted: EditQueueEmitted[] = [];
  actor.on('*', (e) => emitted.push(e as EditQueueEmitted));
  return { actor, emitted };
}

const drained = (actor: ReturnType<typeof start>['actor']) =>
  waitFor(actor, (s) => s.context.queue.length === 0 && !s.matches('sending'));

describe('edit queue', () => {
  it('sends edits one at a time, in order, each with the version it knows', async () => {
    const sent: { action: string; base: number }[] = [];
    let version = 3;
    const { actor, emitted } = start(async ({ item, version: base }) => {
      sent.push({ action: item.kind === 'edit' ? item.request.action : item.kind, base });
      await new Promise((r) => setTimeout(r, 2));
      version += 1;
      return { version, edits: [record(version)], can_undo: true, can_redo: false };
    });
    actor.send({ type: 'ENQUEUE', edit: edit('brush') });
    actor.send({ type: 'ENQUEUE', edit: edit('flood') });
    actor.send({ type: 'UNDO' });
    await drained(actor);
    expect(sent).toEqual([
      { action: 'brush', base: 3 },
      { action: 'flood', base: 4 },
      { action: 'undo', base: 5 },
    ]);
    expect(actor.getSnapshot().context.version).toBe(6);
    const applied = emitted.filter((e) => e.type === 'applied');
    expect(applied.map((e) => e.type === 'applied' && e.records.map((r) => r.version))).toEqual([
      [4],
      [5],
      [6],
    ]);
    expect(emitted.filter((e) => e.type === 'settled')).toHaveLength(3);
  });

  it('reports a refused edit, drops it and goes on with the next', async () => {
    let calls = 0;
    const { actor, emitted } = start(async () => {
      calls += 1;
      if (calls === 1) throw new ApiError('cell 99 does not exist', 400);
      return { version: 4, edits: [record(4)] };
    });
    actor.send({ type: 'ENQUEUE', edit: edit('swap') });
    actor.send({ type: 'ENQUEUE', edit: edit('brush') });
    await drained(actor);
    const rejected = emitted.find((e) => e.type === 'rejected');
    expect(rejected).toMatchObject({ message: 'cell 99 does not exist' });
    // The refused edit is settled too, so its local preview is rolled back.
    expect(emitted.filter((e) => e.type === 'settled')).toHaveLength(2);
    expect(actor.getSnapshot().context.error).toBe('cell 99 does not exist');
    expect(actor.getSnapshot().context.version).toBe(4);
  });

  it('keeps edits while offline and sends them when the server is back', async () => {
    let online = false;
    const { actor } = start(async () => {
      if (!online) throw new NetworkError();
      return { version: 4, edits: [record(4)] };
    });
    actor.send({ type: 'ENQUEUE', edit: edit('brush') });
    await waitFor(actor, (s) => s.matches('offline'));
    actor.send({ type: 'ENQUEUE', edit: edit('brush') });
    expect(actor.getSnapshot().context.offline).toBe(true);
    expect(actor.getSnapshot().context.queue).toHaveLength(2);
    online = true;
    await drained(actor);
    expect(actor.getSnapshot().context.offline).toBe(false);
  });

  it('polls for other tabs’ edits and passes on only the unseen ones', async () => {
    const { actor, emitted } = start(
      async () => ({ version: 0, edits: [] }),
      async () => ({ version: 5, edits: [record(3), record(4), record(5, 'undo')] }),
    );
    await waitFor(actor, (s) => s.context.version === 5);
    const applied = emitted.find((e) => e.type === 'applied');
    expect(applied?.type === 'applied' && applied.records.map((r) => r.version)).toEqual([4, 5]);
    expect(applied?.type === 'applied' && applied.item).toBeNull();
    actor.stop();
  });
});
