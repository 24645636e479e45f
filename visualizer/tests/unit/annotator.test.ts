import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { annotatorHeaders, setAnnotator } from '../../src/api/client';
import { ANNOTATOR_KEY, startingName } from '../../src/annotator';
import { annotatorMachine, nameProblem, type AnnotatorEmitted } from '../../src/machines/annotator';

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe('annotator names', () => {
  it('follows the server rules: length and characters', () => {
    expect(nameProblem('alice')).toBeNull();
    expect(nameProblem("  José M. O'Neil ")).toBeNull();
    expect(nameProblem('jane.doe+lab@example.org')).toBeNull();
    expect(nameProblem('A3F9K2LQ0PZ7')).toBeNull();
    expect(nameProblem('   ')).toBe('Type a name.');
    expect(nameProblem('x'.repeat(65))).toMatch(/At most 64 characters; this has 65/);
    expect(nameProblem('a<b>;c')).toMatch(/not < > ;/);
  });

  it('is sent percent-encoded, and not at all before it is known', () => {
    setAnnotator('');
    expect(annotatorHeaders()).toEqual({});
    setAnnotator('José');
    expect(annotatorHeaders()).toEqual({ 'X-Annotator': 'Jos%C3%A9' });
    setAnnotator('');
  });

  it('comes from the link first (and is kept), else from this browser', () => {
    const storage = memoryStorage({ [ANNOTATOR_KEY]: 'alice' });
    expect(startingName('?projectId=x', storage)).toEqual({ name: 'alice' });
    expect(startingName('?projectId=x&annotator=worker%2042', storage)).toEqual({
      name: 'worker 42',
    });
    expect(storage.items.get(ANNOTATOR_KEY)).toBe('worker 42');
    const refused = startingName('?annotator=%3Cscript%3E', memoryStorage());
    expect(refused.name).toBeNull();
    expect(refused.suggestion).toBe('<script>');
    expect(refused.error).toMatch(/link's name is refused/);
    expect(startingName('', memoryStorage())).toEqual({ name: null });
  });
});

describe('annotator machine', () => {
  function start(name: string | null) {
    const actor = createActor(annotatorMachine, { input: { name } }).start();
    const named: AnnotatorEmitted[] = [];
    actor.on('named', (event) => named.push(event));
    return { actor, named };
  }

  it('asks once when there is no name, refusing bad ones with the reason', () => {
    const { actor, named } = start(null);
    expect(actor.getSnapshot().matches('asking')).toBe(true);
    actor.send({ type: 'CANCEL' }); // a name is needed first
    expect(actor.getSnapshot().matches('asking')).toBe(true);
    actor.send({ type: 'SUBMIT', name: 'bob/' });
    expect(actor.getSnapshot().context.error).toMatch(/not \//);
    expect(named).toEqual([]);
    actor.send({ type: 'SUBMIT', name: ' bob ' });
    expect(actor.getSnapshot().matches('named')).toBe(true);
    expect(actor.getSnapshot().context.name).toBe('bob');
    expect(named).toEqual([{ type: 'named', name: 'bob', previous: null }]);
  });

  it('changes the name on request, or keeps it when cancelled', () => {
    const { actor, named } = start('alice');
    expect(actor.getSnapshot().matches('named')).toBe(true);
    actor.send({ type: 'EDIT' });
    expect(actor.getSnapshot().context.draft).toBe('alice');
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().context.name).toBe('alice');
    actor.send({ type: 'EDIT' });
    actor.send({ type: 'SUBMIT', name: 'Alice B' });
    expect(named).toEqual([{ type: 'named', name: 'Alice B', previous: 'alice' }]);
  });

  it('can stay anonymous', () => {
    const { actor, named } = start(null);
    actor.send({ type: 'ANONYMOUS' });
    expect(actor.getSnapshot().context.name).toBe('anonymous');
    expect(named[0].name).toBe('anonymous');
  });
});
