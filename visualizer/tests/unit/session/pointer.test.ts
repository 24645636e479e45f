import { describe, expect, it, vi } from 'vitest';
import { projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

describe('pointer', () => {
  it('picks the cell under a click with the select tool and shows what is hovered', () => {
    const { session } = project;
    project.click(5, 5);
    expect(project.selected()).toBe(1);
    project.click(30, 5);
    expect(project.selected()).toBe(2);
    session.pointer.move(...project.canvasPoint(5, 5));
    expect(session.selection.getSnapshot().context.hovering).toEqual([1]);
    session.pointer.leave();
    expect(session.selection.getSnapshot().context.hovering).toEqual([]);
  });

  it('pans on a drag with the select tool and does not pick', () => {
    const { session } = project;
    const before = session.viewport.getSnapshot().context;
    session.pointer.down(100, 100, 0);
    session.pointer.move(120, 110);
    session.pointer.up(120, 110);
    const after = session.viewport.getSnapshot().context;
    expect(after.x).toBeCloseTo(before.x - 20 / before.zoom);
    expect(after.y).toBeCloseTo(before.y - 10 / before.zoom);
    expect(project.selected()).toBeNull();
  });

  it('pans instead of painting while Space is held, and with the middle button', () => {
    const { session } = project;
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('B');
    session.keys.down('Space');
    const before = session.viewport.getSnapshot().context.x;
    session.pointer.down(100, 100, 0);
    session.pointer.move(130, 100);
    session.pointer.up(130, 100);
    expect(session.viewport.getSnapshot().context.x).not.toBe(before);
    expect(session.preview.pending).toBe(0);
    session.keys.up('Space');
    session.pointer.down(100, 100, 1);
    session.pointer.up(100, 100);
    expect(session.preview.pending).toBe(0);
    session.pointer.down(100, 100, 0);
    expect(session.preview.pending).toBe(1);
  });

  it('zooms with the wheel about the pointer', () => {
    const { session } = project;
    const zoom = session.viewport.getSnapshot().context.zoom;
    session.pointer.wheel(10, 10, -100);
    expect(session.viewport.getSnapshot().context.zoom).toBeGreaterThan(zoom);
  });
});
