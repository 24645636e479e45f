// Stand-ins for what a session test cannot have: the server and WebGL. Each test file plugs them in
// with vi.mock (see harness.ts); this file imports nothing of the app, so the mocks can load it.
import { vi } from 'vitest';

/** Records what the session asks of the renderer. */
export class FakeRenderer {
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

const RECORDED = [
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
for (const name of RECORDED) {
  Object.defineProperty(FakeRenderer.prototype, name, {
    value(this: FakeRenderer, ...args: unknown[]) {
      this.calls.push({ name, args });
    },
  });
}

type ImportOriginal = () => Promise<object>;

/** For `vi.mock` of render/renderer. */
export async function standInRenderer(importOriginal: ImportOriginal) {
  return { ...(await importOriginal()), Renderer: FakeRenderer };
}

/** For `vi.mock` of api/client: server calls become mocks; tile fetches never answer. */
export async function standInApi(importOriginal: ImportOriginal) {
  const never = () => new Promise<never>(() => undefined);
  return {
    ...(await importOriginal()),
    postEdit: vi.fn(),
    undo: vi.fn(),
    redo: vi.fn(),
    getEditsSince: vi.fn(),
    getSpots: vi.fn(),
    segmentationMethods: vi.fn(async () => []),
    getRawTile: vi.fn(never),
    getLabelTile: vi.fn(never),
    submitProject: vi.fn(),
    startLink: vi.fn(),
    startEmbedding: vi.fn(),
    startClassifier: vi.fn(),
    startPredictions: vi.fn(),
    keptLearning: vi.fn(),
    uploadEmbeddings: vi.fn(),
    reportViewing: vi.fn(never),
    leaveProject: vi.fn(async () => undefined),
    getHistory: vi.fn(async () => ({ version: 0, edits: [], more: false })),
    startExport: vi.fn(),
    getJob: vi.fn(),
    cancelJob: vi.fn(),
  };
}
