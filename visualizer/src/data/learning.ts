// The Learn panel's figures: the embedding as arrays for the scatter plot, the colour of each
// point (by cell type or by uncertainty), and which predictions a mode applies or visits.
import type { CellType, EmbeddingResult, LearningSource, Prediction } from '../api/client';
import type { Learnable } from '../machines/learning';

export interface EmbeddingPoints {
  cells: Int32Array;
  xs: Float32Array;
  ys: Float32Array;
  /** cell -> index of its point */
  index: Map<number, number>;
}

export function embeddingPoints(result: EmbeddingResult): EmbeddingPoints {
  const count = result.cells.length;
  const points = {
    cells: new Int32Array(count),
    xs: new Float32Array(count),
    ys: new Float32Array(count),
    index: new Map<number, number>(),
  };
  result.cells.forEach((p, i) => {
    points.cells[i] = p.cell;
    points.xs[i] = p.x;
    points.ys[i] = p.y;
    points.index.set(p.cell, i);
  });
  return points;
}

export type ColourBy = 'type' | 'uncertainty';
type RGB = [number, number, number];
/** The greys of untyped cells and, by uncertainty, of typed cells: each stands out from the
 * plot's paper (white in the light theme, near black in the dark one). */
const NEUTRAL: Record<'light' | 'dark', { untyped: RGB; typed: RGB }> = {
  light: { untyped: [150, 150, 150], typed: [40, 40, 40] },
  dark: { untyped: [175, 175, 175], typed: [235, 235, 235] },
};

function rgb(hex: string): [number, number, number] {
  const value = parseInt(hex.slice(1, 7), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * RGBA per point. By type: the type's colour (a person's type), or grey for untyped cells.
 * By uncertainty: predicted cells from blue (sure) to red (unsure), typed cells dark, cells
 * without a prediction grey (dark on the light theme's paper, light on the dark one's).
 */
export function pointColours(
  cells: Int32Array,
  by: ColourBy,
  types: CellType[],
  predictions: Map<number, Prediction>,
  theme: 'light' | 'dark' = 'light',
): Uint8Array {
  const { untyped, typed } = NEUTRAL[theme];
  const colours = new Uint8Array(cells.length * 4);
  const typeOf = new Map<number, [number, number, number]>();
  for (const type of types) for (const cell of type.cells) typeOf.set(cell, rgb(type.color));
  for (let i = 0; i < cells.length; i++) {
    let colour = typeOf.get(cells[i]) ?? untyped;
    if (by === 'uncertainty') {
      const predicted = predictions.get(cells[i]);
      if (typeOf.has(cells[i])) colour = typed;
      else if (predicted) colour = uncertaintyColour(predicted.uncertainty);
      else colour = untyped;
    }
    colours.set([...colour, 255], i * 4);
  }
  return colours;
}

/** The uncertainty from which a prediction is drawn in the reddest red. */
export const MOST_UNSURE = 0.7;

/** Blue (0, sure) through purple to red (the most unsure a prediction can be). */
export function uncertaintyColour(uncertainty: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, uncertainty / MOST_UNSURE));
  return [Math.round(40 + 215 * t), 60, Math.round(230 - 200 * t)];
}

const css = ([r, g, b]: RGB) => `rgb(${r}, ${g}, ${b})`;

/** The legend of the uncertainty colours: the gradient of predictions and the two greys. */
export function uncertaintyLegend(theme: 'light' | 'dark' = 'light') {
  const stops = [0, 0.5, 1].map((t) => css(uncertaintyColour(t * MOST_UNSURE)));
  return {
    gradient: `linear-gradient(to right, ${stops.join(', ')})`,
    from: '0 (sure)',
    to: `${MOST_UNSURE} or more (unsure)`,
    typed: css(NEUTRAL[theme].typed),
    untyped: css(NEUTRAL[theme].untyped),
  };
}

/**
 * Why the shown feature gives the Learn panel nothing (or little) to learn from, and how to
 * change that; null when it has cells and, for the expression sources, channels with signal.
 */
export function learningTrouble(
  learnable: Learnable | null,
  source: LearningSource,
): string | null {
  if (!learnable) return null;
  const { cells, minCells, channels } = learnable;
  if (cells < minCells) {
    return (
      `This feature has ${cells} cell${cells === 1 ? '' : 's'}; learning needs at least ` +
      `${minCells}. Draw cells, segment the image (Segment panel) or upload labels first.`
    );
  }
  if (!channels.length && (source === 'mean' || source === 'total')) {
    return (
      'The image has no channel to learn from: every channel is one flat value, so the ' +
      'expression tells cells apart by their shape alone. Learn from position, import vectors ' +
      '(Import vectors…), or make the project again with its raw image.'
    );
  }
  return null;
}

/**
 * A training curve's legend value: the point under the cursor, or the last point (all the
 * training cells) when the cursor is elsewhere, so the legend always shows figures.
 */
export function curveLegendValue(values: number[], format: (value: number) => string) {
  return (_chart: unknown, raw: number | null, _series: number, index: number | null) => {
    const value = index === null || raw === null ? values.at(-1) : raw;
    return value === undefined || value === null ? '' : format(value);
  };
}

export type PredictMode = 'confident' | 'all' | 'uncertain';

/** The predictions of a mode: under the threshold, all, or the unsure ones (least sure first). */
export function predictionsOfMode(
  predictions: Prediction[],
  mode: PredictMode,
  threshold: number,
): Prediction[] {
  if (mode === 'all') return predictions;
  if (mode === 'confident') return predictions.filter((p) => p.uncertainty < threshold);
  return predictions
    .filter((p) => p.uncertainty >= threshold)
    .sort((a, b) => b.uncertainty - a.uncertainty || a.cell - b.cell);
}

/** The next cell after `current` in least-sure-first order that no type holds yet. */
export function nextUncertainCell(
  predictions: Prediction[],
  typed: Set<number>,
  current: number | null,
): Prediction | null {
  const ordered = [...predictions].sort((a, b) => b.uncertainty - a.uncertainty || a.cell - b.cell);
  const open = ordered.filter((p) => !typed.has(p.cell));
  if (!open.length) return null;
  const at = current === null ? -1 : open.findIndex((p) => p.cell === current);
  return open[(at + 1) % open.length];
}

/** Cells a type holds, across every type given. */
export function typedCells(types: CellType[]): Set<number> {
  return new Set(types.flatMap((t) => t.cells));
}
