// Canvases stacked over the whole viewer area: the WebGL image and the spots above it.
export const LAYER_STYLE = {
  position: 'absolute',
  inset: 0,
  width: '100%',
  height: '100%',
} as const;
