import { afterEach, describe, expect, it, vi } from 'vitest';
import * as api from '../../../src/api/client';
import {
  createActors,
  disconnectAll,
  loadSpots,
  notifier,
  startActors,
  stopActors,
  type SessionActors,
} from '../../../src/session/actors';
import { projectMetadata } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);

let actors: SessionActors | null = null;

/** A job as the server describes it. */
const jobOf = (kind: string, state: api.JobState, result: unknown = null): api.Job => ({
  id: 'j',
  kind,
  project: 'p',
  state,
  progress: state === 'done' ? 1 : 0.5,
  message: '',
  result,
  error: null,
  attempts: 1,
  created: null,
  started: null,
  finished: null,
});

afterEach(() => {
  if (actors) stopActors(actors);
  actors = null;
});

describe('the actors of a project', () => {
  it('start from the project’s metadata', () => {
    actors = createActors({ ...projectMetadata(), can_undo: false, can_redo: true });
    startActors(actors);
    expect(actors.viewport.getSnapshot().context).toMatchObject({
      imageWidth: 40,
      imageHeight: 30,
    });
    const display = actors.display.getSnapshot().context;
    expect(display.channels.map((c) => c.name)).toEqual(['DNA', 'Membrane']);
    expect(display.frames).toBe(2);
    expect(actors.undo.getSnapshot().context).toEqual({ canUndo: false, canRedo: true });
    expect(actors.editQueue.getSnapshot().context).toMatchObject({ projectId: 'p', version: 5 });
    expect(actors.annotations.getSnapshot().context.cellTypes).toHaveLength(1);
    expect(actors.exporter.getSnapshot().context.projectId).toBe('p');
  });

  it('all start and all stop together', () => {
    actors = createActors(projectMetadata());
    startActors(actors);
    expect(Object.values(actors).every((a) => a.getSnapshot().status === 'active')).toBe(true);
    stopActors(actors);
    expect(Object.values(actors).every((a) => a.getSnapshot().status === 'stopped')).toBe(true);
    actors = null;
  });

  it('submit as a server job, and say where the labels went once it is done', async () => {
    const job = (state: api.JobState, result: api.SubmitResult | null = null) =>
      jobOf('submit', state, result);
    vi.mocked(api.submitProject).mockResolvedValue(job('queued') as api.Job<api.SubmitResult>);
    vi.mocked(api.getJob)
      .mockResolvedValueOnce(job('running'))
      .mockResolvedValue(job('done', { bucket: 'labels', key: 'p/p.zip', bytes: 10 }));
    actors = createActors(projectMetadata());
    startActors(actors);
    actors.exporter.send({ type: 'SUBMIT' });
    await vi.waitFor(
      () =>
        expect(actors!.exporter.getSnapshot().context.message).toBe('Submitted to labels/p/p.zip.'),
      { timeout: 5000 },
    );
    expect(api.submitProject).toHaveBeenCalledWith('p');
    expect(vi.mocked(api.getJob).mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('download: the finished export’s file is followed as a link', async () => {
    const result: api.ExportResult = {
      file: 'p.zip',
      name: 'cells.zip',
      format: 'zip',
      bytes: 3 * 1024 * 1024,
      version: 5,
      download: '/api/jobs/j/download',
      expires: '2026-01-02T00:00:00Z',
    };
    const done = jobOf('export', 'done', result) as api.Job<api.ExportResult>;
    vi.mocked(api.startExport).mockResolvedValue({ ...done, state: 'queued', result: null });
    vi.mocked(api.getJob).mockResolvedValue(done);
    // The tests run without a DOM: a stand-in document records the links clicked.
    const followed: { href: string; download: string }[] = [];
    vi.stubGlobal('document', {
      body: { appendChild: () => undefined },
      createElement: () => {
        const link = {
          href: '',
          download: 'unset',
          click: () => followed.push({ href: link.href, download: link.download }),
          remove: () => undefined,
        };
        return link;
      },
    });
    actors = createActors(projectMetadata());
    startActors(actors);
    actors.exporter.send({ type: 'DOWNLOAD' });
    await vi.waitFor(() =>
      expect(actors!.exporter.getSnapshot().context.message).toBe('Downloaded cells.zip (3.0 MB).'),
    );
    expect(followed).toEqual([{ href: '/api/jobs/j/download', download: '' }]);
    vi.unstubAllGlobals();
  });

  it('load the spots, or tell why they could not be', async () => {
    actors = createActors(projectMetadata());
    startActors(actors);
    const notify = notifier(actors.notices);
    const spots: api.Spots = { columns: ['x', 'y'], spots: [[1, 2]] };
    vi.mocked(api.getSpots).mockResolvedValueOnce(spots);
    await loadSpots(actors, 'p', notify);
    expect(actors.spotsDisplay.getSnapshot().context.spots).toBe(spots);
    vi.mocked(api.getSpots).mockRejectedValueOnce(new Error('gone'));
    await loadSpots(actors, 'p', notify);
    expect(actors.notices.getSnapshot().context.notices.map((n) => n.message)).toEqual([
      'Could not load the spots: gone',
    ]);
  });
});

describe('disconnectAll', () => {
  it('ends XState subscriptions and plain unsubscribe functions alike', () => {
    const unsubscribe = vi.fn();
    const plain = vi.fn();
    disconnectAll({ unsubscribe }, plain)();
    expect(unsubscribe).toHaveBeenCalledOnce();
    expect(plain).toHaveBeenCalledOnce();
  });
});
