// The view-tile grid of a multiresolution image. Level 0 is full resolution; level l is level l-1
// halved with rounding up. Every level is cut into squares of `tileSize` pixels (edge tiles
// smaller). Rectangles are in level-0 pixels unless a name says otherwise.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TileId {
  level: number;
  ty: number;
  tx: number;
}

export interface GridShape {
  width: number;
  height: number;
  levels: number;
  tileSize: number;
}

export const VIEW_TILE_SIZE = 512;

/** Height and width of a level (repeated ceil-halving of the full size). */
export function levelSize(shape: Pick<GridShape, 'width' | 'height'>, level: number) {
  let { width, height } = shape;
  for (let l = 0; l < level; l++) {
    width = Math.ceil(width / 2);
    height = Math.ceil(height / 2);
  }
  return { width, height };
}

/** The number of levels: the last is the first whose sides both fit in one tile. */
export function levelCount(width: number, height: number, tileSize = VIEW_TILE_SIZE): number {
  let levels = 1;
  while (width > tileSize || height > tileSize) {
    width = Math.ceil(width / 2);
    height = Math.ceil(height / 2);
    levels++;
  }
  return levels;
}

/** The level whose texels are closest to one device pixel without being larger than one. */
export function chooseLevel(zoom: number, devicePixelRatio: number, levels: number): number {
  const level = Math.floor(Math.log2(1 / (zoom * devicePixelRatio)));
  return Math.min(levels - 1, Math.max(0, level));
}

/** Rows and columns of tiles at a level. */
export function tileCounts(shape: GridShape, level: number) {
  const { width, height } = levelSize(shape, level);
  return { rows: Math.ceil(height / shape.tileSize), columns: Math.ceil(width / shape.tileSize) };
}

/** A tile's size in its own level's pixels. */
export function tilePixels(shape: GridShape, tile: TileId) {
  const { width, height } = levelSize(shape, tile.level);
  const { tileSize } = shape;
  return {
    width: Math.min(tileSize, width - tile.tx * tileSize),
    height: Math.min(tileSize, height - tile.ty * tileSize),
  };
}

/** The level-0 area a tile covers, cut at the image edge. */
export function tileRect(shape: GridShape, tile: TileId): Rect {
  const span = shape.tileSize * 2 ** tile.level;
  const x = tile.tx * span;
  const y = tile.ty * span;
  return {
    x,
    y,
    width: Math.min(span, shape.width - x),
    height: Math.min(span, shape.height - y),
  };
}

/** The tiles of a level that cover a level-0 region, nearest to the region's centre first. */
export function tilesCovering(shape: GridShape, level: number, region: Rect): TileId[] {
  const span = shape.tileSize * 2 ** level;
  const x0 = Math.max(0, region.x);
  const y0 = Math.max(0, region.y);
  const x1 = Math.min(shape.width, region.x + region.width);
  const y1 = Math.min(shape.height, region.y + region.height);
  if (x1 <= x0 || y1 <= y0) return [];
  const tiles: TileId[] = [];
  for (let ty = Math.floor(y0 / span); ty * span < y1; ty++) {
    for (let tx = Math.floor(x0 / span); tx * span < x1; tx++) tiles.push({ level, ty, tx });
  }
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const distance = (t: TileId) => Math.hypot((t.tx + 0.5) * span - cx, (t.ty + 0.5) * span - cy);
  return tiles.sort((a, b) => distance(a) - distance(b));
}

/** The tile of a coarser level that contains a tile. */
export function parentAt(tile: TileId, level: number): TileId {
  const shift = level - tile.level;
  return { level, ty: tile.ty >> shift, tx: tile.tx >> shift };
}

/**
 * The first tile, from the tile itself up to the coarsest level, for which `has` holds; null when
 * none does. Used to draw something while the wanted tile loads.
 */
export function bestAvailable(
  tile: TileId,
  levels: number,
  has: (tile: TileId) => boolean,
): TileId | null {
  for (let level = tile.level; level < levels; level++) {
    const candidate = parentAt(tile, level);
    if (has(candidate)) return candidate;
  }
  return null;
}

export function intersect(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const width = Math.min(a.x + a.width, b.x + b.width) - x;
  const height = Math.min(a.y + a.height, b.y + b.height) - y;
  return width > 0 && height > 0 ? { x, y, width, height } : null;
}

export function union(a: Rect | null, b: Rect): Rect {
  if (!a) return b;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

/**
 * Write a level-0 patch into a tile of level `level` whose first pixel is at (originY, originX)
 * of that level. Overview pixel (y, x) stands for level-0 pixel (y * 2^level, x * 2^level), so it
 * takes the patch's value there when that point lies in the patch. Returns the tile-local
 * rectangle that changed, or null.
 */
export function applyPatchToTile(
  tile: { data: Int32Array; width: number; height: number },
  level: number,
  originX: number,
  originY: number,
  patch: Rect,
  values: Int32Array,
): Rect | null {
  const step = 2 ** level;
  const ceilDiv = (a: number) => Math.ceil(a / step);
  const yStart = Math.max(originY, ceilDiv(patch.y));
  const yEnd = Math.min(originY + tile.height, Math.floor((patch.y + patch.height - 1) / step) + 1);
  const xStart = Math.max(originX, ceilDiv(patch.x));
  const xEnd = Math.min(originX + tile.width, Math.floor((patch.x + patch.width - 1) / step) + 1);
  if (yStart >= yEnd || xStart >= xEnd) return null;
  for (let y = yStart; y < yEnd; y++) {
    const source = (y * step - patch.y) * patch.width - patch.x;
    const target = (y - originY) * tile.width - originX;
    if (step === 1) {
      tile.data.set(values.subarray(source + xStart, source + xEnd), target + xStart);
    } else {
      for (let x = xStart; x < xEnd; x++) tile.data[target + x] = values[source + x * step];
    }
  }
  return { x: xStart - originX, y: yStart - originY, width: xEnd - xStart, height: yEnd - yStart };
}
