// The links a linking is least sure of (a rival candidate came close, or a gap was closed), and
// the stepping through them least sure first: each step shows the frame and selects the cell,
// so a person checks where the linking guessed.
import { assign, setup } from 'xstate';
import type { UncertainLink } from '../api/client';

export interface UncertainLinksContext {
  /** The feature the links are of; null before the first linking. */
  feature: number | null;
  /** The version of the linking's edit (its undo makes the links stale). */
  version: number | null;
  /** The links, least sure first (ties: earliest frame, then lowest cell). */
  links: UncertainLink[];
  /** How many the linking found (it names only the least sure of them). */
  total: number;
  /** The position in `links` of the one being checked. */
  position: number;
}

export type UncertainLinksEvent =
  | { type: 'FOUND'; feature: number; version: number; links: UncertainLink[]; total?: number }
  /** Start at the least sure. */
  | { type: 'CHECK' }
  /** Go on to the next least sure; past the last, stop. */
  | { type: 'NEXT' }
  | { type: 'STOP' }
  /** The linking was undone: its links name ids that no longer hold. */
  | { type: 'CLEAR' };

/** Least sure first; ties: earliest frame, then lowest cell. */
export const leastSureFirst = (links: UncertainLink[]): UncertainLink[] =>
  [...links].sort((a, b) => a.confidence - b.confidence || a.t - b.t || a.cell - b.cell);

/** The link being checked, or null when not checking. */
export function currentLink(snapshot: {
  context: UncertainLinksContext;
  matches: (state: 'checking') => boolean;
}): UncertainLink | null {
  if (!snapshot.matches('checking')) return null;
  return snapshot.context.links[snapshot.context.position] ?? null;
}

const none = { feature: null, version: null, links: [], total: 0, position: 0 };

export const uncertainLinksMachine = setup({
  types: {
    context: {} as UncertainLinksContext,
    events: {} as UncertainLinksEvent,
  },
  guards: {
    any: ({ context }) => context.links.length > 0,
    more: ({ context }) => context.position + 1 < context.links.length,
  },
}).createMachine({
  id: 'uncertainLinks',
  context: none,
  initial: 'idle',
  on: {
    FOUND: {
      target: '.idle',
      actions: assign(({ event }) => ({
        feature: event.feature,
        version: event.version,
        links: leastSureFirst(event.links),
        total: event.total ?? event.links.length,
        position: 0,
      })),
    },
    CLEAR: { target: '.idle', actions: assign(none) },
  },
  states: {
    idle: {
      on: { CHECK: { guard: 'any', target: 'checking', actions: assign({ position: 0 }) } },
    },
    checking: {
      on: {
        NEXT: [
          {
            guard: 'more',
            actions: assign({ position: ({ context }) => context.position + 1 }),
          },
          { target: 'idle' },
        ],
        STOP: 'idle',
      },
    },
  },
});
