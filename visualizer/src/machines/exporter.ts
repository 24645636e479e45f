// Download and submit of the finished labels as server jobs: start the job, follow it (its
// progress bar is the `job` child), then hand the file to the browser or say where it went; the
// outcome is shown to the user (a failure until dismissed, anything else for a few seconds).
import { assign, fromPromise, setup } from 'xstate';
import type { ExportFormat, Job } from '../api/client';
import { jobMachine } from './job';

export type ExportKind = 'download' | 'submit';

export interface ExportContext {
  projectId: string;
  kind: ExportKind | null;
  /** The file format of a download (a submit writes the project zip). */
  format: ExportFormat;
  /** The job being followed, and once it ended, as it ended. */
  job: Job | null;
  message: string | null;
  severity: 'success' | 'info' | 'error' | null;
}

export type ExportEvent =
  { type: 'DOWNLOAD'; format?: ExportFormat } | { type: 'SUBMIT' } | { type: 'DISMISS' };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
const FAILURE: Record<ExportKind, string> = {
  download: 'Download failed',
  submit: 'Submit failed',
};
/** How long a result other than a failure stays. */
export const RESULT_MS = 8000;
const CANCELLED: Record<ExportKind, string> = {
  download: 'Download cancelled.',
  submit: 'Submit cancelled.',
};

export const exportMachine = setup({
  types: {
    context: {} as ExportContext,
    events: {} as ExportEvent,
    input: {} as { projectId: string },
  },
  delays: { resultMs: RESULT_MS },
  actors: {
    /** Asks the server for the export or submit job. */
    start: fromPromise<Job, { projectId: string; kind: ExportKind; format: ExportFormat }>(
      async () => {
        throw new Error('The exporter is provided by the app');
      },
    ),
    /** Follows the job to its end (the app provides the one that polls the server). */
    follow: jobMachine,
    /** Hands a finished job's outcome to the user; answers the message to show. */
    deliver: fromPromise<string, { kind: ExportKind; job: Job }>(async () => {
      throw new Error('The exporter is provided by the app');
    }),
  },
  actions: {
    /** A request failed (an `error` event of an invoked promise). */
    failed: assign({
      message: ({ context, event }) =>
        `${FAILURE[context.kind!]}: ${errorText((event as { error?: unknown }).error)}`,
      severity: 'error',
    }),
  },
  guards: {
    jobDone: ({ context }) => context.job?.state === 'done',
    jobCancelled: ({ context }) => context.job?.state === 'cancelled',
  },
}).createMachine({
  id: 'export',
  context: ({ input }) => ({
    projectId: input.projectId,
    kind: null,
    format: 'zip',
    job: null,
    message: null,
    severity: null,
  }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        DOWNLOAD: {
          target: 'starting',
          actions: assign({
            kind: 'download',
            format: ({ event }) => event.format ?? 'zip',
            job: null,
            message: null,
            severity: null,
          }),
        },
        SUBMIT: {
          target: 'starting',
          actions: assign({
            kind: 'submit',
            format: 'zip',
            job: null,
            message: null,
            severity: null,
          }),
        },
        DISMISS: { actions: assign({ message: null, severity: null }) },
      },
      after: {
        resultMs: {
          guard: ({ context }) => context.message !== null && context.severity !== 'error',
          actions: assign({ message: null, severity: null }),
        },
      },
    },
    starting: {
      invoke: {
        src: 'start',
        input: ({ context }) => ({
          projectId: context.projectId,
          kind: context.kind!,
          format: context.format,
        }),
        onDone: { target: 'following', actions: assign({ job: ({ event }) => event.output }) },
        onError: { target: 'idle', actions: 'failed' },
      },
    },
    following: {
      invoke: {
        id: 'job',
        src: 'follow',
        input: ({ context }) => ({ jobId: context.job!.id, job: context.job! }),
        onDone: {
          target: 'ended',
          actions: assign({ job: ({ context, event }) => event.output ?? context.job }),
        },
      },
    },
    ended: {
      always: [
        { guard: 'jobDone', target: 'delivering' },
        {
          guard: 'jobCancelled',
          target: 'idle',
          actions: assign({
            message: ({ context }) => CANCELLED[context.kind!],
            severity: 'info',
          }),
        },
        {
          target: 'idle',
          actions: assign({
            message: ({ context }) =>
              `${FAILURE[context.kind!]}: ${context.job?.error ?? 'the job stopped'}`,
            severity: 'error',
          }),
        },
      ],
    },
    delivering: {
      invoke: {
        src: 'deliver',
        input: ({ context }) => ({ kind: context.kind!, job: context.job! }),
        onDone: {
          target: 'idle',
          actions: assign({ message: ({ event }) => event.output, severity: 'success' }),
        },
        onError: { target: 'idle', actions: 'failed' },
      },
    },
  },
});
