import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import {
  TYPE_COLORS,
  addCellsEdit,
  moveType,
  nextTypeColor,
  typeDisplayMachine,
  typeEdits,
  typeOpacity,
} from '../../src/machines/cellTypes';
import { editForPick, pickerMachine } from '../../src/machines/picker';
import { buildTypeLookup } from '../../src/render/lookup';

const tcell = { id: 1, name: 'T cell', color: '#ff0000', cells: [1, 5], feature: 0 };
const bcell = { id: 2, name: 'B cell', color: '#0000ff', cells: [5, 7], feature: 0 };

describe('cell type actions', () => {
  it('make the edit bodies of the API', () => {
    expect(typeEdits.create(' Tumour ', '#00ff00', 1)).toEqual({
      action: 'create_cell_type',
      args: { name: 'Tumour', color: '#00ff00', feature: 1 },
    });
    expect(typeEdits.rename(3, 'Macrophage')).toEqual({
      action: 'rename_cell_type',
      args: { id: 3, name: 'Macrophage' },
    });
    expect(typeEdits.recolor(3, '#123456')).toEqual({
      action: 'recolor_cell_type',
      args: { id: 3, color: '#123456' },
    });
    expect(typeEdits.remove(3)).toEqual({ action: 'delete_cell_type', args: { id: 3 } });
    expect(typeEdits.addCell(3, 9)).toEqual({
      action: 'add_to_cell_type',
      args: { id: 3, cell: 9 },
    });
    expect(typeEdits.removeCell(3, 9)).toEqual({
      action: 'remove_from_cell_type',
      args: { id: 3, cell: 9 },
    });
  });

  it('reorder by moving one type up or down', () => {
    expect(moveType([tcell, bcell], 2, -1)).toEqual({
      action: 'reorder_cell_types',
      args: { order: [2, 1] },
    });
    expect(moveType([tcell, bcell], 1, 1)?.args).toEqual({ order: [2, 1] });
    expect(moveType([tcell, bcell], 1, -1)).toBeNull();
    expect(moveType([tcell, bcell], 2, 1)).toBeNull();
  });

  it('add several cells in one edit: only those not yet in the type, once each', () => {
    expect(addCellsEdit(tcell, [8, 5, 6, 6])).toEqual({
      action: 'add_to_cell_type',
      args: { id: 1, cells: [6, 8] },
    });
    expect(addCellsEdit(tcell, [5, 1, 5])).toBeNull();
    expect(addCellsEdit(tcell, [])).toBeNull();
  });

  it('picks a free colour for a new type', () => {
    expect(nextTypeColor([])).toBe(TYPE_COLORS[0]);
    expect(nextTypeColor([{ ...tcell, color: TYPE_COLORS[0].toUpperCase() }])).toBe(TYPE_COLORS[1]);
  });

  it('clicking a cell puts it in the chosen type, clicking again takes it out', () => {
    const actor = createActor(pickerMachine).start();
    const picked: number[] = [];
    actor.on('picked', (e) => picked.push(e.cell));
    actor.send({ type: 'START', purpose: { kind: 'cellType', id: 1 } });
    actor.send({ type: 'CLICK', cells: [9], cycle: false });
    actor.send({ type: 'CLICK', cells: [5], cycle: false });
    expect(picked).toEqual([9, 5]);
    expect(actor.getSnapshot().context.purpose).toEqual({ kind: 'cellType', id: 1 });
    expect(editForPick({ kind: 'cellType', id: 1 }, 9, [tcell])?.action).toBe('add_to_cell_type');
    expect(editForPick({ kind: 'cellType', id: 1 }, 5, [tcell])?.action).toBe(
      'remove_from_cell_type',
    );
    expect(editForPick({ kind: 'cellType', id: 4 }, 5, [tcell])).toBeNull();
  });

  it('hides types and sets their opacity in the browser only', () => {
    const actor = createActor(typeDisplayMachine).start();
    actor.send({ type: 'SET_OPACITY', id: 1, opacity: 0.3 });
    expect(typeOpacity(actor.getSnapshot().context, 1)).toBe(0.3);
    expect(typeOpacity(actor.getSnapshot().context, 2)).toBe(0.6);
    actor.send({ type: 'TOGGLE_HIDDEN', id: 1 });
    expect(typeOpacity(actor.getSnapshot().context, 1)).toBe(0);
    actor.send({ type: 'TOGGLE_HIDDEN', id: 1 });
    actor.send({ type: 'TOGGLE_OVERLAY' });
    expect(typeOpacity(actor.getSnapshot().context, 1)).toBe(0);
  });

  it('colour each value by the first listed type of its cells', () => {
    // Value 9 encodes cells 5 and 7 (overlap); value 7 is cell 7; value 3 is in no type.
    const valueCells = new Map([[9, [7, 5]]]);
    const lookup = buildTypeLookup(valueCells, 9, [
      { cells: tcell.cells, color: tcell.color, opacity: 1 },
      { cells: bcell.cells, color: bcell.color, opacity: 0.5 },
    ]);
    const at = (v: number) => [...lookup.data.slice(v * 4, v * 4 + 4)];
    expect(at(1)).toEqual([255, 0, 0, 255]);
    expect(at(5)).toEqual([255, 0, 0, 255]);
    expect(at(7)).toEqual([0, 0, 255, 128]);
    expect(at(9)).toEqual([0, 0, 255, 128]);
    expect(at(3)).toEqual([0, 0, 0, 0]);
  });
});
