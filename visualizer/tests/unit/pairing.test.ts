import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { displayMachine } from '../../src/machines/display';
import { viewportMachine } from '../../src/machines/viewport';
import { pairViews } from '../../src/session/pairing';

function shown() {
  const viewport = createActor(viewportMachine, {
    input: { imageWidth: 512, imageHeight: 512 },
  }).start();
  viewport.send({ type: 'RESIZE', width: 400, height: 300 });
  const display = createActor(displayMachine, {
    input: { channelNames: ['DAPI'], dtype: 'uint8', features: 2, frames: 5 },
  }).start();
  return { viewport, display };
}

const view = (side: ReturnType<typeof shown>) => {
  const { zoom, x, y } = side.viewport.getSnapshot().context;
  return { zoom, x, y };
};

describe('two projects side by side', () => {
  it('starts the second as the first and keeps both in step, whichever moves', () => {
    const first = shown();
    const second = shown();
    first.viewport.send({ type: 'ZOOM_AT', factor: 2, canvasX: 100, canvasY: 50 });
    first.display.send({ type: 'SET_FRAME', frame: 3 });
    const disconnect = pairViews(first, second);
    expect(view(second)).toEqual(view(first));
    expect(second.display.getSnapshot().context.frame).toBe(3);

    second.viewport.send({ type: 'PAN', dx: 40, dy: -10 });
    expect(view(first)).toEqual(view(second));
    first.viewport.send({ type: 'ZOOM_IN' });
    expect(view(second)).toEqual(view(first));
    second.display.send({ type: 'PREVIOUS_FRAME' });
    expect(first.display.getSnapshot().context.frame).toBe(2);
    first.display.send({ type: 'SET_FEATURE', feature: 1 });
    expect(second.display.getSnapshot().context.feature).toBe(1);

    disconnect();
    first.viewport.send({ type: 'PAN', dx: 5, dy: 5 });
    expect(view(second)).not.toEqual(view(first));
  });
});
