// Who else has the project open and on which frame: the app reports its own frame every few
// seconds (and at once when it changes), and each answer lists everyone there.
import { assign, fromPromise, setup } from 'xstate';
import type { Viewer, Viewers } from '../api/client';

export const REPORT_INTERVAL_MS = 2000;

export interface ViewersContext {
  projectId: string;
  frame: number;
  feature: number;
  /** A position not reported yet. */
  moved: boolean;
  viewers: Viewer[];
  /** The last report failed (the list may be old). */
  failing: boolean;
}

export type ViewersEvent = { type: 'POSITION'; frame: number; feature: number };

export interface ReportInput {
  projectId: string;
  frame: number;
  feature: number;
}

/** Everyone listed but the user, by name. */
export const others = (viewers: Viewer[]) => viewers.filter((v) => !v.you);

export const viewersMachine = setup({
  types: {
    context: {} as ViewersContext,
    events: {} as ViewersEvent,
    input: {} as { projectId: string; frame?: number; feature?: number },
  },
  actors: {
    report: fromPromise<Viewers, ReportInput>(async () => {
      throw new Error('The reporter is provided by the app');
    }),
  },
  delays: { reportInterval: REPORT_INTERVAL_MS },
  guards: { moved: ({ context }) => context.moved },
}).createMachine({
  id: 'viewers',
  context: ({ input }) => ({
    projectId: input.projectId,
    frame: input.frame ?? 0,
    feature: input.feature ?? 0,
    moved: false,
    viewers: [],
    failing: false,
  }),
  on: {
    POSITION: {
      guard: ({ context, event }) =>
        event.frame !== context.frame || event.feature !== context.feature,
      actions: assign(({ event }) => ({ frame: event.frame, feature: event.feature, moved: true })),
    },
  },
  initial: 'reporting',
  states: {
    reporting: {
      entry: assign({ moved: false }),
      invoke: {
        src: 'report',
        input: ({ context }) => ({
          projectId: context.projectId,
          frame: context.frame,
          feature: context.feature,
        }),
        onDone: {
          target: 'waiting',
          actions: assign(({ event }) => ({ viewers: event.output.viewers, failing: false })),
        },
        onError: { target: 'waiting', actions: assign({ failing: true }) },
      },
    },
    waiting: {
      always: { guard: 'moved', target: 'reporting' },
      after: { reportInterval: 'reporting' },
    },
  },
});
