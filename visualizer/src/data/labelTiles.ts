// The browser's copy of the labels: the label tiles loaded so far (in the shared tile cache, at any
// pyramid level) and the value -> cells map per frame. Hovering reads one pixel of a cached tile;
// patches from the server are written into every cached tile they touch, at every level.
import type { CellChange, CellEntry, Patch, Relabel } from '../api/client';
import { TileCache } from './tileCache';
import {
  applyPatchToTile,
  type GridShape,
  type Rect,
  type TileId,
  tileCounts,
  tilePixels,
  union,
} from './tileGrid';

/** A tile in the cache: its CPU copy, and its texture once drawn. */
export interface TileEntry {
  bytes: number;
  dispose?: () => void;
  width: number;
  height: number;
  /** Labels keep their copy (hover and patches read it); raw pixels drop it once uploaded. */
  data: Int32Array | Float32Array | null;
  texture: WebGLTexture | null;
  /** The tile-local part of `data` not yet in the texture (the whole tile before the upload). */
  dirty: Rect | null;
  /** Label tiles: the server's version of the tile, and whether it should be asked again. */
  etag?: string | null;
  stale?: boolean;
  /** Label tiles: changes with every write of `data` (unique over all tiles). */
  revision?: number;
  /** Label tiles: the revisions the texture's 1-texel border was last filled from. */
  apron?: string;
}

let revisions = 0;

export const labelKey = (feature: number, frame: number, t: TileId) =>
  `l/${feature}/${frame}/${t.level}/${t.ty}/${t.tx}`;

export const rawKey = (frame: number, channel: number, t: TileId) =>
  `r/${frame}/${channel}/${t.level}/${t.ty}/${t.tx}`;

function parseLabelKey(key: string) {
  const [kind, feature, frame, level, ty, tx] = key.split('/');
  if (kind !== 'l') return null;
  return { feature: +feature, frame: +frame, tile: { level: +level, ty: +ty, tx: +tx } };
}

/** `pixels`: a tile's labels changed; `cells`: the value -> cells map of a frame changed. */
export interface StoreChange {
  kind: 'pixels' | 'cells';
  feature: number;
  frame: number;
}

type Listener = (change: StoreChange) => void;

const frameKey = (feature: number, frame: number) => `${feature}/${frame}`;

/** A patch decoded, kept while label fetches that started before it are under way. */
interface LoggedPatch {
  seq: number;
  patch: Patch;
  values: Int32Array;
}

export class LabelTiles {
  private valueCells = new Map<string, Map<number, number[]>>();
  private listeners = new Set<Listener>();
  private log: LoggedPatch[] = [];
  private seq = 0;
  private fetchesFrom = new Map<number, number>();
  private maxValues = new Map<string, number>();

  constructor(
    readonly shape: GridShape,
    readonly cache: TileCache<TileEntry>,
    cells: CellEntry[],
  ) {
    for (const entry of cells) this.addCell(entry.c ?? 0, entry.t, entry.value, entry.cell);
  }

  private addCell(feature: number, frame: number, value: number, cell: number) {
    const map = this.cellMap(feature, frame);
    const list = map.get(value);
    if (!list) map.set(value, [cell]);
    else if (!list.includes(cell)) list.push(cell);
    this.noteValue(feature, frame, value);
  }

  cellMap(feature: number, frame: number): Map<number, number[]> {
    const k = frameKey(feature, frame);
    let map = this.valueCells.get(k);
    if (!map) {
      map = new Map();
      this.valueCells.set(k, map);
    }
    return map;
  }

  /** The largest label value seen in a frame (cell list, loaded tiles and patches). */
  maxValue(feature: number, frame: number): number {
    return this.maxValues.get(frameKey(feature, frame)) ?? 0;
  }

  private noteValue(feature: number, frame: number, value: number): boolean {
    const k = frameKey(feature, frame);
    if (value <= (this.maxValues.get(k) ?? 0)) return false;
    this.maxValues.set(k, value);
    return true;
  }

  private noteValues(feature: number, frame: number, values: Int32Array): boolean {
    let max = 0;
    for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
    return this.noteValue(feature, frame, max);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(change: StoreChange) {
    for (const listener of this.listeners) listener(change);
  }

  tile(feature: number, frame: number, tile: TileId): TileEntry | undefined {
    return this.cache.peek(labelKey(feature, frame, tile));
  }

  has(feature: number, frame: number, tile: TileId): boolean {
    return this.cache.has(labelKey(feature, frame, tile));
  }

  /** Mark that a label fetch starts; returns a token for `put`. */
  beginFetch(): number {
    const token = this.seq;
    this.fetchesFrom.set(token, (this.fetchesFrom.get(token) ?? 0) + 1);
    return token;
  }

  /** A label fetch ended without data (aborted, failed or unchanged). */
  endFetch(token: number) {
    const count = (this.fetchesFrom.get(token) ?? 1) - 1;
    if (count > 0) this.fetchesFrom.set(token, count);
    else this.fetchesFrom.delete(token);
    const oldest = Math.min(this.seq, ...this.fetchesFrom.keys());
    this.log = this.log.filter((p) => p.seq >= oldest);
  }

  /**
   * Store a tile fetched from the server. Patches that arrived while it was on its way are written
   * into it again (their values are final, so writing one the server had already applied is harmless).
   */
  put(
    feature: number,
    frame: number,
    tile: TileId,
    loaded: { data: Int32Array; width: number; height: number; etag: string | null },
    token: number,
    dispose: (entry: TileEntry) => void,
  ) {
    const origin = this.origin(tile);
    for (const logged of this.log) {
      const { patch } = logged;
      if (logged.seq < token || patch.feature !== feature || patch.frame !== frame) continue;
      applyPatchToTile(loaded, tile.level, origin.x, origin.y, patch, logged.values);
    }
    this.endFetch(token);
    const grew = this.noteValues(feature, frame, loaded.data);
    const entry: TileEntry = {
      bytes: loaded.data.byteLength * 2, // the CPU copy and the texture
      width: loaded.width,
      height: loaded.height,
      data: loaded.data,
      texture: null,
      dirty: { x: 0, y: 0, width: loaded.width, height: loaded.height },
      etag: loaded.etag,
      stale: false,
      revision: ++revisions,
    };
    entry.dispose = () => dispose(entry);
    this.cache.set(labelKey(feature, frame, tile), entry);
    if (grew) this.notify({ kind: 'cells', feature, frame });
    this.notify({ kind: 'pixels', feature, frame });
  }

  /** Ask the server again for the cached tiles of a frame before trusting them. */
  markStale(feature: number, frame: number) {
    for (const key of this.cache.keys()) {
      const parsed = parseLabelKey(key);
      if (parsed && parsed.feature === feature && parsed.frame === frame) {
        this.cache.peek(key)!.stale = true;
      }
    }
  }

  /** A tile's first pixel, in its level's pixels. */
  private origin(tile: TileId) {
    return { x: tile.tx * this.shape.tileSize, y: tile.ty * this.shape.tileSize };
  }

  /**
   * The label value at a level-0 pixel: from the level-0 tile when cached, else from the finest
   * cached level (exact at the sampled points, nearest sample elsewhere); 0 outside the image or
   * when nothing is loaded.
   */
  valueAt(feature: number, frame: number, x: number, y: number): number {
    const { width, height, levels, tileSize } = this.shape;
    if (x < 0 || y < 0 || x >= width || y >= height) return 0;
    for (let level = 0; level < levels; level++) {
      const lx = Math.floor(x / 2 ** level);
      const ly = Math.floor(y / 2 ** level);
      const tile = { level, ty: Math.floor(ly / tileSize), tx: Math.floor(lx / tileSize) };
      const entry = this.cache.peek(labelKey(feature, frame, tile));
      if (!entry?.data) continue;
      return entry.data[(ly % tileSize) * entry.width + (lx % tileSize)];
    }
    return 0;
  }

  /** The cells encoded by a value in a frame (normally just [value]). */
  cellsOfValue(feature: number, frame: number, value: number): number[] {
    if (value === 0) return [];
    return this.valueCells.get(frameKey(feature, frame))?.get(value) ?? [value];
  }

  cellsAt(feature: number, frame: number, x: number, y: number): number[] {
    return this.cellsOfValue(feature, frame, this.valueAt(feature, frame, x, y));
  }

  /** Every cell id of a feature, over all frames, ascending. */
  allCells(feature: number): number[] {
    const ids = new Set<number>();
    for (const [k, map] of this.valueCells) {
      if (!k.startsWith(`${feature}/`)) continue;
      for (const cells of map.values()) for (const cell of cells) ids.add(cell);
    }
    return [...ids].sort((a, b) => a - b);
  }

  /** Frames in which a cell appears (its timeline). */
  framesOfCell(feature: number, cell: number): number[] {
    const frames: number[] = [];
    for (const [k, map] of this.valueCells) {
      const [f, t] = k.split('/').map(Number);
      if (f !== feature) continue;
      for (const cells of map.values()) {
        if (cells.includes(cell)) {
          frames.push(t);
          break;
        }
      }
    }
    return frames.sort((a, b) => a - b);
  }

  maxCell(feature: number): number {
    const all = this.allCells(feature);
    return all.length ? all[all.length - 1] : 0;
  }

  /** Write a level-0 patch into every cached tile of its frame, at every level. */
  applyPatch(patch: Patch, values: Int32Array) {
    const { feature, frame } = patch;
    if (this.fetchesFrom.size) this.log.push({ seq: this.seq, patch, values });
    this.seq++;
    const grew = this.noteValues(feature, frame, values);
    let changed = false;
    for (let level = 0; level < this.shape.levels; level++) {
      const step = 2 ** level;
      const span = this.shape.tileSize * step;
      const { rows, columns } = tileCounts(this.shape, level);
      const ty1 = Math.min(rows - 1, Math.floor((patch.y + patch.height - 1) / span));
      const tx1 = Math.min(columns - 1, Math.floor((patch.x + patch.width - 1) / span));
      for (let ty = Math.floor(patch.y / span); ty <= ty1; ty++) {
        for (let tx = Math.floor(patch.x / span); tx <= tx1; tx++) {
          const tile = { level, ty, tx };
          const entry = this.cache.peek(labelKey(feature, frame, tile));
          if (!entry?.data) continue;
          const origin = this.origin(tile);
          const target = {
            data: entry.data as Int32Array,
            ...tilePixels(this.shape, tile),
          };
          const rect = applyPatchToTile(target, level, origin.x, origin.y, patch, values);
          if (!rect) continue;
          entry.dirty = union(entry.dirty, rect);
          entry.revision = ++revisions;
          changed = true;
        }
      }
    }
    if (grew) this.notify({ kind: 'cells', feature, frame });
    if (changed) this.notify({ kind: 'pixels', feature, frame });
  }

  applyCellChanges(changes: CellChange[], relabels: Relabel[] = []) {
    const touched = new Set<string>();
    for (const change of changes) {
      const feature = change.c ?? 0;
      const map = this.cellMap(feature, change.t);
      if (change.cells.length === 0) map.delete(change.value);
      else map.set(change.value, [...change.cells]);
      this.noteValue(feature, change.t, change.value);
      touched.add(frameKey(feature, change.t));
    }
    for (const relabel of relabels) {
      const feature = relabel.c ?? 0;
      const map = this.cellMap(feature, relabel.t);
      relabel.values.forEach((value, i) => {
        map.set(value, [relabel.cells[i]]);
        this.noteValue(feature, relabel.t, value);
      });
      touched.add(frameKey(feature, relabel.t));
    }
    for (const k of touched) {
      const [feature, frame] = k.split('/').map(Number);
      this.notify({ kind: 'cells', feature, frame });
    }
  }
}
