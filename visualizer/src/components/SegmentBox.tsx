// The box of the Segment panel over the image: drawn by the next drag while the panel asks for
// one (the drag then draws no stroke), and shown where it lies while the panel keeps it.
import { useState } from 'react';
import { useTheme } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { Box } from '../machines/segmentation';
import type { ProjectSession } from '../session';
import { LAYER_STYLE } from './layers';

export function SegmentBox({ session }: { session: ProjectSession }) {
  const theme = useTheme();
  const { segmentation } = session;
  const drawing = useSelector(segmentation.actor, (s) => s.matches('drawingBox'));
  const kept = useSelector(segmentation.actor, (s) => s.context.box);
  const learning = useSelector(
    segmentation.actor,
    (s) => s.context.methods.find((m) => m.name === s.context.method)?.learns ?? false,
  );
  const view = useSelector(session.viewport, (s) => s.context);
  const [dragged, setDragged] = useState<Box | null>(null);
  const box = drawing ? dragged : learning ? kept : null;
  const local = (event: React.PointerEvent) => {
    const rect = (event.currentTarget as Element).getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top] as const;
  };
  return (
    <>
      {box && (
        <svg style={{ ...LAYER_STYLE, pointerEvents: 'none' }} data-testid="segment-box-shape">
          <rect
            x={(box[0] - view.x) * view.zoom}
            y={(box[1] - view.y) * view.zoom}
            width={(box[2] - box[0]) * view.zoom}
            height={(box[3] - box[1]) * view.zoom}
            fill={theme.palette.warning.main}
            fillOpacity={0.1}
            stroke={theme.palette.warning.main}
            strokeDasharray="6 4"
            strokeWidth={2}
          />
        </svg>
      )}
      {drawing && (
        <div
          data-testid="segment-box-layer"
          style={{ ...LAYER_STYLE, cursor: 'crosshair' }}
          onPointerDown={(e) => {
            e.stopPropagation();
            (e.target as Element).setPointerCapture?.(e.pointerId);
            segmentation.boxStart(...local(e));
          }}
          onPointerMove={(e) => {
            e.stopPropagation();
            setDragged(segmentation.boxTo(...local(e)));
          }}
          onPointerUp={(e) => {
            e.stopPropagation();
            segmentation.boxEnd(...local(e));
            setDragged(null);
          }}
        />
      )}
    </>
  );
}
