import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import type { Judgment, Review } from '../../src/api/client';
import { reviewMachine, reviewProjects, stepIndex } from '../../src/machines/review';

const verdict = (project: string, judgment: Judgment | null, comment = ''): Review => ({
  project,
  name: `${project}.zip`,
  judgment,
  comment,
  reviewer: null,
  reviewed: null,
  version: 0,
});

function start(projects: string[], stored: Review[] = []) {
  const sent: { project: string; judgment: Judgment; comment: string }[] = [];
  const machine = reviewMachine.provide({
    actors: {
      loadReviews: fromPromise(async () => stored),
      judge: fromPromise(async ({ input }) => {
        sent.push(input);
        return verdict(input.project, input.judgment, input.comment);
      }),
    },
  });
  return { actor: createActor(machine, { input: { projects } }).start(), sent };
}

describe('review mode', () => {
  it('reads the projects from the link', () => {
    expect(reviewProjects('a, b,,c,a')).toEqual(['a', 'b', 'c']);
    expect(reviewProjects(null)).toEqual([]);
  });

  it('steps through the projects without running off either end', async () => {
    expect(stepIndex(0, 3, -1)).toBe(0);
    expect(stepIndex(2, 3, 1)).toBe(2);
    const { actor } = start(['a', 'b', 'c']);
    actor.send({ type: 'NEXT' });
    actor.send({ type: 'NEXT' });
    actor.send({ type: 'NEXT' });
    expect(actor.getSnapshot().context.index).toBe(2);
    actor.send({ type: 'PREVIOUS' });
    expect(actor.getSnapshot().context.index).toBe(1);
    actor.send({ type: 'GO', index: 7 });
    expect(actor.getSnapshot().context.index).toBe(2);
  });

  it('shows stored verdicts and judges the project on screen', async () => {
    const { actor, sent } = start(
      ['a', 'b'],
      [verdict('a', 'reject', 'blurry'), verdict('b', null)],
    );
    await waitFor(actor, (s) => s.matches('ready'));
    expect(actor.getSnapshot().context.reviews.a.judgment).toBe('reject');
    actor.send({ type: 'NEXT' });
    actor.send({ type: 'JUDGE', judgment: 'accept', comment: 'fine' });
    await waitFor(actor, (s) => s.matches('ready'));
    expect(sent).toEqual([{ project: 'b', judgment: 'accept', comment: 'fine' }]);
    expect(actor.getSnapshot().context.reviews.b.judgment).toBe('accept');
    expect(actor.getSnapshot().context.reviews.a.judgment).toBe('reject');
  });
});
