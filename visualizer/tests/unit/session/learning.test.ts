import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as api from '../../../src/api/client';
import { acceptEdits, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

const job = <R>(state: api.JobState, result: R | null = null, error: string | null = null) => ({
  id: 'job1',
  kind: 'x',
  project: 'p',
  state,
  progress: state === 'done' ? 1 : 0.5,
  message: '',
  result,
  error,
  attempts: 1,
  created: null,
  started: null,
  finished: null,
});

const predictions: api.PredictionsResult = {
  feature: 0,
  source: 'mean',
  classes: [1, 2],
  predictions: [
    { cell: 2, type: 1, probability: 0.4, uncertainty: 0.6 },
    { cell: 3, type: 2, probability: 0.9, uncertainty: 0.1 },
    { cell: 1, type: 2, probability: 0.95, uncertainty: 0.05 },
  ],
};

/** Train and predict through the (stand-in) server so the session holds predictions. */
async function predicted() {
  vi.mocked(api.startPredictions).mockResolvedValue(job('running'));
  vi.mocked(api.getJob).mockResolvedValue(job('done', predictions));
  project.session.learn.predict();
  await vi.waitFor(() =>
    expect(project.session.learning.getSnapshot().context.predictions).toEqual(predictions),
  );
}

describe('learning cell types in a session', () => {
  beforeEach(acceptEdits);

  it('embeds the cells of the shown feature and frame and keeps the result', async () => {
    const result: api.EmbeddingResult = {
      feature: 0,
      frames: 'frame',
      frame: 1,
      source: 'mean',
      columns: [],
      cells: [{ cell: 3, x: 0.5, y: 1.5 }],
    };
    vi.mocked(api.startEmbedding).mockResolvedValue(job('queued'));
    vi.mocked(api.getJob).mockResolvedValue(job('done', result));
    project.session.display.send({ type: 'SET_FRAME', frame: 1 });
    project.session.learn.embed();
    await vi.waitFor(() =>
      expect(project.session.learning.getSnapshot().context.embedding).toEqual(result),
    );
    expect(api.startEmbedding).toHaveBeenCalledWith('p', {
      feature: 0,
      frames: 'frame',
      frame: 1,
      source: 'mean',
    });
  });

  it("shows a job's failure and a refused start in the panel's words", async () => {
    vi.mocked(api.startClassifier).mockRejectedValue(new Error('Only 1 cell has a type'));
    project.session.learn.train();
    await vi.waitFor(() =>
      expect(project.session.learning.getSnapshot().context.errors.classifier).toBe(
        'Only 1 cell has a type',
      ),
    );
    vi.mocked(api.startClassifier).mockResolvedValue(job('running'));
    vi.mocked(api.getJob).mockResolvedValue(job('failed', null, 'The worker stopped'));
    project.session.learn.train();
    await vi.waitFor(() =>
      expect(project.session.learning.getSnapshot().context.errors.classifier).toBe(
        'The worker stopped',
      ),
    );
  });

  it('applies the confident predictions of untyped cells as one edit', async () => {
    await predicted();
    project.session.learn.applyPredictions();
    await project.settled();
    // Cell 1 is a T cell already (a person's type): it is not sent.
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['apply_predictions', { predictions: [{ cell: 3, type: 2 }] }],
    ]);
    project.session.learning.send({ type: 'SET_MODE', mode: 'all' });
    project.session.learn.applyPredictions();
    await project.settled();
    expect(project.sentEdits().at(-1)!.args).toEqual({
      predictions: [
        { cell: 2, type: 1 },
        { cell: 3, type: 2 },
      ],
    });
  });

  it('visits the least sure untyped cells in turn, in their frame', async () => {
    await predicted();
    const { session } = project;
    session.keys.down('I');
    expect(project.selected()).toBe(2);
    session.keys.down('I');
    expect(project.selected()).toBe(3);
    session.keys.down('I');
    expect(project.selected()).toBe(2); // cell 1 has a type: skipped; round again
  });

  it('puts the points selected in the plot in a type, or takes them out', async () => {
    const { session } = project;
    session.learning.send({ type: 'SELECT', cells: [1, 2, 3] });
    session.learn.selectedToType(1);
    session.learn.selectedToType(1, true);
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['add_to_cell_type', { id: 1, cells: [2, 3] }],
      ['remove_from_cell_type', { id: 1, cells: [1] }],
    ]);
  });

  it('names marker channels and shows them as colour layers', async () => {
    const { session } = project;
    session.learn.setMarkers('T cell', ['Membrane']);
    await project.settled();
    expect(project.sentEdits()[0]).toMatchObject({
      action: 'set_markers',
      args: { type: 'T cell', channels: ['Membrane'] },
    });
    session.annotations.send({
      type: 'RECORDS',
      records: [
        { divisions: null, cellTypes: null, cells: [], markers: { 'T cell': ['Membrane'] } },
      ],
    });
    session.learn.matchMarkers('T cell');
    const display = session.display.getSnapshot().context;
    expect(display.mode).toBe('color');
    expect(display.layers.map((l) => l.channel)).toEqual([1]);
    session.learn.matchMarkers('B cell');
    expect(project.notices()).toContain('B cell has no marker channels yet.');
  });

  it('opens with what the server kept for the shown feature, once per feature', async () => {
    const { session } = project;
    const embedding: api.EmbeddingResult = {
      feature: 0,
      frames: 'all',
      frame: null,
      source: 'total',
      columns: [],
      cells: [{ cell: 1, x: 0, y: 0 }],
    };
    const kept = (result: unknown, outOfDate = false) => ({
      job: 'j',
      made: null,
      labels_version: 3,
      out_of_date: outOfDate,
      result,
    });
    vi.mocked(api.keptLearning).mockResolvedValue({
      feature: 0,
      labels_version: 4,
      cells: 3,
      min_cells: 5,
      channels: [],
      embedding: kept(embedding, true),
      classifier: null,
      predictions: kept(predictions),
    } as api.KeptLearning);
    session.learn.open();
    await vi.waitFor(() =>
      expect(session.learning.getSnapshot().context.embedding).toEqual(embedding),
    );
    const context = session.learning.getSnapshot().context;
    expect(context).toMatchObject({ source: 'total', frames: 'all', predictions });
    expect(context.outOfDate).toEqual({ embedding: true, classifier: false, predictions: false });
    expect(context.learnable).toEqual({ feature: 0, cells: 3, minCells: 5, channels: [] });
    session.learn.open();
    expect(api.keptLearning).toHaveBeenCalledTimes(1);
    expect(api.keptLearning).toHaveBeenCalledWith(expect.any(String), 0);
  });

  it('marks the embedding stale when the labels change', async () => {
    const { session } = project;
    vi.mocked(api.startEmbedding).mockResolvedValue(job('queued'));
    vi.mocked(api.getJob).mockResolvedValue(
      job('done', {
        feature: 0,
        frames: 'frame',
        frame: 0,
        source: 'mean',
        columns: [],
        cells: [],
      }),
    );
    session.learn.embed();
    await vi.waitFor(() => expect(session.learning.getSnapshot().context.embedding).not.toBeNull());
    session.annotations.send({
      type: 'RECORDS',
      records: [{ divisions: null, cellTypes: null, cells: [{ t: 0, c: 0, value: 1, cells: [] }] }],
    });
    expect(session.learning.getSnapshot().context.outOfDate.embedding).toBe(true);
  });
});
