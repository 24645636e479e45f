// Who is signed in, for the whole app: asked of the server once at start, and ended by signing
// out. The pages wait for it; without an account they send the person to the sign-in page.
import { assign, emit, fromPromise, setup } from 'xstate';
import type { Me } from '../api/accounts';

export interface AccountContext {
  me: Me | null;
  error: string | null;
}

export type AccountEvent = { type: 'SIGN_OUT' } | { type: 'RETRY' };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const accountMachine = setup({
  types: {
    context: {} as AccountContext,
    events: {} as AccountEvent,
    emitted: {} as { type: 'signedOut' },
  },
  actors: {
    me: fromPromise<Me | null>(async () => {
      throw new Error('The account loader is provided by the app');
    }),
    signOut: fromPromise<void>(async () => {
      throw new Error('Signing out is provided by the app');
    }),
  },
}).createMachine({
  id: 'account',
  context: { me: null, error: null },
  initial: 'loading',
  states: {
    loading: {
      invoke: {
        src: 'me',
        onDone: [
          {
            guard: ({ event }) => event.output !== null,
            target: 'signedIn',
            actions: assign({ me: ({ event }) => event.output, error: null }),
          },
          { target: 'signedOut', actions: assign({ me: null, error: null }) },
        ],
        // The server cannot be reached: neither signed in nor out; say so and offer to retry.
        onError: {
          target: 'failed',
          actions: assign({ error: ({ event }) => message(event.error) }),
        },
      },
    },
    failed: { on: { RETRY: 'loading' } },
    signedIn: { on: { SIGN_OUT: 'signingOut' } },
    signingOut: {
      invoke: {
        src: 'signOut',
        onDone: {
          target: 'signedOut',
          actions: [assign({ me: null }), emit({ type: 'signedOut' })],
        },
        onError: {
          target: 'signedIn',
          actions: assign({ error: ({ event }) => message(event.error) }),
        },
      },
    },
    signedOut: {},
  },
});
