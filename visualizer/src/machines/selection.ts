// Which cell is selected and which cells are under the cursor.
import { assign, setup } from 'xstate';

export interface SelectionContext {
  selected: number | null;
  hovering: number[];
}

export type SelectionEvent =
  | { type: 'HOVER'; cells: number[] }
  | { type: 'CLICK'; cells: number[] }
  | { type: 'SELECT'; cell: number | null }
  | { type: 'NEXT'; cells: number[] }
  | { type: 'PREVIOUS'; cells: number[] }
  | { type: 'RESET' };

/** Clicking where several cells overlap cycles through them, starting after the selected one. */
export function cellAfterClick(selected: number | null, cells: number[]): number | null {
  if (cells.length === 0) return null;
  const index = selected === null ? -1 : cells.indexOf(selected);
  return cells[(index + 1) % cells.length];
}

/** The neighbour of `selected` in the sorted list `cells`, wrapping around. */
export function stepCell(selected: number | null, cells: number[], step: 1 | -1): number | null {
  if (cells.length === 0) return null;
  if (selected === null) return step === 1 ? cells[0] : cells[cells.length - 1];
  if (step === 1) return cells.find((c) => c > selected) ?? cells[0];
  for (let i = cells.length - 1; i >= 0; i--) if (cells[i] < selected) return cells[i];
  return cells[cells.length - 1];
}

const sameCells = (a: number[], b: number[]) =>
  a.length === b.length && a.every((c, i) => c === b[i]);

export const selectionMachine = setup({
  types: { context: {} as SelectionContext, events: {} as SelectionEvent },
}).createMachine({
  id: 'selection',
  context: { selected: null, hovering: [] },
  on: {
    HOVER: {
      // Hover fires on every mouse move; skip the update when nothing changed.
      guard: ({ context, event }) => !sameCells(context.hovering, event.cells),
      actions: assign({ hovering: ({ event }) => event.cells }),
    },
    CLICK: {
      actions: assign({
        selected: ({ context, event }) => cellAfterClick(context.selected, event.cells),
      }),
    },
    SELECT: { actions: assign({ selected: ({ event }) => event.cell }) },
    NEXT: {
      actions: assign({
        selected: ({ context, event }) => stepCell(context.selected, event.cells, 1),
      }),
    },
    PREVIOUS: {
      actions: assign({
        selected: ({ context, event }) => stepCell(context.selected, event.cells, -1),
      }),
    },
    RESET: { actions: assign({ selected: null }) },
  },
});
