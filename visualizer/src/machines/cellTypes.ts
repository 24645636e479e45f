// Cell types: the edits that change them (the server keeps the types) and how they are shown
// (hidden types and per-type opacity stay in this browser).
import { assign, setup } from 'xstate';
import type { CellType } from '../api/client';

export interface TypeEdit {
  action: string;
  args: Record<string, unknown>;
}

export const TYPE_COLORS = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
  '#fabed4',
  '#469990',
];

/** A colour no type of the list uses yet, when the palette has one. */
export function nextTypeColor(types: CellType[]): string {
  const used = new Set(types.map((t) => t.color.toLowerCase()));
  return TYPE_COLORS.find((c) => !used.has(c)) ?? TYPE_COLORS[types.length % TYPE_COLORS.length];
}

export const typeEdits = {
  create: (name: string, color: string, feature: number): TypeEdit => ({
    action: 'create_cell_type',
    args: { name: name.trim(), color, feature },
  }),
  rename: (id: number, name: string): TypeEdit => ({
    action: 'rename_cell_type',
    args: { id, name: name.trim() },
  }),
  recolor: (id: number, color: string): TypeEdit => ({
    action: 'recolor_cell_type',
    args: { id, color },
  }),
  remove: (id: number): TypeEdit => ({ action: 'delete_cell_type', args: { id } }),
  addCell: (id: number, cell: number): TypeEdit => ({
    action: 'add_to_cell_type',
    args: { id, cell },
  }),
  addCells: (id: number, cells: number[]): TypeEdit => ({
    action: 'add_to_cell_type',
    args: { id, cells },
  }),
  removeCell: (id: number, cell: number): TypeEdit => ({
    action: 'remove_from_cell_type',
    args: { id, cell },
  }),
};

/** The reorder edit that moves one type up (-1) or down (+1), or null at either end. */
export function moveType(types: CellType[], id: number, step: -1 | 1): TypeEdit | null {
  const order = types.map((t) => t.id);
  const index = order.indexOf(id);
  const target = index + step;
  if (index < 0 || target < 0 || target >= order.length) return null;
  [order[index], order[target]] = [order[target], order[index]];
  return { action: 'reorder_cell_types', args: { order } };
}

/** The reorder edit that puts the dragged type where the target type is, or null for none. */
export function dropType(types: CellType[], dragged: number, target: number): TypeEdit | null {
  const order = types.map((t) => t.id);
  const from = order.indexOf(dragged);
  const to = order.indexOf(target);
  if (from < 0 || to < 0 || from === to) return null;
  order.splice(from, 1);
  order.splice(to, 0, dragged);
  return { action: 'reorder_cell_types', args: { order } };
}

/** The one edit that adds the cells not yet in the type (each once), or null when there are none. */
export function addCellsEdit(type: CellType, cells: number[]): TypeEdit | null {
  const present = new Set(type.cells);
  const adding = [...new Set(cells)].filter((c) => !present.has(c)).sort((a, b) => a - b);
  return adding.length ? typeEdits.addCells(type.id, adding) : null;
}

export interface TypeDisplayContext {
  /** Colour the cells of the types on the canvas. */
  overlay: boolean;
  hidden: number[];
  /** Opacity per type id; types without an entry use `defaultOpacity`. */
  opacity: Record<number, number>;
  defaultOpacity: number;
  /** The type that the panel works on: picked cells go in or out of it. */
  active: number | null;
}

export type TypeDisplayEvent =
  | { type: 'TOGGLE_OVERLAY' }
  | { type: 'TOGGLE_HIDDEN'; id: number }
  | { type: 'SET_OPACITY'; id: number; opacity: number }
  | { type: 'SET_ACTIVE'; id: number | null };

export function typeOpacity(display: TypeDisplayContext, id: number): number {
  if (!display.overlay || display.hidden.includes(id)) return 0;
  return display.opacity[id] ?? display.defaultOpacity;
}

export const typeDisplayMachine = setup({
  types: { context: {} as TypeDisplayContext, events: {} as TypeDisplayEvent },
}).createMachine({
  id: 'typeDisplay',
  context: { overlay: true, hidden: [], opacity: {}, defaultOpacity: 0.6, active: null },
  on: {
    SET_ACTIVE: { actions: assign({ active: ({ event }) => event.id }) },
    TOGGLE_OVERLAY: { actions: assign({ overlay: ({ context }) => !context.overlay }) },
    TOGGLE_HIDDEN: {
      actions: assign({
        hidden: ({ context, event }) =>
          context.hidden.includes(event.id)
            ? context.hidden.filter((id) => id !== event.id)
            : [...context.hidden, event.id],
      }),
    },
    SET_OPACITY: {
      actions: assign({
        opacity: ({ context, event }) => ({
          ...context.opacity,
          [event.id]: Math.min(1, Math.max(0, event.opacity)),
        }),
      }),
    },
  },
});
