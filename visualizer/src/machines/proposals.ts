// Divisions a link job proposes, kept until the user accepts or rejects each one, and the link
// job itself while it runs (for its progress bar).
import { assign, setup, type ActorRefFrom } from 'xstate';
import type { Division } from '../api/client';
import type { jobMachine } from './job';

export type ProposedDivision = Required<Division>;

export interface ProposalsContext {
  proposals: ProposedDivision[];
  /** The link job being followed; null before the first linking. */
  job: ActorRefFrom<typeof jobMachine> | null;
}

export type ProposalsEvent =
  | { type: 'LINKING'; job: ActorRefFrom<typeof jobMachine> }
  | { type: 'FOUND'; proposals: ProposedDivision[] }
  | { type: 'ACCEPTED'; proposal: ProposedDivision }
  | { type: 'REJECTED'; proposal: ProposedDivision };

export const sameProposal = (a: ProposedDivision, b: ProposedDivision) =>
  a.parent === b.parent && a.t === b.t && a.feature === b.feature;

/** The proposals of one feature, earliest first. */
export function proposalsOf(proposals: ProposedDivision[], feature: number): ProposedDivision[] {
  return proposals
    .filter((p) => p.feature === feature)
    .sort((a, b) => a.t - b.t || a.parent - b.parent);
}

const without = (context: ProposalsContext, proposal: ProposedDivision) =>
  context.proposals.filter((p) => !sameProposal(p, proposal));

export const proposalsMachine = setup({
  types: {
    context: {} as ProposalsContext,
    events: {} as ProposalsEvent,
  },
}).createMachine({
  id: 'proposals',
  context: { proposals: [], job: null },
  on: {
    LINKING: { actions: assign({ job: ({ event }) => event.job }) },
    // A new linking's proposals replace those of the feature it linked.
    FOUND: {
      actions: assign({
        proposals: ({ context, event }) => {
          const features = new Set(event.proposals.map((p) => p.feature));
          return [...context.proposals.filter((p) => !features.has(p.feature)), ...event.proposals];
        },
      }),
    },
    ACCEPTED: {
      actions: assign({ proposals: ({ context, event }) => without(context, event.proposal) }),
    },
    REJECTED: {
      actions: assign({ proposals: ({ context, event }) => without(context, event.proposal) }),
    },
  },
});
