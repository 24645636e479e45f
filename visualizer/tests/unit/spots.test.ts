import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { spotsDisplayMachine } from '../../src/machines/spots';
import { cellColumn, spotsOfFrame } from '../../src/render/spots';

describe('spots', () => {
  it('finds the cell column by name', () => {
    expect(cellColumn(['x', 'y', 'cellID'])).toBe(2);
    expect(cellColumn(['x', 'y', 'gene', 'cell'])).toBe(3);
    expect(cellColumn(['x', 'y'])).toBe(-1);
  });

  it('keeps the spots of the shown frame with their cell', () => {
    const spots = {
      columns: ['x', 'y', 'cellID'],
      spots: [
        [1.5, 2.5, 0],
        [3, 4, 13],
        [5, 6, 2],
      ],
      frames: [0, 0, 1],
    };
    expect(spotsOfFrame(spots, 0)).toEqual([
      [1.5, 2.5, 0],
      [3, 4, 13],
    ]);
    expect(spotsOfFrame({ ...spots, frames: undefined }, 0)).toHaveLength(3);
  });

  it('limits radius and opacity', () => {
    const actor = createActor(spotsDisplayMachine).start();
    actor.send({ type: 'SET_RADIUS', radius: 100 });
    actor.send({ type: 'SET_OPACITY', opacity: -1 });
    actor.send({ type: 'TOGGLE' });
    expect(actor.getSnapshot().context).toMatchObject({ radius: 20, opacity: 0, show: false });
  });
});
