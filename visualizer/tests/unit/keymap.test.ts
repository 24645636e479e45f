import { describe, expect, it } from 'vitest';
import { KEY_BINDINGS, actionForKey, keyName } from '../../src/keymap';

const press = (
  key: string,
  mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {},
) => keyName({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('key map', () => {
  it('binds no key twice in one context', () => {
    const seen = new Map<string, string>();
    for (const binding of KEY_BINDINGS) {
      for (const key of binding.keys) {
        const slot = `${binding.context} ${key}`;
        expect(
          seen.get(slot),
          `${key} is bound to ${seen.get(slot)} and ${binding.id}`,
        ).toBeUndefined();
        seen.set(slot, binding.id);
      }
    }
  });

  it('has unique action ids', () => {
    const ids = KEY_BINDINGS.map((b) => b.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('writes every key in the notation keyName produces', () => {
    for (const binding of KEY_BINDINGS) {
      for (const key of binding.keys) {
        expect(key).toMatch(
          /^(Mod\+)?(Shift\+)?([A-Z0-9]|Arrow(Up|Down|Left|Right)|Space|Enter|Escape|Backspace|Delete|[=+\-[\]?])$/,
        );
      }
    }
  });

  it('names key events as the table does', () => {
    expect(press('q')).toBe('Q');
    expect(press('Q', { shiftKey: true })).toBe('Shift+Q');
    expect(press('z', { ctrlKey: true })).toBe('Mod+Z');
    expect(press('Z', { metaKey: true, shiftKey: true })).toBe('Mod+Shift+Z');
    expect(press('+', { shiftKey: true })).toBe('+');
    expect(press('?', { shiftKey: true })).toBe('?');
    expect(press(' ')).toBe('Space');
    expect(press('ArrowUp')).toBe('ArrowUp');
  });

  it('finds the actions the spec names', () => {
    expect(actionForKey('project', 'B')).toBe('brush');
    expect(actionForKey('project', 'Shift+Q')).toBe('grow');
    expect(actionForKey('project', 'Q')).toBe('shrink');
    expect(actionForKey('project', 'Mod+Shift+Z')).toBe('redo');
    expect(actionForKey('project', '[')).toBe('previousCell');
    expect(actionForKey('dialog', 'Escape')).toBe('closeDialog');
    expect(actionForKey('project', 'J')).toBe('nextFinding');
    expect(actionForKey('project', 'Shift+ArrowRight')).toBe('nextProject');
    expect(actionForKey('project', '1')).toBeUndefined();
  });
});
