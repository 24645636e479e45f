import { describe, expect, it } from 'vitest';
import { LabelTiles, labelKey, type TileEntry } from '../../src/data/labelTiles';
import { StrokePreview } from '../../src/data/strokePreview';
import { TileCache } from '../../src/data/tileCache';
import {
  applyPatchToTile,
  bestAvailable,
  chooseLevel,
  levelCount,
  levelSize,
  tilePixels,
  tileRect,
  tilesCovering,
  type GridShape,
} from '../../src/data/tileGrid';
import { TileLoader } from '../../src/data/tileLoader';

const big: GridShape = { width: 16384, height: 16384, levels: 6, tileSize: 512 };

describe('pyramid levels', () => {
  it('counts levels until both sides fit one tile, halving with rounding up', () => {
    expect(levelCount(16384, 16384)).toBe(6);
    expect(levelCount(512, 512)).toBe(1);
    expect(levelCount(513, 100)).toBe(2);
    expect(levelSize({ width: 1025, height: 3 }, 1)).toEqual({ width: 513, height: 2 });
    expect(levelSize({ width: 1025, height: 3 }, 2)).toEqual({ width: 257, height: 1 });
  });

  it('picks the level whose texel is about one device pixel', () => {
    expect(chooseLevel(1, 1, 6)).toBe(0);
    expect(chooseLevel(4, 1, 6)).toBe(0);
    expect(chooseLevel(0.5, 1, 6)).toBe(1);
    expect(chooseLevel(0.3, 1, 6)).toBe(1);
    expect(chooseLevel(0.25, 1, 6)).toBe(2);
    expect(chooseLevel(0.25, 2, 6)).toBe(1);
    expect(chooseLevel(0.001, 1, 6)).toBe(5);
    expect(chooseLevel(0.001, 1, 1)).toBe(0);
  });
});

describe('visible tiles', () => {
  it('lists the tiles of a level that meet the view, nearest the centre first', () => {
    const tiles = tilesCovering(big, 0, { x: 1000, y: 100, width: 1200, height: 400 });
    const ids = tiles.map((t) => `${t.ty}/${t.tx}`);
    expect(new Set(ids)).toEqual(new Set(['0/1', '0/2', '0/3', '0/4']));
    expect(ids.slice(0, 2).sort()).toEqual(['0/2', '0/3']);
    // Level 2 tiles span 2048 level-0 pixels.
    expect(tilesCovering(big, 2, { x: 1000, y: 100, width: 1200, height: 400 })).toEqual([
      { level: 2, ty: 0, tx: 0 },
      { level: 2, ty: 0, tx: 1 },
    ]);
  });

  it('cuts the view at the image edges', () => {
    expect(tilesCovering(big, 5, { x: -5000, y: -5000, width: 40000, height: 40000 })).toEqual([
      { level: 5, ty: 0, tx: 0 },
    ]);
    expect(tilesCovering(big, 0, { x: 17000, y: 0, width: 100, height: 100 })).toEqual([]);
    const odd: GridShape = { width: 1000, height: 700, levels: 2, tileSize: 512 };
    expect(tileRect(odd, { level: 0, ty: 1, tx: 1 })).toEqual({
      x: 512,
      y: 512,
      width: 488,
      height: 188,
    });
    expect(tilePixels(odd, { level: 1, ty: 0, tx: 0 })).toEqual({ width: 500, height: 350 });
    expect(tileRect(odd, { level: 1, ty: 0, tx: 0 })).toEqual({
      x: 0,
      y: 0,
      width: 1000,
      height: 700,
    });
  });

  it('falls back to the finest cached coarser tile that contains the wanted one', () => {
    const cached = new Set(['3/1/2', '5/0/0']);
    const has = (t: { level: number; ty: number; tx: number }) =>
      cached.has(`${t.level}/${t.ty}/${t.tx}`);
    expect(bestAvailable({ level: 0, ty: 9, tx: 21 }, 6, has)).toEqual({ level: 3, ty: 1, tx: 2 });
    expect(bestAvailable({ level: 0, ty: 30, tx: 1 }, 6, has)).toEqual({ level: 5, ty: 0, tx: 0 });
    expect(bestAvailable({ level: 3, ty: 1, tx: 2 }, 6, has)).toEqual({ level: 3, ty: 1, tx: 2 });
    expect(bestAvailable({ level: 0, ty: 0, tx: 0 }, 6, () => false)).toBeNull();
  });
});

const entry = (bytes: number, disposed: string[], name: string): TileEntry => ({
  bytes,
  width: 1,
  height: 1,
  data: null,
  texture: null,
  dirty: null,
  dispose: () => disposed.push(name),
});

describe('tile cache', () => {
  it('evicts the least recently used entries once over its byte limit', () => {
    const disposed: string[] = [];
    const cache = new TileCache<TileEntry>(100);
    cache.set('a', entry(40, disposed, 'a'));
    cache.set('b', entry(40, disposed, 'b'));
    expect(cache.get('a')).toBeDefined(); // a is now the most recently used
    cache.set('c', entry(40, disposed, 'c'));
    expect(disposed).toEqual(['b']);
    expect([...cache.keys()]).toEqual(['a', 'c']);
    expect(cache.stats()).toMatchObject({ bytes: 80, entries: 2, hits: 1, evictions: 1 });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.stats().misses).toBe(1);
    // An entry larger than the limit stays alone rather than evicting itself.
    cache.set('d', entry(150, disposed, 'd'));
    expect([...cache.keys()]).toEqual(['d']);
    expect(cache.stats().bytes).toBe(150);
    cache.set('d', entry(10, disposed, 'd2'));
    expect(disposed).toEqual(['b', 'a', 'c', 'd']);
    expect(cache.stats().bytes).toBe(10);
  });
});

describe('label tiles', () => {
  it('writes a level-0 patch into overview tiles by stride sampling', () => {
    // A level-2 tile of 4x4 texels whose first texel is level-2 pixel (0, 4): level-0 x 16..31.
    const tile = { data: new Int32Array(16), width: 4, height: 4 };
    const patch = { x: 17, y: 3, width: 8, height: 6 };
    const values = new Int32Array(48).map((_v, i) => 100 + i);
    const rect = applyPatchToTile(tile, 2, 4, 0, patch, values);
    // Sampled level-0 points inside the patch: x in {20, 24}, y in {4, 8}.
    expect(rect).toEqual({ x: 1, y: 1, width: 2, height: 2 });
    const at = (x: number, y: number) => values[(y - 3) * 8 + (x - 17)];
    expect(tile.data[1 * 4 + 1]).toBe(at(20, 4));
    expect(tile.data[1 * 4 + 2]).toBe(at(24, 4));
    expect(tile.data[2 * 4 + 1]).toBe(at(20, 8));
    expect(tile.data[0]).toBe(0);
    expect(tile.data[1 * 4 + 3]).toBe(0);
    expect(applyPatchToTile(tile, 2, 4, 0, { x: 17, y: 5, width: 2, height: 2 }, values)).toBe(
      null,
    );
  });

  const shape: GridShape = { width: 8, height: 8, levels: 2, tileSize: 4 };
  const cells = [
    { value: 1, cell: 1, t: 0, c: 0 },
    { value: 3, cell: 1, t: 0, c: 0 },
    { value: 3, cell: 2, t: 0, c: 0 },
  ];

  it('reads hover values from level 0, else from the best cached level, and patches both', () => {
    const cache = new TileCache<TileEntry>();
    const store = new LabelTiles(shape, cache, cells);
    const changes: string[] = [];
    store.subscribe((c) => changes.push(c.kind));
    const overview = new Int32Array(16).fill(3);
    store.put(
      0,
      0,
      { level: 1, ty: 0, tx: 0 },
      { data: overview, width: 4, height: 4, etag: 'a' },
      store.beginFetch(),
      () => undefined,
    );
    expect(store.cellsAt(0, 0, 5.5, 6.2)).toEqual([1, 2]);
    expect(store.cellsAt(0, 0, -1, 1)).toEqual([]);
    const fine = new Int32Array(16).fill(1);
    store.put(
      0,
      0,
      { level: 0, ty: 1, tx: 1 },
      { data: fine, width: 4, height: 4, etag: 'b' },
      store.beginFetch(),
      () => undefined,
    );
    expect(store.valueAt(0, 0, 5, 6)).toBe(1);
    expect(store.valueAt(0, 0, 1, 1)).toBe(3);

    // As after the first upload: only what patches change is sent to the texture again.
    cache.peek(labelKey(0, 0, { level: 1, ty: 0, tx: 0 }))!.dirty = null;
    store.applyPatch(
      { feature: 0, frame: 0, x: 4, y: 4, width: 2, height: 2, data: '' },
      new Int32Array([7, 8, 9, 10]),
    );
    expect(store.valueAt(0, 0, 5, 5)).toBe(10);
    // Level 1 texel (2, 2) stands for level-0 pixel (4, 4).
    expect(overview[2 * 4 + 2]).toBe(7);
    expect(overview[2 * 4 + 3]).toBe(3);
    expect(cache.peek(labelKey(0, 0, { level: 1, ty: 0, tx: 0 }))!.dirty).toEqual({
      x: 2,
      y: 2,
      width: 1,
      height: 1,
    });
    expect(store.maxValue(0, 0)).toBe(10);
    store.applyCellChanges([
      { t: 0, c: 0, value: 10, cells: [9] },
      { t: 0, c: 0, value: 3, cells: [] },
    ]);
    expect(store.cellsAt(0, 0, 5, 5)).toEqual([9]);
    expect(store.allCells(0)).toEqual([1, 9]);
    expect(store.maxCell(0)).toBe(9);
    // A relabelling comes as two arrays, applied after the per-value changes.
    store.applyCellChanges(
      [{ t: 0, c: 0, value: 10, cells: [4] }],
      [{ t: 0, c: 0, values: [1, 10], cells: [12, 11] }],
    );
    expect(store.cellsAt(0, 0, 5, 5)).toEqual([11]);
    expect(store.allCells(0)).toEqual([11, 12]);
    expect(store.maxCell(0)).toBe(12);
    expect(changes).toContain('pixels');
    expect(changes).toContain('cells');
  });

  it('writes patches that arrived during a fetch into the fetched tile', () => {
    const store = new LabelTiles(shape, new TileCache<TileEntry>(), cells);
    const token = store.beginFetch();
    store.applyPatch(
      { feature: 0, frame: 0, x: 0, y: 0, width: 1, height: 1, data: '' },
      new Int32Array([5]),
    );
    store.put(
      0,
      0,
      { level: 0, ty: 0, tx: 0 },
      { data: new Int32Array(16), width: 4, height: 4, etag: null },
      token,
      () => undefined,
    );
    expect(store.valueAt(0, 0, 0, 0)).toBe(5);
    // A fetch started after the patch gets the server's data as it is.
    const later = store.beginFetch();
    store.put(
      0,
      0,
      { level: 0, ty: 0, tx: 0 },
      { data: new Int32Array(16), width: 4, height: 4, etag: null },
      later,
      () => undefined,
    );
    expect(store.valueAt(0, 0, 0, 0)).toBe(0);
  });
});

describe('tile loader', () => {
  it('runs a bounded number at once, newest wants first, aborting tiles no longer wanted', async () => {
    const started: string[] = [];
    const aborted: string[] = [];
    const finish = new Map<string, () => void>();
    const request = (key: string) => ({
      key,
      run: (signal: AbortSignal) =>
        new Promise<void>((resolve, reject) => {
          started.push(key);
          finish.set(key, resolve);
          signal.addEventListener('abort', () => {
            aborted.push(key);
            reject(new Error('aborted'));
          });
        }),
    });
    const loader = new TileLoader(2);
    loader.want(['a', 'b', 'c'].map(request));
    expect(started).toEqual(['a', 'b']);
    loader.want(['x', 'b', 'y'].map(request));
    expect(aborted).toEqual(['a']);
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual(['a', 'b', 'x']);
    finish.get('b')!();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual(['a', 'b', 'x', 'y']);
    expect(loader.pending).toBe(2);
  });
});

describe('stroke preview', () => {
  it('keeps masks only for the squares a stroke touches', () => {
    const preview = new StrokePreview(16384, 16384);
    preview.extend('stroke', { points: [[510, 10]], size: 3, erase: false });
    expect([...preview.tiles.keys()].sort()).toEqual(['0/0', '0/1']);
    expect(preview.at(512, 10)).toBe(1);
    preview.rename('stroke', 1);
    preview.extend(2, { points: [[16000, 16000]], size: 1, erase: true });
    preview.remove(1);
    expect([...preview.tiles.keys()]).toEqual(['31/31']);
    expect(preview.at(16000, 16000)).toBe(2);
  });
});
