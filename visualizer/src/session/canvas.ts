// The picture on the canvas: the WebGL renderer and the tiled image it draws, kept in step with the
// viewport, the display settings, the tools' cursors and the label colours.
import type { ProjectMetadata } from '../api/client';
import type { StrokePreview } from '../data/strokePreview';
import type { TiledImage, TileStats } from '../data/tiledImage';
import type { Rect } from '../data/tileGrid';
import type { DisplayContext } from '../machines/display';
import { MAX_LAYERS, Renderer, type DisplayUniforms } from '../render/renderer';
import { disconnectAll, type Disconnect, type SessionActors } from './actors';
import { LabelColours } from './colours';

export function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.replace('#', ''), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

/** What the shader needs from the display settings. */
export function displayUniforms(display: DisplayContext, dark: boolean): DisplayUniforms {
  const settings = display.channels[display.channel];
  const layers =
    display.mode === 'grayscale'
      ? [
          {
            channel: display.channel,
            color: [1, 1, 1] as [number, number, number],
            range: settings.range,
          },
        ]
      : display.layers
          .filter((l) => l.on)
          .map((l) => ({
            channel: l.channel,
            color: hexToRgb(l.color),
            range: display.channels[l.channel].range,
          }));
  return {
    layers,
    grayscale: display.mode === 'grayscale',
    brightness: settings.brightness,
    contrast: settings.contrast,
    invert: settings.invert,
    showLabels: display.showLabels,
    labelOpacity: display.labelOpacity,
    outlineOpacity: display.outlineOpacity,
    highlight: display.highlight,
    background: dark ? [0.07, 0.07, 0.09] : [0.8, 0.8, 0.82],
  };
}

type Actors = Pick<
  SessionActors,
  | 'viewport'
  | 'display'
  | 'tools'
  | 'selection'
  | 'annotations'
  | 'typeDisplay'
  | 'learning'
  | 'disagreement'
>;

export class CanvasView {
  renderer: Renderer | null = null;
  readonly colours: LabelColours;
  dark = false;
  firstImageShown = false;
  /** The image point under the pointer, where the brush cursor is drawn; null off the canvas. */
  pointer: { x: number; y: number } | null = null;
  private shownFrame = -1;
  private shownFeature = -1;

  constructor(
    private readonly metadata: ProjectMetadata,
    readonly image: TiledImage,
    private readonly actors: Actors,
  ) {
    this.colours = new LabelColours(image.labels, actors, () => this.renderer);
  }

  connect(): Disconnect {
    const { display, viewport, tools } = this.actors;
    return disconnectAll(
      this.colours.connect(),
      display.subscribe(() => this.onDisplayChange()),
      viewport.subscribe(() => this.pushView()),
      tools.subscribe(() => this.pushCursors()),
    );
  }

  attach(canvas: HTMLCanvasElement) {
    const renderer = new Renderer(canvas);
    this.renderer = renderer;
    renderer.setImageSize(this.metadata.width, this.metadata.height);
    this.image.attach(renderer);
    this.image.onChange = () => renderer.requestRender();
    renderer.onDraw = () => {
      // The first view is shown once every visible tile is drawn at its own level.
      if (!this.firstImageShown && this.image.complete()) {
        this.firstImageShown = true;
        performance.mark('dcl:first-image');
      }
    };
    this.onDisplayChange(true);
    this.pushView();
  }

  dispose() {
    this.image.dispose();
    this.renderer?.dispose();
    this.renderer = null;
  }

  setDark(dark: boolean) {
    this.dark = dark;
    this.pushDisplay();
  }

  /** Tile cache and loading figures, for tests and measurements. */
  tileStats(): TileStats {
    return this.image.stats();
  }

  /** The level-0 region on screen, cut to the image, in whole pixels. */
  visibleRegion(): Rect {
    const view = this.actors.viewport.getSnapshot().context;
    const x0 = Math.max(0, Math.floor(view.x));
    const y0 = Math.max(0, Math.floor(view.y));
    const x1 = Math.min(this.metadata.width, Math.ceil(view.x + view.canvasWidth / view.zoom));
    const y1 = Math.min(this.metadata.height, Math.ceil(view.y + view.canvasHeight / view.zoom));
    return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
  }

  /** Upload the changed part of the stroke preview; `now` draws at once instead of next frame. */
  drawPreview(preview: StrokePreview, rect: Rect, now = false) {
    this.renderer?.updateOverlay(preview, rect);
    if (now) this.renderer?.render();
  }

  private onDisplayChange(force = false) {
    const { frame, feature } = this.actors.display.getSnapshot().context;
    if (force || frame !== this.shownFrame || feature !== this.shownFeature) {
      this.shownFrame = frame;
      this.shownFeature = feature;
      this.colours.refresh();
    }
    this.pushDisplay();
    this.pushTiles();
  }

  private pushDisplay() {
    this.renderer?.setDisplay(
      displayUniforms(this.actors.display.getSnapshot().context, this.dark),
    );
  }

  private pushView() {
    const view = this.actors.viewport.getSnapshot().context;
    this.renderer?.setView({
      x: view.x,
      y: view.y,
      zoom: view.zoom,
      cssWidth: view.canvasWidth,
      cssHeight: view.canvasHeight,
      devicePixelRatio: window.devicePixelRatio || 1,
    });
    this.pushTiles();
  }

  /** Tell the tiled image what is on screen: view, frame, feature and shown channels. */
  private pushTiles() {
    if (!this.renderer) return;
    const view = this.actors.viewport.getSnapshot().context;
    const display = this.actors.display.getSnapshot().context;
    const layers = displayUniforms(display, this.dark).layers;
    this.image.show({
      frame: display.frame,
      feature: display.feature,
      channels: layers.slice(0, MAX_LAYERS).map((l) => l.channel),
      region: {
        x: view.x,
        y: view.y,
        width: view.canvasWidth / view.zoom,
        height: view.canvasHeight / view.zoom,
      },
      zoom: view.zoom,
      devicePixelRatio: window.devicePixelRatio || 1,
    });
  }

  /** The brush under the pointer, the threshold box and the watershed seed. */
  pushCursors() {
    const tools = this.actors.tools.getSnapshot().context;
    const brush =
      this.pointer && (tools.tool === 'brush' || tools.tool === 'eraser')
        ? ([
            Math.floor(this.pointer.x) + 0.5,
            Math.floor(this.pointer.y) + 0.5,
            tools.brushSize,
          ] as [number, number, number])
        : null;
    const box =
      tools.boxStart && tools.boxEnd
        ? ([
            Math.min(tools.boxStart[0], tools.boxEnd[0]),
            Math.min(tools.boxStart[1], tools.boxEnd[1]),
            Math.max(tools.boxStart[0], tools.boxEnd[0]),
            Math.max(tools.boxStart[1], tools.boxEnd[1]),
          ] as [number, number, number, number])
        : null;
    const seed = tools.seed ? ([tools.seed.x, tools.seed.y] as [number, number]) : null;
    this.renderer?.setCursors({ brush, box, seed });
  }
}
