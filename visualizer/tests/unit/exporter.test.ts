import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor, type ActorRefFrom } from 'xstate';
import type { Job, JobState } from '../../src/api/client';
import { exportMachine, type ExportKind } from '../../src/machines/exporter';
import { jobMachine } from '../../src/machines/job';

const job = (state: JobState, extra: Partial<Job> = {}): Job => ({
  id: 'j1',
  kind: 'export',
  project: 'p1',
  state,
  progress: state === 'done' ? 1 : 0.4,
  message: state === 'running' ? 'X.ome.tiff: Writing level 1 of 2' : '',
  result: null,
  error: null,
  attempts: 1,
  created: null,
  started: null,
  finished: null,
  ...extra,
});

/** The exporter with a server that answers `answers` to the job's polls in turn. */
function exporter(answers: Job[], options: { start?: () => Promise<Job> } = {}) {
  const delivered: { kind: ExportKind; job: Job }[] = [];
  const calls: string[] = [];
  const machine = exportMachine.provide({
    actors: {
      start: fromPromise(async ({ input }) => {
        calls.push(`start ${input.kind} ${input.projectId} ${input.format}`);
        return options.start ? options.start() : job('queued');
      }),
      follow: jobMachine.provide({
        actors: {
          fetchJob: fromPromise(async () => {
            calls.push('poll');
            return answers.length > 1 ? answers.shift()! : answers[0];
          }),
          cancelJob: fromPromise(async () => {
            calls.push('cancel');
            answers.splice(0, answers.length, job('cancelled'));
            return job('running');
          }),
        },
        delays: { every: 1 },
      }),
      deliver: fromPromise(async ({ input }) => {
        delivered.push(input);
        return input.kind === 'download' ? 'Downloaded cells.zip (1 KB).' : 'Submitted to b/k.';
      }),
    },
  });
  const actor = createActor(machine, { input: { projectId: 'p1' } }).start();
  return { actor, delivered, calls };
}

const idle = (actor: ReturnType<typeof exporter>['actor']) =>
  waitFor(actor, (state) => state.matches('idle'));

describe('download and submit as server jobs', () => {
  it('follows the job, shows its progress, then hands over the file', async () => {
    const done = job('done', { result: { download: '/api/jobs/j1/download' } });
    const { actor, delivered, calls } = exporter([job('running'), job('running'), done]);
    actor.send({ type: 'DOWNLOAD' });
    const following = await waitFor(actor, (state) => state.matches('following'));
    const child = following.children.job as ActorRefFrom<typeof jobMachine>;
    expect(child).toBeDefined();
    await waitFor(child, (state) => state.context.job?.state === 'running');
    expect(child.getSnapshot().context.job?.message).toBe('X.ome.tiff: Writing level 1 of 2');
    const final = await idle(actor);
    expect(final.context).toMatchObject({
      kind: 'download',
      message: 'Downloaded cells.zip (1 KB).',
      severity: 'success',
    });
    expect(delivered).toEqual([{ kind: 'download', job: done }]);
    expect(calls[0]).toBe('start download p1 zip');
    expect(final.children.job).toBeUndefined();
  });

  it('shows a failed job’s error in place and hands over nothing', async () => {
    const failed = job('failed', { error: 'The server could not finish the job.' });
    const { actor, delivered } = exporter([job('running'), failed]);
    actor.send({ type: 'SUBMIT' });
    const final = await idle(actor);
    expect(final.context.message).toBe('Submit failed: The server could not finish the job.');
    expect(final.context.severity).toBe('error');
    expect(delivered).toEqual([]);
  });

  it('a cancel through the progress bar ends in “cancelled”', async () => {
    const { actor, delivered, calls } = exporter([job('running')]);
    actor.send({ type: 'DOWNLOAD' });
    const following = await waitFor(actor, (state) => state.matches('following'));
    (following.children.job as ActorRefFrom<typeof jobMachine>).send({ type: 'CANCEL' });
    const final = await idle(actor);
    expect(final.context).toMatchObject({ message: 'Download cancelled.', severity: 'info' });
    expect(calls).toContain('cancel');
    expect(delivered).toEqual([]);
  });

  it('says why the job could not start, and can be dismissed', async () => {
    const { actor } = exporter([], {
      start: async () => {
        throw new Error('The project is still being prepared (40%).');
      },
    });
    actor.send({ type: 'SUBMIT' });
    const final = await idle(actor);
    expect(final.context.message).toBe('Submit failed: The project is still being prepared (40%).');
    actor.send({ type: 'DISMISS' });
    expect(actor.getSnapshot().context.message).toBeNull();
  });

  it('takes no second export while one runs', async () => {
    const { actor, calls } = exporter([job('running')]);
    actor.send({ type: 'DOWNLOAD' });
    await waitFor(actor, (state) => state.matches('following'));
    actor.send({ type: 'SUBMIT' });
    expect(actor.getSnapshot().context.kind).toBe('download');
    expect(calls.filter((call) => call.startsWith('start'))).toHaveLength(1);
    actor.stop();
  });

  it('downloads in the format chosen', async () => {
    const done = job('done', { result: { download: '/api/jobs/j1/download' } });
    const { actor, calls } = exporter([done]);
    actor.send({ type: 'DOWNLOAD', format: 'ome-zarr' });
    await idle(actor);
    expect(calls[0]).toBe('start download p1 ome-zarr');
  });
});
