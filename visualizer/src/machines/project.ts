// Loading a project's metadata: the first thing the project page waits for. A project still being
// prepared on the server is asked for again every second until it is ready (or has failed).
import { assign, fromPromise, setup } from 'xstate';
import type { ProjectMetadata } from '../api/client';

export interface ProjectContext {
  projectId: string;
  metadata: ProjectMetadata | null;
  error: string | null;
}

export const BUILD_POLL_MS = 1000;

function statusOf(event: unknown) {
  return (event as { output?: ProjectMetadata }).output?.status ?? 'ready';
}

export const projectMachine = setup({
  types: {
    context: {} as ProjectContext,
    events: {} as { type: 'RETRY' },
    input: {} as { projectId: string },
  },
  delays: { buildPoll: BUILD_POLL_MS },
  guards: {
    building: ({ event }) => statusOf(event) === 'building',
    buildFailed: ({ event }) => statusOf(event) === 'failed',
  },
  actors: {
    load: fromPromise<ProjectMetadata, { projectId: string }>(async () => {
      throw new Error('The loader is provided by the app');
    }),
  },
}).createMachine({
  id: 'project',
  context: ({ input }) => ({ projectId: input.projectId, metadata: null, error: null }),
  initial: 'loading',
  states: {
    loading: {
      always: {
        guard: ({ context }) => !context.projectId,
        target: 'failed',
        actions: assign({ error: 'No projectId in the address.' }),
      },
      invoke: {
        src: 'load',
        input: ({ context }) => ({ projectId: context.projectId }),
        onDone: [
          {
            guard: 'building',
            target: 'building',
            actions: assign({ metadata: ({ event }) => event.output, error: null }),
          },
          {
            guard: 'buildFailed',
            target: 'buildFailed',
            actions: assign({ metadata: ({ event }) => event.output, error: null }),
          },
          {
            target: 'ready',
            actions: assign({ metadata: ({ event }) => event.output, error: null }),
          },
        ],
        onError: {
          target: 'failed',
          actions: assign({
            error: ({ event }) =>
              event.error instanceof Error ? event.error.message : String(event.error),
          }),
        },
      },
    },
    building: { after: { buildPoll: 'loading' } },
    buildFailed: {},
    ready: {},
    failed: { on: { RETRY: 'loading' } },
  },
});
