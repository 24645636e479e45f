import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { availabilityFromHistory, undoMachine } from '../../src/machines/undo';

const kinds = (...list: string[]) => list.map((kind) => ({ kind }));

describe('undo availability', () => {
  it('replays a history to find what can be undone and redone', () => {
    expect(availabilityFromHistory([])).toEqual({ canUndo: false, canRedo: false });
    expect(availabilityFromHistory(kinds('edit', 'edit', 'undo'))).toEqual({
      canUndo: true,
      canRedo: true,
    });
    expect(availabilityFromHistory(kinds('edit', 'undo'))).toEqual({
      canUndo: false,
      canRedo: true,
    });
    expect(availabilityFromHistory(kinds('edit', 'undo', 'redo'))).toEqual({
      canUndo: true,
      canRedo: false,
    });
    expect(availabilityFromHistory(kinds('edit', 'undo', 'edit'))).toEqual({
      canUndo: true,
      canRedo: false,
    });
  });

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
