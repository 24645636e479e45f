// Whether undo and redo are available. The server is the authority (its answers carry
// can_undo / can_redo); between answers, edits seen from other tabs update the guess.
import { assign, emit, setup } from 'xstate';
import type { EditRecord } from '../api/client';

export interface UndoContext {
  canUndo: boolean;
  canRedo: boolean;
}

export type UndoEvent =
  | { type: 'SERVER_STATE'; canUndo: boolean; canRedo: boolean }
  | { type: 'RECORDS_SEEN'; records: Pick<EditRecord, 'kind'>[] }
  | { type: 'UNDO' }
  | { type: 'REDO' };

export type UndoEmitted = { type: 'request'; kind: 'undo' | 'redo' };

export const undoMachine = setup({
  types: {
    context: {} as UndoContext,
    events: {} as UndoEvent,
    input: {} as Partial<UndoContext>,
    emitted: {} as UndoEmitted,
  },
}).createMachine({
  id: 'undo',
  context: ({ input }) => ({ canUndo: input.canUndo ?? false, canRedo: input.canRedo ?? false }),
  on: {
    SERVER_STATE: {
      actions: assign(({ event }) => ({ canUndo: event.canUndo, canRedo: event.canRedo })),
    },
    RECORDS_SEEN: {
      guard: ({ event }) => event.records.length > 0,
      actions: assign(({ event }) => {
        const last = event.records[event.records.length - 1];
        if (last.kind === 'undo') return { canRedo: true };
        if (last.kind === 'redo') return { canUndo: true };
        return { canUndo: true, canRedo: false };
      }),
    },
    UNDO: {
      guard: ({ context }) => context.canUndo,
      actions: emit({ type: 'request', kind: 'undo' }),
    },
    REDO: {
      guard: ({ context }) => context.canRedo,
      actions: emit({ type: 'request', kind: 'redo' }),
    },
  },
});
