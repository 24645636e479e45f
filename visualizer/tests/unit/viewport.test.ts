import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { fit, MAX_ZOOM, toImage, viewportMachine, zoomAbout } from '../../src/machines/viewport';

const base = {
  zoom: 2,
  x: 10,
  y: 20,
  canvasWidth: 800,
  canvasHeight: 600,
  imageWidth: 512,
  imageHeight: 256,
};

describe('viewport', () => {
  it('keeps the image point under the cursor fixed when zooming', () => {
    const before = toImage(base, 300, 200);
    const after = toImage({ ...base, ...zoomAbout(base, 1.7, 300, 200) }, 300, 200);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
  });

  it('fits and centres the image', () => {
    const view = fit(base);
    expect(view.zoom).toBeCloseTo((800 / 512) * 0.98);
    const centre = toImage({ ...base, ...view }, 400, 300);
    expect(centre.x).toBeCloseTo(256);
    expect(centre.y).toBeCloseTo(128);
  });

  it('fits on the first resize, pans by screen pixels, zooms with keys', () => {
    const actor = createActor(viewportMachine, {
      input: { imageWidth: 100, imageHeight: 100 },
    }).start();
    actor.send({ type: 'RESIZE', width: 200, height: 200 });
    const fitted = actor.getSnapshot().context;
    expect(fitted.zoom).toBeCloseTo(1.96);
    actor.send({ type: 'PAN', dx: 19.6, dy: 0 });
    expect(actor.getSnapshot().context.x).toBeCloseTo(fitted.x - 10);
    actor.send({ type: 'ZOOM_IN' });
    expect(actor.getSnapshot().context.zoom).toBeCloseTo(1.96 * 1.25);
    actor.send({ type: 'FIT' });
    expect(actor.getSnapshot().context.zoom).toBeCloseTo(1.96);
  });

  it('shows the view it is given, within the zoom limits', () => {
    const actor = createActor(viewportMachine, {
      input: { imageWidth: 512, imageHeight: 256 },
    }).start();
    actor.send({ type: 'SET_VIEW', zoom: 3, x: -4, y: 17.5 });
    expect(actor.getSnapshot().context).toMatchObject({ zoom: 3, x: -4, y: 17.5 });
    actor.send({ type: 'SET_VIEW', zoom: 1000, x: 0, y: 0 });
    expect(actor.getSnapshot().context.zoom).toBe(MAX_ZOOM);
  });
});
