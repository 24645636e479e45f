import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { proposalsMachine, proposalsOf, type ProposedDivision } from '../../src/machines/proposals';

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
