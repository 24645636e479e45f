// A list the server keeps and the person changes: API tokens, a project's members and share
// links, the site's accounts, the caller's projects. Loads a page of it, sends one change at a
// time (then loads again), and keeps what the last change answered (a new token is shown once).
import { assign, fromPromise, setup } from 'xstate';

export interface Listed<Item = unknown> {
  items: Item[];
  /** Items in the whole list, when it comes in pages. */
  total?: number;
}

export interface ListingContext<Item = unknown, Result = unknown> {
  items: Item[];
  total: number;
  /** From 1. */
  page: number;
  perPage: number;
  error: string | null;
  /** The last change's answer, until dismissed. */
  result: Result | null;
}

/** A change to send: what the list's `change` actor takes (e.g. `{ revoke: id }`). */
export type Change = Record<string, unknown>;

export type ListingEvent =
  | { type: 'RELOAD' }
  | { type: 'PAGE'; page: number }
  | { type: 'CHANGE'; change: Change }
  | { type: 'DISMISS' };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Pages in a list of `total` items, at least one. */
export const pageCount = (total: number, perPage: number) =>
  Math.max(1, Math.ceil(total / perPage));

/**
 * Items and results are `unknown` here (XState's typed setup does not take type parameters);
 * each list's component reads them through `listed` with its own types.
 */
export const listingMachine = setup({
  types: {
    context: {} as ListingContext,
    events: {} as ListingEvent,
    input: {} as { perPage?: number } | undefined,
  },
  actors: {
    load: fromPromise<Listed, { page: number; perPage: number }>(async () => {
      throw new Error('The list loader is provided by the app');
    }),
    change: fromPromise<unknown, Change>(async () => {
      throw new Error('The change is provided by the app');
    }),
  },
}).createMachine({
  id: 'listing',
  context: ({ input }) => ({
    items: [],
    total: 0,
    page: 1,
    perPage: input?.perPage ?? 100,
    error: null,
    result: null,
  }),
  initial: 'loading',
  on: { DISMISS: { actions: assign({ result: null, error: null }) } },
  states: {
    loading: {
      invoke: {
        src: 'load',
        input: ({ context }) => ({ page: context.page, perPage: context.perPage }),
        onDone: {
          target: 'ready',
          actions: assign({
            items: ({ event }) => event.output.items,
            total: ({ event }) => event.output.total ?? event.output.items.length,
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
        RELOAD: 'loading',
        PAGE: {
          guard: ({ context, event }) =>
            event.page >= 1 && event.page <= pageCount(context.total, context.perPage),
          target: 'loading',
          actions: assign({ page: ({ event }) => event.page }),
        },
        CHANGE: { target: 'changing', actions: assign({ error: null, result: null }) },
      },
    },
    changing: {
      invoke: {
        src: 'change',
        input: ({ event }) => (event as Extract<ListingEvent, { type: 'CHANGE' }>).change,
        onDone: {
          target: 'loading',
          actions: assign({ result: ({ event }) => event.output }),
        },
        onError: {
          target: 'ready',
          actions: assign({ error: ({ event }) => message(event.error) }),
        },
      },
    },
  },
});

/** The list's context with the types of one list. */
export const listed = <Item, Result = unknown>(context: ListingContext) =>
  context as ListingContext<Item, Result>;
