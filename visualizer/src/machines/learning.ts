// The Learn panel of the cell types: the embedding of the cells, the points selected in it, the
// classifier trained on the typed cells and its predictions for the others. Each of the three
// runs as a server job, followed by a child job actor (its id: embeddingJob, trainingJob,
// predictionJob) that a progress bar reads; its result, or why it failed, lands here. When the
// panel opens (OPEN), the latest results the server kept for the feature come back (`loadKept`),
// with whether the labels changed since each was made; a job of them still at work is followed
// again (RESUME).
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type {
  CellSelection,
  ClassifierReport,
  EmbeddingResult,
  ImportedEmbeddings,
  Job,
  KeptLearning,
  LearningFrames,
  LearningSource,
  PredictionsResult,
} from '../api/client';
import type { ColourBy, PredictMode } from '../data/learning';
import { jobMachine } from './job';

export type LearningJobKind = 'embedding' | 'classifier' | 'predictions';
export type SelectTool = 'box' | 'lasso';

export interface LearningContext {
  /** The vectors imported for the cells, if any (the `imported` source). */
  imported: ImportedEmbeddings | null;
  source: LearningSource;
  frames: LearningFrames;
  embedding: EmbeddingResult | null;
  /** The results made before the labels last changed: make them again to see the change. */
  outOfDate: Partial<Record<LearningJobKind, boolean>>;
  /** What the feature last opened has to learn from (its cells, its channels with signal). */
  learnable: Learnable | null;
  colourBy: ColourBy;
  tool: SelectTool;
  selected: number[];
  trainFraction: number;
  seed: number;
  report: ClassifierReport | null;
  predictions: PredictionsResult | null;
  threshold: number;
  mode: PredictMode;
  /** The cell last visited by "next most uncertain cell". */
  visited: number | null;
  errors: Partial<Record<LearningJobKind, string>>;
  /** The request each job was last started with. */
  requests: Partial<Record<LearningJobKind, JobRequest>>;
}

export interface Learnable {
  feature: number;
  cells: number;
  minCells: number;
  channels: string[];
}

export type LearningEvent =
  | { type: 'OPEN'; feature: number }
  | { type: 'SET_SOURCE'; source: LearningSource }
  | { type: 'SET_FRAMES'; frames: LearningFrames }
  | { type: 'EMBED'; feature: number; frame: number }
  | { type: 'TRAIN'; feature: number; frame: number }
  | { type: 'PREDICT'; feature: number; frame: number }
  | { type: 'SET_COLOUR_BY'; by: ColourBy }
  | { type: 'SET_TOOL'; tool: SelectTool }
  | { type: 'SELECT'; cells: number[]; add?: boolean }
  | { type: 'CLEAR_SELECTION' }
  | { type: 'SET_TRAIN_FRACTION'; fraction: number }
  | { type: 'SET_SEED'; seed: number }
  | { type: 'SET_THRESHOLD'; threshold: number }
  | { type: 'SET_MODE'; mode: PredictMode }
  | { type: 'VISITED'; cell: number | null }
  | { type: 'LABELS_CHANGED' }
  /** Follow a job already at work on the server (one asked for before a reload). */
  | { type: 'RESUME'; kind: LearningJobKind; job: Job }
  | { type: 'IMPORTED'; embeddings: ImportedEmbeddings };

export interface JobRequest {
  kind: LearningJobKind;
  body: Record<string, unknown>;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

function selection(context: LearningContext, event: { feature: number; frame: number }) {
  const body: CellSelection = { feature: event.feature, frames: context.frames };
  if (context.frames === 'frame') body.frame = event.frame;
  return body;
}

/** Why a finished job gave no result, in the user's words; null when it is done. */
export function jobTrouble(job: Job | null): string | null {
  if (!job) return 'The job could not be followed.';
  if (job.state === 'done') return null;
  if (job.state === 'cancelled') return 'Cancelled.';
  return job.error ?? 'The job failed.';
}

/** What a finished job changes: its result kept (by `keep`), or its trouble noted. */
function finished(
  context: LearningContext,
  kind: LearningJobKind,
  job: Job | null,
  keep: (result: unknown) => Partial<LearningContext>,
): Partial<LearningContext> {
  const trouble = jobTrouble(job);
  if (trouble) return { errors: { ...context.errors, [kind]: trouble } };
  return { ...keep(job!.result), errors: { ...context.errors, [kind]: undefined } };
}

function failedToStart(context: LearningContext, kind: LearningJobKind, error: unknown) {
  return { errors: { ...context.errors, [kind]: errorText(error) } };
}

const featureOf = (result: { feature: number } | null) => result?.feature ?? null;

/**
 * The context once the server's kept results of a feature arrive: each result already shown
 * for that feature stays (it is as new as the kept one or newer), the others are the kept ones.
 */
export function restored(context: LearningContext, kept: KeptLearning): Partial<LearningContext> {
  const { feature } = kept;
  const own = {
    embedding: featureOf(context.embedding) === feature,
    classifier: featureOf(context.report) === feature,
    predictions: featureOf(context.predictions) === feature,
  };
  const outOfDate = (kind: LearningJobKind) =>
    own[kind] ? context.outOfDate[kind] : (kept[kind]?.out_of_date ?? false);
  const embedding = own.embedding ? context.embedding : (kept.embedding?.result ?? null);
  return {
    embedding,
    report: own.classifier ? context.report : (kept.classifier?.result ?? null),
    predictions: own.predictions ? context.predictions : (kept.predictions?.result ?? null),
    outOfDate: {
      embedding: outOfDate('embedding'),
      classifier: outOfDate('classifier'),
      predictions: outOfDate('predictions'),
    },
    selected: own.embedding ? context.selected : [],
    learnable: {
      feature,
      cells: kept.cells,
      minCells: kept.min_cells,
      channels: kept.channels,
    },
    ...(embedding && !own.embedding ? { source: embedding.source, frames: embedding.frames } : {}),
  };
}

function starting(context: LearningContext, request: JobRequest): Partial<LearningContext> {
  return {
    requests: { ...context.requests, [request.kind]: request },
    errors: { ...context.errors, [request.kind]: undefined },
  };
}

export const learningMachine = setup({
  types: {
    context: {} as LearningContext,
    events: {} as LearningEvent,
    input: {} as { imported?: ImportedEmbeddings | null },
  },
  actors: {
    startJob: fromPromise<Job, JobRequest>(async () => {
      throw new Error('Starting a job is provided by the app');
    }),
    followJob: jobMachine,
    loadKept: fromPromise<KeptLearning, { feature: number }>(async () => {
      throw new Error('Reading the kept results is provided by the app');
    }),
  },
}).createMachine({
  id: 'learning',
  type: 'parallel',
  context: ({ input }) => ({
    imported: input.imported ?? null,
    source: 'mean',
    frames: 'frame',
    embedding: null,
    outOfDate: {},
    learnable: null,
    colourBy: 'type',
    tool: 'lasso',
    selected: [],
    trainFraction: 0.8,
    seed: 0,
    report: null,
    predictions: null,
    threshold: 0.5,
    mode: 'confident',
    visited: null,
    errors: {},
    requests: {},
  }),
  on: {
    SET_SOURCE: { actions: assign({ source: ({ event }) => event.source }) },
    SET_FRAMES: { actions: assign({ frames: ({ event }) => event.frames }) },
    SET_COLOUR_BY: { actions: assign({ colourBy: ({ event }) => event.by }) },
    SET_TOOL: { actions: assign({ tool: ({ event }) => event.tool }) },
    SELECT: {
      actions: assign({
        selected: ({ context, event }) =>
          [...new Set([...(event.add ? context.selected : []), ...event.cells])].sort(
            (a, b) => a - b,
          ),
      }),
    },
    CLEAR_SELECTION: { actions: assign({ selected: [] }) },
    SET_TRAIN_FRACTION: {
      actions: assign({
        trainFraction: ({ event }) => Math.min(0.95, Math.max(0.5, event.fraction)),
      }),
    },
    SET_SEED: {
      actions: assign({ seed: ({ event }) => Math.max(0, Math.floor(event.seed) || 0) }),
    },
    SET_THRESHOLD: {
      actions: assign({ threshold: ({ event }) => Math.min(1, Math.max(0, event.threshold)) }),
    },
    SET_MODE: { actions: assign({ mode: ({ event }) => event.mode }) },
    VISITED: { actions: assign({ visited: ({ event }) => event.cell }) },
    IMPORTED: {
      actions: assign({
        imported: ({ event }) => event.embeddings,
        source: 'imported',
      }),
    },
    LABELS_CHANGED: {
      actions: assign({
        outOfDate: ({ context }) => ({
          embedding: context.embedding !== null,
          classifier: context.report !== null,
          predictions: context.predictions !== null,
        }),
      }),
    },
  },
  states: {
    kept: {
      initial: 'unread',
      states: {
        unread: {},
        loading: {
          invoke: {
            src: 'loadKept',
            input: ({ event }) => ({ feature: (event as { feature: number }).feature }),
            onDone: {
              target: 'read',
              actions: [
                assign(({ context, event }) => restored(context, event.output)),
                enqueueActions(({ enqueue, event }) => {
                  for (const [kind, job] of Object.entries(event.output.running ?? {})) {
                    enqueue.raise({ type: 'RESUME', kind: kind as LearningJobKind, job });
                  }
                }),
              ],
            },
            // Nothing kept to show is no reason to stop: the panel works as on a new project.
            onError: 'read',
          },
        },
        read: {},
      },
      on: {
        OPEN: {
          guard: ({ context, event }) => context.learnable?.feature !== event.feature,
          target: '.loading',
        },
      },
    },
    embedding: {
      initial: 'idle',
      on: {
        EMBED: {
          target: '.starting',
          actions: assign(({ context, event }) =>
            starting(context, {
              kind: 'embedding',
              body: { ...selection(context, event), source: context.source },
            }),
          ),
        },
      },
      states: {
        idle: {
          on: { RESUME: { guard: ({ event }) => event.kind === 'embedding', target: 'following' } },
        },
        starting: {
          invoke: {
            src: 'startJob',
            input: ({ context }) => context.requests.embedding!,
            onDone: 'following',
            onError: {
              target: 'idle',
              actions: assign(({ context, event }) =>
                failedToStart(context, 'embedding', event.error),
              ),
            },
          },
        },
        following: {
          invoke: {
            id: 'embeddingJob',
            src: 'followJob',
            input: ({ event }) => followed(event),
            onDone: {
              target: 'idle',
              actions: assign(({ context, event }) =>
                finished(context, 'embedding', event.output, (result) => ({
                  embedding: result as EmbeddingResult,
                  outOfDate: { ...context.outOfDate, embedding: false },
                  selected: [],
                })),
              ),
            },
          },
        },
      },
    },
    training: {
      initial: 'idle',
      on: {
        TRAIN: {
          target: '.starting',
          actions: assign(({ context, event }) =>
            starting(context, {
              kind: 'classifier',
              body: {
                ...selection(context, event),
                source: context.source,
                train_fraction: context.trainFraction,
                seed: context.seed,
              },
            }),
          ),
        },
      },
      states: {
        idle: {
          on: {
            RESUME: { guard: ({ event }) => event.kind === 'classifier', target: 'following' },
          },
        },
        starting: {
          invoke: {
            src: 'startJob',
            input: ({ context }) => context.requests.classifier!,
            onDone: 'following',
            onError: {
              target: 'idle',
              actions: assign(({ context, event }) =>
                failedToStart(context, 'classifier', event.error),
              ),
            },
          },
        },
        following: {
          invoke: {
            id: 'trainingJob',
            src: 'followJob',
            input: ({ event }) => followed(event),
            onDone: {
              target: 'idle',
              actions: assign(({ context, event }) =>
                finished(context, 'classifier', event.output, (result) => ({
                  report: result as ClassifierReport,
                  outOfDate: { ...context.outOfDate, classifier: false, predictions: false },
                  predictions: null,
                })),
              ),
            },
          },
        },
      },
    },
    predicting: {
      initial: 'idle',
      on: {
        PREDICT: {
          target: '.starting',
          actions: assign(({ context, event }) =>
            starting(context, { kind: 'predictions', body: { ...selection(context, event) } }),
          ),
        },
      },
      states: {
        idle: {
          on: {
            RESUME: { guard: ({ event }) => event.kind === 'predictions', target: 'following' },
          },
        },
        starting: {
          invoke: {
            src: 'startJob',
            input: ({ context }) => context.requests.predictions!,
            onDone: 'following',
            onError: {
              target: 'idle',
              actions: assign(({ context, event }) =>
                failedToStart(context, 'predictions', event.error),
              ),
            },
          },
        },
        following: {
          invoke: {
            id: 'predictionJob',
            src: 'followJob',
            input: ({ event }) => followed(event),
            onDone: {
              target: 'idle',
              actions: assign(({ context, event }) =>
                finished(context, 'predictions', event.output, (result) => ({
                  predictions: result as PredictionsResult,
                  outOfDate: { ...context.outOfDate, predictions: false },
                  visited: null,
                })),
              ),
            },
          },
        },
      },
    },
  },
});

/** The job the starter answered with (or one resumed), for the job actor that follows it. */
function followed(event: unknown) {
  const job =
    (event as { type: string }).type === 'RESUME'
      ? (event as { job: Job }).job
      : (event as { output: Job }).output;
  return { jobId: job.id, job };
}
