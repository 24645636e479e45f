// How the spots are shown: on/off, radius, opacity, coloured by cell or in one colour.
import { assign, setup } from 'xstate';
import type { Spots } from '../api/client';

export interface SpotsDisplayContext {
  show: boolean;
  /** In image pixels, so spots grow with the zoom like the cells do. */
  radius: number;
  opacity: number;
  colorByCell: boolean;
  spots: Spots | null;
}

export type SpotsDisplayEvent =
  | { type: 'TOGGLE' }
  | { type: 'SET_RADIUS'; radius: number }
  | { type: 'SET_OPACITY'; opacity: number }
  | { type: 'TOGGLE_COLOR_BY_CELL' }
  | { type: 'LOADED'; spots: Spots };

export const spotsDisplayMachine = setup({
  types: { context: {} as SpotsDisplayContext, events: {} as SpotsDisplayEvent },
}).createMachine({
  id: 'spotsDisplay',
  context: { show: true, radius: 1.5, opacity: 0.9, colorByCell: true, spots: null },
  on: {
    LOADED: { actions: assign({ spots: ({ event }) => event.spots }) },
    TOGGLE: { actions: assign({ show: ({ context }) => !context.show }) },
    SET_RADIUS: {
      actions: assign({ radius: ({ event }) => Math.min(20, Math.max(0.25, event.radius)) }),
    },
    SET_OPACITY: {
      actions: assign({ opacity: ({ event }) => Math.min(1, Math.max(0, event.opacity)) }),
    },
    TOGGLE_COLOR_BY_CELL: {
      actions: assign({ colorByCell: ({ context }) => !context.colorByCell }),
    },
  },
});
