// What the canvas shows of a multiresolution image: the tiles of the view's level, loaded with a
// bounded number of fetches in flight, kept in one byte-bounded cache with the label tiles, and
// drawn with the best coarser tile in place of any still on its way.
import * as api from '../api/client';
import { MAX_LAYERS, type LabelNeighbour, type Renderer, type TileDraw } from '../render/renderer';
import { LabelTiles, labelKey, rawKey, type TileEntry } from './labelTiles';
import { TileCache, DEFAULT_CACHE_BYTES } from './tileCache';
import {
  bestAvailable,
  chooseLevel,
  levelCount,
  tileCounts,
  tilePixels,
  tilesCovering,
  tileRect,
  VIEW_TILE_SIZE,
  type GridShape,
  type Rect,
  type TileId,
} from './tileGrid';
import { TileLoader, type TileRequest } from './tileLoader';

/** New tile textures made per drawn frame (1 MB each), so that a burst of arrivals never stalls one. */
export const UPLOADS_PER_FRAME = 6;

/** Left, right, above, below. */
const NEIGHBOUR_STEPS = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];

export interface ShownImage {
  frame: number;
  feature: number;
  /** Channels of the shown layers, in layer order. */
  channels: number[];
  /** The visible level-0 region. */
  region: Rect;
  zoom: number;
  devicePixelRatio: number;
}

export interface TileStats {
  bytes: number;
  textureBytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
  limit: number;
  inFlight: number;
  level: number;
}

export class TiledImage {
  readonly shape: GridShape;
  readonly cache: TileCache<TileEntry>;
  readonly labels: LabelTiles;
  private loader: TileLoader;
  private renderer: Renderer | null = null;
  private shown: ShownImage | null = null;
  private level = 0;
  private visible: TileId[] = [];
  /** The frame drawn before the shown one: its tiles stand in until the new frame's arrive. */
  private previousFrame: number | null = null;
  /** Tiles whose fetch failed; asked for again when another frame or feature is shown. */
  private failed = new Set<string>();
  /** Texture uploads still allowed in the frame being drawn, and whether any tile had to wait. */
  private uploadsLeft = 0;
  private deferred = false;
  /** Called when a tile arrives or changes, so the view is drawn again. */
  onChange: (() => void) | null = null;

  constructor(
    readonly metadata: api.ProjectMetadata,
    onError: (message: string) => void,
    cacheBytes = DEFAULT_CACHE_BYTES,
  ) {
    const tileSize = metadata.view_tile_size ?? VIEW_TILE_SIZE;
    this.shape = {
      width: metadata.width,
      height: metadata.height,
      tileSize,
      levels: metadata.levels ?? levelCount(metadata.width, metadata.height, tileSize),
    };
    this.cache = new TileCache<TileEntry>(cacheBytes);
    this.labels = new LabelTiles(this.shape, this.cache, metadata.cells);
    this.labels.subscribe((change) => {
      if (change.kind === 'pixels') this.onChange?.();
    });
    this.loader = new TileLoader(undefined, (key, error) => {
      this.failed.add(key);
      onError(`Could not load part of the image: ${(error as Error).message}`);
    });
  }

  attach(renderer: Renderer) {
    this.renderer = renderer;
    renderer.scene = () => this.scene();
  }

  /** Show a view: work out its tiles and fetch what is missing, most central first. */
  show(shown: ShownImage) {
    const previous = this.shown;
    if (previous && (previous.frame !== shown.frame || previous.feature !== shown.feature)) {
      // Another tab may have changed the frame since its tiles were cached.
      this.labels.markStale(shown.feature, shown.frame);
      this.failed.clear();
      if (previous.frame !== shown.frame) this.previousFrame = previous.frame;
    }
    this.shown = shown;
    this.level = chooseLevel(shown.zoom, shown.devicePixelRatio, this.shape.levels);
    this.visible = tilesCovering(this.shape, this.level, shown.region);
    this.request();
  }

  private request() {
    const shown = this.shown;
    if (!shown) return;
    const { frame, feature, channels } = shown;
    const top = this.shape.levels - 1;
    // The coarsest level first: one small tile that stands in for everything while it loads.
    const wanted = [
      ...tilesCovering(this.shape, top, shown.region),
      ...(this.level === top ? [] : this.visible),
    ];
    const requests: TileRequest[] = [];
    for (const tile of wanted) {
      for (const channel of new Set(channels)) {
        const key = rawKey(frame, channel, tile);
        if (!this.cache.get(key) && !this.failed.has(key)) {
          requests.push(this.rawRequest(frame, channel, tile));
        }
      }
      if (feature < this.metadata.features) {
        const key = labelKey(feature, frame, tile);
        const entry = this.cache.get(key);
        if ((!entry || entry.stale) && !this.failed.has(key)) {
          requests.push(this.labelRequest(feature, frame, tile, entry));
        }
      }
    }
    // Then the other channels of the visible tiles, so that switching channels shows at once.
    if (this.metadata.channels <= MAX_LAYERS) {
      for (const tile of this.visible) {
        for (let channel = 0; channel < this.metadata.channels; channel++) {
          const key = rawKey(frame, channel, tile);
          if (!channels.includes(channel) && !this.cache.has(key) && !this.failed.has(key)) {
            requests.push(this.rawRequest(frame, channel, tile));
          }
        }
      }
    }
    this.loader.want(requests);
  }

  private release(entry: TileEntry) {
    this.renderer?.releaseTile(entry);
  }

  private rawRequest(frame: number, channel: number, tile: TileId): TileRequest {
    const key = rawKey(frame, channel, tile);
    return {
      key,
      run: async (signal) => {
        const loaded = await api.getRawTile(this.metadata.id, frame, channel, tile, signal);
        const entry: TileEntry = {
          bytes: loaded.width * loaded.height * 4,
          width: loaded.width,
          height: loaded.height,
          data: loaded.data,
          texture: null,
          dirty: { x: 0, y: 0, width: loaded.width, height: loaded.height },
        };
        entry.dispose = () => this.release(entry);
        this.cache.set(key, entry);
        this.arrived();
      },
    };
  }

  private labelRequest(
    feature: number,
    frame: number,
    tile: TileId,
    cached: TileEntry | undefined,
  ): TileRequest {
    return {
      key: labelKey(feature, frame, tile),
      run: async (signal) => {
        const token = this.labels.beginFetch();
        let stored = false;
        try {
          const etag = cached?.stale ? cached.etag : null;
          const loaded = await api.getLabelTile(
            this.metadata.id,
            feature,
            frame,
            tile,
            signal,
            etag,
          );
          if (loaded) {
            this.labels.put(feature, frame, tile, loaded, token, (entry) => this.release(entry));
            stored = true;
          } else if (cached) {
            cached.stale = false;
          }
          this.arrived();
        } finally {
          if (!stored) this.labels.endFetch(token);
        }
      },
    };
  }

  private arrived() {
    this.onChange?.();
    this.request();
  }

  private rawReady(frame: number, channels: number[], tile: TileId): boolean {
    return channels.every((c) => this.cache.has(rawKey(frame, c, tile)));
  }

  /**
   * Whether the cached tiles of `keys` can be drawn in this frame: those without a texture yet
   * take from the frame's upload budget, and wait for a later frame once it is spent.
   */
  private drawable(keys: string[]): boolean {
    let uploads = 0;
    for (const key of keys) {
      const entry = this.cache.peek(key);
      if (!entry) return false;
      if (!entry.texture) uploads++;
    }
    if (uploads > this.uploadsLeft) {
      this.deferred = true;
      return false;
    }
    this.uploadsLeft -= uploads;
    return true;
  }

  /** Whether every visible tile is drawn from its own level, labels included. */
  complete(): boolean {
    const shown = this.shown;
    if (!shown || this.deferred) return false;
    const hasLabels = shown.feature < this.metadata.features;
    return this.visible.every(
      (tile) =>
        this.rawReady(shown.frame, shown.channels, tile) &&
        (!hasLabels || this.labels.has(shown.feature, shown.frame, tile)),
    );
  }

  /** The quads to draw now, each visible tile from the finest level cached. */
  private scene(): TileDraw[] {
    const shown = this.shown;
    const renderer = this.renderer;
    if (!shown || !renderer) return [];
    const { frame, feature, channels } = shown;
    const { levels } = this.shape;
    const draws: TileDraw[] = [];
    this.uploadsLeft = UPLOADS_PER_FRAME;
    this.deferred = false;
    const rawDrawable = (f: number) => (t: TileId) =>
      this.drawable(channels.map((c) => rawKey(f, c, t)));
    for (const tile of this.visible) {
      let rawFrame = frame;
      let rawTile = bestAvailable(tile, levels, rawDrawable(frame));
      if (!rawTile && this.previousFrame !== null) {
        rawFrame = this.previousFrame;
        rawTile = bestAvailable(tile, levels, rawDrawable(rawFrame));
      }
      // Rather than leave a tile blank, upload past the budget.
      if (!rawTile) {
        rawFrame = frame;
        rawTile = bestAvailable(tile, levels, (t) => this.rawReady(frame, channels, t));
      }
      if (!rawTile) continue;
      const textures = channels.map((c) =>
        renderer.uploadRawTile(this.cache.touch(rawKey(rawFrame, c, rawTile))!),
      );
      const labelTile =
        feature < this.metadata.features
          ? bestAvailable(tile, levels, (t) => this.drawable([labelKey(feature, frame, t)]))
          : null;
      let labels: TileDraw['labels'] = null;
      if (labelTile) {
        const entry = this.cache.touch(labelKey(feature, frame, labelTile))!;
        const { rows, columns } = tileCounts(this.shape, labelTile.level);
        const neighbours = NEIGHBOUR_STEPS.map(([dx, dy]): LabelNeighbour => {
          const tx = labelTile.tx + dx;
          const ty = labelTile.ty + dy;
          if (tx < 0 || ty < 0 || tx >= columns || ty >= rows) return 'outside';
          return this.cache.peek(labelKey(feature, frame, { ...labelTile, tx, ty })) ?? null;
        });
        labels = {
          ...this.source(labelTile),
          texture: renderer.uploadLabelTile(entry, neighbours),
        };
      }
      draws.push({
        rect: tileRect(this.shape, tile),
        raw: { ...this.source(rawTile), textures },
        labels,
      });
    }
    // Tiles left waiting for an upload are drawn in the next frame.
    if (this.deferred) requestAnimationFrame(() => this.onChange?.());
    return draws;
  }

  private source(tile: TileId) {
    const { tileSize } = this.shape;
    return {
      level: tile.level,
      originX: tile.tx * tileSize,
      originY: tile.ty * tileSize,
      ...tilePixels(this.shape, tile),
    };
  }

  stats(): TileStats {
    return {
      ...this.cache.stats(),
      textureBytes: this.renderer?.tileTextureBytes ?? 0,
      inFlight: this.loader.pending,
      level: this.level,
    };
  }

  dispose() {
    this.loader.cancelAll();
    this.cache.clear();
  }
}
