import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { undoMachine } from '../../src/machines/undo';

const kinds = (...list: string[]) => list.map((kind) => ({ kind }));

describe('undo availability', () => {
  it('asks for undo and redo only when the server says they are available', () => {
    const actor = createActor(undoMachine, { input: {} }).start();
    const requests: string[] = [];
    actor.on('request', (e) => requests.push(e.kind));
    actor.send({ type: 'UNDO' });
    actor.send({ type: 'REDO' });
    expect(requests).toEqual([]);
    actor.send({ type: 'SERVER_STATE', canUndo: true, canRedo: false });
    actor.send({ type: 'UNDO' });
    actor.send({ type: 'REDO' });
    expect(requests).toEqual(['undo']);
  });

  it('updates from edits made in another tab', () => {
    const actor = createActor(undoMachine, { input: { canUndo: false, canRedo: true } }).start();
    actor.send({ type: 'RECORDS_SEEN', records: kinds('edit') });
    expect(actor.getSnapshot().context).toEqual({ canUndo: true, canRedo: false });
    actor.send({ type: 'RECORDS_SEEN', records: kinds('undo') });
    expect(actor.getSnapshot().context.canRedo).toBe(true);
  });
});
