// The sign-in form: sends the username and password, tells what went wrong in words, and after
// too many attempts (429) waits as long as the server asks before letting the person try again.
import { assign, fromPromise, setup } from 'xstate';
import type { Me } from '../api/accounts';

export interface SignInContext {
  error: string | null;
  /** Seconds the server asked to wait after too many attempts. */
  retryAfter: number;
  me: Me | null;
}

export type SignInEvent = { type: 'SUBMIT'; username: string; password: string };

interface Refusal {
  status?: number;
  message?: string;
  retryAfter?: number | null;
}

/** The words for a refused sign-in. */
export function signInProblem(error: unknown): string {
  const { status, message, retryAfter } = (error ?? {}) as Refusal;
  if (status === 429) {
    return retryAfter
      ? `Too many attempts, try again in ${retryAfter} s.`
      : 'Too many attempts, try again later.';
  }
  if (status === 401) return 'The username or the password is wrong.';
  return message || 'Signing in failed; try again.';
}

export const signInMachine = setup({
  types: {
    context: {} as SignInContext,
    events: {} as SignInEvent,
    output: {} as Me,
  },
  actors: {
    signIn: fromPromise<Me, { username: string; password: string }>(async () => {
      throw new Error('Signing in is provided by the app');
    }),
  },
  delays: { retryAfter: ({ context }) => context.retryAfter * 1000 },
  guards: {
    filled: ({ event }) => event.username.trim() !== '' && event.password !== '',
    throttled: ({ event }) => (event as unknown as { error: Refusal }).error?.status === 429,
  },
}).createMachine({
  id: 'signIn',
  context: { error: null, retryAfter: 0, me: null },
  initial: 'idle',
  states: {
    idle: {
      on: {
        SUBMIT: [
          { guard: 'filled', target: 'signingIn' },
          { actions: assign({ error: 'Type your username and your password.' }) },
        ],
      },
    },
    signingIn: {
      invoke: {
        src: 'signIn',
        input: ({ event }) => {
          const { username, password } = event as SignInEvent;
          return { username: username.trim(), password };
        },
        onDone: {
          target: 'signedIn',
          actions: assign({ me: ({ event }) => event.output, error: null }),
        },
        onError: [
          {
            guard: 'throttled',
            target: 'throttled',
            actions: assign({
              error: ({ event }) => signInProblem(event.error),
              retryAfter: ({ event }) => (event.error as Refusal).retryAfter ?? 30,
            }),
          },
          { target: 'idle', actions: assign({ error: ({ event }) => signInProblem(event.error) }) },
        ],
      },
    },
    // The form stays closed until the server would listen again.
    throttled: { after: { retryAfter: 'idle' } },
    signedIn: { type: 'final' },
  },
  output: ({ context }) => context.me!,
});
