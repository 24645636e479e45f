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

  it('submit through the server and say where the labels went', async () => {
    vi.mocked(api.submitProject).mockResolvedValue({ bucket: 'labels', key: 'p.zip' });
    actors = createActors(projectMetadata());
    startActors(actors);
    actors.exporter.send({ type: 'SUBMIT' });
    await vi.waitFor(() =>
      expect(actors!.exporter.getSnapshot().context.message).toBe('Submitted to labels/p.zip.'),
    );
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
