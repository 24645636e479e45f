import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import type { EditRecord, HistoryEntry, HistoryPage } from '../../src/api/client';
import { entryOf, historyMachine, mergeEntries } from '../../src/machines/history';

const entry = (version: number, author: string, extra: Partial<HistoryEntry> = {}) =>
  ({
    version,
    kind: 'edit',
    action: 'brush',
    state: 'applied',
    target: null,
    author,
    created: '2026-12-02T10:00:00Z',
    frame: 0,
    feature: 0,
    cell: null,
    boxes: [],
    lists: [],
    ...extra,
  }) as HistoryEntry;

const undo = (version: number, author: string, target: number) =>
  entry(version, author, { kind: 'undo', target, state: 'done' });

const states = (entries: HistoryEntry[]) => entries.map((e) => `${e.version}:${e.state}`);

describe('history entries', () => {
  it('are newest first, each edit in the state its later records leave it', () => {
    const merged = mergeEntries(
      [],
      [entry(1, 'alice'), entry(2, 'bob'), undo(3, 'alice', 1), undo(4, 'bob', 2)],
    );
    expect(states(merged)).toEqual(['4:done', '3:done', '2:undone', '1:undone']);
    // Bob edits again: his undone edit is discarded; Alice's stays undone (she can redo it).
    expect(states(mergeEntries(merged, [entry(5, 'bob')]))).toEqual([
      '5:applied',
      '4:done',
      '3:done',
      '2:discarded',
      '1:undone',
    ]);
    const redone = mergeEntries(merged, [entry(5, 'alice', { kind: 'redo', target: 1 })]);
    expect(states(redone).at(-1)).toBe('1:applied');
  });

  it('come from edit records with their author, time and boxes', () => {
    const record: EditRecord = {
      version: 7,
      action: 'erase',
      kind: 'edit',
      author: 'bob',
      created: '2026-12-02T10:00:00Z',
      frame: 2,
      feature: 0,
      patches: [{ feature: 0, frame: 2, x: 3, y: 4, width: 5, height: 6, data: '' }],
      cells: [],
      divisions: null,
      cellTypes: [],
    };
    expect(entryOf(record)).toMatchObject({
      version: 7,
      author: 'bob',
      frame: 2,
      state: 'applied',
      boxes: [{ feature: 0, frame: 2, x: 3, y: 4, width: 5, height: 6 }],
      lists: ['cell_types'],
    });
  });
});

describe('history machine', () => {
  function start(pages: Record<string, HistoryPage>, highlightMs = 30) {
    const asked: (number | null)[] = [];
    const machine = historyMachine.provide({
      actors: {
        page: fromPromise(
          async ({ input }: { input: { projectId: string; before: number | null } }) => {
            asked.push(input.before);
            return pages[String(input.before)];
          },
        ),
      },
      delays: { highlight: highlightMs },
    });
    return { actor: createActor(machine, { input: { projectId: 'p' } }).start(), asked };
  }

  it('loads the newest page, then older ones on request, and takes new records on top', async () => {
    const { actor, asked } = start({
      null: { version: 4, edits: [entry(4, 'bob'), entry(3, 'alice')], more: true },
      '3': { version: 4, edits: [entry(2, 'bob'), entry(1, 'alice')], more: false },
    });
    await waitFor(actor, (s) => s.matches({ pages: 'idle' }));
    expect(actor.getSnapshot().context.more).toBe(true);
    actor.send({ type: 'LOAD_MORE' });
    await waitFor(actor, (s) => s.matches({ pages: 'idle' }) && !s.context.more);
    expect(asked).toEqual([null, 3]);
    const record = { ...entry(5, 'alice'), kind: 'undo', target: 3, patches: [], cells: [] };
    actor.send({
      type: 'RECORDS',
      records: [{ ...record, divisions: null, cellTypes: null } as unknown as EditRecord],
    });
    expect(states(actor.getSnapshot().context.entries)).toEqual([
      '5:done',
      '4:applied',
      '3:undone',
      '2:applied',
      '1:applied',
    ]);
  });

  it('highlights a picked entry for a while', async () => {
    const { actor } = start({ null: { version: 1, edits: [entry(1, 'bob')], more: false } });
    await waitFor(actor, (s) => s.context.entries.length === 1);
    actor.send({ type: 'HIGHLIGHT', version: 9 }); // not in the list: ignored
    expect(actor.getSnapshot().context.highlighted).toBeNull();
    actor.send({ type: 'HIGHLIGHT', version: 1 });
    expect(actor.getSnapshot().context.highlighted?.version).toBe(1);
    await waitFor(actor, (s) => s.context.highlighted === null);
  });
});
