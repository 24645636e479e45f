// Choosing points of a plot with a dragged box or a drawn lasso: pure geometry on the points'
// data coordinates, used by the embedding scatter and the expression plots alike.

export interface Point {
  x: number;
  y: number;
}

/** Indices of the points inside the box spanned by two corners (edges included). */
export function indicesInBox(xs: ArrayLike<number>, ys: ArrayLike<number>, a: Point, b: Point) {
  const [x0, x1] = a.x <= b.x ? [a.x, b.x] : [b.x, a.x];
  const [y0, y1] = a.y <= b.y ? [a.y, b.y] : [b.y, a.y];
  const chosen: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] >= x0 && xs[i] <= x1 && ys[i] >= y0 && ys[i] <= y1) chosen.push(i);
  }
  return chosen;
}

/**
 * Indices of the points inside a polygon (even-odd rule; the polygon closes itself). Points
 * outside the polygon's bounding box are skipped first, so a small lasso over many points costs
 * little.
 */
export function indicesInPolygon(xs: ArrayLike<number>, ys: ArrayLike<number>, polygon: Point[]) {
  if (polygon.length < 3) return [];
  let left = Infinity;
  let right = -Infinity;
  let bottom = Infinity;
  let top = -Infinity;
  for (const p of polygon) {
    left = Math.min(left, p.x);
    right = Math.max(right, p.x);
    bottom = Math.min(bottom, p.y);
    top = Math.max(top, p.y);
  }
  const n = polygon.length;
  const px = Float64Array.from(polygon, (p) => p.x);
  const py = Float64Array.from(polygon, (p) => p.y);
  const chosen: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x < left || x > right || y < bottom || y > top) continue;
    let inside = false;
    for (let a = 0, b = n - 1; a < n; b = a++) {
      if (
        py[a] > y !== py[b] > y &&
        x < ((px[b] - px[a]) * (y - py[a])) / (py[b] - py[a]) + px[a]
      ) {
        inside = !inside;
      }
    }
    if (inside) chosen.push(i);
  }
  return chosen;
}

/** The points' extent with a margin on each side, so no point sits on the frame. */
export function paddedExtent(xs: ArrayLike<number>, ys: ArrayLike<number>, margin = 0.05) {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] < x0) x0 = xs[i];
    if (xs[i] > x1) x1 = xs[i];
    if (ys[i] < y0) y0 = ys[i];
    if (ys[i] > y1) y1 = ys[i];
  }
  if (!xs.length) return { x0: 0, x1: 1, y0: 0, y1: 1 };
  const w = x1 - x0 || 1;
  const h = y1 - y0 || 1;
  return { x0: x0 - w * margin, x1: x1 + w * margin, y0: y0 - h * margin, y1: y1 + h * margin };
}
