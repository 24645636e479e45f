import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { cellAfterClick, selectionMachine, stepCell } from '../../src/machines/selection';

describe('selection', () => {
  it('cycles through overlapping cells on repeated clicks', () => {
    const actor = createActor(selectionMachine).start();
    actor.send({ type: 'CLICK', cells: [3, 8] });
    expect(actor.getSnapshot().context.selected).toBe(3);
    actor.send({ type: 'CLICK', cells: [3, 8] });
    expect(actor.getSnapshot().context.selected).toBe(8);
    actor.send({ type: 'CLICK', cells: [3, 8] });
    expect(actor.getSnapshot().context.selected).toBe(3);
    actor.send({ type: 'CLICK', cells: [] });
    expect(actor.getSnapshot().context.selected).toBeNull();
  });

  it('steps to the previous and next cell, wrapping', () => {
    expect(stepCell(null, [2, 5, 9], 1)).toBe(2);
    expect(stepCell(5, [2, 5, 9], 1)).toBe(9);
    expect(stepCell(9, [2, 5, 9], 1)).toBe(2);
    expect(stepCell(2, [2, 5, 9], -1)).toBe(9);
    expect(stepCell(7, [2, 5, 9], -1)).toBe(5);
    expect(stepCell(4, [], 1)).toBeNull();
    expect(cellAfterClick(99, [1])).toBe(1);
  });

  it('keeps hover updates cheap by ignoring unchanged lists', () => {
    const actor = createActor(selectionMachine).start();
    actor.send({ type: 'HOVER', cells: [4] });
    const before = actor.getSnapshot();
    actor.send({ type: 'HOVER', cells: [4] });
    expect(actor.getSnapshot().context).toBe(before.context);
    actor.send({ type: 'SELECT', cell: 12 });
    actor.send({ type: 'RESET' });
    expect(actor.getSnapshot().context.selected).toBeNull();
  });
});
