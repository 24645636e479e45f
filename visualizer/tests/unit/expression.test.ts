import { describe, expect, it } from 'vitest';
import type { Expression } from '../../src/api/client';
import {
  cellsInBins,
  cellsInBox,
  cellsInRange,
  expressionColumn,
  histogram,
  scatterPoints,
} from '../../src/data/expression';

const expression: Expression = {
  feature: 0,
  frame: 0,
  channels: ['DNA', 'CD3'],
  cells: [1, 2, 3, 4],
  area: [10, 20, 30, 40],
  mean: [
    [1, 10],
    [2, 30],
    [3, 20],
    [4, 40],
  ],
  total: [
    [10, 100],
    [40, 600],
    [90, 600],
    [160, 1600],
  ],
};

describe('plot selection', () => {
  it('reads one channel of a measure', () => {
    expect(expressionColumn(expression, 'mean', 1)).toEqual([10, 30, 20, 40]);
    expect(expressionColumn(expression, 'total', 0)).toEqual([10, 40, 90, 160]);
  });

  it('a box in the scatter plot selects the cells inside it, whatever the drag direction', () => {
    const xs = expressionColumn(expression, 'mean', 0);
    const ys = expressionColumn(expression, 'mean', 1);
    expect(cellsInBox(expression.cells, xs, ys, { x0: 1.5, x1: 4, y0: 15, y1: 35 })).toEqual([
      2, 3,
    ]);
    expect(cellsInBox(expression.cells, xs, ys, { x0: 4, x1: 1.5, y0: 35, y1: 15 })).toEqual([
      2, 3,
    ]);
    expect(cellsInBox(expression.cells, xs, ys, { x0: 9, x1: 10, y0: 0, y1: 99 })).toEqual([]);
  });

  it('a range in the histogram selects the cells whose value falls in it', () => {
    const values = expressionColumn(expression, 'mean', 1);
    expect(cellsInRange(expression.cells, values, 15, 30)).toEqual([2, 3]);
    expect(cellsInRange(expression.cells, values, 30, 15)).toEqual([2, 3]);
  });

  it('a drag over histogram bars takes every cell of those bars', () => {
    const values = [0, 1, 2, 3, 4, 10];
    const bins = histogram(values, 5); // bins of width 2: [0,2) [2,4) [4,6) [6,8) [8,10]
    const cells = [1, 2, 3, 4, 5, 6];
    // From the first bar's centre to the second's: values 0..3.
    expect(cellsInBins(cells, values, bins, 1, 3)).toEqual([1, 2, 3, 4]);
    // The last bar is closed on the right.
    expect(cellsInBins(cells, values, bins, 9, 8.5)).toEqual([6]);
    expect(cellsInBins(cells, values, bins, 5.5, 6.5)).toEqual([]);
  });

  it('bins values, every value in one bin', () => {
    const bins = histogram([0, 1, 2, 3, 4, 10], 5);
    expect(bins.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(bins.edges[0]).toBe(0);
    expect(bins.counts[4]).toBe(1);
    expect(histogram([5, 5, 5]).counts).toEqual([3]);
    expect(histogram([]).counts).toEqual([]);
  });

  it('sorts scatter points by x and keeps each point with its cell', () => {
    expect(scatterPoints([1, 2, 3], [3, 1, 2], [30, 10, 20])).toEqual({
      cells: [2, 3, 1],
      xs: [1, 2, 3],
      ys: [10, 20, 30],
    });
  });
});
