import { beforeEach, describe, expect, it, vi } from 'vitest';
import { acceptEdits, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

describe('picking cells for a panel', () => {
  beforeEach(acceptEdits);

  it('picks on a click instead of using the tool, and Shift+click cycles without picking', async () => {
    const { session } = project;
    session.keys.down('B');
    session.typeDisplay.send({ type: 'SET_ACTIVE', id: 1 });
    session.picking.start({ kind: 'cellType', id: 1 });
    expect(session.picking.active).toBe(true);
    project.click(30, 5, true);
    expect(session.preview.pending).toBe(0);
    project.click(30, 5);
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['add_to_cell_type', { id: 1, cell: 2 }],
    ]);
  });

  it('stops when started again for the same purpose, or cancelled', () => {
    const { picking } = project.session;
    picking.start({ kind: 'cellType', id: 1 });
    picking.start({ kind: 'cellType', id: 1 });
    expect(picking.active).toBe(false);
    picking.start({ kind: 'addDaughter', parent: 1 });
    picking.start({ kind: 'cellType', id: 1 });
    expect(project.session.picker.getSnapshot().context.purpose).toEqual({
      kind: 'cellType',
      id: 1,
    });
    picking.cancel();
    expect(picking.active).toBe(false);
  });
});
