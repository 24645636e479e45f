import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise } from 'xstate';
import type { Job, JobState } from '../../src/api/client';
import { jobMachine } from '../../src/machines/job';

const job = (state: JobState, progress = 0, extra: Partial<Job> = {}): Job => ({
  id: 'j1',
  kind: 'export',
  project: 'p1',
  state,
  progress,
  message: `${state} ${progress}`,
  result: null,
  error: null,
  attempts: state === 'queued' ? 0 : 1,
  created: null,
  started: null,
  finished: null,
  ...extra,
});

/** A job machine whose server answers the given descriptions in turn. */
function following(answers: (Job | Error)[], cancelled = job('cancelled', 0.2)) {
  const asked: string[] = [];
  const machine = jobMachine.provide({
    actors: {
      fetchJob: fromPromise(async () => {
        asked.push('get');
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return next!;
      }),
      cancelJob: fromPromise(async () => {
        asked.push('cancel');
        return cancelled;
      }),
    },
  });
  const actor = createActor(machine, { input: { jobId: 'j1', every: 1 } });
  return { actor, asked };
}

describe('following a job', () => {
  it('polls until the job is done and ends with it', async () => {
    const done = job('done', 1, { result: { url: '/x' } });
    const { actor, asked } = following([job('queued'), job('running', 0.5), done]);
    const seen: number[] = [];
    actor.subscribe((state) => seen.push(state.context.job?.progress ?? -1));
    actor.start();
    expect(await toPromise(actor)).toEqual(done);
    expect(asked).toEqual(['get', 'get', 'get']);
    expect(seen).toContain(0.5);
  });

  it('keeps going through a failed request and says so meanwhile', async () => {
    const failed = job('failed', 0.3, { error: 'The file is damaged.' });
    const { actor } = following([new Error('The server cannot be reached'), failed]);
    const troubles: (string | null)[] = [];
    actor.subscribe((state) => troubles.push(state.context.trouble));
    actor.start();
    expect((await toPromise(actor))?.error).toBe('The file is damaged.');
    expect(troubles).toContain('The server cannot be reached');
    expect(actor.getSnapshot().context.trouble).toBeNull();
  });

  it('asks the server to cancel, and ends once the job is cancelled', async () => {
    const { actor, asked } = following([job('running', 0.1), job('running', 0.2)]);
    actor.start();
    actor.send({ type: 'CANCEL' });
    expect((await toPromise(actor))?.state).toBe('cancelled');
    expect(asked).toContain('cancel');
  });

  it('starts finished when it is given a finished job', () => {
    const machine = jobMachine.provide({
      actors: {
        fetchJob: fromPromise<Job, { jobId: string }>(async () => {
          throw new Error('must not ask');
        }),
      },
    });
    const actor = createActor(machine, { input: { jobId: 'j1', job: job('done', 1) } }).start();
    expect(actor.getSnapshot().status).toBe('done');
  });
});
