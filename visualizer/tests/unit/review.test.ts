import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import type { Judgment, Review } from '../../src/api/client';
import {
  besideProject,
  isMissing,
  reviewMachine,
  reviewProjects,
  reviewsByProject,
  stepIndex,
} from '../../src/machines/review';

const missing = (project: string): Review => ({
  project: project.slice(0, 32),
  name: null,
  judgment: null,
  comment: null,
  reviewer: null,
  reviewed: null,
  version: null,
  missing: true,
});

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

  it('marks an unknown id as missing, keeps the others, and does not judge it', async () => {
    const long = 'x'.repeat(40);
    const { actor, sent } = start(
      ['a', long, 'b'],
      [verdict('a', 'accept'), missing(long), verdict('b', null)],
    );
    await waitFor(actor, (s) => s.matches('ready'));
    const context = actor.getSnapshot().context;
    expect(context.error).toBeNull();
    expect(isMissing(context, long)).toBe(true);
    expect(isMissing(context, 'a')).toBe(false);
    expect(context.reviews.a.judgment).toBe('accept');
    actor.send({ type: 'NEXT' });
    actor.send({ type: 'JUDGE', judgment: 'reject', comment: '' });
    expect(actor.getSnapshot().matches('ready')).toBe(true);
    expect(sent).toEqual([]);
  });

  it('keys the verdicts by the ids asked for, in order', () => {
    const long = 'y'.repeat(40);
    const rows = [missing(long), verdict('b', null)];
    expect(Object.keys(reviewsByProject([long, 'b'], rows))).toEqual([long, 'b']);
    expect(Object.keys(reviewsByProject(['b'], [verdict('b', null)]))).toEqual(['b']);
  });

  it('shows two projects side by side: the judged one and the next beside it, or the chosen', async () => {
    const { actor } = start(
      ['a', 'b', 'c', 'd'],
      [verdict('a', null), verdict('b', null), missing('c'), verdict('d', null)],
    );
    await waitFor(actor, (s) => s.matches('ready'));
    expect(actor.getSnapshot().context.sideBySide).toBe(false);
    actor.send({ type: 'SIDE_BY_SIDE', on: true });
    expect(actor.getSnapshot().context.sideBySide).toBe(true);
    expect(besideProject(actor.getSnapshot().context)).toBe('b');
    // The missing one is skipped; past the last comes the first.
    actor.send({ type: 'NEXT' });
    expect(besideProject(actor.getSnapshot().context)).toBe('d');
    actor.send({ type: 'GO', index: 3 });
    expect(besideProject(actor.getSnapshot().context)).toBe('a');
    actor.send({ type: 'BESIDE', project: 'b' });
    expect(besideProject(actor.getSnapshot().context)).toBe('b');
    // The chosen one is not shown beside itself.
    actor.send({ type: 'GO', index: 1 });
    expect(besideProject(actor.getSnapshot().context)).toBe('d');
    actor.send({ type: 'SIDE_BY_SIDE', on: false });
    expect(actor.getSnapshot().context.sideBySide).toBe(false);
  });

  it('has nothing to show beside a lone project', () => {
    const { actor } = start(['a']);
    expect(besideProject(actor.getSnapshot().context)).toBeNull();
  });
});
