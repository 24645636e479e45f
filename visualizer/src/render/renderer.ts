// WebGL2 drawing of one project view as tile quads, each with its own textures. Pixel data lives
// in textures; display changes only set uniforms and redraw, so they cost no pass over the pixels
// on the CPU.
import vertexSource from './shaders/image.vert?raw';
import fragmentSource from './shaders/image.frag?raw';
import { LOOKUP_WIDTH, type Lookup } from './lookup';
import { webgl2Program } from './program';
import type { TileEntry } from '../data/labelTiles';
import { intersect, type Rect } from '../data/tileGrid';

export interface View {
  x: number;
  y: number;
  zoom: number;
  cssWidth: number;
  cssHeight: number;
  devicePixelRatio: number;
}

export interface DisplayUniforms {
  layers: { channel: number; color: [number, number, number]; range: [number, number] }[];
  grayscale: boolean;
  brightness: number;
  contrast: number;
  invert: boolean;
  showLabels: boolean;
  labelOpacity: number;
  outlineOpacity: number;
  highlight: boolean;
  background: [number, number, number];
}

export interface Cursors {
  brush: [number, number, number] | null;
  box: [number, number, number, number] | null;
  seed: [number, number] | null;
}

/** Where a tile's texels lie: texel (0, 0) is level-`level` pixel (originY, originX). */
export interface TileSource {
  level: number;
  originX: number;
  originY: number;
  width: number;
  height: number;
}

/** One quad to draw: a level-0 rectangle, its raw layers and labels (maybe from coarser tiles). */
export interface TileDraw {
  rect: Rect;
  raw: TileSource & { textures: WebGLTexture[] };
  labels: (TileSource & { texture: WebGLTexture }) | null;
}

/**
 * A label tile beside another at the same level (left, right, above, below): its entry when cached,
 * null when not (the tile's own edge stands in), 'outside' past the image's edge (background).
 */
export type LabelNeighbour = TileEntry | null | 'outside';

/** Bytes of a tile's texture: label textures carry a 1-texel border from the tiles beside them. */
function textureBytes(entry: TileEntry): number {
  const apron = entry.data instanceof Int32Array ? 2 : 0;
  return (entry.width + apron) * (entry.height + apron) * 4;
}

/** The local brush preview: level-0 squares of `size` pixels, 1 paint, 2 erase. */
export interface OverlaySource {
  size: number;
  tiles: Map<string, { x: number; y: number; mask: Uint8Array }>;
}

export const MAX_LAYERS = 8;
const RAW_UNIT = 0;
const LABEL_UNIT = MAX_LAYERS;
const LOOKUP_UNIT = MAX_LAYERS + 1;
const OVERLAY_UNIT = MAX_LAYERS + 2;
const TYPE_UNIT = MAX_LAYERS + 3;
/** The unit textures are bound to while they are created or written. */
const SCRATCH_UNIT = TYPE_UNIT + 1;
const SELECTED_COLOR: [number, number, number] = [1, 1, 1];

export class Renderer {
  readonly gl: WebGL2RenderingContext;
  private program: WebGLProgram;
  private uniforms = new Map<string, WebGLUniformLocation | null>();
  private lookup: WebGLTexture;
  private typeLookup: WebGLTexture;
  private emptyFloat: WebGLTexture;
  private emptyInt: WebGLTexture;
  /** Preview textures by square, and each square's level-0 origin. */
  private overlays = new Map<string, WebGLTexture>();
  private overlayOrigins = new Map<string, [number, number]>();
  private overlaySize = 0;
  private typeLookupSize = 0;
  private imageWidth = 1;
  private imageHeight = 1;
  private lookupSize = 0;
  private view: View = { x: 0, y: 0, zoom: 1, cssWidth: 1, cssHeight: 1, devicePixelRatio: 1 };
  private display: DisplayUniforms | null = null;
  private cursors: Cursors = { brush: null, box: null, seed: null };
  private frameRequest = 0;
  private textureBytes = 0;
  /** The tiles to draw for the current view, asked for on every draw. */
  scene: (() => TileDraw[]) | null = null;
  /** Called after each draw (used by performance measurements). */
  onDraw: (() => void) | null = null;

  constructor(readonly canvas: HTMLCanvasElement) {
    const { gl, program } = webgl2Program(
      canvas,
      vertexSource,
      fragmentSource,
      'This browser cannot show the image: WebGL2 is not available.',
    );
    this.gl = gl;
    this.program = program;
    gl.useProgram(program);

    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    const position = gl.getAttribLocation(program, 'a_position');
    gl.enableVertexAttribArray(position);
    gl.vertexAttribPointer(position, 2, gl.FLOAT, false, 0, 0);

    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    for (let i = 0; i < MAX_LAYERS; i++) gl.uniform1i(this.location(`u_raw${i}`), RAW_UNIT + i);
    gl.uniform1i(this.location('u_labels'), LABEL_UNIT);
    gl.uniform1i(this.location('u_lookup'), LOOKUP_UNIT);
    gl.uniform1i(this.location('u_overlay'), OVERLAY_UNIT);
    gl.uniform1i(this.location('u_typeLookup'), TYPE_UNIT);
    this.lookup = this.texture();
    this.typeLookup = this.texture();
    // Bound where a tile has no texture, so every sampler always has a complete texture.
    this.emptyFloat = this.texture();
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32F, 1, 1, 0, gl.RED, gl.FLOAT, new Float32Array(1));
    this.emptyInt = this.texture();
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32I, 1, 1, 0, gl.RED_INTEGER, gl.INT, new Int32Array(1));
    this.bind(OVERLAY_UNIT, this.emptyFloat);
    this.bind(LOOKUP_UNIT, this.lookup);
    this.bind(TYPE_UNIT, this.typeLookup);
    this.setLookup({ data: new Uint8Array(LOOKUP_WIDTH * 4), size: LOOKUP_WIDTH, rows: 1 });
    this.setTypeLookup(null);
  }

  /** A new 2D texture, bound to the scratch unit, with nearest sampling (pixels stay exact). */
  private texture(): WebGLTexture {
    const gl = this.gl;
    const texture = gl.createTexture()!;
    gl.activeTexture(gl.TEXTURE0 + SCRATCH_UNIT);
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    return texture;
  }

  private location(name: string): WebGLUniformLocation | null {
    if (!this.uniforms.has(name))
      this.uniforms.set(name, this.gl.getUniformLocation(this.program, name));
    return this.uniforms.get(name)!;
  }

  private bind(unit: number, texture: WebGLTexture) {
    this.gl.activeTexture(this.gl.TEXTURE0 + unit);
    this.gl.bindTexture(this.gl.TEXTURE_2D, texture);
  }

  setImageSize(width: number, height: number) {
    this.imageWidth = width;
    this.imageHeight = height;
    this.requestRender();
  }

  /** Bytes of tile and preview textures alive now. */
  get tileTextureBytes(): number {
    return this.textureBytes;
  }

  /** Make a raw tile's texture current (made on first use); its CPU copy is dropped then. */
  uploadRawTile(entry: TileEntry): WebGLTexture {
    this.uploadTile(entry, 0, this.gl.R32F, this.gl.RED, this.gl.FLOAT);
    entry.data = null;
    return entry.texture!;
  }

  /**
   * Make a label tile's texture current. The texture has a 1-texel border holding the edge texels
   * of the tiles beside it (so outlines along its edges are right); the border is refilled when
   * this tile or one beside it changed since.
   */
  uploadLabelTile(entry: TileEntry, neighbours: LabelNeighbour[]): WebGLTexture {
    const gl = this.gl;
    this.uploadTile(entry, 1, gl.R32I, gl.RED_INTEGER, gl.INT);
    const own = entry.data as Int32Array;
    const { width, height } = entry;
    const signature = [
      entry.revision,
      ...neighbours.map((n) => (n && n !== 'outside' ? n.revision : n)),
    ].join();
    if (entry.apron === signature) return entry.texture!;
    entry.apron = signature;
    // Left, right, above, below: where the border lies, how long it is, which texel of the tile
    // beside it (or of this tile's own edge) fills border position i.
    const at = (n: TileEntry, x: number, y: number) => (n.data as Int32Array)[y * n.width + x];
    const sides = [
      {
        x: 0,
        y: 1,
        along: height,
        beside: (n: TileEntry, i: number) => at(n, n.width - 1, i),
        edge: (i: number) => own[i * width],
      },
      {
        x: width + 1,
        y: 1,
        along: height,
        beside: (n: TileEntry, i: number) => at(n, 0, i),
        edge: (i: number) => own[i * width + width - 1],
      },
      {
        x: 1,
        y: 0,
        along: width,
        beside: (n: TileEntry, i: number) => at(n, i, n.height - 1),
        edge: (i: number) => own[i],
      },
      {
        x: 1,
        y: height + 1,
        along: width,
        beside: (n: TileEntry, i: number) => at(n, i, 0),
        edge: (i: number) => own[(height - 1) * width + i],
      },
    ];
    gl.activeTexture(gl.TEXTURE0 + SCRATCH_UNIT);
    gl.bindTexture(gl.TEXTURE_2D, entry.texture);
    sides.forEach((side, index) => {
      const neighbour = neighbours[index];
      const strip = new Int32Array(side.along);
      if (neighbour && neighbour !== 'outside' && neighbour.data) {
        for (let i = 0; i < side.along; i++) strip[i] = side.beside(neighbour, i);
      } else if (neighbour === null) {
        for (let i = 0; i < side.along; i++) strip[i] = side.edge(i);
      }
      const vertical = index < 2;
      gl.texSubImage2D(
        gl.TEXTURE_2D,
        0,
        side.x,
        side.y,
        vertical ? 1 : side.along,
        vertical ? side.along : 1,
        gl.RED_INTEGER,
        gl.INT,
        strip,
      );
    });
    return entry.texture!;
  }

  /** Create a tile's texture on first use (with a border of `apron` texels) and upload what changed. */
  private uploadTile(
    entry: TileEntry,
    apron: number,
    internal: number,
    format: number,
    type: number,
  ) {
    const gl = this.gl;
    if (!entry.texture) {
      entry.texture = this.texture();
      gl.texStorage2D(
        gl.TEXTURE_2D,
        1,
        internal,
        entry.width + 2 * apron,
        entry.height + 2 * apron,
      );
      this.textureBytes += textureBytes(entry);
      entry.dirty = { x: 0, y: 0, width: entry.width, height: entry.height };
      entry.apron = undefined;
    }
    if (!entry.dirty || !entry.data) return;
    const rect = entry.dirty;
    gl.activeTexture(gl.TEXTURE0 + SCRATCH_UNIT);
    gl.bindTexture(gl.TEXTURE_2D, entry.texture);
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, entry.width);
    gl.texSubImage2D(
      gl.TEXTURE_2D,
      0,
      rect.x + apron,
      rect.y + apron,
      rect.width,
      rect.height,
      format,
      type,
      entry.data,
      rect.y * entry.width + rect.x,
    );
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
    entry.dirty = null;
  }

  /** Free a tile's texture when it leaves the cache. */
  releaseTile(entry: TileEntry) {
    if (!entry.texture) return;
    this.gl.deleteTexture(entry.texture);
    this.textureBytes -= textureBytes(entry);
    entry.texture = null;
  }

  setLookup(lookup: Lookup) {
    this.uploadLookup(LOOKUP_UNIT, this.lookup, lookup);
    this.lookupSize = lookup.size;
  }

  /** Cell-type colours per label value (alpha = the type's opacity, 0 = no type shown). */
  setTypeLookup(lookup: Lookup | null) {
    if (lookup) this.uploadLookup(TYPE_UNIT, this.typeLookup, lookup);
    else this.requestRender();
    this.typeLookupSize = lookup?.size ?? 0;
  }

  private uploadLookup(unit: number, texture: WebGLTexture, lookup: Lookup) {
    const gl = this.gl;
    this.bind(unit, texture);
    gl.texImage2D(
      gl.TEXTURE_2D,
      0,
      gl.RGBA8,
      LOOKUP_WIDTH,
      lookup.rows,
      0,
      gl.RGBA,
      gl.UNSIGNED_BYTE,
      lookup.data,
    );
    this.requestRender();
  }

  /** Upload the changed part of the local preview; squares left without strokes are freed. */
  updateOverlay(overlay: OverlaySource, rect: Rect) {
    const gl = this.gl;
    for (const [key, texture] of this.overlays) {
      if (overlay.tiles.has(key)) continue;
      gl.deleteTexture(texture);
      this.overlays.delete(key);
      this.textureBytes -= overlay.size * overlay.size;
    }
    for (const [key, tile] of overlay.tiles) {
      const square = { x: tile.x, y: tile.y, width: overlay.size, height: overlay.size };
      const part = intersect(square, rect);
      if (!part) continue;
      let texture = this.overlays.get(key);
      if (!texture) {
        texture = this.texture();
        gl.texStorage2D(gl.TEXTURE_2D, 1, gl.R8, overlay.size, overlay.size);
        this.overlays.set(key, texture);
        this.textureBytes += overlay.size * overlay.size;
        part.x = tile.x;
        part.y = tile.y;
        part.width = overlay.size;
        part.height = overlay.size;
      }
      gl.activeTexture(gl.TEXTURE0 + SCRATCH_UNIT);
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.pixelStorei(gl.UNPACK_ROW_LENGTH, overlay.size);
      gl.texSubImage2D(
        gl.TEXTURE_2D,
        0,
        part.x - tile.x,
        part.y - tile.y,
        part.width,
        part.height,
        gl.RED,
        gl.UNSIGNED_BYTE,
        tile.mask,
        (part.y - tile.y) * overlay.size + (part.x - tile.x),
      );
      gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
    }
    this.overlaySize = overlay.size;
    this.overlayOrigins = new Map([...overlay.tiles].map(([key, t]) => [key, [t.x, t.y]]));
    this.requestRender();
  }

  setView(view: View) {
    this.view = view;
    const width = Math.max(1, Math.round(view.cssWidth * view.devicePixelRatio));
    const height = Math.max(1, Math.round(view.cssHeight * view.devicePixelRatio));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.requestRender();
  }

  setDisplay(display: DisplayUniforms) {
    this.display = display;
    this.requestRender();
  }

  setCursors(cursors: Cursors) {
    this.cursors = cursors;
    this.requestRender();
  }

  requestRender() {
    if (this.frameRequest) return;
    this.frameRequest = requestAnimationFrame(() => {
      this.frameRequest = 0;
      this.render();
    });
  }

  render() {
    const gl = this.gl;
    const display = this.display;
    if (!display) return;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.useProgram(this.program);
    const u = (name: string) => this.location(name);
    const { view } = this;
    const scale = 1 / (view.zoom * view.devicePixelRatio);
    gl.uniform2f(u('u_imageSize'), this.imageWidth, this.imageHeight);
    gl.uniform2f(u('u_origin'), view.x, view.y);
    gl.uniform1f(u('u_scale'), scale);
    gl.uniform2f(u('u_canvasSize'), this.canvas.width, this.canvas.height);

    const layers = display.layers.slice(0, MAX_LAYERS);
    gl.uniform1i(u('u_layerCount'), layers.length);
    gl.uniform3fv(
      u('u_layerColor'),
      padTo(
        layers.flatMap((l) => l.color),
        MAX_LAYERS * 3,
      ),
    );
    gl.uniform2fv(
      u('u_layerRange'),
      padTo(
        layers.flatMap((l) => l.range),
        MAX_LAYERS * 2,
      ),
    );
    gl.uniform1i(u('u_grayscale'), display.grayscale ? 1 : 0);
    gl.uniform1f(u('u_brightness'), display.brightness);
    gl.uniform1f(u('u_contrast'), display.contrast);
    gl.uniform1i(u('u_invert'), display.invert ? 1 : 0);

    gl.uniform1i(u('u_showLabels'), display.showLabels ? 1 : 0);
    gl.uniform1f(u('u_labelOpacity'), display.labelOpacity);
    gl.uniform1f(u('u_outlineOpacity'), display.outlineOpacity);
    gl.uniform1i(u('u_highlight'), display.highlight ? 1 : 0);
    gl.uniform1i(u('u_lookupSize'), this.lookupSize);
    gl.uniform1i(u('u_typeLookupSize'), this.typeLookupSize);
    gl.uniform3fv(u('u_selectedColor'), SELECTED_COLOR);
    gl.uniform3fv(u('u_background'), display.background);
    gl.uniform3fv(u('u_edgeColor'), [0.2, 0.6, 1.0]);

    const { brush, box, seed } = this.cursors;
    gl.uniform3fv(u('u_brush'), brush ?? [0, 0, 0]);
    gl.uniform4fv(u('u_box'), box ?? [1, 0, 0, 0]);
    gl.uniform3fv(u('u_seed'), seed ? [seed[0], seed[1], 1] : [0, 0, 0]);

    // Where no tile is drawn the canvas shows the background: cleared everywhere, and the parts
    // beside the image drawn by the background pass (which marks the edges the image continues past).
    const quad = (r: Rect) => gl.uniform4f(u('u_quad'), r.x, r.y, r.width, r.height);
    const tiles = this.scene?.() ?? [];
    const [red, green, blue] = display.background;
    gl.clearColor(red, green, blue, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.uniform1i(u('u_hasOverlay'), 0);
    gl.uniform1i(u('u_tile'), 0);
    const canvasRect = {
      x: view.x,
      y: view.y,
      width: this.canvas.width * scale,
      height: this.canvas.height * scale,
    };
    for (const strip of outside(canvasRect, this.imageWidth, this.imageHeight)) {
      quad(strip);
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    }

    gl.uniform1i(u('u_tile'), 1);
    for (const tile of tiles) {
      const { raw, labels } = tile;
      for (let i = 0; i < MAX_LAYERS; i++)
        this.bind(RAW_UNIT + i, raw.textures[i] ?? this.emptyFloat);
      gl.uniform1f(u('u_rawStep'), 2 ** raw.level);
      gl.uniform2i(u('u_rawOrigin'), raw.originX, raw.originY);
      gl.uniform1i(u('u_hasLabels'), labels ? 1 : 0);
      this.bind(LABEL_UNIT, labels?.texture ?? this.emptyInt);
      if (labels) {
        gl.uniform1f(u('u_labelStep'), 2 ** labels.level);
        gl.uniform2i(u('u_labelOrigin'), labels.originX, labels.originY);
      }
      quad(tile.rect);
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
      // Parts with a pending stroke are drawn again with its preview.
      for (const [key, [x, y]] of this.overlayOrigins) {
        const texture = this.overlays.get(key);
        const part =
          texture &&
          intersect(tile.rect, { x, y, width: this.overlaySize, height: this.overlaySize });
        if (!part) continue;
        this.bind(OVERLAY_UNIT, texture);
        gl.uniform1i(u('u_hasOverlay'), 1);
        gl.uniform2i(u('u_overlayOrigin'), x, y);
        quad(part);
        gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
        gl.uniform1i(u('u_hasOverlay'), 0);
      }
    }
    this.bind(OVERLAY_UNIT, this.emptyFloat);
    this.onDraw?.();
  }

  /** RGBA of one canvas pixel (device pixels, top-left origin); used by tests. */
  readPixel(x: number, y: number): number[] {
    const gl = this.gl;
    const out = new Uint8Array(4);
    gl.readPixels(x, this.canvas.height - 1 - y, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, out);
    return [...out];
  }

  dispose() {
    cancelAnimationFrame(this.frameRequest);
    this.gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/** The parts of a rectangle outside the image (0, 0, width, height): up to four strips. */
function outside(rect: Rect, width: number, height: number): Rect[] {
  const inner = intersect(rect, { x: 0, y: 0, width, height });
  if (!inner) return [rect];
  const right = rect.x + rect.width;
  const bottom = rect.y + rect.height;
  const innerRight = inner.x + inner.width;
  const innerBottom = inner.y + inner.height;
  return [
    { x: rect.x, y: rect.y, width: rect.width, height: inner.y - rect.y },
    { x: rect.x, y: innerBottom, width: rect.width, height: bottom - innerBottom },
    { x: rect.x, y: inner.y, width: inner.x - rect.x, height: inner.height },
    { x: innerRight, y: inner.y, width: right - innerRight, height: inner.height },
  ].filter((r) => r.width > 0 && r.height > 0);
}

function padTo(values: number[], length: number): number[] {
  const out = values.slice(0, length);
  while (out.length < length) out.push(0);
  return out;
}
