import { describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise, waitFor, type ActorRefFrom } from 'xstate';
import { listingMachine, pageCount, type Change, type Listed } from '../../src/machines/listing';

/** A server list of tokens: `create` answers the new secret once, `revoke` removes one. */
function tokenServer() {
  let tokens = [{ id: 1, name: 'old' }];
  let next = 2;
  const load = vi.fn(
    async ({ input }: { input: { page: number; perPage: number } }): Promise<Listed> => {
      const start = (input.page - 1) * input.perPage;
      return { items: tokens.slice(start, start + input.perPage), total: tokens.length };
    },
  );
  const change = vi.fn(async ({ input }: { input: Change }): Promise<unknown> => {
    if (input.fail) throw new Error('The name is taken.');
    if (input.revoke !== undefined) {
      tokens = tokens.filter((t) => t.id !== input.revoke);
      return null;
    }
    const id = next++;
    tokens = [...tokens, { id, name: input.name as string }];
    return { id, token: `secret-${id}` };
  });
  const machine = listingMachine.provide({
    actors: { load: fromPromise(load), change: fromPromise(change) },
  });
  return { machine, load, change };
}

const idle = (actor: ActorRefFrom<typeof listingMachine>) =>
  waitFor(actor, (s) => s.matches('ready'));

describe('listing machine', () => {
  it('loads, sends a change, keeps its answer and loads again', async () => {
    const { machine } = tokenServer();
    const actor = createActor(machine, { input: {} }).start();
    await idle(actor);
    expect(actor.getSnapshot().context.items).toEqual([{ id: 1, name: 'old' }]);
    actor.send({ type: 'CHANGE', change: { name: 'pipeline', days: 30 } });
    expect(actor.getSnapshot().matches('changing')).toBe(true);
    await idle(actor);
    expect(actor.getSnapshot().context.result).toEqual({ id: 2, token: 'secret-2' });
    expect(actor.getSnapshot().context.items.map((t) => (t as { name: string }).name)).toEqual([
      'old',
      'pipeline',
    ]);
    // The secret is shown once: dismissed, it is gone from the app.
    actor.send({ type: 'DISMISS' });
    expect(actor.getSnapshot().context.result).toBeNull();
    actor.send({ type: 'CHANGE', change: { revoke: 1 } });
    await idle(actor);
    expect(actor.getSnapshot().context.items).toEqual([{ id: 2, name: 'pipeline' }]);
  });

  it('keeps the list and says why when a change is refused', async () => {
    const { machine, load } = tokenServer();
    const actor = createActor(machine, { input: {} }).start();
    await idle(actor);
    actor.send({ type: 'CHANGE', change: { fail: true } });
    await idle(actor);
    expect(actor.getSnapshot().context.error).toBe('The name is taken.');
    expect(actor.getSnapshot().context.items).toHaveLength(1);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('pages through a long list, within its pages only', async () => {
    const { machine, load, change } = tokenServer();
    const actor = createActor(machine, { input: { perPage: 2 } }).start();
    await idle(actor);
    for (const name of ['b', 'c']) {
      actor.send({ type: 'CHANGE', change: { name } });
      await idle(actor);
    }
    expect(change).toHaveBeenCalledTimes(2);
    expect(actor.getSnapshot().context.total).toBe(3);
    actor.send({ type: 'PAGE', page: 3 }); // there are two pages
    expect(actor.getSnapshot().matches('ready')).toBe(true);
    actor.send({ type: 'PAGE', page: 2 });
    await idle(actor);
    expect(load).toHaveBeenLastCalledWith(
      expect.objectContaining({ input: { page: 2, perPage: 2 } }),
    );
    expect(actor.getSnapshot().context.items).toEqual([{ id: 3, name: 'c' }]);
    expect(pageCount(0, 20)).toBe(1);
    expect(pageCount(41, 20)).toBe(3);
  });
});
