// One open project end to end, without a browser: the server calls and the WebGL renderer are
// stand-ins, everything between them (actors and the session's wiring) is the real code.
import { deflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as api from '../../src/api/client';
import type { EditResponse, ProjectMetadata } from '../../src/api/client';
import { openProject, type ProjectSession } from '../../src/session';

const { FakeRenderer } = vi.hoisted(() => {
  /** Records what the session asks of the renderer. */
  class FakeRenderer {
    calls: { name: string; args: unknown[] }[] = [];
    scene: unknown = null;
    onDraw: (() => void) | null = null;
    tileTextureBytes = 0;
    constructor(readonly canvas: unknown) {}
    named(name: string) {
      return this.calls.filter((c) => c.name === name).map((c) => c.args);
    }
    last(name: string) {
      return this.named(name).at(-1)?.[0];
    }
    releaseTile() {}
  }
  const recorded = [
    'setImageSize',
    'setLookup',
    'setTypeLookup',
    'setDisplay',
    'setView',
    'setCursors',
    'updateOverlay',
    'render',
    'requestRender',
    'dispose',
  ];
  for (const name of recorded) {
    Object.defineProperty(FakeRenderer.prototype, name, {
      value(this: FakeRenderer, ...args: unknown[]) {
        this.calls.push({ name, args });
      },
    });
  }
  return { FakeRenderer };
});

vi.mock('../../src/render/renderer', async (original) => ({
  ...(await original<typeof import('../../src/render/renderer')>()),
  Renderer: FakeRenderer,
}));

vi.mock('../../src/api/client', async (original) => {
  const actual = await original<typeof import('../../src/api/client')>();
  const never = () => new Promise<never>(() => undefined);
  return {
    ...actual,
    postEdit: vi.fn(),
    undo: vi.fn(),
    redo: vi.fn(),
    getEditsSince: vi.fn(),
    getSpots: vi.fn(),
    getRawTile: vi.fn(never),
    getLabelTile: vi.fn(never),
    submitProject: vi.fn(),
    downloadExport: vi.fn(),
  };
});

const postEdit = vi.mocked(api.postEdit);
const getEditsSince = vi.mocked(api.getEditsSince);

const WIDTH = 40;
const HEIGHT = 30;

function projectMetadata(): ProjectMetadata {
  return {
    id: 'p',
    name: 'cells',
    frames: 2,
    height: HEIGHT,
    width: WIDTH,
    channels: 2,
    features: 1,
    dtype: 'uint8',
    channel_names: ['DNA', 'Membrane'],
    feature_names: ['nuclear'],
    version: 5,
    cells: [
      { value: 1, cell: 1, t: 0 },
      { value: 2, cell: 2, t: 0 },
      { value: 3, cell: 3, t: 1 },
    ],
    divisions: [],
    cellTypes: [{ id: 1, name: 'T cell', color: '#ff0000', cells: [1], feature: 0 }],
    findings: [],
    can_undo: true,
    can_redo: false,
  };
}

const record = (version: number, extra: Partial<api.EditRecord> = {}): api.EditRecord => ({
  version,
  action: 'brush',
  kind: 'edit',
  patches: [],
  cells: [],
  divisions: null,
  cellTypes: null,
  ...extra,
});

const answer = (version: number, extra: Partial<EditResponse> = {}): EditResponse => ({
  version,
  edits: [record(version)],
  can_undo: true,
  can_redo: false,
  ...extra,
});

let session: ProjectSession;

/** Cell 1 on the left half of frame 0, cell 2 on the right half. */
function loadLabels() {
  const data = new Int32Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) data[y * WIDTH + x] = x < 20 ? 1 : 2;
  const store = session.store;
  store.put(
    0,
    0,
    { level: 0, ty: 0, tx: 0 },
    { data, width: WIDTH, height: HEIGHT, etag: null },
    store.beginFetch(),
    () => undefined,
  );
}

/** The canvas point over an image point. */
function canvasPoint(x: number, y: number): [number, number] {
  const view = session.viewport.getSnapshot().context;
  return [(x - view.x) * view.zoom, (y - view.y) * view.zoom];
}

function click(x: number, y: number, shift = false) {
  session.pointer.down(...canvasPoint(x, y), 0);
  session.pointer.up(...canvasPoint(x, y), shift);
}

const notices = () => session.notices.getSnapshot().context.notices.map((n) => n.message);
const selected = () => session.selection.getSnapshot().context.selected;
const sentEdits = () => postEdit.mock.calls.map(([, edit]) => edit);
const settled = () =>
  vi.waitFor(() => {
    const queue = session.editQueue.getSnapshot();
    expect(queue.context.queue).toHaveLength(0);
    expect(queue.matches('sending')).toBe(false);
  });

beforeEach(() => {
  vi.stubGlobal('window', { devicePixelRatio: 1 });
  postEdit.mockReset();
  getEditsSince.mockReset();
  getEditsSince.mockImplementation(async (_id, version) => ({ version, edits: [] }));
  session = openProject(projectMetadata());
  session.viewport.send({ type: 'RESIZE', width: 400, height: 300 });
  loadLabels();
});

afterEach(() => {
  session.dispose();
  vi.unstubAllGlobals();
});

describe('keys', () => {
  it('runs the action of a bound key and says whether the key was the project’s', () => {
    expect(session.keys.down('B')).toBe(true);
    expect(session.tools.getSnapshot().context.tool).toBe('brush');
    expect(session.keys.down('Shift+F12')).toBe(false);
  });

  it('hands help and the review keys to the page', () => {
    const help = vi.fn();
    const next = vi.fn();
    session.keys.onHelp = help;
    session.keys.pageHandlers = { nextProject: next };
    session.keys.down('?');
    session.keys.down('Shift+ArrowRight');
    session.keys.down('Shift+ArrowLeft');
    expect(help).toHaveBeenCalledOnce();
    expect(next).toHaveBeenCalledOnce();
  });

  it('steps through cells and picks a new id past the largest', () => {
    session.keys.down(']');
    expect(selected()).toBe(1);
    session.keys.down('[');
    expect(selected()).toBe(3);
    session.keys.down('N');
    expect(selected()).toBe(4);
    session.keys.down('Escape');
    expect(selected()).toBeNull();
  });

  it('changes frames and views', () => {
    session.keys.down('D');
    expect(session.display.getSnapshot().context.frame).toBe(1);
    const zoom = session.viewport.getSnapshot().context.zoom;
    session.keys.down('=');
    expect(session.viewport.getSnapshot().context.zoom).toBeGreaterThan(zoom);
  });
});

describe('pointer', () => {
  it('picks the cell under a click with the select tool and shows what is hovered', () => {
    click(5, 5);
    expect(selected()).toBe(1);
    click(30, 5);
    expect(selected()).toBe(2);
    session.pointer.move(...canvasPoint(5, 5));
    expect(session.selection.getSnapshot().context.hovering).toEqual([1]);
    session.pointer.leave();
    expect(session.selection.getSnapshot().context.hovering).toEqual([]);
  });

  it('pans on a drag with the select tool and does not pick', () => {
    const before = session.viewport.getSnapshot().context;
    session.pointer.down(100, 100, 0);
    session.pointer.move(120, 110);
    session.pointer.up(120, 110);
    const after = session.viewport.getSnapshot().context;
    expect(after.x).toBeCloseTo(before.x - 20 / before.zoom);
    expect(after.y).toBeCloseTo(before.y - 10 / before.zoom);
    expect(selected()).toBeNull();
  });

  it('pans instead of painting while Space is held', () => {
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
    session.pointer.down(100, 100, 0);
    expect(session.preview.pending).toBe(1);
  });

  it('zooms with the wheel about the pointer', () => {
    const zoom = session.viewport.getSnapshot().context.zoom;
    session.pointer.wheel(10, 10, -100);
    expect(session.viewport.getSnapshot().context.zoom).toBeGreaterThan(zoom);
  });
});

describe('edits', () => {
  it('draws a stroke at once and sends it as one edit, the preview going when answered', async () => {
    let reply!: (response: EditResponse) => void;
    postEdit.mockImplementation(() => new Promise((resolve) => (reply = resolve)));
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('B');
    session.pointer.down(...canvasPoint(5, 5), 0);
    session.pointer.move(...canvasPoint(8, 5));
    session.pointer.up(...canvasPoint(8, 5));
    expect(session.preview.pending).toBe(1);
    await vi.waitFor(() => expect(postEdit).toHaveBeenCalledOnce());
    expect(sentEdits()[0]).toMatchObject({
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
    await settled();
    await vi.waitFor(() => expect(session.preview.pending).toBe(0));
  });

  it('gives actions on the raw image the shown channel and a background flood the visible region', async () => {
    postEdit.mockImplementation(async (_id, edit) => answer(edit.base_version + 1));
    session.display.send({ type: 'SET_CHANNEL', channel: 1 });
    session.tools.send({ type: 'SET_WRITE_MODE', mode: 'overwrite' });
    session.edits.send('threshold', { cell: 1, x1: 0, y1: 0, x2: 4, y2: 4 });
    session.edits.send('flood', { cell: 1, x: 3, y: 3 });
    session.edits.send('delete', { cell: 2 });
    await settled();
    const [threshold, flood, remove] = sentEdits();
    expect(threshold.args).toEqual({ channel: 1, cell: 1, x1: 0, y1: 0, x2: 4, y2: 4 });
    expect(threshold.write_mode).toBe('overwrite');
    expect(flood.args).toEqual({ cell: 1, x: 3, y: 3, region: session.canvas.visibleRegion() });
    expect(remove.args).toEqual({ cell: 2 });
    expect(sentEdits().map((e) => e.base_version)).toEqual([5, 6, 7]);
  });

  it('takes the lists, channel names, findings and undo state from an answer', async () => {
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
    await settled();
    const annotations = session.annotations.getSnapshot().context;
    expect(annotations.cellTypes.map((t) => t.name)).toEqual(['T cell', 'B cell']);
    expect(annotations.divisions).toHaveLength(1);
    expect(annotations.findings).toEqual([finding]);
    expect(session.display.getSnapshot().context.channels.map((c) => c.name)).toEqual([
      'Nuclei',
      'Membrane',
    ]);
    expect(session.undo.getSnapshot().context).toEqual({ canUndo: false, canRedo: true });
    // A type just created becomes the one the panel works on.
    expect(session.typeDisplay.getSnapshot().context.active).toBe(2);
  });

  it('says when an edit is refused, and that a stroke was undone on screen', async () => {
    postEdit.mockRejectedValue(new api.ApiError('No such cell', 400));
    session.edits.send('delete', { cell: 9 });
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('B');
    click(5, 5);
    await settled();
    expect(notices()).toEqual([
      'delete was refused: No such cell',
      'brush failed and was undone on screen: No such cell',
    ]);
    await vi.waitFor(() => expect(session.preview.pending).toBe(0));
  });

  it('writes another tab’s edits into the label copy and guesses undo from them', async () => {
    session.undo.send({ type: 'SERVER_STATE', canUndo: false, canRedo: false });
    const values = new Int32Array([7, 7, 7, 7]);
    const data = deflateSync(Buffer.from(values.buffer)).toString('base64');
    getEditsSince.mockImplementation(async (_id, version) =>
      version < 6
        ? {
            version: 6,
            edits: [
              record(6, {
                patches: [{ feature: 0, frame: 0, x: 2, y: 3, width: 2, height: 2, data }],
                cells: [{ t: 0, c: 0, value: 7, cells: [7] }],
              }),
            ],
          }
        : { version, edits: [] },
    );
    await vi.waitFor(() => expect(session.store.valueAt(0, 0, 3, 4)).toBe(7), { timeout: 3000 });
    expect(session.pointer.cellsAt(2, 3)).toEqual([7]);
    expect(session.undo.getSnapshot().context.canUndo).toBe(true);
    expect(session.annotations.getSnapshot().context.cellsVersion).toBe(1);
  });

  it('sends undo and redo through the queue only when the server allows them', async () => {
    vi.mocked(api.undo).mockResolvedValue(answer(6, { can_undo: false, can_redo: true }));
    session.keys.down('Mod+Z');
    await settled();
    expect(api.undo).toHaveBeenCalledWith('p', 5);
    session.keys.down('Mod+Z');
    await settled();
    expect(api.undo).toHaveBeenCalledOnce();
  });

  it('renames a channel only when the name changes', async () => {
    postEdit.mockImplementation(async (_id, edit) => answer(edit.base_version + 1));
    session.edits.renameChannel(0, ' DNA ');
    session.edits.renameChannel(0, '  ');
    session.edits.renameChannel(0, ' Nuclei ');
    await settled();
    expect(sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['rename_channel', { channel: 0, name: 'Nuclei' }],
    ]);
  });
});

describe('picking cells for a panel', () => {
  beforeEach(() => {
    postEdit.mockImplementation(async (_id, edit) => answer(edit.base_version + 1));
  });

  it('adds the daughter clicked on to the selected parent', async () => {
    session.keys.down('Y');
    expect(notices()).toEqual(['Select the parent cell first.']);
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('Y');
    expect(session.picker.getSnapshot().context.purpose).toEqual({
      kind: 'addDaughter',
      parent: 1,
    });
    click(30, 5);
    await settled();
    expect(sentEdits().map((e) => [e.action, e.args])).toEqual([
      ['add_daughter', { parent: 1, daughter: 2 }],
    ]);
    expect(session.picker.getSnapshot().context.purpose).toBeNull();
    expect(selected()).toBe(1);
  });

  it('puts clicked cells in the active type or takes them out, until Escape', async () => {
    session.keys.down('U');
    expect(notices()).toEqual(['Choose a cell type in the Cell types panel first.']);
    session.typeDisplay.send({ type: 'SET_ACTIVE', id: 1 });
    session.keys.down('U');
    click(5, 5);
    click(30, 5);
    await settled();
    expect(sentEdits().map((e) => e.action)).toEqual(['remove_from_cell_type', 'add_to_cell_type']);
    session.keys.down('Escape');
    expect(session.picker.getSnapshot().context.purpose).toBeNull();
    session.picking.start({ kind: 'cellType', id: 1 });
    session.picking.start({ kind: 'cellType', id: 1 });
    expect(session.picker.getSnapshot().context.purpose).toBeNull();
  });

  it('adds several cells to a type in one edit and says how many', async () => {
    session.cellTypes.addCells(1, [1, 2, 3, 2]);
    session.cellTypes.addCells(1, [1]);
    session.cellTypes.addCells(99, [1]);
    await settled();
    expect(sentEdits().map((e) => e.args)).toEqual([{ id: 1, cells: [2, 3] }]);
    expect(notices()).toEqual([
      'Added 2 cells to T cell.',
      'The selected cells are already of type T cell.',
    ]);
  });
});

describe('divisions', () => {
  it('jumps from finding to finding, or says there are none', () => {
    session.keys.down('J');
    expect(notices()).toEqual(['No problems found in the divisions.']);
    session.annotations.send({
      type: 'FINDINGS',
      findings: [
        { kind: 'single_daughter', cell: 3, frames: [1], message: '' },
        { kind: 'parent_after_division', cell: 2, frames: [0, 1], message: '' },
      ],
    });
    session.keys.down('J');
    expect(session.display.getSnapshot().context.frame).toBe(1);
    expect(selected()).toBe(3);
    session.keys.down('J');
    expect(session.display.getSnapshot().context.frame).toBe(0);
    expect(selected()).toBe(2);
  });
});

describe('canvas', () => {
  const attach = () => {
    session.canvas.attach({} as HTMLCanvasElement);
    return session.canvas.renderer as unknown as InstanceType<typeof FakeRenderer>;
  };

  it('gives the renderer the image size, display, view and colours when attached', () => {
    const renderer = attach();
    expect(renderer.named('setImageSize')).toEqual([[WIDTH, HEIGHT]]);
    expect(renderer.last('setDisplay')).toMatchObject({
      grayscale: false,
      layers: [
        { channel: 0, color: [1, 0, 0] },
        { channel: 1, color: [0, 1, 0] },
      ],
    });
    const view = session.viewport.getSnapshot().context;
    expect(renderer.last('setView')).toMatchObject({ x: view.x, y: view.y, zoom: view.zoom });
    expect(renderer.named('setLookup')).toHaveLength(1);
    expect(renderer.last('setTypeLookup')).not.toBeNull();
  });

  it('colours again on a new selection or frame, not on hover', () => {
    const renderer = attach();
    const lookups = () => renderer.named('setLookup').length;
    const before = lookups();
    session.pointer.move(...canvasPoint(5, 5));
    expect(lookups()).toBe(before);
    session.selection.send({ type: 'SELECT', cell: 2 });
    expect(lookups()).toBe(before + 1);
    session.display.send({ type: 'SET_FRAME', frame: 1 });
    expect(lookups()).toBe(before + 2);
    session.display.send({ type: 'SET_LABEL_OPACITY', opacity: 0.2 });
    expect(lookups()).toBe(before + 2);
    expect(renderer.last('setDisplay')).toMatchObject({ labelOpacity: 0.2 });
  });

  it('drops the cell-type colours when the overlay is off and follows the theme', () => {
    const renderer = attach();
    session.keys.down('O');
    expect(renderer.last('setTypeLookup')).toBeNull();
    session.canvas.setDark(true);
    expect(renderer.last('setDisplay')).toMatchObject({ background: [0.07, 0.07, 0.09] });
  });

  it('shows the brush under the pointer and the threshold box', () => {
    const renderer = attach();
    session.keys.down('B');
    session.pointer.move(...canvasPoint(5.5, 6.5));
    expect(renderer.last('setCursors')).toEqual({ brush: [5.5, 6.5, 5], box: null, seed: null });
    session.keys.down('T');
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.pointer.down(...canvasPoint(2, 2), 0);
    session.pointer.move(...canvasPoint(6, 4));
    expect(renderer.last('setCursors')).toMatchObject({ box: [2, 2, 6, 4] });
  });

  it('tells the tiled image what is on screen', () => {
    attach();
    const show = vi.spyOn(session.image, 'show');
    session.display.send({ type: 'SET_FRAME', frame: 1 });
    expect(show).toHaveBeenLastCalledWith(
      expect.objectContaining({ frame: 1, feature: 0, channels: [0, 1], devicePixelRatio: 1 }),
    );
  });

  it('draws a stroke into the overlay before the server answers', () => {
    postEdit.mockImplementation(() => new Promise(() => undefined));
    const renderer = attach();
    session.selection.send({ type: 'SELECT', cell: 1 });
    session.keys.down('B');
    session.pointer.down(...canvasPoint(5, 5), 0);
    expect(renderer.named('updateOverlay')).toHaveLength(1);
    expect(renderer.named('render')).toHaveLength(1);
  });
});
