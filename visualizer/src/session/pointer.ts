// Pointer gestures on the canvas and what they mean. A drag pans with the middle or right button,
// with Space held, with the select tool or while a panel is picking; otherwise it goes to the
// active tool. A plain click picks (for the selection or the panel). Hovering names the cells
// under the cursor and moves the brush cursor; the wheel zooms about the pointer.
import type { LabelTiles } from '../data/labelTiles';
import { toImage } from '../machines/viewport';
import type { SessionActors } from './actors';
import type { CanvasView } from './canvas';
import type { Picking } from './picking';

type Actors = Pick<SessionActors, 'viewport' | 'display' | 'tools' | 'selection'>;

/** Canvas pixels a press may move and still be a click. */
const CLICK_SLOP = 3;

export class Pointer {
  /** Space is held: drags pan whatever the tool. */
  panKeyHeld = false;
  private drag: {
    x: number;
    y: number;
    panning: boolean;
    moved: boolean;
    toolDown: boolean;
  } | null = null;

  constructor(
    private readonly store: LabelTiles,
    private readonly canvas: CanvasView,
    private readonly picking: Picking,
    private readonly actors: Actors,
  ) {}

  /** Cells under an image point: one read from the label copy, no scan. */
  cellsAt(x: number, y: number): number[] {
    const { frame, feature } = this.actors.display.getSnapshot().context;
    return this.store.cellsAt(feature, frame, x, y);
  }

  down(canvasX: number, canvasY: number, button: number) {
    const tool = this.actors.tools.getSnapshot().context.tool;
    const panning = button === 1 || button === 2 || this.panKeyHeld;
    this.drag = { x: canvasX, y: canvasY, panning, moved: false, toolDown: false };
    // The select tool, and picking cells for a panel, pan on drag and pick on a plain click.
    if (panning || tool === 'select' || this.picking.active) return;
    this.drag.toolDown = true;
    this.toolDown(canvasX, canvasY);
  }

  move(canvasX: number, canvasY: number) {
    const point = this.imagePoint(canvasX, canvasY);
    this.canvas.pointer = point;
    this.actors.selection.send({ type: 'HOVER', cells: this.cellsAt(point.x, point.y) });
    const drag = this.drag;
    if (drag) {
      const dx = canvasX - drag.x;
      const dy = canvasY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) > CLICK_SLOP) drag.moved = true;
      if (drag.toolDown) {
        this.actors.tools.send({ type: 'POINTER_MOVE', x: point.x, y: point.y });
      } else if (drag.moved) {
        this.actors.viewport.send({ type: 'PAN', dx, dy });
        drag.x = canvasX;
        drag.y = canvasY;
      }
    }
    this.canvas.pushCursors();
  }

  /** `shift` cycles through overlapping cells when picking for a panel. */
  up(canvasX: number, canvasY: number, shift = false) {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    const point = this.imagePoint(canvasX, canvasY);
    if (drag.toolDown) {
      this.actors.tools.send({ type: 'POINTER_UP', x: point.x, y: point.y });
    } else if (!drag.moved && !drag.panning) {
      if (this.picking.active) {
        this.picking.click(this.cellsAt(point.x, point.y), shift);
      } else {
        this.toolDown(canvasX, canvasY);
      }
    }
  }

  leave() {
    this.canvas.pointer = null;
    this.actors.selection.send({ type: 'HOVER', cells: [] });
    this.canvas.pushCursors();
  }

  wheel(canvasX: number, canvasY: number, deltaY: number) {
    this.actors.viewport.send({
      type: 'ZOOM_AT',
      factor: Math.exp(-deltaY * 0.0015),
      canvasX,
      canvasY,
    });
  }

  private imagePoint(canvasX: number, canvasY: number) {
    return toImage(this.actors.viewport.getSnapshot().context, canvasX, canvasY);
  }

  private toolDown(canvasX: number, canvasY: number) {
    const point = this.imagePoint(canvasX, canvasY);
    this.actors.tools.send({
      type: 'POINTER_DOWN',
      x: point.x,
      y: point.y,
      cells: this.cellsAt(point.x, point.y),
      selected: this.actors.selection.getSnapshot().context.selected,
    });
  }
}
