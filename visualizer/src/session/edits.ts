// The way of an edit: queued with the shown frame, feature and write mode (a stroke is drawn on the
// preview at once), sent in order by the edit queue, and the server's answers applied, ours and
// other tabs' and other annotators' alike: pixels into the label copy, lists into the annotations,
// the channel names, the findings, whether undo and redo are possible, and the records into the
// history panel. Refused edits (and refused undos, which say who changed what) are told to the user,
// and so is what our own undos, redos and edits across frames did.
import type { EditRecord } from '../api/client';
import type { LabelTiles } from '../data/labelTiles';
import { decodePatchValues } from '../data/patches';
import type { PreviewStroke, StrokePreview } from '../data/strokePreview';
import type { EditQueueEmitted, QueuedEdit } from '../machines/editQueue';
import { entryOf, placeOf } from '../machines/history';
import { count } from '../text';
import { disconnectAll, type Disconnect, type Notify, type SessionActors } from './actors';
import type { CanvasView } from './canvas';

/** Actions that read the raw image take the channel shown. */
const RAW_ACTIONS = new Set(['threshold', 'watershed', 'autofit']);
/** Only strokes are drawn before the server answers; other edits just did not happen if refused. */
export const VIEW_ONLY =
  'View only: you may look at this project and export it, not change it. Ask its owner for the annotator role to label.';

const PREVIEWED_ACTIONS = new Set(['brush', 'erase']);

/** Frames as a person counts them, from 1 (the server counts from 0). */
const frameName = (frame: unknown) => `frame ${Number(frame) + 1}`;

/**
 * What one of our own edits did, in a few words: an undo or redo (what it took back or brought
 * back, and where) and the edits that change other frames than the shown one or ids rather than
 * pixels in view. Null for the rest, which show for themselves.
 */
export function doneMessage(item: QueuedEdit, records: EditRecord[]): string | null {
  if (item.kind !== 'edit') {
    const record = records.findLast((r) => r.kind === item.kind);
    if (!record) return null;
    const what = record.action.replaceAll('_', ' ');
    return `${item.kind === 'undo' ? 'Undid' : 'Redid'} ${what} (${placeOf(entryOf(record), 1)}).`;
  }
  const { action, args } = item.request;
  switch (action) {
    case 'propagate': {
      const to = Number(args.to_frame);
      const changed = new Set([
        ...records
          .flatMap((r) => r.cells ?? [])
          .filter((c) => c.t === to)
          .map((c) => c.value),
        ...records
          .flatMap((r) => r.relabels ?? [])
          .filter((r) => r.t === to)
          .flatMap((r) => r.values),
      ]);
      return (
        `Matched ${frameName(to)} to ${frameName(args.from_frame)}: ` +
        `${count(changed.size, 'cell')} took the ids there.`
      );
    }
    case 'copy_cell':
      return `Copied cell ${args.cell} from ${frameName(args.from_frame)} to ${frameName(args.to_frame)}.`;
    case 'interpolate': {
      const [first, last] = [Number(args.from_frame) + 1, Number(args.to_frame) - 1];
      const frames = first === last ? frameName(first) : `frames ${first + 1}–${last + 1}`;
      return `Interpolated cell ${args.cell} in ${frames}.`;
    }
    default:
      return null;
  }
}

type Actors = Pick<
  SessionActors,
  'editQueue' | 'undo' | 'annotations' | 'display' | 'tools' | 'history'
>;
type Applied = Extract<EditQueueEmitted, { type: 'applied' }>;
type Rejected = Extract<EditQueueEmitted, { type: 'rejected' }>;

export class Edits {
  /** Answers are written into the label copy one after the other, each after its patches decode. */
  private applyChain: Promise<void> = Promise.resolve();
  /** A viewer's session: no edit, undo or stroke leaves the browser (the server would refuse). */
  readOnly = false;

  constructor(
    private readonly store: LabelTiles,
    private readonly preview: StrokePreview,
    private readonly canvas: CanvasView,
    private readonly actors: Actors,
    private readonly notify: Notify,
  ) {}

  connect(): Disconnect {
    const { undo, editQueue } = this.actors;
    return disconnectAll(
      undo.on('request', (event) => {
        if (this.refusedAsViewer()) return;
        editQueue.send({ type: event.kind === 'undo' ? 'UNDO' : 'REDO' });
      }),
      editQueue.on('applied', (event) => this.applied(event)),
      editQueue.on('rejected', (event) => this.rejected(event)),
      editQueue.on('settled', (event) => this.settle(event.item)),
    );
  }

  /** Queue an edit of the shown frame and feature (or of another feature, e.g. a division's). */
  send(action: string, args: Record<string, unknown>, options: { feature?: number } = {}) {
    if (this.refusedAsViewer()) return;
    const shown = this.actors.display.getSnapshot().context;
    const { frame, channel } = shown;
    const feature = options.feature ?? shown.feature;
    let fullArgs = RAW_ACTIONS.has(action) ? { channel, ...args } : args;
    // A flood of the background stays inside what is on screen.
    if (action === 'flood') fullArgs = { ...fullArgs, region: this.canvas.visibleRegion() };
    const id = this.actors.editQueue.getSnapshot().context.nextId;
    if (PREVIEWED_ACTIONS.has(action)) this.preview.rename('stroke', id);
    this.actors.editQueue.send({
      type: 'ENQUEUE',
      edit: {
        action,
        args: fullArgs,
        frame,
        feature,
        write_mode: this.actors.tools.getSnapshot().context.writeMode,
      },
    });
  }

  /** Draw a stroke now, in this frame; the server's patch replaces it. */
  drawStroke(stroke: PreviewStroke) {
    if (this.readOnly) return;
    const rect = this.preview.extend('stroke', stroke);
    if (rect) this.canvas.drawPreview(this.preview, rect, true);
  }

  private refusedAsViewer(): boolean {
    if (this.readOnly) this.notify('warning', VIEW_ONLY);
    return this.readOnly;
  }

  renameChannel(channel: number, name: string) {
    const current = this.actors.display.getSnapshot().context.channels[channel]?.name;
    if (!name.trim() || name.trim() === current) return;
    this.send('rename_channel', { channel, name: name.trim() });
  }

  private applied({ records, response, item }: Applied) {
    const { annotations, undo } = this.actors;
    this.applyChain = this.applyChain.then(() => this.applyRecords(records));
    this.applyLists(records);
    this.actors.history.send({ type: 'RECORDS', records });
    const done = item && doneMessage(item, records);
    if (done) this.notify('success', done);
    // Edit, undo, redo and poll answers all carry the findings; an unchanged list is ignored.
    if (response?.findings) annotations.send({ type: 'FINDINGS', findings: response.findings });
    if (response && typeof response.can_undo === 'boolean') {
      undo.send({
        type: 'SERVER_STATE',
        canUndo: response.can_undo,
        canRedo: response.can_redo ?? false,
      });
    } else if (!item) {
      undo.send({ type: 'RECORDS_SEEN', records });
    }
  }

  private rejected({ item, message }: Rejected) {
    const what = item.kind === 'edit' ? item.request.action : item.kind;
    const previewed = item.kind === 'edit' && PREVIEWED_ACTIONS.has(what);
    this.notify(
      'error',
      previewed
        ? `${what} failed and was undone on screen: ${message}`
        : `${what} was refused: ${message}`,
    );
  }

  /** The answer's patches are in (or the edit was refused): its preview can go. */
  private settle(item: QueuedEdit) {
    this.applyChain = this.applyChain.then(() => {
      const rect = this.preview.remove(item.id);
      if (rect) this.canvas.drawPreview(this.preview, rect);
    });
  }

  private async applyRecords(records: EditRecord[]) {
    for (const record of records) {
      for (const patch of record.patches ?? []) {
        try {
          const values = await decodePatchValues(patch.data, patch.width * patch.height);
          this.store.applyPatch(patch, values);
        } catch (error) {
          this.notify(
            'error',
            `Could not read an update from the server: ${(error as Error).message}`,
          );
        }
      }
      if (record.cells?.length || record.relabels?.length)
        this.store.applyCellChanges(record.cells ?? [], record.relabels ?? []);
    }
    if (records.length) this.canvas.colours.refresh();
  }

  /** Divisions, cell types, markers, channel and label layer names of edit records. */
  private applyLists(records: EditRecord[]) {
    if (!records.length) return;
    this.actors.annotations.send({ type: 'RECORDS', records });
    let names: string[] | null = null;
    for (const record of records) if (record.channelNames) names = record.channelNames;
    if (names) this.actors.display.send({ type: 'SET_CHANNEL_NAMES', names });
    let layers: string[] | null = null;
    for (const record of records) if (record.featureNames) layers = record.featureNames;
    if (layers) this.actors.display.send({ type: 'SET_FEATURE_NAMES', names: layers });
  }
}
