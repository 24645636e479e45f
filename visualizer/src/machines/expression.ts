// The per-cell expression table shown in the plots, and the cells selected in a plot.
import { assign, fromPromise, setup } from 'xstate';
import type { Expression, ExpressionFrame } from '../api/client';

export interface ExpressionContext {
  projectId: string;
  expression: Expression | null;
  error: string | null;
  /** Cells chosen by a box or range in a plot, waiting to be put in a type. */
  selected: number[];
}

export type ExpressionEvent =
  | { type: 'LOAD'; feature: number; frame: ExpressionFrame }
  | { type: 'SELECT'; cells: number[] }
  | { type: 'CLEAR' };

export const expressionMachine = setup({
  types: {
    context: {} as ExpressionContext,
    events: {} as ExpressionEvent,
    input: {} as { projectId: string },
  },
  actors: {
    load: fromPromise<Expression, { projectId: string; feature: number; frame: ExpressionFrame }>(
      async () => {
        throw new Error('The expression loader is provided by the app');
      },
    ),
  },
}).createMachine({
  id: 'expression',
  context: ({ input }) => ({
    projectId: input.projectId,
    expression: null,
    error: null,
    selected: [],
  }),
  initial: 'idle',
  on: {
    LOAD: '.loading',
    SELECT: { actions: assign({ selected: ({ event }) => [...new Set(event.cells)] }) },
    CLEAR: { actions: assign({ selected: [] }) },
  },
  states: {
    idle: {},
    loading: {
      invoke: {
        src: 'load',
        input: ({ context, event }) => {
          const load = event as Extract<ExpressionEvent, { type: 'LOAD' }>;
          return { projectId: context.projectId, feature: load.feature, frame: load.frame };
        },
        onDone: {
          target: 'idle',
          actions: assign({ expression: ({ event }) => event.output, error: null, selected: [] }),
        },
        onError: {
          target: 'idle',
          actions: assign({
            error: ({ event }) =>
              event.error instanceof Error ? event.error.message : String(event.error),
          }),
        },
      },
    },
  },
});
