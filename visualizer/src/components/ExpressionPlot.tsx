// One uPlot chart (histogram or scatter plot) whose drag selection is reported in data units.
import { useEffect, useRef } from 'react';
import { Box, useTheme } from '@mui/material';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Box as DataBox } from '../data/expression';

export function ExpressionPlot(props: {
  kind: 'histogram' | 'scatter';
  x: number[];
  y: number[];
  xLabel: string;
  yLabel: string;
  /** Called with the dragged box; a histogram's box spans the whole height. */
  onSelect: (box: DataBox) => void;
  width?: number;
  height?: number;
  testId: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const onSelect = useRef(props.onSelect);
  useEffect(() => {
    onSelect.current = props.onSelect;
  });
  const theme = useTheme();
  const { kind, x, y, xLabel, yLabel, width = 420, height = 260 } = props;

  useEffect(() => {
    const color = theme.palette.primary.main;
    const axis = {
      stroke: theme.palette.text.secondary,
      grid: { stroke: theme.palette.divider },
      ticks: { stroke: theme.palette.divider },
    };
    const series: uPlot.Series =
      kind === 'histogram'
        ? { label: yLabel, fill: color, stroke: color, paths: uPlot.paths.bars!({ size: [0.9] }) }
        : {
            label: yLabel,
            stroke: color,
            paths: () => null,
            points: { show: true, size: 5, fill: color, stroke: color },
          };
    const half = x.length > 1 ? (x[1] - x[0]) / 2 : 0.5;
    const options: uPlot.Options = {
      width,
      height,
      legend: { show: false },
      cursor: { drag: { x: true, y: kind === 'scatter', setScale: false } },
      // Scatter points keep a margin from the frame, so a box can be dragged around any of them.
      scales:
        kind === 'scatter'
          ? {
              x: { time: false, range: (_u, min, max) => uPlot.rangeNum(min, max, 0.1, true) },
              y: { range: (_u, min, max) => uPlot.rangeNum(min, max, 0.1, true) },
            }
          : // Whole bars, the outer halves of the first and last included.
            { x: { time: false, range: (_u, min, max) => [min - half, max + half] } },
      axes: [
        { ...axis, label: xLabel },
        { ...axis, label: yLabel },
      ],
      series: [{}, series],
      hooks: {
        setSelect: [
          (chart) => {
            const { left, top, width: w, height: h } = chart.select;
            if (w < 2) return;
            onSelect.current({
              x0: chart.posToVal(left, 'x'),
              x1: chart.posToVal(left + w, 'x'),
              y0: kind === 'scatter' ? chart.posToVal(top + h, 'y') : -Infinity,
              y1: kind === 'scatter' ? chart.posToVal(top, 'y') : Infinity,
            });
          },
        ],
      },
    };
    const chart = new uPlot(options, [x, y], host.current!);
    return () => chart.destroy();
  }, [kind, x, y, xLabel, yLabel, width, height, theme]);

  return <Box ref={host} data-testid={props.testId} />;
}
