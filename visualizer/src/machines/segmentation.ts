// The Segment panel's state: the chosen method, channel and diameter, the box the person drags
// for a method that learns, the segment job while it runs, and the proposed cells to check,
// least sure first.
import { assign, setup, type ActorRefFrom } from 'xstate';
import type { ProposedCell, SegmentationMethod } from '../api/client';
import type { jobMachine } from './job';

export type Box = [number, number, number, number];

export interface SegmentationContext {
  methods: SegmentationMethod[];
  method: string;
  channel: number;
  /** Cell diameter in pixels; null: the server measures it. */
  diameter: number | null;
  allFrames: boolean;
  /** Put the proposal into a new label layer instead of the one shown. */
  newFeature: boolean;
  /** [x1, y1, x2, y2] in image pixels. */
  box: Box | null;
  job: ActorRefFrom<typeof jobMachine> | null;
  /** The cells the last segmentation added, least sure first. */
  proposed: ProposedCell[];
  /** How many of them the person has stepped through. */
  checked: number;
}

export type SegmentationEvent =
  | { type: 'METHODS'; methods: SegmentationMethod[] }
  | { type: 'SET_METHOD'; method: string }
  | { type: 'SET_CHANNEL'; channel: number }
  | { type: 'SET_DIAMETER'; diameter: number | null }
  | { type: 'SET_ALL_FRAMES'; allFrames: boolean }
  | { type: 'SET_NEW_FEATURE'; newFeature: boolean }
  | { type: 'DRAW_BOX' }
  | { type: 'BOX'; box: Box }
  | { type: 'CANCEL_BOX' }
  | { type: 'STARTED'; job: ActorRefFrom<typeof jobMachine> }
  | { type: 'FOUND'; cells: ProposedCell[] }
  | { type: 'CHECKED' };

/** A box from two corners in image pixels, ordered and clipped to the image. */
export function boxFrom(
  a: { x: number; y: number },
  b: { x: number; y: number },
  width: number,
  height: number,
): Box {
  const clip = (v: number, high: number) => Math.min(Math.max(Math.round(v), 0), high);
  return [
    clip(Math.min(a.x, b.x), width),
    clip(Math.min(a.y, b.y), height),
    clip(Math.max(a.x, b.x), width),
    clip(Math.max(a.y, b.y), height),
  ];
}

export const learns = (context: SegmentationContext) =>
  context.methods.find((m) => m.name === context.method)?.learns ?? false;

export const segmentationMachine = setup({
  types: {
    context: {} as SegmentationContext,
    events: {} as SegmentationEvent,
  },
}).createMachine({
  id: 'segmentation',
  context: {
    methods: [],
    method: 'auto',
    channel: 0,
    diameter: null,
    allFrames: false,
    newFeature: false,
    box: null,
    job: null,
    proposed: [],
    checked: 0,
  },
  initial: 'idle',
  on: {
    METHODS: { actions: assign({ methods: ({ event }) => event.methods }) },
    SET_METHOD: { actions: assign({ method: ({ event }) => event.method }) },
    SET_CHANNEL: { actions: assign({ channel: ({ event }) => event.channel }) },
    SET_DIAMETER: { actions: assign({ diameter: ({ event }) => event.diameter }) },
    SET_ALL_FRAMES: { actions: assign({ allFrames: ({ event }) => event.allFrames }) },
    SET_NEW_FEATURE: { actions: assign({ newFeature: ({ event }) => event.newFeature }) },
    STARTED: { actions: assign({ job: ({ event }) => event.job, proposed: [], checked: 0 }) },
    FOUND: { actions: assign({ proposed: ({ event }) => event.cells, checked: 0 }) },
    CHECKED: { actions: assign({ checked: ({ context }) => context.checked + 1 }) },
  },
  states: {
    idle: { on: { DRAW_BOX: 'drawingBox' } },
    // The next drag on the image is the box (not a tool's stroke).
    drawingBox: {
      on: {
        BOX: { target: 'idle', actions: assign({ box: ({ event }) => event.box }) },
        CANCEL_BOX: 'idle',
      },
    },
  },
});
