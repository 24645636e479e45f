// The history panel's list: records newest first, loaded a page at a time and kept current from
// the edits the app receives (its own and everyone else's); one entry may be highlighted for a
// while after it was picked.
import { assign, fromPromise, setup } from 'xstate';
import type { EditRecord, HistoryEntry, HistoryPage } from '../api/client';

export const HIGHLIGHT_MS = 6000;

export interface HistoryContext {
  projectId: string;
  /** Newest first, without gaps. */
  entries: HistoryEntry[];
  /** Whether older records are on the server. */
  more: boolean;
  error: string | null;
  highlighted: HistoryEntry | null;
}

export type HistoryEvent =
  | { type: 'LOAD_MORE' }
  | { type: 'RECORDS'; records: EditRecord[] }
  | { type: 'HIGHLIGHT'; version: number }
  | { type: 'CLEAR_HIGHLIGHT' };

/** An edit record as the app receives it, as a history entry. */
export function entryOf(record: EditRecord): HistoryEntry {
  return {
    version: record.version,
    kind: record.kind,
    action: record.action,
    state: record.kind === 'edit' ? 'applied' : 'done',
    target: record.target ?? null,
    author: record.author ?? 'anonymous',
    created: record.created ?? new Date().toISOString(),
    frame: record.frame ?? record.patches[0]?.frame ?? 0,
    feature: record.feature ?? record.patches[0]?.feature ?? 0,
    cell: null,
    boxes: record.patches.map(({ feature, frame, x, y, width, height }) => ({
      feature,
      frame,
      x,
      y,
      width,
      height,
    })),
    lists: [
      ...(record.divisions ? ['divisions'] : []),
      ...(record.cellTypes ? ['cell_types'] : []),
      ...(record.channelNames ? ['channel_names'] : []),
      ...(record.featureNames ? ['feature_names'] : []),
    ],
  };
}

const LIST_NAMES: Record<string, string> = {
  divisions: 'divisions',
  cell_types: 'cell types',
  channel_names: 'channel names',
  feature_names: 'label layers',
};

/** Where an entry changed things, as a person reads it (frames counted from 1). */
export function placeOf(entry: HistoryEntry, features: number): string {
  const frames = [...new Set(entry.boxes.map((b) => b.frame))].sort((a, b) => a - b);
  const place = frames.length
    ? frames.length === 1
      ? `frame ${frames[0] + 1}`
      : `frames ${frames[0] + 1}–${frames.at(-1)! + 1}`
    : entry.lists.map((name) => LIST_NAMES[name] ?? name).join(', ') || `frame ${entry.frame + 1}`;
  return features > 1 && entry.boxes.length ? `${place}, feature ${entry.feature + 1}` : place;
}

/**
 * Entries merged by version, newest first, each edit's state worked out as the server does it:
 * an undo marks its target undone, a redo applied again, and a new edit discards what its author
 * had undone. Walking the records oldest first gives every edit whose later records are all
 * there (the list has no gaps) its current state.
 */
export function mergeEntries(current: HistoryEntry[], added: HistoryEntry[]): HistoryEntry[] {
  const byVersion = new Map(current.map((e) => [e.version, e]));
  for (const entry of added) if (!byVersion.has(entry.version)) byVersion.set(entry.version, entry);
  const ascending = [...byVersion.values()].sort((a, b) => a.version - b.version);
  const states = new Map(ascending.map((e) => [e.version, e.state]));
  const undoneBy = new Map<string, Set<number>>();
  const mark = (version: number, state: string) => {
    const author = byVersion.get(version)!.author;
    if (!undoneBy.has(author)) undoneBy.set(author, new Set());
    if (state === 'undone') undoneBy.get(author)!.add(version);
    else undoneBy.get(author)!.delete(version);
    states.set(version, state);
  };
  for (const entry of ascending) {
    if (entry.kind === 'edit') {
      for (const version of undoneBy.get(entry.author) ?? []) mark(version, 'discarded');
      mark(entry.version, 'applied');
    } else if (entry.target !== null && states.has(entry.target)) {
      mark(entry.target, entry.kind === 'undo' ? 'undone' : 'applied');
    }
  }
  return ascending
    .reverse()
    .map((e) => (states.get(e.version) === e.state ? e : { ...e, state: states.get(e.version)! }));
}

export const historyMachine = setup({
  types: {
    context: {} as HistoryContext,
    events: {} as HistoryEvent,
    input: {} as { projectId: string },
  },
  actors: {
    page: fromPromise<HistoryPage, { projectId: string; before: number | null }>(async () => {
      throw new Error('The history reader is provided by the app');
    }),
  },
  delays: { highlight: HIGHLIGHT_MS },
  guards: {
    listed: ({ context, event }) =>
      event.type === 'HIGHLIGHT' && context.entries.some((e) => e.version === event.version),
  },
  actions: {
    pick: assign(({ context, event }) => ({
      highlighted:
        event.type === 'HIGHLIGHT'
          ? (context.entries.find((e) => e.version === event.version) ?? null)
          : null,
    })),
  },
}).createMachine({
  id: 'history',
  context: ({ input }) => ({
    projectId: input.projectId,
    entries: [],
    more: false,
    error: null,
    highlighted: null,
  }),
  on: {
    RECORDS: {
      guard: ({ event }) => event.records.length > 0,
      actions: assign(({ context, event }) => ({
        entries: mergeEntries(context.entries, event.records.map(entryOf)),
      })),
    },
  },
  type: 'parallel',
  states: {
    pages: {
      initial: 'loading',
      states: {
        loading: {
          invoke: {
            src: 'page',
            input: ({ context }) => ({
              projectId: context.projectId,
              before: context.entries.length ? context.entries.at(-1)!.version : null,
            }),
            onDone: {
              target: 'idle',
              actions: assign(({ context, event }) => ({
                entries: mergeEntries(context.entries, event.output.edits),
                more: event.output.more,
                error: null,
              })),
            },
            onError: {
              target: 'idle',
              actions: assign(({ event }) => ({
                error: event.error instanceof Error ? event.error.message : String(event.error),
              })),
            },
          },
        },
        idle: {
          on: { LOAD_MORE: { target: 'loading' } },
        },
      },
    },
    highlight: {
      initial: 'off',
      states: {
        off: { on: { HIGHLIGHT: { guard: 'listed', target: 'on', actions: 'pick' } } },
        on: {
          after: { highlight: { target: 'off' } },
          on: {
            CLEAR_HIGHLIGHT: { target: 'off' },
            // Another pick starts the time again.
            HIGHLIGHT: { guard: 'listed', target: 'on', reenter: true, actions: 'pick' },
          },
          exit: assign({ highlighted: null }),
        },
      },
    },
  },
});
