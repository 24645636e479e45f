// One open project for a session test: the real actors and session parts over a 40×30 image with
// cell 1 on the left half of frame 0 and cell 2 on the right half. The test file stands in for the
// server and the renderer first:
//   vi.mock('../../../src/api/client', async (o) => (await import('./standIns')).standInApi(await o()));
//   vi.mock('../../../src/render/renderer', async (o) =>
//     (await import('./standIns')).standInRenderer(await o()));
import { afterEach, beforeEach, expect, vi } from 'vitest';
import * as api from '../../../src/api/client';
import type { EditResponse, ProjectMetadata } from '../../../src/api/client';
import { openProject, type ProjectSession } from '../../../src/session';
import type { FakeRenderer } from './standIns';

export const WIDTH = 40;
export const HEIGHT = 30;

export const postEdit = vi.mocked(api.postEdit);
export const getEditsSince = vi.mocked(api.getEditsSince);

export function projectMetadata(): ProjectMetadata {
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

export const record = (version: number, extra: Partial<api.EditRecord> = {}): api.EditRecord => ({
  version,
  action: 'brush',
  kind: 'edit',
  patches: [],
  cells: [],
  divisions: null,
  cellTypes: null,
  ...extra,
});

export const answer = (version: number, extra: Partial<EditResponse> = {}): EditResponse => ({
  version,
  edits: [record(version)],
  can_undo: true,
  can_redo: false,
  ...extra,
});

/** The server takes every edit. */
export function acceptEdits() {
  postEdit.mockImplementation(async (_id, edit) => answer(edit.base_version + 1));
}

export class TestProject {
  /** A new session for each test. */
  session!: ProjectSession;

  /** The canvas point over an image point. */
  canvasPoint(x: number, y: number): [number, number] {
    const view = this.session.viewport.getSnapshot().context;
    return [(x - view.x) * view.zoom, (y - view.y) * view.zoom];
  }

  click(x: number, y: number, shift = false) {
    this.session.pointer.down(...this.canvasPoint(x, y), 0);
    this.session.pointer.up(...this.canvasPoint(x, y), shift);
  }

  notices() {
    return this.session.notices.getSnapshot().context.notices.map((n) => n.message);
  }

  selected() {
    return this.session.selection.getSnapshot().context.selected;
  }

  sentEdits() {
    return postEdit.mock.calls.map(([, edit]) => edit);
  }

  /** Waits until every queued edit has been answered. */
  settled() {
    return vi.waitFor(() => {
      const queue = this.session.editQueue.getSnapshot();
      expect(queue.context.queue).toHaveLength(0);
      expect(queue.matches('sending')).toBe(false);
    });
  }

  attachCanvas() {
    this.session.canvas.attach({} as HTMLCanvasElement);
    return this.session.canvas.renderer as unknown as FakeRenderer;
  }
}

/** Cell 1 on the left half of frame 0, cell 2 on the right half. */
function loadLabels(session: ProjectSession) {
  const data = new Int32Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) data[y * WIDTH + x] = x < 20 ? 1 : 2;
  }
  const store = session.store;
  const tile = { level: 0, ty: 0, tx: 0 };
  const loaded = { data, width: WIDTH, height: HEIGHT, etag: null };
  store.put(0, 0, tile, loaded, store.beginFetch(), () => undefined);
}

/** A fresh project for each test of the file, on a 400×300 canvas. */
export function projectPerTest(): TestProject {
  const project = new TestProject();
  beforeEach(() => {
    vi.stubGlobal('window', { devicePixelRatio: 1 });
    vi.clearAllMocks();
    postEdit.mockReset();
    getEditsSince.mockReset();
    getEditsSince.mockImplementation(async (_id, version) => ({ version, edits: [] }));
    const session = openProject(projectMetadata());
    session.viewport.send({ type: 'RESIZE', width: 400, height: 300 });
    loadLabels(session);
    project.session = session;
  });
  afterEach(() => {
    project.session.dispose();
    vi.unstubAllGlobals();
  });
  return project;
}
