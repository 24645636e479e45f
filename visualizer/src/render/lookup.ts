// The label lookup texture: one RGBA texel per label value, so the shader colours a pixel with a
// single fetch. Rebuilding it costs one pass over the values, never over the pixels.

export const LOOKUP_WIDTH = 4096;

/** A stable, distinct colour per cell id (golden-ratio hue steps), as 0..255 RGB. */
export function cellColor(cell: number): [number, number, number] {
  const hue = (cell * 0.61803398875) % 1;
  const rgb = [5, 3, 1].map((n) => {
    const k = (n + hue * 6) % 6;
    return 0.85 - 0.6 * Math.min(1, Math.max(0, Math.min(k, 4 - k)));
  });
  return rgb.map((v) => Math.round(v * 255)) as [number, number, number];
}

export function cellColorCss(cell: number): string {
  const [r, g, b] = cellColor(cell);
  return `rgb(${r}, ${g}, ${b})`;
}

export interface Lookup {
  data: Uint8Array;
  /** Values 0..size-1 are in the texture. */
  size: number;
  rows: number;
}

/** The colours of one frame's values: the value's first cell's colour; alpha 128 (not selected). */
export function buildLookup(valueCells: Map<number, number[]>, maxValue: number): Lookup {
  let top = maxValue;
  for (const value of valueCells.keys()) if (value > top) top = value;
  const rows = Math.max(1, Math.ceil((top + 1) / LOOKUP_WIDTH));
  const data = new Uint8Array(rows * LOOKUP_WIDTH * 4);
  const write = (value: number, cell: number) => {
    const [r, g, b] = cellColor(cell);
    const at = value * 4;
    data[at] = r;
    data[at + 1] = g;
    data[at + 2] = b;
    data[at + 3] = 128;
  };
  for (let value = 1; value <= top; value++) if (!valueCells.has(value)) write(value, value);
  for (const [value, cells] of valueCells) if (value > 0 && cells.length) write(value, cells[0]);
  return { data, size: rows * LOOKUP_WIDTH, rows };
}

/**
 * A copy of `base` in which every value encoding a selected cell has alpha 255: the cell
 * selected in the image, or the cells selected elsewhere (the Learn panel's scatter plot).
 */
export function withSelected(
  base: Lookup,
  valueCells: Map<number, number[]>,
  selected: number | null | readonly number[],
): Lookup {
  const data = base.data.slice();
  const chosen = new Set(
    selected === null ? [] : typeof selected === 'number' ? [selected] : selected,
  );
  if (!chosen.size) return { ...base, data };
  const marked = new Set<number>();
  for (const [value, cells] of valueCells) {
    if (value <= 0 || value >= base.size) continue;
    for (const cell of cells) {
      if (!chosen.has(cell)) continue;
      data[value * 4 + 3] = 255;
      marked.add(cell);
    }
  }
  // A value with no entry in the map stands for the cell of the same number.
  for (const cell of chosen) {
    if (!marked.has(cell) && cell > 0 && cell < base.size && !valueCells.has(cell)) {
      data[cell * 4 + 3] = 255;
    }
  }
  return { ...base, data };
}

export interface TypeColor {
  cells: number[];
  color: string;
  /** 0 hides the type. */
  opacity: number;
}

function parseHex(hex: string): [number, number, number] {
  const n = parseInt(hex.replace('#', '').slice(0, 6), 16) || 0;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * Cell-type colours per label value: RGB of the first listed type holding one of the value's
 * cells, alpha = that type's opacity (0 where no shown type holds a cell).
 */
export function buildTypeLookup(
  valueCells: Map<number, number[]>,
  maxValue: number,
  types: TypeColor[],
): Lookup {
  let top = maxValue;
  for (const value of valueCells.keys()) if (value > top) top = value;
  const rows = Math.max(1, Math.ceil((top + 1) / LOOKUP_WIDTH));
  const data = new Uint8Array(rows * LOOKUP_WIDTH * 4);
  const cellType = new Map<number, [number, number, number, number]>();
  for (const type of types) {
    if (type.opacity <= 0) continue;
    const rgba = [...parseHex(type.color), Math.round(type.opacity * 255)] as [
      number,
      number,
      number,
      number,
    ];
    for (const cell of type.cells) if (!cellType.has(cell)) cellType.set(cell, rgba);
  }
  if (cellType.size) {
    for (let value = 1; value <= top; value++) {
      const cells = valueCells.get(value) ?? [value];
      const rgba = cells.map((c) => cellType.get(c)).find((v) => v);
      if (rgba) data.set(rgba, value * 4);
    }
  }
  return { data, size: rows * LOOKUP_WIDTH, rows };
}
