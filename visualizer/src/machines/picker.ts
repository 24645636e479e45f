// Picking cells on the canvas for a panel: a daughter to add or remove, or cells to put in or take
// out of a cell type. A click picks the cell under the cursor; Shift+click cycles through
// overlapping cells without picking, and the next plain click there picks the one shown.
import { assign, emit, setup } from 'xstate';
import type { CellType } from '../api/client';
import { cellAfterClick } from './selection';

export type PickPurpose =
  | { kind: 'addDaughter'; parent: number }
  | { kind: 'removeDaughter'; parent: number }
  | { kind: 'cellType'; id: number };

export interface PickerContext {
  purpose: PickPurpose | null;
  /** The overlapping cell shown by Shift+click, picked by the next plain click on it. */
  candidate: number | null;
}

export type PickerEvent =
  | { type: 'START'; purpose: PickPurpose }
  | { type: 'CLICK'; cells: number[]; cycle: boolean }
  | { type: 'CANCEL' };

export type PickerEmitted = { type: 'picked'; purpose: PickPurpose; cell: number };

/** The cell a plain click picks: the cycled candidate if it is under the cursor, else the first. */
export function pickedCell(
  purpose: PickPurpose,
  candidate: number | null,
  cells: number[],
): number | null {
  const usable =
    purpose.kind === 'cellType' ? cells : cells.filter((cell) => cell !== purpose.parent);
  if (candidate !== null && usable.includes(candidate)) return candidate;
  return usable[0] ?? null;
}

/** The edit a pick asks for. A cell-type pick adds the cell, or takes it out if already in. */
export function editForPick(
  purpose: PickPurpose,
  cell: number,
  cellTypes: CellType[],
): { action: string; args: Record<string, unknown> } | null {
  switch (purpose.kind) {
    case 'addDaughter':
      return { action: 'add_daughter', args: { parent: purpose.parent, daughter: cell } };
    case 'removeDaughter':
      return { action: 'remove_daughter', args: { parent: purpose.parent, daughter: cell } };
    case 'cellType': {
      const type = cellTypes.find((t) => t.id === purpose.id);
      if (!type) return null;
      const action = type.cells.includes(cell) ? 'remove_from_cell_type' : 'add_to_cell_type';
      return { action, args: { id: purpose.id, cell } };
    }
  }
}

export const pickerMachine = setup({
  types: {
    context: {} as PickerContext,
    events: {} as PickerEvent,
    emitted: {} as PickerEmitted,
  },
}).createMachine({
  id: 'picker',
  context: { purpose: null, candidate: null },
  on: {
    START: { actions: assign(({ event }) => ({ purpose: event.purpose, candidate: null })) },
    CANCEL: { actions: assign({ purpose: null, candidate: null }) },
    CLICK: [
      {
        guard: ({ context, event }) => context.purpose !== null && event.cycle,
        actions: assign({
          candidate: ({ context, event }) => cellAfterClick(context.candidate, event.cells),
        }),
      },
      {
        guard: ({ context, event }) =>
          context.purpose !== null &&
          pickedCell(context.purpose, context.candidate, event.cells) !== null,
        actions: [
          emit(({ context, event }) => ({
            type: 'picked' as const,
            purpose: context.purpose!,
            cell: pickedCell(context.purpose!, context.candidate, event.cells)!,
          })),
          // A daughter is one pick; cells of a type are picked until the mode is left.
          assign(({ context }) => ({
            purpose: context.purpose!.kind === 'cellType' ? context.purpose : null,
            candidate: null,
          })),
        ],
      },
    ],
  },
});
