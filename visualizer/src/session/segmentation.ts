// What the Segment panel asks for: the methods the server has, a diameter measured from the
// drawn cells, the box dragged on the image for a method that learns, the segment job, and
// stepping through the cells it added, least sure first.
import { createActor } from 'xstate';
import * as api from '../api/client';
import { boxFrom, learns, segmentationMachine } from '../machines/segmentation';
import { toImage } from '../machines/viewport';
import type { Notify, SessionActors } from './actors';
import type { Divisions } from './divisions';
import { followJob } from './jobs';

type Actors = Pick<SessionActors, 'display' | 'viewport'>;

export class Segmentation {
  /** The panel's state (machines/segmentation.ts). */
  readonly actor = createActor(segmentationMachine).start();
  private corner: { x: number; y: number } | null = null;

  constructor(
    private readonly metadata: api.ProjectMetadata,
    private readonly actors: Actors,
    private readonly divisions: Divisions,
    private readonly notify: Notify,
  ) {}

  async loadMethods() {
    try {
      this.actor.send({ type: 'METHODS', methods: await api.segmentationMethods() });
    } catch (error) {
      this.notify('error', `Could not list the segmentation methods: ${(error as Error).message}`);
    }
  }

  private shown() {
    const { frame, feature } = this.actors.display.getSnapshot().context;
    return { frame, feature };
  }

  /** The median diameter of the cells drawn on the shown frame. */
  async measureDiameter() {
    const { frame, feature } = this.shown();
    try {
      const { diameter } = await api.measureDiameter(this.metadata.id, feature, frame);
      this.actor.send({ type: 'SET_DIAMETER', diameter });
    } catch (error) {
      this.notify('info', (error as Error).message);
    }
  }

  // The box: the next drag on the image (see ImageCanvas), in canvas pixels.
  boxStart(canvasX: number, canvasY: number) {
    this.corner = toImage(this.actors.viewport.getSnapshot().context, canvasX, canvasY);
  }

  /** The box from the drag's start to here, in image pixels (null before a drag). */
  boxTo(canvasX: number, canvasY: number) {
    if (!this.corner) return null;
    const end = toImage(this.actors.viewport.getSnapshot().context, canvasX, canvasY);
    return boxFrom(this.corner, end, this.metadata.width, this.metadata.height);
  }

  boxEnd(canvasX: number, canvasY: number) {
    const box = this.boxTo(canvasX, canvasY);
    this.corner = null;
    if (!box) return;
    if (box[2] - box[0] < 8 || box[3] - box[1] < 8) {
      this.notify('info', 'Drag a larger box (at least 8 × 8 pixels) around cells you drew.');
      this.actor.send({ type: 'CANCEL_BOX' });
      return;
    }
    this.actor.send({ type: 'BOX', box });
  }

  async run() {
    const context = this.actor.getSnapshot().context;
    const { frame, feature } = this.shown();
    const body: api.SegmentRequest = {
      method: context.method,
      feature,
      channel: context.channel,
      frames: context.allFrames ? 'all' : 'frame',
      frame,
      diameter: context.diameter,
      new_feature: context.newFeature,
    };
    if (learns(context)) {
      if (!context.box) {
        this.notify('info', 'Drag a box around a region where you drew every cell first.');
        return;
      }
      body.box = context.box;
    }
    let job: api.Job<api.SegmentResult>;
    try {
      job = await api.startSegmentation(this.metadata.id, body);
    } catch (error) {
      this.notify('error', `Segmentation could not start: ${(error as Error).message}`);
      return;
    }
    const actor = followJob(job);
    this.actor.send({ type: 'STARTED', job: actor });
    const subscription = actor.subscribe((snapshot) => {
      if (snapshot.status !== 'done') return;
      subscription.unsubscribe();
      const finished = snapshot.output as api.Job<api.SegmentResult> | null;
      if (finished?.state !== 'done' || !finished.result) return;
      const { cells, new_feature, feature_names, feature } = finished.result;
      if (new_feature && feature_names) {
        // Show the new layer at once (the edit's record, polled, says the same).
        this.actors.display.send({ type: 'SET_FEATURE_NAMES', names: feature_names });
        this.actors.display.send({ type: 'SET_FEATURE', feature });
      }
      this.actor.send({ type: 'FOUND', cells });
      this.notify(
        'success',
        `Segmented: ${cells.length} cell${cells.length === 1 ? '' : 's'} proposed` +
          (new_feature && feature_names
            ? ` in the new layer "${feature_names[feature]}". `
            : '. ') +
          'Check the least sure first; undo removes them all.',
      );
    });
  }

  /** Show and select the next proposed cell, least sure first. */
  nextLeastSure() {
    const { proposed, checked } = this.actor.getSnapshot().context;
    const next = proposed[checked];
    if (!next) {
      this.notify('info', 'Every proposed cell has been checked.');
      return;
    }
    this.actor.send({ type: 'CHECKED' });
    this.divisions.jumpTo(next.frame, next.cell);
  }

  dispose() {
    this.actor.stop();
  }
}
