// The Learn panel of the cell types: the embedding of the cells, the points selected in it, the
// classifier trained on the typed cells and its predictions for the others. Each of the three
// runs as a server job, followed by a child job actor (its id: embeddingJob, trainingJob,
// predictionJob) that a progress bar reads; its result, or why it failed, lands here.
import { assign, fromPromise, setup } from 'xstate';
import type {
  CellSelection,
  ClassifierReport,
  EmbeddingResult,
  ImportedEmbeddings,
  Job,
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
  /** The labels changed since the embedding was made: embed again to see them. */
  stale: boolean;
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

export type LearningEvent =
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
  },
}).createMachine({
  id: 'learning',
  type: 'parallel',
  context: ({ input }) => ({
    imported: input.imported ?? null,
    source: 'mean',
    frames: 'frame',
    embedding: null,
    stale: false,
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
      guard: ({ context }) => context.embedding !== null,
      actions: assign({ stale: true }),
    },
  },
  states: {
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
        idle: {},
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
                  stale: false,
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
        idle: {},
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
        idle: {},
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

/** The job the starter answered with, for the job actor that follows it. */
function followed(event: unknown) {
  const job = (event as { output: Job }).output;
  return { jobId: job.id, job };
}
