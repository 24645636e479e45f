import { deflateSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import * as api from '../../../src/api/client';
import type { EditResponse } from '../../../src/api/client';
import { acceptEdits, answer, getEditsSince, postEdit, record, projectPerTest } from './harness';

vi.mock('../../../src/api/client', async (original) =>
  (await import('./standIns')).standInApi(original),
);
vi.mock('../../../src/render/renderer', async (original) =>
  (await import('./standIns')).standInRenderer(original),
);

const project = projectPerTest();

/** Another tab made version 6: the next poll brings it. */
function anotherTabEdits(edit: Partial<api.EditRecord>) {
  getEditsSince.mockImplementation(async (_id, version) =>
    version < 6 ? { version: 6, edits: [record(6, edit)] } : { version, edits: [] },
  );
}

describe('edits', () => {
  it('draws a stroke at once and sends it as one edit, the preview going when answered', async () => {
    const { session } = project;
    let reply!: (response: EditResponse) => void;
    postEdit.mockImplementation(() => new Promise((resolve) => (reply = resolve)));
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('B');
    session.pointer.down(...project.canvasPoint(5, 5), 0);
    session.pointer.move(...project.canvasPoint(8, 5));
    session.pointer.up(...project.canvasPoint(8, 5));
    expect(session.preview.pending).toBe(1);
    await vi.waitFor(() => expect(postEdit).toHaveBeenCalledOnce());
    expect(project.sentEdits()[0]).toMatchObject({
      action: 'brush',
      args: {
        cell: 1,
        points: [
          [5, 5],
          [8, 5],
        ],
        brush_size: 5,
      },
      frame: 0,
      feature: 0,
      write_mode: 'exclude',
      base_version: 5,
    });
    reply(answer(6, { can_undo: true, can_redo: false }));
    await project.settled();
    await vi.waitFor(() => expect(session.preview.pending).toBe(0));
  });

  it('gives actions on the raw image the shown channel and a background flood the visible region', async () => {
    const { session } = project;
    acceptEdits();
    session.display.send({ type: 'SET_CHANNEL', channel: 1 });
    session.tools.send({ type: 'SET_WRITE_MODE', mode: 'overwrite' });
    session.edits.send('threshold', { cell: 1, x1: 0, y1: 0, x2: 4, y2: 4 });
    session.edits.send('flood', { cell: 1, x: 3, y: 3 });
    session.edits.send('delete', { cell: 2 });
    await project.settled();
    const [threshold, flood, remove] = project.sentEdits();
    expect(threshold.args).toEqual({ channel: 1, cell: 1, x1: 0, y1: 0, x2: 4, y2: 4 });
    expect(threshold.write_mode).toBe('overwrite');
    expect(flood.args).toEqual({ cell: 1, x: 3, y: 3, region: session.canvas.visibleRegion() });
    expect(remove.args).toEqual({ cell: 2 });
    expect(project.sentEdits().map((e) => e.base_version)).toEqual([5, 6, 7]);
  });

  it('takes the lists, channel names, findings and undo state from an answer', async () => {
    const { session } = project;
    const finding = { kind: 'single_daughter', cell: 1, frames: [1], message: '' };
    postEdit.mockResolvedValue(
      answer(6, {
        edits: [
          record(6, {
            action: 'create_cell_type',
            cellTypes: [
              { id: 1, name: 'T cell', color: '#ff0000', cells: [1], feature: 0 },
              { id: 2, name: 'B cell', color: '#00ff00', cells: [], feature: 0 },
            ],
            divisions: [{ parent: 1, daughters: [2], t: 1 }],
            channelNames: ['Nuclei', 'Membrane'],
          }),
        ],
        findings: [finding],
        can_undo: false,
        can_redo: true,
      }),
    );
    session.edits.send('create_cell_type', { name: 'B cell', color: '#00ff00', feature: 0 });
    await project.settled();
    const annotations = session.annotations.getSnapshot().context;
    expect(annotations.cellTypes.map((t) => t.name)).toEqual(['T cell', 'B cell']);
    expect(annotations.divisions).toHaveLength(1);
    expect(annotations.findings).toEqual([finding]);
    expect(session.display.getSnapshot().context.channels.map((c) => c.name)).toEqual([
      'Nuclei',
      'Membrane',
    ]);
    expect(session.undo.getSnapshot().context).toEqual({ canUndo: false, canRedo: true });
  });

  it('says when an edit is refused, and that a stroke was undone on screen', async () => {
    const { session } = project;
    postEdit.mockRejectedValue(new api.ApiError('No such cell', 400));
    session.edits.send('delete', { cell: 9 });
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('B');
    project.click(5, 5);
    await project.settled();
    expect(project.notices()).toEqual([
      'delete was refused: No such cell',
      'brush failed and was undone on screen: No such cell',
    ]);
    await vi.waitFor(() => expect(session.preview.pending).toBe(0));
  });

  it('writes another tab’s edits into the label copy and guesses undo from them', async () => {
    const { session } = project;
    session.undo.send({ type: 'SERVER_STATE', canUndo: false, canRedo: false });
    const values = new Int32Array([7, 7, 7, 7]);
    const data = deflateSync(Buffer.from(values.buffer)).toString('base64');
    anotherTabEdits({
      patches: [{ feature: 0, frame: 0, x: 2, y: 3, width: 2, height: 2, data }],
      cells: [{ t: 0, c: 0, value: 7, cells: [7] }],
    });
    await vi.waitFor(() => expect(session.store.valueAt(0, 0, 3, 4)).toBe(7), { timeout: 3000 });
    expect(session.pointer.cellsAt(2, 3)).toEqual([7]);
    expect(session.undo.getSnapshot().context.canUndo).toBe(true);
    expect(session.annotations.getSnapshot().context.cellsVersion).toBe(1);
  });

  it('reads a relabelling sent as two arrays, and counts it in the propagate message', async () => {
    const { session } = project;
    anotherTabEdits({ relabels: [{ t: 0, c: 0, values: [1], cells: [8] }] });
    await vi.waitFor(() => expect(session.pointer.cellsAt(5, 5)).toEqual([8]), { timeout: 3000 });
    expect(session.annotations.getSnapshot().context.cellsVersion).toBe(1);
    postEdit.mockImplementation(async (_id, edit) =>
      answer(edit.base_version + 1, {
        edits: [
          record(edit.base_version + 1, {
            action: 'propagate',
            relabels: [{ t: 1, c: 0, values: [2, 3, 4], cells: [5, 6, 7] }],
          }),
        ],
      }),
    );
    session.edits.send('propagate', { from_frame: 0, to_frame: 1 });
    await project.settled();
    expect(project.notices()).toContain('Matched frame 2 to frame 1: 3 cells took the ids there.');
  });

  it('tells a patch it cannot read', async () => {
    const { session } = project;
    anotherTabEdits({
      patches: [{ feature: 0, frame: 0, x: 0, y: 0, width: 2, height: 2, data: 'AAAA' }],
    });
    await vi.waitFor(() => expect(project.notices()).toHaveLength(1), { timeout: 3000 });
    expect(project.notices()[0]).toMatch(/^Could not read an update from the server: /);
    expect(session.store.valueAt(0, 0, 0, 0)).toBe(1);
  });

  it('sends undo and redo through the queue only when the server allows them', async () => {
    const { session } = project;
    vi.mocked(api.undo).mockResolvedValue(answer(6, { can_undo: false, can_redo: true }));
    vi.mocked(api.redo).mockResolvedValue(answer(7, { can_undo: true, can_redo: false }));
    session.keys.down('Mod+Z');
    await project.settled();
    expect(api.undo).toHaveBeenCalledWith('p', 5);
    session.keys.down('Mod+Z');
    await project.settled();
    expect(api.undo).toHaveBeenCalledOnce();
    session.keys.down('Mod+Shift+Z');
    await project.settled();
    expect(api.redo).toHaveBeenCalledWith('p', 6);
  });

  it('renames a channel only when the name changes', async () => {
    const { session } = project;
    acceptEdits();
    session.edits.renameChannel(0, ' DNA ');
    session.edits.renameChannel(0, '  ');
    session.edits.renameChannel(0, ' Nuclei ');
    await project.settled();
    expect(project.sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['rename_channel', { channel: 0, name: 'Nuclei' }],
    ]);
  });
});
