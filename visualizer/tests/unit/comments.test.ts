import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import type { PinnedComment } from '../../src/api/campaigns';
import { commentsMachine, openCount, shownComments } from '../../src/machines/comments';

function comment(id: number, frame: number, resolved = false): PinnedComment {
  return {
    id,
    frame,
    x: 10 * id,
    y: 5,
    text: `note ${id}`,
    author: 'rev',
    created: '2026-12-07T07:00:00Z',
    resolved,
    resolved_by: resolved ? 'ann' : null,
    resolved_at: resolved ? '2026-12-07T07:05:00Z' : null,
  };
}

function start(stored: PinnedComment[], failAdd = false) {
  const calls: string[] = [];
  const machine = commentsMachine.provide({
    actors: {
      list: fromPromise(async () => {
        calls.push('list');
        return stored.map((c) => ({ ...c }));
      }),
      add: fromPromise(async ({ input }) => {
        calls.push(`add ${input.point.frame} ${input.point.x} ${input.point.y} ${input.text}`);
        if (failAdd) throw new Error('Write the comment\'s "text".');
        return { ...comment(99, input.point.frame), ...input.point, text: input.text };
      }),
      resolve: fromPromise(async ({ input }) => {
        calls.push(`resolve ${input.id} ${input.resolved}`);
        const found = stored.find((c) => c.id === input.id)!;
        return { ...comment(found.id, found.frame, input.resolved) };
      }),
    },
  });
  const actor = createActor(machine, { input: { projectId: 'p' } }).start();
  return { actor, calls };
}

const idle = (actor: ReturnType<typeof start>['actor']) => waitFor(actor, (s) => s.matches('idle'));

describe('comments pinned to frames', () => {
  it('reads the comments and shows the open ones of a frame, numbered as in the list', async () => {
    const { actor } = start([comment(1, 0), comment(2, 1), comment(3, 0, true)]);
    const { context } = await idle(actor);
    expect(openCount(context.comments)).toBe(2);
    expect(shownComments(context, 0).map(({ number }) => number)).toEqual([1]);
    expect(shownComments(context).map(({ number }) => number)).toEqual([1, 2]);
    actor.send({ type: 'SHOW_RESOLVED' });
    expect(shownComments(actor.getSnapshot().context, 0).map(({ number }) => number)).toEqual([
      1, 3,
    ]);
  });

  it('pins a comment where the image is clicked after "Comment", and only then', async () => {
    const { actor, calls } = start([]);
    await idle(actor);
    actor.send({ type: 'POINT', point: { frame: 0, x: 4, y: 4 } });
    expect(actor.getSnapshot().context.draft).toBeNull();
    actor.send({ type: 'PLACE' });
    expect(actor.getSnapshot().context.placing).toBe(true);
    actor.send({ type: 'POINT', point: { frame: 2, x: 12.5, y: 30 } });
    expect(actor.getSnapshot().context).toMatchObject({
      placing: false,
      draft: { frame: 2, x: 12.5, y: 30 },
    });
    actor.send({ type: 'SAVE', text: '   ' });
    expect(actor.getSnapshot().value).toBe('idle');
    actor.send({ type: 'SAVE', text: 'Two cells here' });
    const saved = await idle(actor);
    expect(calls).toEqual(['list', 'add 2 12.5 30 Two cells here']);
    expect(saved.context.draft).toBeNull();
    expect(saved.context.comments.map((c) => [c.frame, c.text])).toEqual([[2, 'Two cells here']]);
  });

  it('keeps the draft and says why when saving fails; Cancel drops it', async () => {
    const { actor } = start([], true);
    await idle(actor);
    actor.send({ type: 'PLACE' });
    actor.send({ type: 'POINT', point: { frame: 0, x: 1, y: 1 } });
    actor.send({ type: 'SAVE', text: 'x' });
    const failed = await waitFor(actor, (s) => s.matches('idle') && s.context.error !== null);
    expect(failed.context.draft).toEqual({ frame: 0, x: 1, y: 1 });
    expect(failed.context.error).toContain('text');
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().context).toMatchObject({ draft: null, error: null });
  });

  it('resolves an opened comment and opens it again', async () => {
    const { actor, calls } = start([comment(1, 0), comment(2, 0)]);
    await idle(actor);
    actor.send({ type: 'OPEN', id: 2 });
    expect(actor.getSnapshot().context.open).toBe(2);
    actor.send({ type: 'RESOLVE', id: 2, resolved: true });
    let done = await idle(actor);
    expect(done.context.open).toBeNull();
    expect(done.context.comments.map((c) => c.resolved)).toEqual([false, true]);
    expect(shownComments(done.context, 0).map(({ comment }) => comment.id)).toEqual([1]);
    actor.send({ type: 'RESOLVE', id: 2, resolved: false });
    done = await idle(actor);
    expect(done.context.comments.map((c) => c.resolved)).toEqual([false, false]);
    expect(calls).toEqual(['list', 'resolve 2 true', 'resolve 2 false']);
  });
});
