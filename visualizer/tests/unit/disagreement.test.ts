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
  cells: [3, 7, 9],
  against: [
    { project: 'b', replica: 1, task: 1, unmatched: [7, 9], merges: [] },
    { project: 'c', replica: 3, task: 3, unmatched: [3], merges: [3] },
  ],
};

function start(load: (others: string[]) => Promise<Disagreement>) {
  const asked: string[][] = [];
  const machine = disagreementMachine.provide({
    actors: {
      load: fromPromise(async ({ input }) => {
        asked.push(input.others);
        return load(input.others);
      }),
    },
  });
  const actor = createActor(machine, { input: { projectId: 'a' } }).start();
  return { actor, asked };
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
});
