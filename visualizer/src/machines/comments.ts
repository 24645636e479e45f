// Comments pinned to points of a project's frames: read (and read again now and then), pinned
// by a click on the canvas after "Comment", opened from a marker or the list, resolved or opened
// again. Resolved comments are hidden on the canvas until "Show resolved" is on.
import { assign, fromPromise, setup } from 'xstate';
import type { PinnedComment } from '../api/campaigns';

/** Where a new comment goes, before its text is written. */
export interface CommentPoint {
  frame: number;
  x: number;
  y: number;
}

export interface CommentsContext {
  projectId: string;
  comments: PinnedComment[];
  showResolved: boolean;
  /** "Comment" was pressed: the next click on the canvas pins a comment there. */
  placing: boolean;
  draft: CommentPoint | null;
  /** The comment whose marker shows its text. */
  open: number | null;
  error: string | null;
}

export type CommentsEvent =
  | { type: 'REFRESH' }
  | { type: 'PLACE' }
  | { type: 'POINT'; point: CommentPoint }
  | { type: 'SAVE'; text: string }
  | { type: 'CANCEL' }
  | { type: 'OPEN'; id: number }
  | { type: 'CLOSE' }
  | { type: 'RESOLVE'; id: number; resolved: boolean }
  | { type: 'SHOW_RESOLVED' };

/** How often the comments are read again while the project is open. */
export const REFRESH_MS = 30_000;

/** The comments to show (resolved ones only while "Show resolved" is on), on one frame or on
 * all, each with its number in the list (from 1) that its marker shows too. */
export function shownComments(
  context: Pick<CommentsContext, 'comments' | 'showResolved'>,
  frame?: number,
): { comment: PinnedComment; number: number }[] {
  return context.comments
    .map((comment, index) => ({ comment, number: index + 1 }))
    .filter(
      ({ comment }) =>
        (frame === undefined || comment.frame === frame) &&
        (context.showResolved || !comment.resolved),
    );
}

export const openCount = (comments: PinnedComment[]) => comments.filter((c) => !c.resolved).length;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

const replace = (comments: PinnedComment[], changed: PinnedComment) =>
  comments.map((comment) => (comment.id === changed.id ? changed : comment));

export const commentsMachine = setup({
  types: {
    context: {} as CommentsContext,
    events: {} as CommentsEvent,
    input: {} as { projectId: string },
  },
  actors: {
    list: fromPromise<PinnedComment[], { projectId: string }>(async () => {
      throw new Error('The comments are read by the app');
    }),
    add: fromPromise<PinnedComment, { projectId: string; point: CommentPoint; text: string }>(
      async () => {
        throw new Error('Comments are saved by the app');
      },
    ),
    resolve: fromPromise<PinnedComment, { projectId: string; id: number; resolved: boolean }>(
      async () => {
        throw new Error('Comments are resolved by the app');
      },
    ),
  },
}).createMachine({
  id: 'comments',
  context: ({ input }) => ({
    projectId: input.projectId,
    comments: [],
    showResolved: false,
    placing: false,
    draft: null,
    open: null,
    error: null,
  }),
  initial: 'loading',
  on: {
    PLACE: {
      actions: assign({ placing: ({ context }) => !context.placing, draft: null, open: null }),
    },
    POINT: {
      guard: ({ context }) => context.placing,
      actions: assign({ placing: false, draft: ({ event }) => event.point, error: null }),
    },
    CANCEL: { actions: assign({ placing: false, draft: null, error: null }) },
    OPEN: { actions: assign({ open: ({ event }) => event.id, draft: null, placing: false }) },
    CLOSE: { actions: assign({ open: null }) },
    SHOW_RESOLVED: { actions: assign({ showResolved: ({ context }) => !context.showResolved }) },
  },
  states: {
    loading: {
      invoke: {
        src: 'list',
        input: ({ context }) => ({ projectId: context.projectId }),
        onDone: { target: 'idle', actions: assign({ comments: ({ event }) => event.output }) },
        onError: {
          target: 'idle',
          actions: assign({ error: ({ event }) => message(event.error) }),
        },
      },
    },
    idle: {
      after: { [REFRESH_MS]: 'loading' },
      on: {
        REFRESH: 'loading',
        SAVE: {
          guard: ({ context, event }) => context.draft !== null && event.text.trim() !== '',
          target: 'saving',
        },
        RESOLVE: 'resolving',
      },
    },
    saving: {
      invoke: {
        src: 'add',
        input: ({ context, event }) => ({
          projectId: context.projectId,
          point: context.draft!,
          text: (event as { text: string }).text,
        }),
        onDone: {
          target: 'idle',
          actions: assign({
            comments: ({ context, event }) => [...context.comments, event.output],
            draft: null,
            error: null,
          }),
        },
        // The draft stays, to send again.
        onError: {
          target: 'idle',
          actions: assign({ error: ({ event }) => message(event.error) }),
        },
      },
    },
    resolving: {
      invoke: {
        src: 'resolve',
        input: ({ context, event }) => {
          const { id, resolved } = event as { id: number; resolved: boolean };
          return { projectId: context.projectId, id, resolved };
        },
        onDone: {
          target: 'idle',
          actions: assign({
            comments: ({ context, event }) => replace(context.comments, event.output),
            open: null,
            error: null,
          }),
        },
        onError: {
          target: 'idle',
          actions: assign({ error: ({ event }) => message(event.error) }),
        },
      },
    },
  },
});
