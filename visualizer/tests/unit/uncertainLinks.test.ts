import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { UncertainLink } from '../../src/api/client';
import {
  currentLink,
  leastSureFirst,
  uncertainLinksMachine,
} from '../../src/machines/uncertainLinks';

const link = (cell: number, t: number, confidence: number, reason: 'rival' | 'gap' = 'rival') => ({
  cell,
  t,
  from_t: t - 1,
  confidence,
  reason,
});

const surest = link(3, 2, 0.45);
const gap: UncertainLink = { ...link(8, 5, 0.3, 'gap'), from_t: 3 };
const rival = link(4, 1, 0.1);
const tied = link(2, 1, 0.1);

function started(links: UncertainLink[] = [surest, gap, rival, tied]) {
  const actor = createActor(uncertainLinksMachine).start();
  actor.send({ type: 'FOUND', feature: 0, version: 7, links, total: 12 });
  return actor;
}

describe('uncertain links', () => {
  it('orders them least sure first, ties by frame then cell', () => {
    expect(leastSureFirst([surest, gap, rival, tied])).toEqual([tied, rival, gap, surest]);
  });

  it('keeps what the linking found, and how many it found in all', () => {
    const { context } = started().getSnapshot();
    expect(context.links).toEqual([tied, rival, gap, surest]);
    expect(context.total).toBe(12);
    expect(context.version).toBe(7);
  });

  it('steps through them least sure first and stops after the last', () => {
    const actor = started();
    expect(currentLink(actor.getSnapshot())).toBeNull();
    actor.send({ type: 'CHECK' });
    const seen = [currentLink(actor.getSnapshot())];
    for (let step = 0; step < 3; step++) {
      actor.send({ type: 'NEXT' });
      seen.push(currentLink(actor.getSnapshot()));
    }
    expect(seen).toEqual([tied, rival, gap, surest]);
    actor.send({ type: 'NEXT' });
    expect(actor.getSnapshot().matches('idle')).toBe(true);
    expect(currentLink(actor.getSnapshot())).toBeNull();
    // Checking again starts over at the least sure.
    actor.send({ type: 'CHECK' });
    expect(currentLink(actor.getSnapshot())).toEqual(tied);
  });

  it('stops when asked, and has nothing to check without links', () => {
    const actor = started();
    actor.send({ type: 'CHECK' });
    actor.send({ type: 'STOP' });
    expect(currentLink(actor.getSnapshot())).toBeNull();
    const empty = started([]);
    empty.send({ type: 'CHECK' });
    expect(empty.getSnapshot().matches('idle')).toBe(true);
  });

  it('a new linking replaces the links and ends the checking; an undone one clears them', () => {
    const actor = started();
    actor.send({ type: 'CHECK' });
    actor.send({ type: 'NEXT' });
    actor.send({ type: 'FOUND', feature: 1, version: 9, links: [surest] });
    expect(actor.getSnapshot().matches('idle')).toBe(true);
    expect(actor.getSnapshot().context).toMatchObject({ feature: 1, links: [surest], total: 1 });
    actor.send({ type: 'CLEAR' });
    expect(actor.getSnapshot().context).toMatchObject({ feature: null, links: [], version: null });
  });
});
