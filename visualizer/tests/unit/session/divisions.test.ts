import { describe, expect, it, vi } from 'vitest';
import { acceptEdits, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

describe('divisions', () => {
  it('adds the daughter clicked on to the selected parent', async () => {
    const { session } = project;
    acceptEdits();
    session.keys.down('Y');
    expect(project.notices()).toEqual(['Select the parent cell first.']);
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('Y');
    expect(session.picker.getSnapshot().context.purpose).toEqual({
      kind: 'addDaughter',
      parent: 1,
    });
    project.click(30, 5);
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['add_daughter', { parent: 1, daughter: 2 }],
    ]);
    expect(session.picker.getSnapshot().context.purpose).toBeNull();
    expect(project.selected()).toBe(1);
  });

  it('removes a daughter', async () => {
    acceptEdits();
    project.session.divisions.removeDaughter(1, 2);
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['remove_daughter', { parent: 1, daughter: 2 }],
    ]);
  });

  it('jumps from finding to finding, or says there are none', () => {
    const { session } = project;
    session.keys.down('J');
    expect(project.notices()).toEqual(['No problems found in the divisions.']);
    session.annotations.send({
      type: 'FINDINGS',
      findings: [
        { kind: 'single_daughter', cell: 3, frames: [1], message: '' },
        { kind: 'parent_after_division', cell: 2, frames: [0, 1], message: '' },
      ],
    });
    session.keys.down('J');
    expect(session.display.getSnapshot().context.frame).toBe(1);
    expect(project.selected()).toBe(3);
    session.keys.down('J');
    expect(session.display.getSnapshot().context.frame).toBe(0);
    expect(project.selected()).toBe(2);
  });

  it('shows a frame, and selects a cell when one is given', () => {
    const { session } = project;
    session.divisions.jumpTo(1, 3);
    session.divisions.jumpTo(0, null);
    expect(session.display.getSnapshot().context.frame).toBe(0);
    expect(project.selected()).toBe(3);
  });
});
