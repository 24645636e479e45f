import { describe, expect, it, vi } from 'vitest';
import { projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

describe('keys', () => {
  it('runs the action of a bound key and says whether the key was the project’s', () => {
    const { session } = project;
    expect(session.keys.down('B')).toBe(true);
    expect(session.tools.getSnapshot().context.tool).toBe('brush');
    expect(session.keys.down('Shift+F12')).toBe(false);
  });

  it('gives up a comment about to be pinned with Escape, before the selection', () => {
    const { session } = project;
    const { keys } = session;
    keys.down(']');
    session.comments.send({ type: 'PLACE' });
    keys.down('Escape');
    expect(session.comments.getSnapshot().context.placing).toBe(false);
    expect(project.selected()).toBe(1);
    keys.down('Escape');
    expect(project.selected()).toBe(null);
  });

  it('hands help and the review keys to the page', () => {
    const { keys } = project.session;
    const help = vi.fn();
    const next = vi.fn();
    keys.onHelp = help;
    keys.pageHandlers = { nextProject: next };
    keys.down('?');
    keys.down('Shift+ArrowRight');
    keys.down('Shift+ArrowLeft');
    expect(help).toHaveBeenCalledOnce();
    expect(next).toHaveBeenCalledOnce();
  });

  it('steps through cells and picks a new id past the largest', () => {
    const { keys } = project.session;
    keys.down(']');
    expect(project.selected()).toBe(1);
    keys.down('[');
    expect(project.selected()).toBe(3);
    keys.down('N');
    expect(project.selected()).toBe(4);
    keys.down('Escape');
    expect(project.selected()).toBeNull();
  });

  it('changes frames and views', () => {
    const { session } = project;
    session.keys.down('D');
    expect(session.display.getSnapshot().context.frame).toBe(1);
    const zoom = session.viewport.getSnapshot().context.zoom;
    session.keys.down('=');
    expect(session.viewport.getSnapshot().context.zoom).toBeGreaterThan(zoom);
  });

  it('cancels a panel’s picking before the selection and the tool', () => {
    const { session } = project;
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('Y');
    session.keys.down('Escape');
    expect(session.picker.getSnapshot().context.purpose).toBeNull();
    expect(project.selected()).toBe(1);
    session.keys.down('Escape');
    expect(project.selected()).toBeNull();
  });
});
