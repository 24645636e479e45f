// WebGL2 drawing of one project view. Pixel data lives in textures; display changes only set
// uniforms and redraw, so they cost no pass over the pixels on the CPU.
import vertexSource from './shaders/image.vert?raw';
import fragmentSource from './shaders/image.frag?raw';
import { LOOKUP_WIDTH, type Lookup } from './lookup';
import type { Rect } from '../data/labelStore';

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

export const MAX_LAYERS = 8;
const SELECTED_COLOR: [number, number, number] = [1, 1, 1];

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type)!;
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(`Shader did not compile: ${gl.getShaderInfoLog(shader)}`);
  }
  return shader;
}

export class Renderer {
  readonly gl: WebGL2RenderingContext;
  private program: WebGLProgram;
  private uniforms = new Map<string, WebGLUniformLocation | null>();
  private raw: WebGLTexture;
  private labels: WebGLTexture;
  private lookup: WebGLTexture;
  private overlay: WebGLTexture;
  private typeLookup: WebGLTexture;
  private typeLookupSize = 0;
  private imageWidth = 1;
  private imageHeight = 1;
  private lookupSize = 0;
  private hasLabels = false;
  private view: View = { x: 0, y: 0, zoom: 1, cssWidth: 1, cssHeight: 1, devicePixelRatio: 1 };
  private display: DisplayUniforms | null = null;
  private cursors: Cursors = { brush: null, box: null, seed: null };
  private frameRequest = 0;
  /** Called after each draw (used by performance measurements). */
  onDraw: (() => void) | null = null;

  constructor(readonly canvas: HTMLCanvasElement) {
    const gl = canvas.getContext('webgl2', { antialias: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error('This browser cannot show the image: WebGL2 is not available.');
    this.gl = gl;
    const program = gl.createProgram()!;
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, vertexSource));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, fragmentSource));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(`Shader program did not link: ${gl.getProgramInfoLog(program)}`);
    }
    this.program = program;
    gl.useProgram(program);

    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const position = gl.getAttribLocation(program, 'a_position');
    gl.enableVertexAttribArray(position);
    gl.vertexAttribPointer(position, 2, gl.FLOAT, false, 0, 0);

    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    this.raw = this.texture(0, gl.TEXTURE_2D_ARRAY, 'u_raw');
    this.labels = this.texture(1, gl.TEXTURE_2D, 'u_labels');
    this.lookup = this.texture(2, gl.TEXTURE_2D, 'u_lookup');
    this.overlay = this.texture(3, gl.TEXTURE_2D, 'u_overlay');
    this.typeLookup = this.texture(4, gl.TEXTURE_2D, 'u_typeLookup');
  }

  private texture(unit: number, target: number, name: string): WebGLTexture {
    const gl = this.gl;
    const texture = gl.createTexture()!;
    gl.activeTexture(gl.TEXTURE0 + unit);
    gl.bindTexture(target, texture);
    // Nearest sampling everywhere: pixels stay exact at every zoom.
    gl.texParameteri(target, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(target, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(target, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(target, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    gl.uniform1i(this.location(name), unit);
    return texture;
  }

  private location(name: string): WebGLUniformLocation | null {
    if (!this.uniforms.has(name))
      this.uniforms.set(name, this.gl.getUniformLocation(this.program, name));
    return this.uniforms.get(name)!;
  }

  private bind(unit: number, target: number, texture: WebGLTexture) {
    this.gl.activeTexture(this.gl.TEXTURE0 + unit);
    this.gl.bindTexture(target, texture);
  }

  /** Allocate textures for an image; previous pixel data is dropped. */
  setImage(width: number, height: number, channels: number) {
    const gl = this.gl;
    this.imageWidth = width;
    this.imageHeight = height;
    this.bind(0, gl.TEXTURE_2D_ARRAY, this.raw);
    gl.texStorage3D(gl.TEXTURE_2D_ARRAY, 1, gl.R32F, width, height, channels);
    this.bind(1, gl.TEXTURE_2D, this.labels);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.R32I, width, height);
    this.bind(3, gl.TEXTURE_2D, this.overlay);
    gl.texImage2D(
      gl.TEXTURE_2D,
      0,
      gl.R8,
      width,
      height,
      0,
      gl.RED,
      gl.UNSIGNED_BYTE,
      new Uint8Array(width * height),
    );
    this.hasLabels = false;
    this.requestRender();
  }

  setRawChannel(channel: number, data: Float32Array) {
    const gl = this.gl;
    this.bind(0, gl.TEXTURE_2D_ARRAY, this.raw);
    gl.texSubImage3D(
      gl.TEXTURE_2D_ARRAY,
      0,
      0,
      0,
      channel,
      this.imageWidth,
      this.imageHeight,
      1,
      gl.RED,
      gl.FLOAT,
      data,
    );
    this.requestRender();
  }

  setLabels(data: Int32Array | null) {
    const gl = this.gl;
    this.hasLabels = data !== null;
    if (data) {
      this.bind(1, gl.TEXTURE_2D, this.labels);
      gl.texSubImage2D(
        gl.TEXTURE_2D,
        0,
        0,
        0,
        this.imageWidth,
        this.imageHeight,
        gl.RED_INTEGER,
        gl.INT,
        data,
      );
    }
    this.requestRender();
  }

  /** Upload one changed rectangle of the shown label plane. */
  updateLabels(plane: Int32Array, rect: Rect) {
    this.uploadRect(1, this.labels, rect, this.gl.RED_INTEGER, this.gl.INT, plane);
  }

  setLookup(lookup: Lookup) {
    this.uploadLookup(2, this.lookup, lookup);
    this.lookupSize = lookup.size;
  }

  /** Cell-type colours per label value (alpha = the type's opacity, 0 = no type shown). */
  setTypeLookup(lookup: Lookup | null) {
    if (lookup) this.uploadLookup(4, this.typeLookup, lookup);
    else this.requestRender();
    this.typeLookupSize = lookup?.size ?? 0;
  }

  private uploadLookup(unit: number, texture: WebGLTexture, lookup: Lookup) {
    const gl = this.gl;
    this.bind(unit, gl.TEXTURE_2D, texture);
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

  /** Write part of the local preview mask (1 paint, 2 erase, 0 nothing). */
  updateOverlay(mask: Uint8Array, rect: Rect) {
    this.uploadRect(3, this.overlay, rect, this.gl.RED, this.gl.UNSIGNED_BYTE, mask);
  }

  /** Copy a rectangle of a whole-image array into the same place of a texture. */
  private uploadRect(
    unit: number,
    texture: WebGLTexture,
    rect: Rect,
    format: number,
    type: number,
    source: Int32Array | Uint8Array,
  ) {
    const gl = this.gl;
    this.bind(unit, gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, this.imageWidth);
    const offset = rect.y * this.imageWidth + rect.x;
    gl.texSubImage2D(
      gl.TEXTURE_2D,
      0,
      rect.x,
      rect.y,
      rect.width,
      rect.height,
      format,
      type,
      source,
      offset,
    );
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
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
    gl.uniform2f(u('u_imageSize'), this.imageWidth, this.imageHeight);
    gl.uniform2f(u('u_origin'), view.x, view.y);
    gl.uniform1f(u('u_scale'), 1 / (view.zoom * view.devicePixelRatio));
    gl.uniform2f(u('u_canvasSize'), this.canvas.width, this.canvas.height);

    const layers = display.layers.slice(0, MAX_LAYERS);
    gl.uniform1i(u('u_layerCount'), layers.length);
    gl.uniform1iv(
      u('u_layerChannel'),
      padTo(
        layers.map((l) => l.channel),
        MAX_LAYERS,
      ),
    );
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
    gl.uniform1i(u('u_hasLabels'), this.hasLabels ? 1 : 0);
    gl.uniform3fv(u('u_selectedColor'), SELECTED_COLOR);
    gl.uniform3fv(u('u_background'), display.background);
    gl.uniform3fv(u('u_edgeColor'), [0.2, 0.6, 1.0]);

    const { brush, box, seed } = this.cursors;
    gl.uniform3fv(u('u_brush'), brush ?? [0, 0, 0]);
    gl.uniform4fv(u('u_box'), box ?? [1, 0, 0, 0]);
    gl.uniform3fv(u('u_seed'), seed ? [seed[0], seed[1], 1] : [0, 0, 0]);

    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
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

function padTo(values: number[], length: number): number[] {
  const out = values.slice(0, length);
  while (out.length < length) out.push(0);
  return out;
}
