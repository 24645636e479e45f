// One server job followed to its end: polls GET /api/jobs/<id> and keeps its progress, message,
// result or error for a progress bar; CANCEL asks the server to stop it.
import { assign, fromPromise, setup } from 'xstate';
import { FINISHED_JOB_STATES, type Job } from '../api/client';

export interface JobContext {
  jobId: string;
  job: Job | null;
  /** The last request's failure (the server unreachable); the job itself may still be fine. */
  trouble: string | null;
  /** Milliseconds between polls. */
  every: number;
}

export type JobEvent = { type: 'CANCEL' };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
    input: {} as { jobId: string; job?: Job; every?: number },
    output: {} as Job | null,
  },
  actors: {
    fetchJob: fromPromise<Job, { jobId: string }>(async () => {
      throw new Error('The job reader is provided by the app');
    }),
    cancelJob: fromPromise<Job, { jobId: string }>(async () => {
      throw new Error('The job canceller is provided by the app');
    }),
  },
  guards: {
    finished: ({ context }) =>
      context.job !== null && FINISHED_JOB_STATES.includes(context.job.state),
  },
  delays: {
    every: ({ context }) => context.every,
  },
}).createMachine({
  id: 'job',
  context: ({ input }) => ({
    jobId: input.jobId,
    job: input.job ?? null,
    trouble: null,
    every: input.every ?? 500,
  }),
  initial: 'checking',
  output: ({ context }) => context.job,
  states: {
    checking: {
      always: { guard: 'finished', target: 'finished' },
      invoke: {
        src: 'fetchJob',
        input: ({ context }) => ({ jobId: context.jobId }),
        onDone: {
          target: 'resting',
          actions: assign({ job: ({ event }) => event.output, trouble: null }),
        },
        onError: {
          target: 'resting',
          actions: assign({ trouble: ({ event }) => errorText(event.error) }),
        },
      },
      on: { CANCEL: 'cancelling' },
    },
    resting: {
      always: { guard: 'finished', target: 'finished' },
      after: { every: 'checking' },
      on: { CANCEL: 'cancelling' },
    },
    cancelling: {
      invoke: {
        src: 'cancelJob',
        input: ({ context }) => ({ jobId: context.jobId }),
        onDone: {
          target: 'resting',
          actions: assign({ job: ({ event }) => event.output, trouble: null }),
        },
        onError: {
          target: 'resting',
          actions: assign({ trouble: ({ event }) => errorText(event.error) }),
        },
      },
    },
    finished: { type: 'final' },
  },
});
