// Loading a project's metadata: the first thing the project page waits for.
import { assign, fromPromise, setup } from 'xstate';
import type { ProjectMetadata } from '../api/client';

export interface ProjectContext {
  projectId: string;
  metadata: ProjectMetadata | null;
  error: string | null;
}

export const projectMachine = setup({
  types: {
    context: {} as ProjectContext,
    events: {} as { type: 'RETRY' },
    input: {} as { projectId: string },
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
        onDone: {
          target: 'ready',
          actions: assign({ metadata: ({ event }) => event.output, error: null }),
        },
        onError: {
          target: 'failed',
          actions: assign({
            error: ({ event }) =>
              event.error instanceof Error ? event.error.message : String(event.error),
          }),
        },
      },
    },
    ready: {},
    failed: { on: { RETRY: 'loading' } },
  },
});
