import { describe, expect, it, vi } from 'vitest';
import * as api from '../../../src/api/client';
import { openProject } from '../../../src/session';
import { projectMetadata, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

projectPerTest(); // the server and renderer stood in, a fresh start per test
const reportViewing = vi.mocked(api.reportViewing);
const leaveProject = vi.mocked(api.leaveProject);

describe('viewers', () => {
  it('reports the shown frame, at once when it changes', async () => {
    reportViewing.mockResolvedValue({ viewers: [], stale_seconds: 10 });
    const session = openProject(projectMetadata());
    await vi.waitFor(() => expect(reportViewing).toHaveBeenCalledWith('p', 0, 0));
    await vi.waitFor(() => expect(session.viewers.getSnapshot().matches('waiting')).toBe(true));
    session.display.send({ type: 'SET_FRAME', frame: 1 });
    // Well before the next beat (2 s).
    await vi.waitFor(() => expect(reportViewing).toHaveBeenCalledWith('p', 1, 0), {
      timeout: 500,
    });
    session.dispose();
  });

  it('leaves when the project is closed', () => {
    const session = openProject(projectMetadata());
    expect(leaveProject).not.toHaveBeenCalled();
    session.dispose();
    expect(leaveProject).toHaveBeenLastCalledWith('p');
  });
});
