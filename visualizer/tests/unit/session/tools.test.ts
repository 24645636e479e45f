import { describe, expect, it, vi } from 'vitest';
import { acceptEdits, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

describe('what the tools’ output does', () => {
  it('tells a hint as a notice', () => {
    project.session.keys.down('M');
    expect(project.notices()).toEqual([
      'Select a cell first (click one, or press N for a new cell).',
    ]);
  });

  it('queues an edit the tool makes', async () => {
    acceptEdits();
    project.session.selection.send({ type: 'SELECT', cell: 2 });
    project.session.keys.down('Q');
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([['shrink', { cell: 2 }]]);
  });

  it('selects the cell the select tool picks, cycling through overlaps', () => {
    const { session } = project;
    session.store.applyCellChanges([{ t: 0, c: 0, value: 1, cells: [1, 5] }]);
    project.click(5, 5);
    expect(project.selected()).toBe(1);
    project.click(5, 5);
    expect(project.selected()).toBe(5);
  });
});
