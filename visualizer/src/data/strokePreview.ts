// The local preview of brush and eraser strokes: masks in level-0 squares of the view-tile size,
// made only where strokes are, in which each pending stroke is drawn at once until the server's
// patch replaces it.
import type { Point } from '../machines/tools';
import { union, VIEW_TILE_SIZE, type Rect } from './tileGrid';

export const PAINT = 1;
export const ERASE = 2;

export interface PreviewStroke {
  points: Point[];
  size: number;
  erase: boolean;
}

export interface MaskTile {
  x: number;
  y: number;
  mask: Uint8Array;
}

export class StrokePreview {
  /** Masks by "row/column" of their square; a square without strokes has none. */
  readonly tiles = new Map<string, MaskTile>();
  private strokes = new Map<string | number, PreviewStroke>();

  constructor(
    readonly width: number,
    readonly height: number,
    readonly size = VIEW_TILE_SIZE,
  ) {}

  /** The preview value at a level-0 pixel (0 none, 1 paint, 2 erase). */
  at(x: number, y: number): number {
    const { size } = this;
    const tile = this.tiles.get(`${Math.floor(y / size)}/${Math.floor(x / size)}`);
    return tile ? tile.mask[(y - tile.y) * size + (x - tile.x)] : 0;
  }

  private set(x: number, y: number, value: number) {
    const { size } = this;
    const key = `${Math.floor(y / size)}/${Math.floor(x / size)}`;
    let tile = this.tiles.get(key);
    if (!tile) {
      tile = {
        x: Math.floor(x / size) * size,
        y: Math.floor(y / size) * size,
        mask: new Uint8Array(size * size),
      };
      this.tiles.set(key, tile);
    }
    tile.mask[(y - tile.y) * size + (x - tile.x)] = value;
  }

  /** Draw discs of radius `size` along a stroke; returns the rectangle that changed. */
  draw(stroke: PreviewStroke): Rect | null {
    const { width, height } = this;
    const r = stroke.size;
    const value = stroke.erase ? ERASE : PAINT;
    let bounds: Rect | null = null;
    const disc = (cx: number, cy: number) => {
      const x0 = Math.max(0, cx - r);
      const x1 = Math.min(width - 1, cx + r);
      const y0 = Math.max(0, cy - r);
      const y1 = Math.min(height - 1, cy + r);
      if (x0 > x1 || y0 > y1) return;
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) this.set(x, y, value);
        }
      }
      bounds = union(bounds, { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 });
    };
    const { points } = stroke;
    disc(points[0][0], points[0][1]);
    for (let i = 1; i < points.length; i++) {
      // Fill the gap between two pointer samples so fast strokes stay continuous.
      const [ax, ay] = points[i - 1];
      const [bx, by] = points[i];
      const steps = Math.max(Math.abs(bx - ax), Math.abs(by - ay));
      for (let s = 1; s <= steps; s++) {
        disc(Math.round(ax + ((bx - ax) * s) / steps), Math.round(ay + ((by - ay) * s) / steps));
      }
    }
    return bounds;
  }

  /** Add points to a pending stroke and draw them. */
  extend(key: string | number, stroke: PreviewStroke): Rect | null {
    const existing = this.strokes.get(key);
    if (existing) existing.points.push(...stroke.points);
    else this.strokes.set(key, { ...stroke, points: [...stroke.points] });
    return this.draw(stroke);
  }

  /** Give the stroke being drawn its queue id once it is sent. */
  rename(from: string | number, to: string | number) {
    const stroke = this.strokes.get(from);
    if (!stroke) return;
    this.strokes.delete(from);
    this.strokes.set(to, stroke);
  }

  /** Drop a stroke (confirmed or refused); returns the rectangle to re-upload. */
  remove(key: string | number): Rect | null {
    const stroke = this.strokes.get(key);
    if (!stroke) return null;
    this.strokes.delete(key);
    const bounds = strokeBounds(stroke, this.width, this.height);
    if (!bounds) return null;
    // Squares are cleared whole and the remaining strokes drawn again.
    this.tiles.clear();
    for (const other of this.strokes.values()) this.draw(other);
    return bounds;
  }

  get pending(): number {
    return this.strokes.size;
  }
}

function strokeBounds(stroke: PreviewStroke, width: number, height: number): Rect | null {
  const r = stroke.size;
  const xs = stroke.points.map((p) => p[0]);
  const ys = stroke.points.map((p) => p[1]);
  const x0 = Math.max(0, Math.min(...xs) - r);
  const y0 = Math.max(0, Math.min(...ys) - r);
  const x1 = Math.min(width - 1, Math.max(...xs) + r);
  const y1 = Math.min(height - 1, Math.max(...ys) + r);
  if (x0 > x1 || y0 > y1) return null;
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}
