// One uPlot chart (histogram or scatter plot) whose drag selection (a box, or on a scatter plot a
// drawn lasso) is reported in data units.
import { useEffect, useRef, useState } from 'react';
import { Box, useTheme } from '@mui/material';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Box as DataBox } from '../data/expression';
import type { Point } from '../data/selection';
import { SelectionShape } from './SelectionShape';

export function ExpressionPlot(props: {
  kind: 'histogram' | 'scatter';
  x: number[];
  y: number[];
  xLabel: string;
  yLabel: string;
  /** Called with the dragged box; a histogram's box spans the whole height. */
  onSelect: (box: DataBox) => void;
  /** A scatter plot's selection tool: a dragged box, or a lasso drawn around points. */
  tool?: 'box' | 'lasso';
  /** Called with the lasso's corners in data units. */
  onLasso?: (polygon: Point[]) => void;
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
  const lasso = kind === 'scatter' && props.tool === 'lasso';
  const chartRef = useRef<uPlot | null>(null);
  const onLasso = useRef(props.onLasso);
  useEffect(() => {
    onLasso.current = props.onLasso;
  });
  const [path, setPath] = useState<[number, number][]>([]);

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
      cursor: { drag: { x: !lasso, y: kind === 'scatter' && !lasso, setScale: false } },
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
    chartRef.current = chart;
    return () => {
      chart.destroy();
      chartRef.current = null;
    };
  }, [kind, x, y, xLabel, yLabel, width, height, theme, lasso]);

  /** Pointer position relative to the plotting area (uPlot's `over`), in CSS pixels. */
  const at = (event: React.PointerEvent): [number, number] | null => {
    const over = chartRef.current?.over.getBoundingClientRect();
    return over ? [event.clientX - over.left, event.clientY - over.top] : null;
  };
  const finishLasso = () => {
    const chart = chartRef.current;
    if (chart && path.length > 2) {
      onLasso.current?.(
        path.map(([left, top]) => ({ x: chart.posToVal(left, 'x'), y: chart.posToVal(top, 'y') })),
      );
    }
    setPath([]);
  };
  const over = chartRef.current?.over;
  const offset = over
    ? [
        over.offsetLeft + (over.parentElement?.offsetLeft ?? 0),
        over.offsetTop + (over.parentElement?.offsetTop ?? 0),
      ]
    : [0, 0];

  return (
    <Box
      sx={{ position: 'relative' }}
      onPointerDownCapture={(event) => {
        if (!lasso) return;
        const point = at(event);
        if (point) setPath([point]);
      }}
      onPointerMove={(event) => {
        const point = lasso && path.length ? at(event) : null;
        if (point) setPath((current) => [...current, point]);
      }}
      onPointerUp={() => lasso && finishLasso()}
      onPointerLeave={() => lasso && path.length && finishLasso()}
    >
      <Box ref={host} data-testid={props.testId} />
      <SelectionShape
        points={path}
        style={{ left: offset[0], top: offset[1], width: 1, height: 1 }}
      />
    </Box>
  );
}
