// Per-cell channel expression as plotted: pick a column, bin it, and turn a selection made in a
// plot (a range of a histogram, a box of a scatter plot) back into cells.
import type { Expression } from '../api/client';

export type Measure = 'mean' | 'total';

/** One value per cell: a channel's mean or total intensity. */
export function expressionColumn(expression: Expression, measure: Measure, channel: number) {
  return expression[measure].map((row) => row[channel] ?? 0);
}

export interface Histogram {
  /** Left edge of each bin; the last bin is closed on the right. */
  edges: number[];
  counts: number[];
  width: number;
}

export function histogram(values: number[], bins = 30): Histogram {
  if (!values.length) return { edges: [], counts: [], width: 1 };
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  const width = high > low ? (high - low) / bins : 1;
  const count = high > low ? bins : 1;
  const counts = new Array(count).fill(0);
  for (const v of values) counts[Math.min(count - 1, Math.floor((v - low) / width))] += 1;
  return { edges: counts.map((_c, i) => low + i * width), counts, width };
}

/** Cells whose value lies in [low, high]. */
export function cellsInRange(cells: number[], values: number[], low: number, high: number) {
  const [a, b] = low <= high ? [low, high] : [high, low];
  return cells.filter((_cell, i) => values[i] >= a && values[i] <= b);
}

export interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/**
 * Cells in the histogram bins whose centres lie in [low, high]: a drag over bars takes the whole
 * bars, even the values at a bar's outer edge.
 */
export function cellsInBins(
  cells: number[],
  values: number[],
  bins: Histogram,
  low: number,
  high: number,
) {
  const [a, b] = low <= high ? [low, high] : [high, low];
  const chosen = bins.edges
    .map((edge, i) => [i, edge + bins.width / 2] as const)
    .filter(([, centre]) => centre >= a && centre <= b)
    .map(([i]) => i);
  if (!chosen.length) return [];
  const first = bins.edges[chosen[0]];
  const last = bins.edges[chosen[chosen.length - 1]];
  const top = chosen[chosen.length - 1] === bins.edges.length - 1 ? Infinity : last + bins.width;
  return cells.filter((_cell, i) => values[i] >= first && values[i] < top);
}

/** Cells whose (x, y) point lies in the box (edges included, corners in any order). */
export function cellsInBox(cells: number[], xs: number[], ys: number[], box: Box) {
  const [xa, xb] = box.x0 <= box.x1 ? [box.x0, box.x1] : [box.x1, box.x0];
  const [ya, yb] = box.y0 <= box.y1 ? [box.y0, box.y1] : [box.y1, box.y0];
  return cells.filter((_cell, i) => xs[i] >= xa && xs[i] <= xb && ys[i] >= ya && ys[i] <= yb);
}

/** Points sorted by x (the plot wants ascending x), with the cell of each point. */
export function scatterPoints(cells: number[], xs: number[], ys: number[]) {
  const order = cells.map((_c, i) => i).sort((a, b) => xs[a] - xs[b]);
  return {
    cells: order.map((i) => cells[i]),
    xs: order.map((i) => xs[i]),
    ys: order.map((i) => ys[i]),
  };
}
