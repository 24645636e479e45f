// The signed-in account for the whole app: one actor, asked of the server at start (which also
// gives the API client its CSRF token). Every page but the sign-in page waits for it.
import { createActor, fromPromise, type ActorRefFrom } from 'xstate';
import { getMe, signOut } from './api/accounts';
import { signInUrl } from './api/client';
import { accountMachine } from './machines/account';

export type AccountActor = ActorRefFrom<typeof accountMachine>;

export const serverAccountMachine = accountMachine.provide({
  actors: { me: fromPromise(getMe), signOut: fromPromise(signOut) },
});

let actor: AccountActor | null = null;

/** The app's one account actor, started on first use. */
export function account(): AccountActor {
  if (actor) return actor;
  actor = createActor(serverAccountMachine);
  // Signing out ends at the sign-in page; found signed out at start, the person comes back here
  // once signed in.
  let leaving = false;
  actor.on('signedOut', () => {
    leaving = true;
    window.location.assign('/login');
  });
  actor.subscribe((snapshot) => {
    if (snapshot.matches('signedOut') && !leaving) {
      window.location.assign(signInUrl(window.location.pathname + window.location.search));
    }
  });
  actor.start();
  return actor;
}
