// Spots drawn on a 2-D canvas laid over the image, placed with the same view as the image.
import type { Spots } from '../api/client';
import type { SpotsDisplayContext } from '../machines/spots';
import { cellColorCss } from './lookup';

export const SPOT_COLOR = '#ffeb3b';

/** Which column says the spot's cell (`cell`, `cellID`, …), or -1. */
export function cellColumn(columns: string[]): number {
  return columns.findIndex((c, i) => i >= 2 && c.toLowerCase().includes('cell'));
}

/** The spots of one frame: [x, y, cell] with cell 0 when unassigned. */
export function spotsOfFrame(spots: Spots, frame: number): [number, number, number][] {
  const cellAt = cellColumn(spots.columns);
  const out: [number, number, number][] = [];
  spots.spots.forEach((row, i) => {
    const t = spots.frames?.[i] ?? 0;
    if (t !== frame) return;
    out.push([row[0], row[1], cellAt >= 0 ? Math.round(row[cellAt] ?? 0) : 0]);
  });
  return out;
}

export interface SpotsView {
  x: number;
  y: number;
  zoom: number;
  devicePixelRatio: number;
}

export function drawSpots(
  context: CanvasRenderingContext2D,
  spots: [number, number, number][],
  view: SpotsView,
  settings: Pick<SpotsDisplayContext, 'radius' | 'opacity' | 'colorByCell'>,
) {
  const { width, height } = context.canvas;
  context.clearRect(0, 0, width, height);
  const scale = view.zoom * view.devicePixelRatio;
  const radius = Math.max(1.5, settings.radius * scale);
  context.globalAlpha = settings.opacity;
  context.lineWidth = Math.max(1, view.devicePixelRatio);
  context.strokeStyle = 'rgba(0, 0, 0, 0.8)';
  for (const [x, y, cell] of spots) {
    // Spot coordinates are continuous: pixel (i, j) covers i..i+1, j..j+1.
    const cx = (x - view.x) * scale;
    const cy = (y - view.y) * scale;
    if (cx < -radius || cy < -radius || cx > width + radius || cy > height + radius) continue;
    context.fillStyle = settings.colorByCell && cell > 0 ? cellColorCss(cell) : SPOT_COLOR;
    context.beginPath();
    context.arc(cx, cy, radius, 0, Math.PI * 2);
    context.fill();
    context.stroke();
  }
  context.globalAlpha = 1;
}
