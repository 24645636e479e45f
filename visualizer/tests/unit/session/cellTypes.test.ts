import { beforeEach, describe, expect, it, vi } from 'vitest';
import { typeEdits } from '../../../src/machines/cellTypes';
import { acceptEdits, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

describe('cell types in a session', () => {
  beforeEach(acceptEdits);

  it('puts clicked cells in the active type or takes them out, until Escape', async () => {
    const { session } = project;
    session.keys.down('U');
    expect(project.notices()).toEqual(['Choose a cell type in the Cell types panel first.']);
    session.typeDisplay.send({ type: 'SET_ACTIVE', id: 1 });
    session.keys.down('U');
    project.click(5, 5);
    project.click(30, 5);
    await project.settled();
    expect(project.sentEdits().map((e) => e.action)).toEqual([
      'remove_from_cell_type',
      'add_to_cell_type',
    ]);
    session.keys.down('Escape');
    expect(session.picking.active).toBe(false);
  });

  it('adds several cells to a type in one edit and says how many', async () => {
    const { cellTypes } = project.session;
    cellTypes.addCells(1, [1, 2, 3, 2]);
    cellTypes.addCells(1, [1]);
    cellTypes.addCells(99, [1]);
    await project.settled();
    expect(project.sentEdits().map((e) => e.args)).toEqual([{ id: 1, cells: [2, 3] }]);
    expect(project.notices()).toEqual([
      'Added 2 cells to T cell.',
      'The selected cells are already of type T cell.',
    ]);
  });

  it('creates a type of the shown feature in a colour no type has', async () => {
    const { cellTypes } = project.session;
    cellTypes.create('  ');
    cellTypes.create(' B cell ');
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['create_cell_type', { name: 'B cell', color: '#e6194b', feature: 0 }],
    ]);
  });

  it('sends a type edit, and nothing for none', async () => {
    const { cellTypes } = project.session;
    cellTypes.edit(null);
    cellTypes.edit(typeEdits.rename(1, 'Killer T cell'));
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['rename_cell_type', { id: 1, name: 'Killer T cell' }],
    ]);
  });

  it('makes a type just created the active one', () => {
    const { session } = project;
    session.annotations.send({
      type: 'RECORDS',
      records: [
        {
          divisions: null,
          cells: [],
          cellTypes: [
            { id: 1, name: 'T cell', color: '#ff0000', cells: [1], feature: 0 },
            { id: 2, name: 'B cell', color: '#00ff00', cells: [], feature: 0 },
          ],
        },
      ],
    });
    expect(session.typeDisplay.getSnapshot().context.active).toBe(2);
    session.typeDisplay.send({ type: 'SET_ACTIVE', id: 1 });
    session.annotations.send({
      type: 'RECORDS',
      records: [
        {
          divisions: null,
          cells: [],
          cellTypes: [{ id: 1, name: 'T cell', color: '#ff0000', cells: [1, 2], feature: 0 }],
        },
      ],
    });
    expect(session.typeDisplay.getSnapshot().context.active).toBe(1);
  });
});
