import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { toolMachine, type ToolEmitted } from '../../src/machines/tools';

function start() {
  const actor = createActor(toolMachine).start();
  const emitted: ToolEmitted[] = [];
  actor.on('*', (e) => emitted.push(e as ToolEmitted));
  const edits = () => emitted.filter((e) => e.type === 'edit');
  return { actor, emitted, edits };
}

const down = (x: number, y: number, cells: number[], selected: number | null) =>
  ({ type: 'POINTER_DOWN', x, y, cells, selected }) as const;

describe('tool machine', () => {
  it('turns a brush stroke into one brush edit with its points and size', () => {
    const { actor, emitted, edits } = start();
    actor.send({ type: 'SELECT_TOOL', tool: 'brush' });
    actor.send({ type: 'SET_BRUSH_SIZE', size: 3 });
    actor.send(down(1.5, 2.5, [], 7));
    actor.send({ type: 'POINTER_MOVE', x: 1.9, y: 2.1 }); // same pixel: ignored
    actor.send({ type: 'POINTER_MOVE', x: 4.2, y: 2.9 });
    actor.send({ type: 'POINTER_UP', x: 4.2, y: 2.9 });
    expect(emitted.filter((e) => e.type === 'stroke')).toHaveLength(2);
    expect(edits()).toEqual([
      {
        type: 'edit',
        action: 'brush',
        args: {
          cell: 7,
          points: [
            [1, 2],
            [4, 2],
          ],
          brush_size: 3,
        },
      },
    ]);
    expect(actor.getSnapshot().value).toBe('idle');
  });

  it('erases with the eraser and toggles between the two with X', () => {
    const { actor, edits } = start();
    actor.send({ type: 'SELECT_TOOL', tool: 'brush' });
    actor.send({ type: 'TOGGLE_ERASER' });
    expect(actor.getSnapshot().context.tool).toBe('eraser');
    actor.send(down(0, 0, [2], 2));
    actor.send({ type: 'POINTER_UP', x: 0, y: 0 });
    expect(edits()[0]).toMatchObject({ action: 'erase', args: { cell: 2 } });
    actor.send({ type: 'TOGGLE_ERASER' });
    expect(actor.getSnapshot().context.tool).toBe('brush');
  });

  it('asks for a cell instead of painting nothing', () => {
    const { actor, emitted, edits } = start();
    actor.send({ type: 'SELECT_TOOL', tool: 'brush' });
    actor.send(down(3, 3, [], null));
    expect(edits()).toHaveLength(0);
    expect(emitted[0].type).toBe('notice');
    expect(actor.getSnapshot().value).toBe('idle');
  });

  it('keeps the brush size within limits', () => {
    const { actor } = start();
    actor.send({ type: 'SET_BRUSH_SIZE', size: 1 });
    actor.send({ type: 'BRUSH_SMALLER' });
    expect(actor.getSnapshot().context.brushSize).toBe(1);
    actor.send({ type: 'SET_BRUSH_SIZE', size: 500 });
    actor.send({ type: 'BRUSH_BIGGER' });
    expect(actor.getSnapshot().context.brushSize).toBe(64);
  });

  it('sends a threshold box in either drag direction', () => {
    const { actor, edits } = start();
    actor.send({ type: 'SELECT_TOOL', tool: 'threshold' });
    actor.send(down(10, 12, [], 4));
    actor.send({ type: 'POINTER_MOVE', x: 5, y: 3 });
    expect(actor.getSnapshot().context.boxEnd).toEqual([5, 3]);
    actor.send({ type: 'POINTER_UP', x: 5, y: 3 });
    expect(edits()).toEqual([
      { type: 'edit', action: 'threshold', args: { cell: 4, x1: 5, y1: 3, x2: 10, y2: 12 } },
    ]);
  });

  it('needs two clicks in the same cell for watershed', () => {
    const { actor, emitted, edits } = start();
    actor.send({ type: 'SELECT_TOOL', tool: 'watershed' });
    actor.send(down(1, 1, [5], null));
    expect(actor.getSnapshot().value).toBe('seeded');
    actor.send(down(8, 9, [6], null));
    expect(edits()).toHaveLength(0);
    expect(emitted.at(-1)?.type).toBe('notice');
    actor.send(down(1, 1, [5], null));
    actor.send(down(8, 9, [5, 6], null));
    expect(edits()).toEqual([
      { type: 'edit', action: 'watershed', args: { cell: 5, x1: 1, y1: 1, x2: 8, y2: 9 } },
    ]);
  });

  it('floods and trims at the clicked pixel', () => {
    const { actor, edits } = start();
    actor.send({ type: 'SELECT_TOOL', tool: 'flood' });
    actor.send(down(2.7, 3.1, [], 9));
    actor.send({ type: 'SELECT_TOOL', tool: 'trim' });
    actor.send(down(4, 4, [3, 9], 9));
    expect(edits()).toEqual([
      { type: 'edit', action: 'flood', args: { cell: 9, x: 2, y: 3 } },
      { type: 'edit', action: 'trim', args: { cell: 9, x: 4, y: 4 } },
    ]);
  });

  it('picks cells with the select tool', () => {
    const { actor, emitted } = start();
    actor.send(down(1, 1, [3, 4], null));
    expect(emitted).toEqual([{ type: 'pick', cells: [3, 4] }]);
  });

  it('applies cells tools with Enter, with the other cell and the scope', () => {
    const { actor, edits } = start();
    actor.send({ type: 'SELECT_TOOL', tool: 'swap' });
    actor.send({ type: 'SET_SCOPE', scope: 'all' });
    actor.send(down(1, 1, [2], 1));
    expect(actor.getSnapshot().context.other).toBe(2);
    actor.send({ type: 'APPLY', selected: 1 });
    actor.send({ type: 'SELECT_TOOL', tool: 'delete' });
    actor.send({ type: 'APPLY', selected: 1 });
    // Back to Select: a second Enter deletes nothing more.
    expect(actor.getSnapshot().context.tool).toBe('select');
    actor.send({ type: 'APPLY', selected: 5 });
    expect(edits()).toEqual([
      { type: 'edit', action: 'swap', args: { cell: 1, other_cell: 2, scope: 'all' } },
      { type: 'edit', action: 'delete', args: { cell: 1, scope: 'all' } },
    ]);
  });

  it('runs autofit, shrink and grow on the selected cell', () => {
    const { actor, edits } = start();
    actor.send({ type: 'CELL_ACTION', action: 'grow', selected: 3 });
    actor.send({ type: 'CELL_ACTION', action: 'autofit', selected: null });
    expect(edits()).toEqual([{ type: 'edit', action: 'grow', args: { cell: 3 } }]);
  });
});
