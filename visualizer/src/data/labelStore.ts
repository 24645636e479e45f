// The browser's copy of the labels: one int32 plane per (feature, frame) and the value -> cells
// map per frame. Hovering reads one pixel from here (O(1)); patches from the server write into it.
import type { CellChange, CellEntry, Patch } from '../api/client';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `pixels` with a rect: part of a plane changed; without: the whole plane. `cells`: the value map. */
export interface StoreChange {
  kind: 'pixels' | 'cells';
  feature: number;
  frame: number;
  rect?: Rect;
}

type Listener = (change: StoreChange) => void;

const key = (feature: number, frame: number) => `${feature}/${frame}`;

export class LabelStore {
  private planes = new Map<string, Int32Array>();
  private valueCells = new Map<string, Map<number, number[]>>();
  private listeners = new Set<Listener>();

  constructor(
    readonly width: number,
    readonly height: number,
    cells: CellEntry[],
  ) {
    for (const entry of cells) this.addCell(entry.c ?? 0, entry.t, entry.value, entry.cell);
  }

  private addCell(feature: number, frame: number, value: number, cell: number) {
    const map = this.cellMap(feature, frame);
    const list = map.get(value);
    if (!list) map.set(value, [cell]);
    else if (!list.includes(cell)) list.push(cell);
  }

  cellMap(feature: number, frame: number): Map<number, number[]> {
    const k = key(feature, frame);
    let map = this.valueCells.get(k);
    if (!map) {
      map = new Map();
      this.valueCells.set(k, map);
    }
    return map;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(change: StoreChange) {
    for (const listener of this.listeners) listener(change);
  }

  hasPlane(feature: number, frame: number): boolean {
    return this.planes.has(key(feature, frame));
  }

  plane(feature: number, frame: number): Int32Array | undefined {
    return this.planes.get(key(feature, frame));
  }

  setPlane(feature: number, frame: number, data: Int32Array) {
    this.planes.set(key(feature, frame), data);
    this.notify({ kind: 'pixels', feature, frame });
  }

  forgetPlane(feature: number, frame: number) {
    this.planes.delete(key(feature, frame));
  }

  /** The label value at a pixel, or 0 outside the image or before the frame is loaded. */
  valueAt(feature: number, frame: number, x: number, y: number): number {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return 0;
    const plane = this.planes.get(key(feature, frame));
    return plane ? plane[Math.floor(y) * this.width + Math.floor(x)] : 0;
  }

  /** The cells encoded by a value in a frame (normally just [value]). */
  cellsOfValue(feature: number, frame: number, value: number): number[] {
    if (value === 0) return [];
    return this.valueCells.get(key(feature, frame))?.get(value) ?? [value];
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

  /** Write `values` into a rectangle; returns what was there before (for rolling back). */
  writeRect(feature: number, frame: number, rect: Rect, values: Int32Array): Int32Array | null {
    const plane = this.planes.get(key(feature, frame));
    if (!plane) return null;
    const previous = new Int32Array(rect.width * rect.height);
    for (let row = 0; row < rect.height; row++) {
      const start = (rect.y + row) * this.width + rect.x;
      previous.set(plane.subarray(start, start + rect.width), row * rect.width);
      plane.set(values.subarray(row * rect.width, (row + 1) * rect.width), start);
    }
    this.notify({ kind: 'pixels', feature, frame, rect });
    return previous;
  }

  applyPatch(patch: Patch, values: Int32Array) {
    this.writeRect(patch.feature, patch.frame, patch, values);
  }

  applyCellChanges(changes: CellChange[]) {
    const touched = new Set<string>();
    for (const change of changes) {
      const map = this.cellMap(change.c ?? 0, change.t);
      if (change.cells.length === 0) map.delete(change.value);
      else map.set(change.value, [...change.cells]);
      touched.add(key(change.c ?? 0, change.t));
    }
    for (const k of touched) {
      const [feature, frame] = k.split('/').map(Number);
      this.notify({ kind: 'cells', feature, frame });
    }
  }
}
