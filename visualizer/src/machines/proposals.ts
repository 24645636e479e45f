// Divisions a link job proposes, kept until the user accepts or rejects each one, the link job
// itself while it runs (for its progress bar), and the stepping through the proposals least sure
// first. An accepted proposal is remembered: when an undo takes its division away it is proposed
// again, and a redo that brings the division back takes it.
import { assign, setup, type ActorRefFrom } from 'xstate';
import type { Division } from '../api/client';
import type { jobMachine } from './job';

/** A division the linking proposes; `confidence` (0 to 1) says how sure it is. */
export type ProposedDivision = Required<Division> & { confidence?: number };

export type ProposalOrder = 'frame' | 'leastSure';

export interface ProposalsContext {
  proposals: ProposedDivision[];
  /** Proposals accepted since the last linking of their feature. */
  accepted: ProposedDivision[];
  /** The link job being followed; null before the first linking. */
  job: ActorRefFrom<typeof jobMachine> | null;
  /** How the panel lists them: earliest first, or least sure first. */
  order: ProposalOrder;
  /** The proposal being checked while stepping least sure first; null when not stepping. */
  checking: ProposedDivision | null;
}

export type ProposalsEvent =
  | { type: 'LINKING'; job: ActorRefFrom<typeof jobMachine> }
  | { type: 'FOUND'; proposals: ProposedDivision[] }
  | { type: 'ACCEPTED'; proposal: ProposedDivision }
  | { type: 'REJECTED'; proposal: ProposedDivision }
  /** Start stepping through a feature's proposals, least sure first. */
  | { type: 'CHECK_LEAST_SURE'; feature: number }
  /** Go on to the next least sure one (leaving the current one undecided). */
  | { type: 'CHECK_NEXT' }
  | { type: 'STOP_CHECKING' }
  /** The project's divisions after an undo or redo. */
  | { type: 'DIVISIONS'; divisions: Division[] };

export const sameProposal = (a: ProposedDivision, b: ProposedDivision) =>
  a.parent === b.parent && a.t === b.t && a.feature === b.feature;

// A proposal without a confidence (from an older linking) counts as sure.
const sureness = (p: ProposedDivision) => p.confidence ?? 1;

const byFrame = (a: ProposedDivision, b: ProposedDivision) => a.t - b.t || a.parent - b.parent;
const byConfidence = (a: ProposedDivision, b: ProposedDivision) =>
  sureness(a) - sureness(b) || byFrame(a, b);

/** The proposals of one feature, earliest first or least sure first (ties: earliest first). */
export function proposalsOf(
  proposals: ProposedDivision[],
  feature: number,
  order: ProposalOrder = 'frame',
): ProposedDivision[] {
  return proposals
    .filter((p) => p.feature === feature)
    .sort(order === 'leastSure' ? byConfidence : byFrame);
}

/** The proposal to check after `current` (least sure first): the first of the feature's
 *  proposals that comes after it in that order, whether `current` is still proposed or has just
 *  been accepted or rejected; the least sure of all when `current` is null. */
export function nextToCheck(
  proposals: ProposedDivision[],
  feature: number,
  current: ProposedDivision | null,
): ProposedDivision | null {
  const ordered = proposalsOf(proposals, feature, 'leastSure');
  if (!current) return ordered[0] ?? null;
  return ordered.find((p) => byConfidence(p, current) > 0) ?? null;
}

const without = (context: ProposalsContext, proposal: ProposedDivision) =>
  context.proposals.filter((p) => !sameProposal(p, proposal));

/** After a proposal is decided: the proposals left, and the next one to check if it was the one
 *  being checked. */
const decided = ({ context, event }: { context: ProposalsContext; event: ProposalsEvent }) => {
  if (event.type !== 'ACCEPTED' && event.type !== 'REJECTED') return {};
  const proposals = without(context, event.proposal);
  const { checking } = context;
  if (!checking || !sameProposal(checking, event.proposal)) return { proposals };
  return { proposals, checking: nextToCheck(proposals, checking.feature, checking) };
};

export const proposalsMachine = setup({
  types: {
    context: {} as ProposalsContext,
    events: {} as ProposalsEvent,
  },
}).createMachine({
  id: 'proposals',
  context: { proposals: [], accepted: [], job: null, order: 'frame', checking: null },
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
        checking: null,
      }),
    },
    ACCEPTED: {
      actions: [
        assign(decided),
        assign({
          accepted: ({ context, event }) => [
            ...context.accepted.filter((p) => !sameProposal(p, event.proposal)),
            event.proposal,
          ],
        }),
      ],
    },
    REJECTED: { actions: assign(decided) },
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
    CHECK_LEAST_SURE: {
      actions: assign({
        order: 'leastSure',
        checking: ({ context, event }) => nextToCheck(context.proposals, event.feature, null),
      }),
    },
    CHECK_NEXT: {
      actions: assign({
        checking: ({ context }) =>
          context.checking &&
          nextToCheck(context.proposals, context.checking.feature, context.checking),
      }),
    },
    STOP_CHECKING: { actions: assign({ order: 'frame', checking: null }) },
  },
});
