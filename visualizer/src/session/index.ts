// One open project: its actors (one per concern, in machines/), the tiled image and the stroke
// preview, and the parts of the session that connect them, one job each:
//   actors.ts     every actor, and the server calls of the edit queue and the exporter
//   canvas.ts     the renderer and the tiled image, kept in step with the actors (colours.ts)
//   edits.ts      an edit from the queue to the server and the answers back into the picture
//   tools.ts      what the tool machine's output does
//   pointer.ts    gestures on the canvas
//   keys.ts       what each key of the key map does
//   picking.ts, divisions.ts, cellTypes.ts, learning.ts, linking.ts   what the panels ask for
//                 beyond one actor
//   viewers.ts    presence: the shown frame reported, leaving told
//   history.ts    the history panel's jump to an entry
// Components read the actors through selectors, send them events, and call these parts.
import { atLeast } from '../api/accounts';
import type { ProjectMetadata } from '../api/client';
import { StrokePreview } from '../data/strokePreview';
import { TiledImage } from '../data/tiledImage';
import { createActors, loadSpots, notifier, startActors, stopActors } from './actors';
import { CanvasView } from './canvas';
import { CellTypes } from './cellTypes';
import { Divisions } from './divisions';
import { Edits } from './edits';
import { History } from './history';
import { Keys } from './keys';
import { Linking } from './linking';
import { Learning } from './learning';
import { Segmentation } from './segmentation';
import { Picking } from './picking';
import { Pointer } from './pointer';
import { connectTools } from './tools';
import { Viewers } from './viewers';

export function openProject(metadata: ProjectMetadata) {
  const actors = createActors(metadata);
  const notify = notifier(actors.notices);
  const image = new TiledImage(metadata, (message) => notify('error', message));
  const store = image.labels;
  const preview = new StrokePreview(metadata.width, metadata.height);

  const canvas = new CanvasView(metadata, image, actors);
  const edits = new Edits(store, preview, canvas, actors, notify);
  // A viewer looks and exports; the tools are shown disabled and no edit is sent.
  const readOnly = !!metadata.role && !atLeast(metadata.role, 'annotator');
  edits.readOnly = readOnly;
  const picking = new Picking(actors, edits);
  const divisions = new Divisions(actors, picking, edits, notify);
  const cellTypes = new CellTypes(actors, picking, edits, notify);
  const learn = new Learning(metadata.id, actors, edits, cellTypes, divisions, store, notify);
  const pointer = new Pointer(store, canvas, picking, actors);
  const linking = new Linking(
    metadata.id,
    metadata.frames,
    actors,
    store,
    edits,
    divisions,
    notify,
  );
  const keys = new Keys({
    actors,
    store,
    pointer,
    picking,
    divisions,
    cellTypes,
    learn,
    linking,
  });
  const segmentation = new Segmentation(metadata, actors, divisions, notify);
  void segmentation.loadMethods();
  const viewers = new Viewers(actors, metadata.id);
  const history = new History(actors);

  const connections = [
    connectTools(actors, edits, notify),
    edits.connect(),
    cellTypes.connect(),
    learn.connect(),
    canvas.connect(),
    picking.connect(),
    linking.connect(),
  ];
  // Review mode compares the replicas on the frame and feature shown.
  const shownPlane = actors.display.subscribe(({ context: { frame, feature } }) =>
    actors.disagreement.send({ type: 'VIEW', frame, feature }),
  );
  connections.push(() => shownPlane.unsubscribe());
  startActors(actors);
  // After the actors start: the first position report goes out with the right frame.
  connections.push(viewers.connect());
  if (metadata.spots?.count) void loadSpots(actors, metadata.id, notify);

  return {
    metadata,
    /** The caller may only look (their role is viewer). */
    readOnly,
    ...actors,
    /** The pixels and the label copy, in tiles. */
    image,
    store,
    /** Strokes drawn before the server answers. */
    preview,
    canvas,
    edits,
    pointer,
    keys,
    picking,
    divisions,
    cellTypes,
    linking,
    /** The Segment panel: methods, the box, the segment job, the proposed cells. */
    segmentation,
    /** Embedding, training and predicting cell types; the marker panel. */
    learn,
    /** Presence (`presence.leave`); the actor is `viewers`. */
    presence: viewers,
    /** The history panel's commands; the actor is `history`. */
    historyPanel: history,
    notify,
    dispose() {
      for (const disconnect of connections) disconnect();
      segmentation.dispose();
      stopActors(actors);
      canvas.dispose();
    },
  };
}

export type ProjectSession = ReturnType<typeof openProject>;
