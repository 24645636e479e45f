// Sends edits, undos and redos to the server one at a time and in order, keeps the project version,
// polls for other tabs' edits while idle, and waits out network failures with the queue kept.
import { assign, emit, fromPromise, setup } from 'xstate';
import { NetworkError, type EditRecord, type EditRequest, type EditResponse } from '../api/client';

export type QueuedEdit =
  | { id: number; kind: 'edit'; request: Omit<EditRequest, 'base_version'> }
  | { id: number; kind: 'undo' | 'redo' };

export interface EditQueueContext {
  projectId: string;
  version: number;
  queue: QueuedEdit[];
  nextId: number;
  error: string | null;
  offline: boolean;
}

export type EditQueueEvent =
  | { type: 'ENQUEUE'; edit: Omit<EditRequest, 'base_version'> }
  | { type: 'UNDO' }
  | { type: 'REDO' }
  | { type: 'DISMISS_ERROR' };

export type EditQueueEmitted =
  /** Edit records the client had not seen yet, oldest first; `item` is ours when it answered one. */
  | {
      type: 'applied';
      records: EditRecord[];
      item: QueuedEdit | null;
      response: EditResponse | null;
    }
  | { type: 'rejected'; item: QueuedEdit; message: string }
  /** A local edit was taken from the queue (done or refused), so its preview can go. */
  | { type: 'settled'; item: QueuedEdit };

export interface SendInput {
  projectId: string;
  version: number;
  item: QueuedEdit;
}

export const POLL_INTERVAL_MS = 700;
export const RETRY_INTERVAL_MS = 2000;

/** Edits of a response that are newer than what the client has. */
export function unseen(response: EditResponse, version: number): EditRecord[] {
  return response.edits.filter((e) => e.version > version).sort((a, b) => a.version - b.version);
}

export const editQueueMachine = setup({
  types: {
    context: {} as EditQueueContext,
    events: {} as EditQueueEvent,
    input: {} as { projectId: string; version: number },
    emitted: {} as EditQueueEmitted,
  },
  actors: {
    send: fromPromise<EditResponse, SendInput>(async () => {
      throw new Error('The edit sender is provided by the app');
    }),
    poll: fromPromise<EditResponse, { projectId: string; version: number }>(async () => {
      throw new Error('The poller is provided by the app');
    }),
  },
  delays: {
    pollInterval: POLL_INTERVAL_MS,
    retryInterval: RETRY_INTERVAL_MS,
  },
  guards: {
    hasQueue: ({ context }) => context.queue.length > 0,
    networkError: ({ event }) => (event as { error?: unknown }).error instanceof NetworkError,
  },
  actions: {
    markOffline: assign({ offline: true }),
  },
}).createMachine({
  id: 'editQueue',
  context: ({ input }) => ({
    projectId: input.projectId,
    version: input.version,
    queue: [],
    nextId: 1,
    error: null,
    offline: false,
  }),
  on: {
    ENQUEUE: {
      actions: assign(({ context, event }) => ({
        queue: [
          ...context.queue,
          { id: context.nextId, kind: 'edit' as const, request: event.edit },
        ],
        nextId: context.nextId + 1,
      })),
    },
    UNDO: {
      actions: assign(({ context }) => ({
        queue: [...context.queue, { id: context.nextId, kind: 'undo' as const }],
        nextId: context.nextId + 1,
      })),
    },
    REDO: {
      actions: assign(({ context }) => ({
        queue: [...context.queue, { id: context.nextId, kind: 'redo' as const }],
        nextId: context.nextId + 1,
      })),
    },
    DISMISS_ERROR: { actions: assign({ error: null }) },
  },
  initial: 'idle',
  states: {
    idle: {
      always: { guard: 'hasQueue', target: 'sending' },
      after: { pollInterval: 'polling' },
    },
    sending: {
      invoke: {
        src: 'send',
        input: ({ context }) => ({
          projectId: context.projectId,
          version: context.version,
          item: context.queue[0],
        }),
        onDone: {
          target: 'idle',
          actions: [
            emit(({ context, event }) => ({
              type: 'applied' as const,
              records: unseen(event.output, context.version),
              item: context.queue[0],
              response: event.output,
            })),
            emit(({ context }) => ({ type: 'settled' as const, item: context.queue[0] })),
            assign(({ context, event }) => ({
              version: Math.max(context.version, event.output.version),
              queue: context.queue.slice(1),
              offline: false,
            })),
          ],
        },
        onError: [
          { guard: 'networkError', target: 'offline', actions: 'markOffline' },
          {
            target: 'idle',
            actions: [
              emit(({ context, event }) => ({
                type: 'rejected' as const,
                item: context.queue[0],
                message: event.error instanceof Error ? event.error.message : String(event.error),
              })),
              emit(({ context }) => ({ type: 'settled' as const, item: context.queue[0] })),
              assign(({ context, event }) => ({
                queue: context.queue.slice(1),
                error: event.error instanceof Error ? event.error.message : String(event.error),
                offline: false,
              })),
            ],
          },
        ],
      },
    },
    polling: {
      invoke: {
        src: 'poll',
        input: ({ context }) => ({ projectId: context.projectId, version: context.version }),
        onDone: {
          target: 'idle',
          actions: [
            emit(({ context, event }) => ({
              type: 'applied' as const,
              records: unseen(event.output, context.version),
              item: null,
              response: event.output,
            })),
            assign(({ context, event }) => ({
              version: Math.max(context.version, event.output.version),
              offline: false,
            })),
          ],
        },
        onError: [
          { guard: 'networkError', target: 'offline', actions: 'markOffline' },
          { target: 'idle' },
        ],
      },
    },
    offline: {
      after: { retryInterval: [{ guard: 'hasQueue', target: 'sending' }, { target: 'polling' }] },
    },
  },
});
