// Divisions a link job proposes, kept until the user accepts or rejects each one, and the link
// job itself while it runs (for its progress bar). An accepted proposal is remembered: when an undo
// takes its division away it is proposed again, and a redo that brings the division back takes it.
import { assign, setup, type ActorRefFrom } from 'xstate';
import type { Division } from '../api/client';
import type { jobMachine } from './job';

export type ProposedDivision = Required<Division>;

export interface ProposalsContext {
  proposals: ProposedDivision[];
  /** Proposals accepted since the last linking of their feature. */
  accepted: ProposedDivision[];
  /** The link job being followed; null before the first linking. */
  job: ActorRefFrom<typeof jobMachine> | null;
}

export type ProposalsEvent =
  | { type: 'LINKING'; job: ActorRefFrom<typeof jobMachine> }
  | { type: 'FOUND'; proposals: ProposedDivision[] }
  | { type: 'ACCEPTED'; proposal: ProposedDivision }
  | { type: 'REJECTED'; proposal: ProposedDivision }
  /** The project's divisions after an undo or redo. */
  | { type: 'DIVISIONS'; divisions: Division[] };

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
  context: { proposals: [], accepted: [], job: null },
  on: {
    LINKING: { actions: assign({ job: ({ event }) => event.job }) },
    // A new linking's proposals replace those of the feature it linked.
    FOUND: {
      actions: assign({
        proposals: ({ context, event }) => {
          const features = new Set(event.proposals.map((p) => p.feature));
          return [...context.proposals.filter((p) => !features.has(p.feature)), ...event.proposals];
        },
        accepted: ({ context, event }) => {
          const features = new Set(event.proposals.map((p) => p.feature));
          return context.accepted.filter((p) => !features.has(p.feature));
        },
      }),
    },
    ACCEPTED: {
      actions: assign({
        proposals: ({ context, event }) => without(context, event.proposal),
        accepted: ({ context, event }) => [
          ...context.accepted.filter((p) => !sameProposal(p, event.proposal)),
          event.proposal,
        ],
      }),
    },
    DIVISIONS: {
      actions: assign({
        proposals: ({ context, event }) => {
          const recorded = (p: ProposedDivision) =>
            event.divisions.some(
              (d) => d.parent === p.parent && d.t === p.t && (d.feature ?? 0) === p.feature,
            );
          const pending = (p: ProposedDivision) =>
            context.proposals.some((q) => sameProposal(p, q));
          const taken = (p: ProposedDivision) =>
            recorded(p) && context.accepted.some((a) => sameProposal(a, p));
          return [
            ...context.proposals.filter((p) => !taken(p)),
            ...context.accepted.filter((p) => !recorded(p) && !pending(p)),
          ];
        },
      }),
    },
    REJECTED: {
      actions: assign({ proposals: ({ context, event }) => without(context, event.proposal) }),
    },
  },
});
