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

/** Build the lookup for one frame: colour of the value's first cell; alpha 255 marks `selected`. */
export function buildLookup(
  valueCells: Map<number, number[]>,
  maxValue: number,
  selected: number | null,
): Lookup {
  let top = maxValue;
  for (const value of valueCells.keys()) if (value > top) top = value;
  const rows = Math.max(1, Math.ceil((top + 1) / LOOKUP_WIDTH));
  const data = new Uint8Array(rows * LOOKUP_WIDTH * 4);
  for (let value = 1; value <= top; value++) {
    const [r, g, b] = cellColor(value);
    data.set([r, g, b, value === selected ? 255 : 128], value * 4);
  }
  for (const [value, cells] of valueCells) {
    if (value <= 0 || cells.length === 0) continue;
    const [r, g, b] = cellColor(cells[0]);
    data.set([r, g, b, selected !== null && cells.includes(selected) ? 255 : 128], value * 4);
  }
  return { data, size: rows * LOOKUP_WIDTH, rows };
}
