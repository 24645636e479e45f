// Who the user is: asked once (or taken from the link), kept, and changeable. The name goes with
// every request as X-Annotator; undo and redo then act on this annotator's own edits only.
import { assign, emit, setup } from 'xstate';

/** Longest name the server takes (in characters). */
export const ANNOTATOR_MAX = 64;
const PUNCTUATION = " .-_@+'";
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** The name of whoever names nobody: the server's own default. */
export const ANONYMOUS = 'anonymous';

/** The name as it is sent: trimmed, accents composed (as the server counts characters). */
export const cleanName = (name: string) => name.normalize('NFC').trim();

/** What is wrong with a name (the server's rules, told before it has to refuse), or null. */
export function nameProblem(name: string): string | null {
  const characters = [...cleanName(name)];
  if (!characters.length) return 'Type a name.';
  if (characters.length > ANNOTATOR_MAX) {
    return `At most ${ANNOTATOR_MAX} characters; this has ${characters.length}.`;
  }
  const wrong = [
    ...new Set(characters.filter((c) => !LETTER_OR_DIGIT.test(c) && !PUNCTUATION.includes(c))),
  ];
  if (wrong.length) {
    return `Use letters, digits, spaces and . - _ @ + ' only (not ${wrong.join(' ')}).`;
  }
  return null;
}

export interface AnnotatorContext {
  name: string | null;
  /** What the dialog starts with: the current name, or a link's name that was refused. */
  draft: string;
  error: string | null;
}

export type AnnotatorEvent =
  { type: 'EDIT' } | { type: 'SUBMIT'; name: string } | { type: 'ANONYMOUS' } | { type: 'CANCEL' };

export type AnnotatorEmitted = { type: 'named'; name: string; previous: string | null };

export const annotatorMachine = setup({
  types: {
    context: {} as AnnotatorContext,
    events: {} as AnnotatorEvent,
    input: {} as { name: string | null; suggestion?: string; error?: string | null },
    emitted: {} as AnnotatorEmitted,
  },
  guards: {
    named: ({ context }) => context.name !== null,
  },
}).createMachine({
  id: 'annotator',
  context: ({ input }) => ({
    name: input.name,
    draft: input.name ?? input.suggestion ?? '',
    error: input.error ?? null,
  }),
  initial: 'starting',
  states: {
    starting: { always: [{ guard: 'named', target: 'named' }, { target: 'asking' }] },
    named: {
      on: {
        EDIT: {
          target: 'asking',
          actions: assign(({ context }) => ({ draft: context.name ?? '', error: null })),
        },
      },
    },
    asking: {
      on: {
        SUBMIT: [
          {
            guard: ({ event }) => nameProblem(event.name) === null,
            target: 'named',
            actions: [
              emit(({ context, event }) => ({
                type: 'named' as const,
                name: cleanName(event.name),
                previous: context.name,
              })),
              assign(({ event }) => ({ name: cleanName(event.name), error: null })),
            ],
          },
          {
            actions: assign(({ event }) => ({ draft: event.name, error: nameProblem(event.name) })),
          },
        ],
        ANONYMOUS: {
          target: 'named',
          actions: [
            emit(({ context }) => ({
              type: 'named' as const,
              name: ANONYMOUS,
              previous: context.name,
            })),
            assign({ name: ANONYMOUS, error: null }),
          ],
        },
        CANCEL: { guard: 'named', target: 'named' },
      },
    },
  },
});
