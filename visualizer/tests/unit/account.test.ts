import { describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import { ApiError } from '../../src/api/client';
import type { Me } from '../../src/api/accounts';
import { accountMachine } from '../../src/machines/account';
import { signInMachine, signInProblem } from '../../src/machines/signIn';

const ada: Me = { username: 'ada', display_name: 'Ada L', admin: false, csrf_token: 't' };

function account(me: () => Promise<Me | null>, signOut: () => Promise<void> = async () => {}) {
  const machine = accountMachine.provide({
    actors: { me: fromPromise(me), signOut: fromPromise(signOut) },
  });
  return createActor(machine).start();
}

describe('account machine', () => {
  it('knows who is signed in, and signs out telling the app', async () => {
    const signOut = vi.fn(async (): Promise<void> => {});
    const actor = account(async () => ada, signOut);
    await waitFor(actor, (s) => s.matches('signedIn'));
    expect(actor.getSnapshot().context.me).toEqual(ada);
    const told = vi.fn();
    actor.on('signedOut', told);
    actor.send({ type: 'SIGN_OUT' });
    await waitFor(actor, (s) => s.matches('signedOut'));
    expect(signOut).toHaveBeenCalledOnce();
    expect(told).toHaveBeenCalledOnce();
    expect(actor.getSnapshot().context.me).toBeNull();
  });

  it('is signed out when the server knows nobody', async () => {
    const actor = account(async () => null);
    await waitFor(actor, (s) => s.matches('signedOut'));
  });

  it('says so when the server cannot be reached, and asks again on retry', async () => {
    let reachable = false;
    const actor = account(async () => {
      if (!reachable) throw new Error('The server cannot be reached');
      return ada;
    });
    await waitFor(actor, (s) => s.matches('failed'));
    expect(actor.getSnapshot().context.error).toBe('The server cannot be reached');
    reachable = true;
    actor.send({ type: 'RETRY' });
    await waitFor(actor, (s) => s.matches('signedIn'));
  });
});

describe('sign-in machine', () => {
  function form(signIn: (input: { username: string; password: string }) => Promise<Me>) {
    const machine = signInMachine.provide({
      actors: { signIn: fromPromise(({ input }) => signIn(input)) },
    });
    return createActor(machine).start();
  }

  it('signs in with the trimmed username', async () => {
    const sent = vi.fn(async () => ada);
    const actor = form(sent);
    actor.send({ type: 'SUBMIT', username: ' ada ', password: 'pw' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(sent).toHaveBeenCalledWith({ username: 'ada', password: 'pw' });
    expect(actor.getSnapshot().output).toEqual(ada);
  });

  it('asks for both fields before sending anything', () => {
    const sent = vi.fn(async () => ada);
    const actor = form(sent);
    actor.send({ type: 'SUBMIT', username: 'ada', password: '' });
    expect(actor.getSnapshot().context.error).toBe('Type your username and your password.');
    expect(sent).not.toHaveBeenCalled();
  });

  it('says a wrong password plainly and lets the person try again', async () => {
    const actor = form(async () => {
      throw new ApiError('Unknown account or wrong password.', 401);
    });
    actor.send({ type: 'SUBMIT', username: 'ada', password: 'nope' });
    await waitFor(actor, (s) => s.matches('idle') && s.context.error !== null);
    expect(actor.getSnapshot().context.error).toBe('The username or the password is wrong.');
  });

  it('waits as long as the server asks after too many attempts', async () => {
    vi.useFakeTimers();
    try {
      const actor = form(async () => {
        throw new ApiError('Too many sign-ins', 429, 12);
      });
      actor.send({ type: 'SUBMIT', username: 'ada', password: 'x' });
      await vi.waitFor(() => expect(actor.getSnapshot().matches('throttled')).toBe(true));
      expect(actor.getSnapshot().context.error).toBe('Too many attempts, try again in 12 s.');
      actor.send({ type: 'SUBMIT', username: 'ada', password: 'y' }); // ignored while waiting
      vi.advanceTimersByTime(11_000);
      expect(actor.getSnapshot().matches('throttled')).toBe(true);
      vi.advanceTimersByTime(1_000);
      expect(actor.getSnapshot().matches('idle')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('words other refusals as the server did', () => {
    expect(signInProblem(new ApiError('This account is deactivated.', 403))).toBe(
      'This account is deactivated.',
    );
    expect(signInProblem(new ApiError('x', 429))).toBe('Too many attempts, try again later.');
  });
});
