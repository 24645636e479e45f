// Review mode: step through several projects, judge each (accept or reject, with a comment), and
// keep every project's verdict as the server has it. Ids that name no project are shown as
// missing. The projects are shown one at a time, or two side by side (the one being judged and
// another beside it, replicas of one image compared).
import { assign, fromPromise, setup } from 'xstate';
import type { Judgment, Review } from '../api/client';

export interface ReviewContext {
  projects: string[];
  index: number;
  reviews: Record<string, Review>;
  error: string | null;
  sideBySide: boolean;
  /** Beside the judged project in the side-by-side view (null: the next one shown). */
  beside: string | null;
}

export type ReviewEvent =
  | { type: 'NEXT' }
  | { type: 'PREVIOUS' }
  | { type: 'GO'; index: number }
  | { type: 'JUDGE'; judgment: Judgment; comment: string }
  | { type: 'REFRESH' }
  | { type: 'SIDE_BY_SIDE'; on: boolean }
  | { type: 'BESIDE'; project: string };

/** Project ids from the `projectId` parameter: comma-separated, blanks and repeats dropped. */
export function reviewProjects(parameter: string | null): string[] {
  const ids = (parameter ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  return [...new Set(ids)];
}

export function stepIndex(index: number, count: number, step: number): number {
  return Math.min(count - 1, Math.max(0, index + step));
}

/**
 * The server's verdicts keyed by the project ids asked for. The answer keeps the order asked for,
 * so each id gets its own row, even an unknown one (whose row is marked `missing`).
 */
export function reviewsByProject(projects: string[], reviews: Review[]): Record<string, Review> {
  const byOrder = reviews.length === projects.length;
  return Object.fromEntries(reviews.map((r, i) => [byOrder ? projects[i] : r.project, r]));
}

/** Whether the server said that no project has this id. */
export const isMissing = (context: Pick<ReviewContext, 'reviews'>, project: string) =>
  context.reviews[project]?.missing === true;

/** The projects that can be shown beside the judged one: every other that exists. */
export function besideChoices(context: Pick<ReviewContext, 'projects' | 'index' | 'reviews'>) {
  const judged = context.projects[context.index];
  return context.projects.filter((id) => id !== judged && !isMissing(context, id));
}

/** The project shown beside the judged one: the one chosen, else the next after it (round). */
export function besideProject(context: ReviewContext): string | null {
  const choices = besideChoices(context);
  if (context.beside && choices.includes(context.beside)) return context.beside;
  const after = [
    ...context.projects.slice(context.index + 1),
    ...context.projects.slice(0, context.index),
  ];
  return after.find((id) => choices.includes(id)) ?? null;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const reviewMachine = setup({
  types: {
    context: {} as ReviewContext,
    events: {} as ReviewEvent,
    input: {} as { projects: string[]; sideBySide?: boolean },
  },
  actors: {
    loadReviews: fromPromise<Review[], { projects: string[] }>(async () => {
      throw new Error('The review loader is provided by the app');
    }),
    judge: fromPromise<Review, { project: string; judgment: Judgment; comment: string }>(
      async () => {
        throw new Error('The review sender is provided by the app');
      },
    ),
  },
}).createMachine({
  id: 'review',
  context: ({ input }) => ({
    projects: input.projects,
    index: 0,
    reviews: {},
    error: null,
    sideBySide: input.sideBySide ?? false,
    beside: null,
  }),
  on: {
    SIDE_BY_SIDE: { actions: assign({ sideBySide: ({ event }) => event.on }) },
    BESIDE: { actions: assign({ beside: ({ event }) => event.project }) },
    NEXT: {
      actions: assign({
        index: ({ context }) => stepIndex(context.index, context.projects.length, 1),
      }),
    },
    PREVIOUS: {
      actions: assign({
        index: ({ context }) => stepIndex(context.index, context.projects.length, -1),
      }),
    },
    GO: {
      actions: assign({
        index: ({ context, event }) => stepIndex(event.index, context.projects.length, 0),
      }),
    },
  },
  initial: 'loading',
  states: {
    loading: {
      invoke: {
        src: 'loadReviews',
        input: ({ context }) => ({ projects: context.projects }),
        onDone: {
          target: 'ready',
          actions: assign({
            reviews: ({ context, event }) => reviewsByProject(context.projects, event.output),
            error: null,
          }),
        },
        onError: {
          target: 'ready',
          actions: assign({ error: ({ event }) => message(event.error) }),
        },
      },
    },
    ready: {
      on: {
        // A project that does not exist cannot be judged.
        JUDGE: {
          target: 'judging',
          guard: ({ context }) => !isMissing(context, context.projects[context.index]),
        },
        REFRESH: 'loading',
      },
    },
    judging: {
      invoke: {
        src: 'judge',
        input: ({ context, event }) => {
          const judged = event as Extract<ReviewEvent, { type: 'JUDGE' }>;
          return {
            project: context.projects[context.index],
            judgment: judged.judgment,
            comment: judged.comment,
          };
        },
        onDone: {
          target: 'ready',
          actions: assign({
            reviews: ({ context, event }) => ({
              ...context.reviews,
              [event.output.project]: event.output,
            }),
            error: null,
          }),
        },
        onError: {
          target: 'ready',
          actions: assign({ error: ({ event }) => message(event.error) }),
        },
      },
    },
  },
});
