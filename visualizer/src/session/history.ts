// The history panel's commands: jump to where an entry changed pixels (its frame and feature,
// brought into view) and highlight them for a moment.
import type { ChangedBox, HistoryEntry } from '../api/client';
import type { SessionActors } from './actors';

type Actors = Pick<SessionActors, 'history' | 'display' | 'viewport'>;

/** The union of the boxes on one frame and feature. */
export function boundsOf(boxes: ChangedBox[]) {
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x, y, width: right - x, height: bottom - y };
}

export class History {
  constructor(private readonly actors: Actors) {}

  jump(entry: HistoryEntry) {
    const { display, viewport, history } = this.actors;
    const first = entry.boxes[0];
    const frame = first?.frame ?? entry.frame;
    const feature = first?.feature ?? entry.feature;
    const shown = display.getSnapshot().context;
    if (feature !== shown.feature) display.send({ type: 'SET_FEATURE', feature });
    if (frame !== shown.frame) display.send({ type: 'SET_FRAME', frame });
    const boxes = entry.boxes.filter((b) => b.frame === frame && b.feature === feature);
    if (boxes.length) {
      const box = boundsOf(boxes);
      const view = viewport.getSnapshot().context;
      const width = view.canvasWidth / view.zoom;
      const height = view.canvasHeight / view.zoom;
      const inView =
        box.x >= view.x &&
        box.y >= view.y &&
        box.x + box.width <= view.x + width &&
        box.y + box.height <= view.y + height;
      if (!inView) {
        // Pan (in canvas pixels) so that the box's centre is the view's centre.
        viewport.send({
          type: 'PAN',
          dx: (view.x + width / 2 - (box.x + box.width / 2)) * view.zoom,
          dy: (view.y + height / 2 - (box.y + box.height / 2)) * view.zoom,
        });
      }
    }
    history.send({ type: 'HIGHLIGHT', version: entry.version });
  }
}
