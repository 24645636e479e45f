import { describe, expect, it, vi } from 'vitest';
import * as api from '../../../src/api/client';
import { acceptEdits, answer, postEdit, projectPerTest, record } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();
const box = { feature: 0, frame: 1, x: 30, y: 20, width: 6, height: 4, data: '' };

describe('history', () => {
  it('lists the edits the app receives, newest first, with their author', async () => {
    const { session } = project;
    acceptEdits();
    postEdit.mockImplementationOnce(async (_id, edit) =>
      answer(edit.base_version + 1, {
        edits: [record(edit.base_version + 1, { author: 'alice', patches: [box] })],
      }),
    );
    session.edits.send('grow', { cell: 1 });
    await project.settled();
    await vi.waitFor(() => expect(session.history.getSnapshot().context.entries).toHaveLength(1));
    const [entry] = session.history.getSnapshot().context.entries;
    expect(entry).toMatchObject({ version: 6, author: 'alice', state: 'applied' });
    expect(vi.mocked(api.getHistory)).toHaveBeenCalledWith('p', null);
  });

  it('jumps to the frame of an entry, brings its pixels into view and highlights them', () => {
    const { session } = project;
    session.viewport.send({ type: 'ZOOM_IN' });
    session.viewport.send({ type: 'ZOOM_IN' });
    session.viewport.send({ type: 'PAN', dx: 2000, dy: 2000 }); // far from the box
    session.history.send({
      type: 'RECORDS',
      records: [record(6, { author: 'bob', frame: 1, patches: [box] })],
    });
    session.historyPanel.jump(session.history.getSnapshot().context.entries[0]);
    expect(session.display.getSnapshot().context.frame).toBe(1);
    const view = session.viewport.getSnapshot().context;
    const centre = [
      view.x + view.canvasWidth / view.zoom / 2,
      view.y + view.canvasHeight / view.zoom / 2,
    ];
    expect(centre[0]).toBeCloseTo(33);
    expect(centre[1]).toBeCloseTo(22);
    expect(session.history.getSnapshot().context.highlighted?.version).toBe(6);
  });
});
