// The embedding as a WebGL scatter plot, with box or lasso selection drawn over it. Selecting
// reports the chosen points' indices (Shift adds to the selection); the drawing itself is
// render/scatter.ts.
import { useEffect, useMemo, useRef, useState } from 'react';
import { Box, useTheme } from '@mui/material';
import { indicesInBox, indicesInPolygon, paddedExtent, type Point } from '../data/selection';
import { ScatterRenderer, type View } from '../render/scatter';
import { SelectionShape } from './SelectionShape';

declare global {
  interface Window {
    /** The scatter plot's drawing, for measurements (bench/learning.py). */
    __deepcellScatter?: {
      /** Milliseconds of the app's own work, and of that plus waiting until it is drawn. */
      draw: () => { app: number; total: number };
      recolour: (colours: Uint8Array) => { app: number; total: number };
      lasso: (polygon: Point[]) => { ms: number; count: number };
    };
  }
}

export function ScatterPlot({
  xs,
  ys,
  colours,
  selected,
  tool,
  onSelect,
  marked = null,
  height = 280,
}: {
  xs: Float32Array;
  ys: Float32Array;
  colours: Uint8Array;
  /** 1 for each selected point. */
  selected: Uint8Array;
  tool: 'box' | 'lasso';
  onSelect: (indices: number[], add: boolean) => void;
  /** The point of the cell selected in the image (or visited as the least sure), ringed. */
  marked?: { index: number; cell: number } | null;
  height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const renderer = useRef<ScatterRenderer | null>(null);
  const extent = useMemo(() => paddedExtent(xs, ys), [xs, ys]);
  const view = useRef<View>(extent);
  const [path, setPath] = useState<Point[]>([]);
  const theme = useTheme();
  // The plot's background: the paper of the light or dark theme.
  const paperKey = theme.palette.mode === 'dark' ? '30,30,30' : '255,255,255';

  useEffect(() => {
    const scatter = new ScatterRenderer(canvas.current!);
    renderer.current = scatter;
    return () => {
      scatter.dispose();
      renderer.current = null;
    };
  }, []);

  useEffect(() => {
    const scatter = renderer.current!;
    view.current = extent;
    scatter.setPoints(xs, ys);
    scatter.setView(view.current);
  }, [xs, ys, extent]);

  useEffect(() => {
    const scatter = renderer.current!;
    const colour = paperKey.split(',').map(Number) as [number, number, number];
    scatter.setColours(colours);
    scatter.setSelected(selected);
    scatter.draw(colour);
    const timed = (work: () => void) => {
      const began = performance.now();
      work();
      const app = performance.now() - began;
      scatter.finish();
      return { app, total: performance.now() - began };
    };
    window.__deepcellScatter = {
      draw: () => timed(() => scatter.draw(colour)),
      recolour: (next) =>
        timed(() => {
          scatter.setColours(next);
          scatter.draw(colour);
        }),
      lasso: (polygon) => {
        const began = performance.now();
        const count = indicesInPolygon(xs, ys, polygon).length;
        return { ms: performance.now() - began, count };
      },
    };
  }, [xs, ys, colours, selected, paperKey]);

  /** A pointer position as data coordinates (y up). */
  const toData = (event: React.PointerEvent): Point => {
    const rect = canvas.current!.getBoundingClientRect();
    const { x0, x1, y0, y1 } = view.current;
    return {
      x: x0 + ((event.clientX - rect.left) / rect.width) * (x1 - x0),
      y: y1 - ((event.clientY - rect.top) / rect.height) * (y1 - y0),
    };
  };
  const toScreen = (p: Point) => {
    const { x0, x1, y0, y1 } = view.current;
    const rect = canvas.current?.getBoundingClientRect();
    const w = rect?.width ?? 1;
    const h = rect?.height ?? 1;
    return [((p.x - x0) / (x1 - x0)) * w, ((y1 - p.y) / (y1 - y0)) * h] as [number, number];
  };

  const finish = (event: React.PointerEvent) => {
    if (!path.length) return;
    const chosen =
      tool === 'box'
        ? path.length > 1
          ? indicesInBox(xs, ys, path[0], path[path.length - 1])
          : []
        : indicesInPolygon(xs, ys, path);
    setPath([]);
    if (chosen.length || !event.shiftKey) onSelect(chosen, event.shiftKey);
  };

  const shape =
    tool === 'box' && path.length > 1
      ? [
          path[0],
          { x: path[path.length - 1].x, y: path[0].y },
          path[path.length - 1],
          { x: path[0].x, y: path[path.length - 1].y },
        ]
      : path;

  return (
    <Box sx={{ position: 'relative', height, width: '100%' }}>
      <canvas
        ref={canvas}
        data-testid="embedding-scatter"
        style={{ width: '100%', height: '100%', display: 'block', touchAction: 'none' }}
        onPointerDown={(event) => {
          (event.target as HTMLElement).setPointerCapture?.(event.pointerId);
          setPath([toData(event)]);
        }}
        onPointerMove={(event) => {
          if (!path.length) return;
          const point = toData(event);
          setPath((current) => (tool === 'box' ? [current[0], point] : [...current, point]));
        }}
        onPointerUp={finish}
      />
      <SelectionShape
        points={shape.map(toScreen)}
        style={{ inset: 0, width: '100%', height: '100%' }}
      />
      {marked && (
        <Box
          data-testid="scatter-marked"
          data-cell={marked.cell}
          title={`Cell ${marked.cell}, selected in the image`}
          sx={{
            position: 'absolute',
            left: `${((xs[marked.index] - extent.x0) / (extent.x1 - extent.x0)) * 100}%`,
            top: `${((extent.y1 - ys[marked.index]) / (extent.y1 - extent.y0)) * 100}%`,
            width: 16,
            height: 16,
            transform: 'translate(-50%, -50%)',
            border: 2,
            borderColor: 'warning.main',
            borderRadius: '50%',
            boxShadow: (t) => `0 0 0 2px ${t.palette.background.paper}`,
            pointerEvents: 'none',
          }}
        />
      )}
    </Box>
  );
}
