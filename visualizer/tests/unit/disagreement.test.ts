import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import type { Disagreement } from '../../src/api/campaigns';
import {
  disagreementLines,
  disagreementMachine,
  highlightedCells,
} from '../../src/machines/disagreement';

const found: Disagreement = {
  campaign: 'c',
  image: { id: 1, name: 'one.tif' },
  project: 'a',
  replica: 2,
  task: 2,
  frame: 0,
  feature: 0,
  cells: [3, 7, 9],
  against: [
    { project: 'b', replica: 1, task: 1, unmatched: [7, 9], merges: [] },
    { project: 'c', replica: 3, task: 3, unmatched: [3], merges: [3] },
  ],
};

function start(load: (others: string[]) => Promise<Disagreement>) {
  const asked: string[][] = [];
  const planes: string[] = [];
  const machine = disagreementMachine.provide({
    actors: {
      load: fromPromise(async ({ input }) => {
        asked.push(input.others);
        planes.push(`${input.frame}/${input.feature}`);
        const answer = await load(input.others);
        return { ...answer, frame: input.frame, feature: input.feature };
      }),
    },
  });
  const actor = createActor(machine, { input: { projectId: 'a' } }).start();
  return { actor, asked, planes };
}

describe('disagreement of replicas', () => {
  it('highlights nothing until compared', () => {
    const { actor, asked } = start(async () => found);
    expect(actor.getSnapshot().value).toBe('off');
    expect(highlightedCells(actor.getSnapshot().context)).toEqual([]);
    actor.send({ type: 'COMPARE', others: [] });
    expect(actor.getSnapshot().value).toBe('off');
    expect(asked).toEqual([]);
  });

  it('highlights the disagreeing cells and toggles them off and on', async () => {
    const { actor, asked } = start(async () => found);
    actor.send({ type: 'COMPARE', others: ['b', 'c'] });
    const compared = await waitFor(actor, (s) => s.matches('compared'));
    expect(asked).toEqual([['b', 'c']]);
    expect(highlightedCells(compared.context)).toEqual([3, 7, 9]);
    actor.send({ type: 'TOGGLE' });
    expect(highlightedCells(actor.getSnapshot().context)).toEqual([]);
    actor.send({ type: 'TOGGLE' });
    expect(highlightedCells(actor.getSnapshot().context)).toEqual([3, 7, 9]);
  });

  it('says how many cells disagree with each other replica', () => {
    expect(disagreementLines(found)).toEqual([
      '2 cells disagree with replica 1',
      '1 cell disagrees with replica 3',
    ]);
  });

  it('compares to nothing when the projects are no replicas of one image', async () => {
    const { actor } = start(async () => {
      throw new Error('Project a is no replica of a campaign image you review.');
    });
    actor.send({ type: 'COMPARE', others: ['b'] });
    const off = await waitFor(actor, (s) => s.matches('off') && s.context.error !== null);
    expect(off.context.error).toContain('no replica');
    expect(highlightedCells(off.context)).toEqual([]);
  });

  it('compares the frame and feature shown, again when they change', async () => {
    const { actor, planes } = start(async () => found);
    actor.send({ type: 'VIEW', frame: 2, feature: 0 });
    expect(planes).toEqual([]);
    actor.send({ type: 'COMPARE', others: ['b'] });
    let compared = await waitFor(actor, (s) => s.matches('compared'));
    expect(compared.context.found).toMatchObject({ frame: 2, feature: 0 });
    expect(highlightedCells(compared.context, 2, 0)).toEqual([3, 7, 9]);
    expect(highlightedCells(compared.context, 0, 0)).toEqual([]);

    actor.send({ type: 'VIEW', frame: 2, feature: 0 });
    expect(actor.getSnapshot().value).toBe('compared');
    actor.send({ type: 'VIEW', frame: 4, feature: 1 });
    // The last answer stays while the new one comes, highlighted on its own frame only.
    expect(actor.getSnapshot().value).toBe('loading');
    expect(actor.getSnapshot().context.found).toMatchObject({ frame: 2 });
    expect(highlightedCells(actor.getSnapshot().context, 4, 1)).toEqual([]);
    compared = await waitFor(actor, (s) => s.matches('compared'));
    expect(planes).toEqual(['2/0', '4/1']);
    expect(highlightedCells(compared.context, 4, 1)).toEqual([3, 7, 9]);
  });

  it('follows the last frame shown when frames change faster than the answers', async () => {
    const { actor, planes } = start(() => new Promise((done) => setTimeout(() => done(found), 20)));
    actor.send({ type: 'COMPARE', others: ['b'] });
    actor.send({ type: 'VIEW', frame: 1, feature: 0 });
    actor.send({ type: 'VIEW', frame: 2, feature: 0 });
    const compared = await waitFor(actor, (s) => s.matches('compared'));
    expect(planes).toEqual(['0/0', '1/0', '2/0']);
    expect(compared.context.found).toMatchObject({ frame: 2 });
  });
});
