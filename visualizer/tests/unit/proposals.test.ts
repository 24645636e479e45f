import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import {
  nextToCheck,
  proposalsMachine,
  proposalsOf,
  type ProposedDivision,
} from '../../src/machines/proposals';

const first: ProposedDivision = { parent: 4, daughters: [9, 10], t: 3, feature: 0 };
const second: ProposedDivision = { parent: 2, daughters: [11, 12], t: 1, feature: 0 };
const other: ProposedDivision = { parent: 5, daughters: [6, 7], t: 2, feature: 1 };

describe('proposed divisions', () => {
  it('lists a feature’s proposals earliest first', () => {
    expect(proposalsOf([first, other, second], 0)).toEqual([second, first]);
    expect(proposalsOf([first, other, second], 1)).toEqual([other]);
  });

  it('keeps proposals until each is accepted or rejected', () => {
    const actor = createActor(proposalsMachine).start();
    actor.send({ type: 'FOUND', proposals: [first, second, other] });
    actor.send({ type: 'ACCEPTED', proposal: first });
    actor.send({ type: 'REJECTED', proposal: other });
    expect(actor.getSnapshot().context.proposals).toEqual([second]);
  });

  it('replaces the proposals of the feature linked again, and only those', () => {
    const actor = createActor(proposalsMachine).start();
    actor.send({ type: 'FOUND', proposals: [first, other] });
    actor.send({ type: 'FOUND', proposals: [second] });
    expect(actor.getSnapshot().context.proposals).toEqual([other, second]);
  });

  describe('least sure first', () => {
    /** A proposal of feature 0: parent `parent`, daughters the next two ids. */
    const proposal = (parent: number, t: number, confidence?: number): ProposedDivision => ({
      parent,
      daughters: [parent + 1, parent + 2],
      t,
      feature: 0,
      ...(confidence === undefined ? {} : { confidence }),
    });
    const sure = proposal(1, 1, 0.9);
    const unsure = proposal(4, 5, 0.2);
    const middling = proposal(7, 2, 0.6);
    const tiedEarlier = proposal(10, 3, 0.6);
    const unknown = proposal(13, 0);
    const all = [sure, unknown, middling, tiedEarlier, unsure, other];

    it('orders a feature’s proposals by confidence, ties earliest first, unknown as sure', () => {
      expect(proposalsOf(all, 0, 'leastSure')).toEqual([
        unsure,
        middling,
        tiedEarlier,
        sure,
        unknown,
      ]);
      expect(proposalsOf(all, 0)).toEqual([unknown, sure, middling, tiedEarlier, unsure]);
    });

    it('steps on from the one checked, whether it is still proposed or was decided', () => {
      expect(nextToCheck(all, 0, null)).toEqual(unsure);
      expect(nextToCheck(all, 0, unsure)).toEqual(middling);
      const left = all.filter((p) => p !== middling);
      expect(nextToCheck(left, 0, middling)).toEqual(tiedEarlier);
      expect(nextToCheck(all, 0, unknown)).toBeNull();
    });

    it('checks the least sure, and after each decision or skip the next least sure', () => {
      const actor = createActor(proposalsMachine).start();
      actor.send({ type: 'FOUND', proposals: all });
      actor.send({ type: 'CHECK_LEAST_SURE', feature: 0 });
      expect(actor.getSnapshot().context).toMatchObject({ order: 'leastSure', checking: unsure });
      actor.send({ type: 'REJECTED', proposal: unsure });
      expect(actor.getSnapshot().context.checking).toEqual(middling);
      actor.send({ type: 'CHECK_NEXT' });
      expect(actor.getSnapshot().context.checking).toEqual(tiedEarlier);
      // Deciding another proposal than the one checked leaves the stepping where it is.
      actor.send({ type: 'ACCEPTED', proposal: sure });
      expect(actor.getSnapshot().context.checking).toEqual(tiedEarlier);
      actor.send({ type: 'ACCEPTED', proposal: tiedEarlier });
      expect(actor.getSnapshot().context.checking).toEqual(unknown);
      actor.send({ type: 'STOP_CHECKING' });
      expect(actor.getSnapshot().context).toMatchObject({ order: 'frame', checking: null });
    });
  });

  it('proposes an accepted division again when an undo takes it away, and not after its redo', () => {
    const actor = createActor(proposalsMachine).start();
    const proposals = () => actor.getSnapshot().context.proposals;
    actor.send({ type: 'FOUND', proposals: [first, second] });
    actor.send({ type: 'ACCEPTED', proposal: first });
    const division = { parent: 4, daughters: [9, 10], t: 3, feature: 0 };
    actor.send({ type: 'DIVISIONS', divisions: [division] });
    expect(proposals()).toEqual([second]);
    actor.send({ type: 'DIVISIONS', divisions: [] });
    expect(proposalsOf(proposals(), 0)).toEqual([second, first]);
    actor.send({ type: 'DIVISIONS', divisions: [division] });
    expect(proposals()).toEqual([second]);
  });
});
