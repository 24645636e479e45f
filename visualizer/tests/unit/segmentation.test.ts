import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { displayMachine } from '../../src/machines/display';
import { boxFrom, learns, segmentationMachine } from '../../src/machines/segmentation';

const methods = [
  { name: 'auto', description: '', learns: false },
  { name: 'learned', description: '', learns: true },
];

describe('the Segment panel machine', () => {
  it('orders and clips a dragged box to the image', () => {
    expect(boxFrom({ x: 90.4, y: -5 }, { x: 10.6, y: 40.2 }, 64, 32)).toEqual([11, 0, 64, 32]);
  });

  it('keeps the box of the drag it waited for, and no box when cancelled', () => {
    const actor = createActor(segmentationMachine).start();
    actor.send({ type: 'METHODS', methods });
    actor.send({ type: 'SET_METHOD', method: 'learned' });
    expect(learns(actor.getSnapshot().context)).toBe(true);
    actor.send({ type: 'BOX', box: [1, 2, 3, 4] }); // not drawing: ignored
    expect(actor.getSnapshot().context.box).toBeNull();
    actor.send({ type: 'DRAW_BOX' });
    actor.send({ type: 'CANCEL_BOX' });
    expect(actor.getSnapshot().matches('idle')).toBe(true);
    actor.send({ type: 'DRAW_BOX' });
    actor.send({ type: 'BOX', box: [0, 0, 50, 20] });
    expect(actor.getSnapshot().context.box).toEqual([0, 0, 50, 20]);
    expect(actor.getSnapshot().matches('idle')).toBe(true);
  });

  it('counts the proposals checked and starts over with a new segmentation', () => {
    const actor = createActor(segmentationMachine).start();
    const cells = [
      { cell: 7, frame: 0, confidence: 0.2 },
      { cell: 9, frame: 0, confidence: 0.8 },
    ];
    actor.send({ type: 'FOUND', cells });
    actor.send({ type: 'CHECKED' });
    expect(actor.getSnapshot().context.checked).toBe(1);
    actor.send({ type: 'FOUND', cells: cells.slice(1) });
    expect(actor.getSnapshot().context).toMatchObject({ checked: 0, proposed: cells.slice(1) });
  });

  it('asks for a new label layer only when the box is ticked', () => {
    const actor = createActor(segmentationMachine).start();
    expect(actor.getSnapshot().context.newFeature).toBe(false);
    actor.send({ type: 'SET_NEW_FEATURE', newFeature: true });
    expect(actor.getSnapshot().context.newFeature).toBe(true);
  });

  it('shows the layer a segmentation added, and none once it is undone', () => {
    const display = createActor(displayMachine, {
      input: { channelNames: ['DAPI'], dtype: 'uint16', features: 1, frames: 1 },
    }).start();
    expect(display.getSnapshot().context.featureNames).toEqual(['feature 0']);
    display.send({ type: 'SET_FEATURE_NAMES', names: ['nuclei', 'auto proposal'] });
    display.send({ type: 'SET_FEATURE', feature: 1 });
    expect(display.getSnapshot().context).toMatchObject({ features: 2, feature: 1 });
    display.send({ type: 'SET_FEATURE_NAMES', names: ['nuclei'] });
    expect(display.getSnapshot().context).toMatchObject({ features: 1, feature: 0 });
  });
});
