// The embedding scatter plot in WebGL2: every point drawn in one call, so 100 000 points cost a
// frame of a few milliseconds; colours and selection are buffers, changed without a new layout.
import vertexSource from './shaders/scatter.vert?raw';
import fragmentSource from './shaders/scatter.frag?raw';
import { webgl2Program } from './program';

export interface View {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export class ScatterRenderer {
  private readonly gl: WebGL2RenderingContext;
  private readonly program: WebGLProgram;
  private readonly vao: WebGLVertexArrayObject;
  private readonly buffers: Record<'x' | 'y' | 'colour' | 'selected', WebGLBuffer>;
  private count = 0;
  private view: View = { x0: 0, x1: 1, y0: 0, y1: 1 };

  constructor(private readonly canvas: HTMLCanvasElement) {
    const { gl, program } = webgl2Program(
      canvas,
      vertexSource,
      fragmentSource,
      'This browser cannot draw WebGL2, which the scatter plot needs.',
    );
    this.gl = gl;
    this.program = program;
    this.vao = gl.createVertexArray()!;
    gl.bindVertexArray(this.vao);
    const attribute = (name: string, size: number, type: number, normalized: boolean) => {
      const buffer = gl.createBuffer()!;
      const location = gl.getAttribLocation(program, name);
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.enableVertexAttribArray(location);
      gl.vertexAttribPointer(location, size, type, normalized, 0, 0);
      return buffer;
    };
    this.buffers = {
      x: attribute('a_x', 1, gl.FLOAT, false),
      y: attribute('a_y', 1, gl.FLOAT, false),
      colour: attribute('a_colour', 4, gl.UNSIGNED_BYTE, true),
      selected: attribute('a_selected', 1, gl.UNSIGNED_BYTE, false),
    };
    gl.bindVertexArray(null);
  }

  private upload(buffer: WebGLBuffer, data: ArrayBufferView) {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, data, gl.DYNAMIC_DRAW);
  }

  setPoints(xs: Float32Array, ys: Float32Array) {
    this.count = xs.length;
    this.upload(this.buffers.x, xs);
    this.upload(this.buffers.y, ys);
    this.upload(this.buffers.selected, new Uint8Array(this.count));
  }

  /** RGBA (0..255) per point. */
  setColours(colours: Uint8Array) {
    this.upload(this.buffers.colour, colours);
  }

  /** 1 for each selected point. */
  setSelected(selected: Uint8Array) {
    this.upload(this.buffers.selected, selected);
  }

  setView(view: View) {
    this.view = view;
  }

  draw(background: [number, number, number]) {
    const gl = this.gl;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(this.canvas.clientWidth * ratio);
    const height = Math.round(this.canvas.clientHeight * ratio);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    gl.viewport(0, 0, width, height);
    gl.clearColor(background[0] / 255, background[1] / 255, background[2] / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    if (!this.count) return;
    gl.useProgram(this.program);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    const { x0, y0, x1, y1 } = this.view;
    gl.uniform4f(gl.getUniformLocation(this.program, 'u_view'), x0, y0, x1, y1);
    // Smaller points when there are many, so that dense islands still show their shape.
    const size = (this.count > 20_000 ? 3 : this.count > 2_000 ? 4 : 6) * ratio;
    gl.uniform1f(gl.getUniformLocation(this.program, 'u_size'), size);
    // Selected points are ringed in the colour farthest from the background.
    const ring = background[0] + background[1] + background[2] > 384 ? 0.1 : 1.0;
    gl.uniform3f(gl.getUniformLocation(this.program, 'u_ring'), ring, ring, ring);
    gl.bindVertexArray(this.vao);
    gl.drawArrays(gl.POINTS, 0, this.count);
    gl.bindVertexArray(null);
  }

  /** Wait until the GPU has drawn (for measurements). */
  finish() {
    const pixel = new Uint8Array(4);
    this.gl.readPixels(0, 0, 1, 1, this.gl.RGBA, this.gl.UNSIGNED_BYTE, pixel);
  }

  dispose() {
    const gl = this.gl;
    for (const buffer of Object.values(this.buffers)) gl.deleteBuffer(buffer);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.program);
  }
}
