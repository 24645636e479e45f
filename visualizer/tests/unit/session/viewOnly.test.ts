import { describe, expect, it, vi } from 'vitest';
import { openProject } from '../../../src/session';
import { VIEW_ONLY } from '../../../src/session/edits';
import { acceptEdits, postEdit, projectMetadata, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

describe('a viewer’s session', () => {
  it('sends no stroke or edit, draws nothing, and says why', async () => {
    project.session.dispose();
    const session = openProject({ ...projectMetadata(), role: 'viewer' });
    session.viewport.send({ type: 'RESIZE', width: 400, height: 300 });
    project.session = session;
    acceptEdits();
    expect(session.readOnly).toBe(true);
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('B');
    session.pointer.down(...project.canvasPoint(5, 5), 0);
    session.pointer.move(...project.canvasPoint(8, 5));
    session.pointer.up(...project.canvasPoint(8, 5));
    expect(session.preview.pending).toBe(0);
    session.edits.send('delete', { cell: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(postEdit).not.toHaveBeenCalled();
    const notices = session.notices.getSnapshot().context.notices;
    expect(notices.map((n) => n.message)).toContain(VIEW_ONLY);
  });

  it('is not the case for annotators, reviewers and owners', () => {
    for (const role of ['annotator', 'reviewer', 'owner'] as const) {
      const session = openProject({ ...projectMetadata(), role });
      expect(session.readOnly).toBe(false);
      session.dispose();
    }
    expect(project.session.readOnly).toBe(false); // no role known: the server decides
  });
});
