// Zoom and pan of the canvas. The view is described by the image point at the canvas's top-left
// corner (`x`, `y`, in image pixels) and `zoom` (CSS pixels per image pixel).
import { assign, setup } from 'xstate';

export interface ViewportContext {
  zoom: number;
  x: number;
  y: number;
  canvasWidth: number;
  canvasHeight: number;
  imageWidth: number;
  imageHeight: number;
}

export type ViewportEvent =
  | { type: 'RESIZE'; width: number; height: number }
  | { type: 'SET_IMAGE'; width: number; height: number }
  | { type: 'FIT' }
  | { type: 'ZOOM_AT'; factor: number; canvasX: number; canvasY: number }
  | { type: 'ZOOM_IN' }
  | { type: 'ZOOM_OUT' }
  | { type: 'PAN'; dx: number; dy: number }
  /** Show what another view of the same image shows (views kept in step side by side). */
  | { type: 'SET_VIEW'; zoom: number; x: number; y: number };

export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 64;
const KEY_ZOOM_STEP = 1.25;

const clampZoom = (zoom: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));

/** The view that shows the whole image centred in the canvas. */
export function fit(context: ViewportContext): Pick<ViewportContext, 'zoom' | 'x' | 'y'> {
  const { canvasWidth, canvasHeight, imageWidth, imageHeight } = context;
  if (!imageWidth || !imageHeight || !canvasWidth || !canvasHeight) return { zoom: 1, x: 0, y: 0 };
  const zoom = clampZoom(Math.min(canvasWidth / imageWidth, canvasHeight / imageHeight) * 0.98);
  return {
    zoom,
    x: imageWidth / 2 - canvasWidth / zoom / 2,
    y: imageHeight / 2 - canvasHeight / zoom / 2,
  };
}

/** Zoom by `factor` keeping the image point under (canvasX, canvasY) fixed. */
export function zoomAbout(
  context: ViewportContext,
  factor: number,
  canvasX: number,
  canvasY: number,
): Pick<ViewportContext, 'zoom' | 'x' | 'y'> {
  const zoom = clampZoom(context.zoom * factor);
  const imageX = context.x + canvasX / context.zoom;
  const imageY = context.y + canvasY / context.zoom;
  return { zoom, x: imageX - canvasX / zoom, y: imageY - canvasY / zoom };
}

/** Canvas CSS pixel -> image pixel coordinate (fractional). */
export function toImage(context: ViewportContext, canvasX: number, canvasY: number) {
  return { x: context.x + canvasX / context.zoom, y: context.y + canvasY / context.zoom };
}

export const viewportMachine = setup({
  types: {
    context: {} as ViewportContext,
    events: {} as ViewportEvent,
    input: {} as { imageWidth: number; imageHeight: number },
  },
}).createMachine({
  id: 'viewport',
  context: ({ input }) => ({
    zoom: 1,
    x: 0,
    y: 0,
    canvasWidth: 0,
    canvasHeight: 0,
    imageWidth: input.imageWidth,
    imageHeight: input.imageHeight,
  }),
  on: {
    RESIZE: {
      actions: assign(({ context, event }) => {
        const resized = { ...context, canvasWidth: event.width, canvasHeight: event.height };
        // The first real size fits the image; later resizes keep the view.
        return context.canvasWidth === 0 ? { ...resized, ...fit(resized) } : resized;
      }),
    },
    SET_IMAGE: {
      actions: assign(({ context, event }) => {
        const next = { ...context, imageWidth: event.width, imageHeight: event.height };
        return { ...next, ...fit(next) };
      }),
    },
    FIT: { actions: assign(({ context }) => fit(context)) },
    ZOOM_AT: {
      actions: assign(({ context, event }) =>
        zoomAbout(context, event.factor, event.canvasX, event.canvasY),
      ),
    },
    ZOOM_IN: {
      actions: assign(({ context }) =>
        zoomAbout(context, KEY_ZOOM_STEP, context.canvasWidth / 2, context.canvasHeight / 2),
      ),
    },
    ZOOM_OUT: {
      actions: assign(({ context }) =>
        zoomAbout(context, 1 / KEY_ZOOM_STEP, context.canvasWidth / 2, context.canvasHeight / 2),
      ),
    },
    SET_VIEW: {
      actions: assign(({ event }) => ({ zoom: clampZoom(event.zoom), x: event.x, y: event.y })),
    },
    PAN: {
      actions: assign(({ context, event }) => ({
        x: context.x - event.dx / context.zoom,
        y: context.y - event.dy / context.zoom,
      })),
    },
  },
});
