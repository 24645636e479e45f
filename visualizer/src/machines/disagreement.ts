// Where replicas of one campaign image disagree: in review mode the shown replica is compared
// with the other projects of the review, on the frame and feature shown (compared again when
// they change), and its disagreeing cells are highlighted until the reviewer turns that off.
// Projects that are no replicas of one image compare to nothing.
import { assign, fromPromise, setup } from 'xstate';
import type { Disagreement } from '../api/campaigns';

export interface DisagreementContext {
  projectId: string;
  others: string[];
  /** The frame and feature shown, which are compared. */
  frame: number;
  feature: number;
  found: Disagreement | null;
  shown: boolean;
  error: string | null;
}

export type DisagreementEvent =
  | { type: 'COMPARE'; others: string[] }
  | { type: 'VIEW'; frame: number; feature: number }
  | { type: 'TOGGLE' };

const NONE: readonly number[] = [];

/** The cells to highlight: those that disagree, while the highlight is on (on `frame` and
 * `feature` when given: none while another frame's answer is still the last one). */
export function highlightedCells(
  context: Pick<DisagreementContext, 'found' | 'shown'>,
  frame?: number,
  feature?: number,
): readonly number[] {
  const { found } = context;
  if (!context.shown || !found) return NONE;
  if (frame !== undefined && (found.frame !== frame || found.feature !== feature)) return NONE;
  return found.cells;
}

/** One line per other replica, e.g. "2 cells disagree with replica 1". */
export function disagreementLines(found: Disagreement): string[] {
  return found.against.map((other) => {
    const count = new Set([...other.unmatched, ...other.merges]).size;
    return `${count} ${count === 1 ? 'cell disagrees' : 'cells disagree'} with replica ${other.replica}`;
  });
}

export const disagreementMachine = setup({
  types: {
    context: {} as DisagreementContext,
    events: {} as DisagreementEvent,
    input: {} as { projectId: string },
  },
  actors: {
    load: fromPromise<
      Disagreement,
      { projectId: string; others: string[]; frame: number; feature: number }
    >(async () => {
      throw new Error('The disagreement loader is provided by the app');
    }),
  },
}).createMachine({
  id: 'disagreement',
  context: ({ input }) => ({
    projectId: input.projectId,
    others: [],
    frame: 0,
    feature: 0,
    found: null,
    shown: true,
    error: null,
  }),
  initial: 'off',
  on: {
    TOGGLE: { actions: assign({ shown: ({ context }) => !context.shown }) },
    COMPARE: [
      {
        guard: ({ event }) => event.others.length > 0,
        target: '.loading',
        actions: assign({ others: ({ event }) => event.others, found: null, error: null }),
      },
      { target: '.off', actions: assign({ others: [], found: null, error: null }) },
    ],
    // Another frame or feature shown: compared again, the last answer kept until the new one.
    VIEW: [
      {
        guard: ({ context, event }) =>
          context.others.length > 0 &&
          (event.frame !== context.frame || event.feature !== context.feature),
        target: '.loading',
        actions: assign({
          frame: ({ event }) => event.frame,
          feature: ({ event }) => event.feature,
        }),
      },
      {
        actions: assign({
          frame: ({ event }) => event.frame,
          feature: ({ event }) => event.feature,
        }),
      },
    ],
  },
  states: {
    off: {},
    loading: {
      invoke: {
        src: 'load',
        input: ({ context }) => ({
          projectId: context.projectId,
          others: context.others,
          frame: context.frame,
          feature: context.feature,
        }),
        onDone: { target: 'compared', actions: assign({ found: ({ event }) => event.output }) },
        // Not replicas of one image (or the caller does not review them): nothing to compare.
        onError: {
          target: 'off',
          actions: assign({
            found: null,
            error: ({ event }) =>
              event.error instanceof Error ? event.error.message : String(event.error),
          }),
        },
      },
    },
    compared: {},
  },
});
