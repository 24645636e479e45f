import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import type {
  CellType,
  ClassifierReport,
  EmbeddingResult,
  Job,
  KeptLearning,
  Prediction,
} from '../../src/api/client';
import {
  curveLegendValue,
  embeddingPoints,
  learningTrouble,
  nextUncertainCell,
  pointColours,
  predictionsOfMode,
  uncertaintyColour,
  uncertaintyLegend,
} from '../../src/data/learning';
import { indicesInBox, indicesInPolygon, paddedExtent } from '../../src/data/selection';
import { dropType } from '../../src/machines/cellTypes';
import { jobMachine } from '../../src/machines/job';
import { jobTrouble, learningMachine, restored } from '../../src/machines/learning';

const done = (result: unknown): Job => ({
  id: 'j',
  kind: 'embedding',
  project: 'p',
  state: 'done',
  progress: 1,
  message: '',
  result,
  error: null,
  attempts: 1,
  created: null,
  started: null,
  finished: null,
});

describe('the learning machine', () => {
  function machine(answer: Job) {
    const started: unknown[] = [];
    const actor = createActor(
      learningMachine.provide({
        actors: {
          startJob: fromPromise(async ({ input }) => {
            started.push(input);
            return { ...answer, state: 'queued' as const };
          }),
          followJob: jobMachine.provide({
            actors: { fetchJob: fromPromise(async () => answer) },
          }),
        },
      }),
      { input: {} },
    ).start();
    return { actor, started };
  }

  it('starts an embedding of the chosen source and frames, and keeps its result', async () => {
    const result = { cells: [{ cell: 1, x: 0, y: 0 }] };
    const { actor, started } = machine(done(result));
    actor.send({ type: 'SET_SOURCE', source: 'total' });
    actor.send({ type: 'SET_FRAMES', frames: 'all' });
    actor.send({ type: 'SELECT', cells: [4] });
    actor.send({ type: 'EMBED', feature: 1, frame: 3 });
    const state = await waitFor(actor, (s) => s.context.embedding !== null);
    expect(started).toEqual([
      { kind: 'embedding', body: { feature: 1, frames: 'all', source: 'total' } },
    ]);
    expect(state.context.embedding).toEqual(result);
    expect(state.context.selected).toEqual([]); // a new picture, a new selection
  });

  it('trains with its settings; a new report drops old predictions', async () => {
    const report = { classes: [1, 2], validation_accuracy: 1 };
    const { actor, started } = machine(done(report));
    actor.send({ type: 'SET_TRAIN_FRACTION', fraction: 2 });
    actor.send({ type: 'SET_SEED', seed: 7.6 });
    actor.send({ type: 'TRAIN', feature: 0, frame: 2 });
    const state = await waitFor(actor, (s) => s.context.report !== null);
    expect(started).toEqual([
      {
        kind: 'classifier',
        body: {
          feature: 0,
          frames: 'frame',
          frame: 2,
          source: 'mean',
          train_fraction: 0.95,
          seed: 7,
        },
      },
    ]);
    expect(state.context.predictions).toBeNull();
  });

  it('keeps selections, threshold and modes within their ranges', () => {
    const { actor } = machine(done(null));
    actor.send({ type: 'SELECT', cells: [3, 1, 3] });
    actor.send({ type: 'SELECT', cells: [2], add: true });
    expect(actor.getSnapshot().context.selected).toEqual([1, 2, 3]);
    actor.send({ type: 'SELECT', cells: [5] });
    expect(actor.getSnapshot().context.selected).toEqual([5]);
    actor.send({ type: 'SET_THRESHOLD', threshold: -1 });
    expect(actor.getSnapshot().context.threshold).toBe(0);
    actor.send({ type: 'LABELS_CHANGED' });
    expect(actor.getSnapshot().context.outOfDate.embedding).toBe(false); // no picture yet
  });

  it('brings back kept results, keeping newer ones of the same feature', () => {
    const { actor } = machine(done(null));
    const context = {
      ...actor.getSnapshot().context,
      embedding: { feature: 1, cells: [] } as unknown as EmbeddingResult,
      report: { feature: 0, classes: [1] } as unknown as ClassifierReport,
      outOfDate: { classifier: true },
      selected: [4],
    };
    const kept = (result: unknown, out_of_date: boolean) => ({
      job: 'j',
      made: null,
      labels_version: 1,
      out_of_date,
      result,
    });
    const back = restored(context, {
      feature: 0,
      labels_version: 2,
      cells: 10,
      min_cells: 5,
      channels: ['DAPI'],
      embedding: null,
      classifier: kept({ feature: 0, classes: [2] }, false),
      predictions: kept({ feature: 0, predictions: [] }, true),
    } as KeptLearning);
    // The feature 1 picture is not this feature's; the report shown is this feature's own.
    expect(back.embedding).toBeNull();
    expect(back.selected).toEqual([]);
    expect(back.report).toBe(context.report);
    expect(back.predictions).toEqual({ feature: 0, predictions: [] });
    expect(back.outOfDate).toEqual({ embedding: false, classifier: true, predictions: true });
    expect(back.learnable).toEqual({ feature: 0, cells: 10, minCells: 5, channels: ['DAPI'] });
  });

  it('follows a job still at work when the panel opens, and keeps its result', async () => {
    const report = { feature: 0, classes: [1, 2] };
    const followed: unknown[] = [];
    const actor = createActor(
      learningMachine.provide({
        actors: {
          loadKept: fromPromise<KeptLearning, { feature: number }>(async () => ({
            feature: 0,
            labels_version: 1,
            cells: 50,
            min_cells: 5,
            channels: ['DAPI'],
            embedding: null,
            classifier: null,
            predictions: null,
            running: { classifier: { ...done(null), id: 'training', state: 'running' as const } },
          })),
          followJob: jobMachine.provide({
            actors: {
              fetchJob: fromPromise(async ({ input }) => {
                followed.push(input);
                return done(report);
              }),
            },
          }),
        },
      }),
      { input: {} },
    ).start();
    actor.send({ type: 'OPEN', feature: 0 });
    const state = await waitFor(actor, (s) => s.context.report !== null);
    expect(state.context.report).toEqual(report);
    expect(JSON.stringify(followed)).toContain('training');
    expect(state.matches({ training: 'idle', embedding: 'idle' })).toBe(true);
  });

  it('a new report is up to date and has no predictions yet', async () => {
    const { actor } = machine(done({ feature: 0, classes: [1, 2] }));
    actor.send({ type: 'LABELS_CHANGED' });
    actor.send({ type: 'TRAIN', feature: 0, frame: 0 });
    const state = await waitFor(actor, (s) => s.context.report !== null);
    expect(state.context.outOfDate).toMatchObject({ classifier: false, predictions: false });
  });

  it('offers the imported vectors once they are uploaded', () => {
    const { actor } = machine(done(null));
    expect(actor.getSnapshot().context.imported).toBeNull();
    const embeddings = { feature: 0, cells: 3, dimensions: 2, version: 1 };
    actor.send({ type: 'IMPORTED', embeddings });
    expect(actor.getSnapshot().context).toMatchObject({ imported: embeddings, source: 'imported' });
  });

  it('says why a job gave nothing', () => {
    expect(jobTrouble(null)).toMatch(/could not be followed/);
    expect(jobTrouble({ ...done(null), state: 'cancelled' })).toBe('Cancelled.');
    expect(jobTrouble({ ...done(null), state: 'failed', error: 'no cells' })).toBe('no cells');
    expect(jobTrouble(done(1))).toBeNull();
  });
});

describe('choosing points in a plot', () => {
  const xs = [0, 1, 2, 3, 1.5];
  const ys = [0, 1, 2, 3, 0.2];

  it('takes the points of a box, corners in any order', () => {
    expect(indicesInBox(xs, ys, { x: 2, y: 2 }, { x: 0.5, y: 0.5 })).toEqual([1, 2]);
  });

  it('takes the points inside a lasso, not those in its bounding box only', () => {
    // Around the diagonal points; (1.5, 0.2) is in the bounding box but outside the lasso.
    const triangle = [
      { x: -1, y: -2 },
      { x: 4, y: 3.5 },
      { x: -1, y: 4 },
    ];
    expect(indicesInPolygon(xs, ys, triangle)).toEqual([0, 1, 2, 3]);
    expect(indicesInPolygon(xs, ys, triangle.slice(0, 2))).toEqual([]);
  });

  it('finds the same points as a slow check, for random polygons', () => {
    const points = Array.from({ length: 300 }, (_v, i) => ({
      x: Math.sin(i * 12.9898) * 10,
      y: Math.cos(i * 78.233) * 10,
    }));
    const square = [
      { x: -3, y: -3 },
      { x: 4, y: -3 },
      { x: 4, y: 5 },
      { x: -3, y: 5 },
    ];
    const found = indicesInPolygon(
      points.map((p) => p.x),
      points.map((p) => p.y),
      square,
    );
    const expected = points.flatMap((p, i) =>
      p.x > -3 && p.x < 4 && p.y > -3 && p.y < 5 ? [i] : [],
    );
    expect(found).toEqual(expected);
  });

  it('frames the points with a margin', () => {
    expect(paddedExtent([0, 10], [5, 5], 0.1)).toEqual({ x0: -1, x1: 11, y0: 4.9, y1: 5.1 });
  });
});

describe('the Learn panel figures', () => {
  it('says when a feature has too few cells or no channel to learn from, and what to do', () => {
    const learnable = { feature: 0, cells: 40, minCells: 5, channels: ['DAPI'] };
    expect(learningTrouble(null, 'mean')).toBeNull();
    expect(learningTrouble(learnable, 'mean')).toBeNull();
    expect(learningTrouble({ ...learnable, cells: 1 }, 'position')).toMatch(
      /has 1 cell; learning needs at least 5\. Draw cells/,
    );
    const blank = { ...learnable, channels: [] };
    expect(learningTrouble(blank, 'total')).toMatch(
      /no channel to learn from.*Learn from position/,
    );
    expect(learningTrouble(blank, 'position')).toBeNull();
    expect(learningTrouble(blank, 'imported')).toBeNull();
  });

  it('names the ends of the uncertainty colours', () => {
    const legend = uncertaintyLegend('dark');
    expect(legend.gradient).toContain(`rgb(${uncertaintyColour(0).join(', ')})`);
    expect(legend.to).toBe('0.7 or more (unsure)');
    expect(legend.untyped).toBe('rgb(175, 175, 175)');
  });

  it('shows the last point of a training curve when the cursor is elsewhere', () => {
    const value = curveLegendValue([0.5, 0.75], (v) => `${v * 100}%`);
    expect(value(null, null, 1, null)).toBe('75%');
    expect(value(null, 0.5, 1, 0)).toBe('50%');
    expect(curveLegendValue([], String)(null, null, 1, null)).toBe('');
  });

  const types: CellType[] = [
    { id: 1, name: 'T', color: '#ff0000', cells: [10], feature: 0 },
    { id: 2, name: 'B', color: '#00ff00', cells: [], feature: 0 },
  ];
  const predictions: Prediction[] = [
    { cell: 11, type: 2, probability: 0.9, uncertainty: 0.1 },
    { cell: 12, type: 1, probability: 0.4, uncertainty: 0.6 },
    { cell: 13, type: 2, probability: 0.5, uncertainty: 0.5 },
  ];

  it('turns the embedding into arrays with an index of cells', () => {
    const points = embeddingPoints({
      feature: 0,
      frames: 'all',
      frame: null,
      source: 'mean',
      columns: [],
      cells: [
        { cell: 7, x: 1, y: 2 },
        { cell: 3, x: 3, y: 4 },
      ],
    });
    expect([...points.cells]).toEqual([7, 3]);
    expect([...points.ys]).toEqual([2, 4]);
    expect(points.index.get(3)).toBe(1);
  });

  it('colours points by type, or by the uncertainty of their prediction', () => {
    const cells = Int32Array.from([10, 11, 14]);
    const byType = pointColours(cells, 'type', types, new Map());
    expect([...byType.slice(0, 4)]).toEqual([255, 0, 0, 255]);
    expect([...byType.slice(4, 8)]).toEqual([150, 150, 150, 255]);
    const byUncertainty = pointColours(
      cells,
      'uncertainty',
      types,
      new Map(predictions.map((p) => [p.cell, p])),
    );
    expect([...byUncertainty.slice(4, 7)]).toEqual(uncertaintyColour(0.1));
    expect(uncertaintyColour(0)[2]).toBeGreaterThan(uncertaintyColour(0.7)[2]); // sure is blue
  });

  it('keeps grey points readable on the dark theme', () => {
    const cells = Int32Array.from([10, 11]);
    const paper = { light: 255, dark: 30 };
    for (const theme of ['light', 'dark'] as const) {
      for (const by of ['type', 'uncertainty'] as const) {
        const colours = pointColours(cells, by, types, new Map(), theme);
        // Cell 10 is typed (red by type), cell 11 untyped: each grey far from the paper.
        for (const i of by === 'type' ? [1] : [0, 1]) {
          expect(Math.abs(colours[i * 4] - paper[theme])).toBeGreaterThan(100);
        }
      }
    }
  });

  it('chooses the predictions of a mode', () => {
    expect(predictionsOfMode(predictions, 'confident', 0.5).map((p) => p.cell)).toEqual([11]);
    expect(predictionsOfMode(predictions, 'all', 0.5)).toHaveLength(3);
    expect(predictionsOfMode(predictions, 'uncertain', 0.5).map((p) => p.cell)).toEqual([12, 13]);
  });

  it('steps through the least sure cells nobody has typed', () => {
    expect(nextUncertainCell(predictions, new Set(), null)?.cell).toBe(12);
    expect(nextUncertainCell(predictions, new Set(), 12)?.cell).toBe(13);
    expect(nextUncertainCell(predictions, new Set([13]), 12)?.cell).toBe(11);
    expect(nextUncertainCell(predictions, new Set([11, 12, 13]), null)).toBeNull();
  });

  it('moves a dragged type to where it is dropped', () => {
    const list = [1, 2, 3, 4].map((id) => ({ ...types[0], id }));
    expect(dropType(list, 4, 2)?.args).toEqual({ order: [1, 4, 2, 3] });
    expect(dropType(list, 1, 3)?.args).toEqual({ order: [2, 3, 1, 4] });
    expect(dropType(list, 2, 2)).toBeNull();
    expect(dropType(list, 9, 2)).toBeNull();
  });
});
