// The WebGL canvas and the pointer gestures on it; the session's pointer (session/pointer.ts) decides
// what a gesture means.
import { useEffect, useRef } from 'react';
import { Box, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { ProjectSession } from '../session';
import { useThemeMode } from '../themeMode';
import { CommentMarkers } from './CommentMarkers';
import { HistoryHighlight } from './HistoryHighlight';
import { LAYER_STYLE } from './layers';
import { SegmentBox } from './SegmentBox';
import { SpotsLayer } from './SpotsLayer';

export function ImageCanvas({ session }: { session: ProjectSession }) {
  const container = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const { mode } = useThemeMode();
  const hovering = useSelector(session.selection, (s) => s.context.hovering);
  const tool = useSelector(session.tools, (s) => s.context.tool);

  useEffect(() => {
    try {
      session.canvas.attach(canvas.current!);
    } catch (error) {
      session.notify('error', (error as Error).message);
    }
    const box = container.current!;
    const observer = new ResizeObserver(() => {
      session.viewport.send({ type: 'RESIZE', width: box.clientWidth, height: box.clientHeight });
    });
    observer.observe(box);
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = box.getBoundingClientRect();
      session.pointer.wheel(event.clientX - rect.left, event.clientY - rect.top, event.deltaY);
    };
    box.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      observer.disconnect();
      box.removeEventListener('wheel', onWheel);
    };
  }, [session]);

  useEffect(() => session.canvas.setDark(mode === 'dark'), [session, mode]);

  const local = (event: React.PointerEvent) => {
    const rect = container.current!.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top] as const;
  };

  return (
    <Box
      ref={container}
      data-testid="canvas-container"
      sx={{
        position: 'relative',
        flex: 1,
        minHeight: 0,
        overflow: 'hidden',
        cursor: tool === 'select' ? 'default' : 'crosshair',
      }}
      onContextMenu={(e) => e.preventDefault()}
      onPointerDown={(e) => {
        (e.target as Element).setPointerCapture?.(e.pointerId);
        session.pointer.down(...local(e), e.button);
      }}
      onPointerMove={(e) => session.pointer.move(...local(e))}
      onPointerUp={(e) => session.pointer.up(...local(e), e.shiftKey)}
      onPointerLeave={() => session.pointer.leave()}
    >
      <canvas
        ref={canvas}
        data-testid="image-canvas"
        style={{ ...LAYER_STYLE, imageRendering: 'pixelated' }}
      />
      {/* Without spots there is no second canvas to composite on every redraw. */}
      {!!session.metadata.spots?.count && <SpotsLayer session={session} />}
      <HistoryHighlight session={session} />
      <CommentMarkers session={session} />
      <SegmentBox session={session} />
      <Typography
        variant="caption"
        data-testid="hovering"
        sx={{
          position: 'absolute',
          left: 8,
          bottom: 8,
          px: 1,
          bgcolor: 'rgba(0,0,0,0.6)',
          color: '#fff',
          borderRadius: 1,
          pointerEvents: 'none',
        }}
      >
        {hovering.length ? `Under cursor: cell ${hovering.join(', ')}` : 'Under cursor: background'}
      </Typography>
    </Box>
  );
}
