// The canvas of spots over the image: redrawn when the view, the frame or the spot settings change.
import { useEffect, useRef } from 'react';
import type { ProjectSession } from '../session';
import { drawSpots, spotsOfFrame } from '../render/spots';
import { LAYER_STYLE } from './layers';

export function SpotsLayer({ session }: { session: ProjectSession }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current!;
    const draw = () => {
      const settings = session.spotsDisplay.getSnapshot().context;
      const view = session.viewport.getSnapshot().context;
      const dpr = window.devicePixelRatio || 1;
      const width = Math.max(1, Math.round(view.canvasWidth * dpr));
      const height = Math.max(1, Math.round(view.canvasHeight * dpr));
      if (element.width !== width || element.height !== height) {
        element.width = width;
        element.height = height;
      }
      const context = element.getContext('2d');
      if (!context) return;
      if (!settings.show || !settings.spots) {
        context.clearRect(0, 0, width, height);
        return;
      }
      const frame = session.display.getSnapshot().context.frame;
      drawSpots(
        context,
        spotsOfFrame(settings.spots, frame),
        { x: view.x, y: view.y, zoom: view.zoom, devicePixelRatio: dpr },
        settings,
      );
    };
    let request = 0;
    const schedule = () => {
      if (!request)
        request = requestAnimationFrame(() => {
          request = 0;
          draw();
        });
    };
    const subscriptions = [
      session.viewport.subscribe(schedule),
      session.spotsDisplay.subscribe(schedule),
      session.display.subscribe(schedule),
    ];
    draw();
    return () => {
      cancelAnimationFrame(request);
      for (const s of subscriptions) s.unsubscribe();
    };
  }, [session]);
  return (
    <canvas
      ref={canvas}
      data-testid="spots-canvas"
      style={{ ...LAYER_STYLE, pointerEvents: 'none' }}
    />
  );
}
