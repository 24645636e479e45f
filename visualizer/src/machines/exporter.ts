// Download and submit of the finished labels, with the outcome kept for the user to see.
import { assign, fromPromise, setup } from 'xstate';

export type ExportKind = 'download' | 'submit';

export interface ExportContext {
  projectId: string;
  kind: ExportKind | null;
  message: string | null;
  severity: 'success' | 'error' | null;
}

export type ExportEvent = { type: 'DOWNLOAD' } | { type: 'SUBMIT' } | { type: 'DISMISS' };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
const FAILURE: Record<ExportKind, string> = {
  download: 'Download failed',
  submit: 'Submit failed',
};

export const exportMachine = setup({
  types: {
    context: {} as ExportContext,
    events: {} as ExportEvent,
    input: {} as { projectId: string },
  },
  actors: {
    /** Does the download or the submit and answers the message to show. */
    run: fromPromise<string, { projectId: string; kind: ExportKind }>(async () => {
      throw new Error('The exporter is provided by the app');
    }),
  },
}).createMachine({
  id: 'export',
  context: ({ input }) => ({
    projectId: input.projectId,
    kind: null,
    message: null,
    severity: null,
  }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        DOWNLOAD: {
          target: 'working',
          actions: assign({ kind: 'download', message: null, severity: null }),
        },
        SUBMIT: {
          target: 'working',
          actions: assign({ kind: 'submit', message: null, severity: null }),
        },
        DISMISS: { actions: assign({ message: null, severity: null }) },
      },
    },
    working: {
      invoke: {
        src: 'run',
        input: ({ context }) => ({ projectId: context.projectId, kind: context.kind! }),
        onDone: {
          target: 'idle',
          actions: assign({ message: ({ event }) => event.output, severity: 'success' }),
        },
        onError: {
          target: 'idle',
          actions: assign({
            message: ({ context, event }) => `${FAILURE[context.kind!]}: ${errorText(event.error)}`,
            severity: 'error',
          }),
        },
      },
    },
  },
});
