// What the Learn panel and the marker panel ask for beyond one actor: embedding, training and
// predicting for the shown feature and frame, putting the points selected in the scatter plot
// in a type, applying predictions as one edit, visiting the least sure cells, the marker panel.
import * as api from '../api/client';
import { nextUncertainCell, predictionsOfMode, typedCells } from '../data/learning';
import { count } from '../text';
import type { Disconnect, Notify, SessionActors } from './actors';
import type { CellTypes } from './cellTypes';
import type { Divisions } from './divisions';
import type { Edits } from './edits';

type Actors = Pick<
  SessionActors,
  'learning' | 'annotations' | 'display' | 'selection' | 'typeDisplay'
>;

export class Learning {
  constructor(
    private readonly projectId: string,
    private readonly actors: Actors,
    private readonly edits: Edits,
    private readonly cellTypes: CellTypes,
    private readonly divisions: Divisions,
    private readonly store: { framesOfCell(feature: number, cell: number): number[] },
    private readonly notify: Notify,
  ) {}

  connect(): Disconnect {
    let cellsVersion = this.actors.annotations.getSnapshot().context.cellsVersion;
    const subscription = this.actors.annotations.subscribe((snapshot) => {
      if (snapshot.context.cellsVersion === cellsVersion) return;
      cellsVersion = snapshot.context.cellsVersion;
      this.actors.learning.send({ type: 'LABELS_CHANGED' });
    });
    return () => subscription.unsubscribe();
  }

  private where() {
    const { feature, frame } = this.actors.display.getSnapshot().context;
    return { feature, frame };
  }

  /** The Learn panel opened (or shows another feature): bring back what the server kept. */
  open() {
    this.actors.learning.send({ type: 'OPEN', feature: this.where().feature });
  }

  embed() {
    this.actors.learning.send({ type: 'EMBED', ...this.where() });
  }

  train() {
    this.actors.learning.send({ type: 'TRAIN', ...this.where() });
  }

  predict() {
    this.actors.learning.send({ type: 'PREDICT', ...this.where() });
  }

  /** The cells selected in the scatter plot into (or out of) a type, as one edit. */
  selectedToType(id: number, remove = false) {
    const { selected } = this.actors.learning.getSnapshot().context;
    if (!selected.length) return;
    if (!remove) {
      this.cellTypes.addCells(id, selected);
      return;
    }
    const type = this.actors.annotations.getSnapshot().context.cellTypes.find((t) => t.id === id);
    const members = new Set(type?.cells ?? []);
    const leaving = selected.filter((c) => members.has(c));
    if (!type || !leaving.length) {
      this.notify('info', `None of the selected cells is of type ${type?.name ?? id}.`);
      return;
    }
    this.edits.send('remove_from_cell_type', { id, cells: leaving });
    this.notify('success', `Took ${count(leaving.length, 'cell')} out of ${type.name}.`);
  }

  /** The predictions of the chosen mode (confident ones, or all) as one undoable edit. */
  applyPredictions() {
    const { predictions, mode, threshold } = this.actors.learning.getSnapshot().context;
    if (!predictions || mode === 'uncertain') return;
    const typed = typedCells(this.actors.annotations.getSnapshot().context.cellTypes);
    const chosen = predictionsOfMode(predictions.predictions, mode, threshold).filter(
      (p) => !typed.has(p.cell),
    );
    if (!chosen.length) {
      this.notify('info', 'No prediction to apply: every chosen cell already has a type.');
      return;
    }
    this.edits.send('apply_predictions', {
      predictions: chosen.map((p) => ({ cell: p.cell, type: p.type })),
    });
    this.notify('success', `Applied ${count(chosen.length, 'prediction')}.`);
  }

  /** Select the next cell the model is least sure of (and no one has typed), in its frame. */
  nextUncertain() {
    const { predictions, visited } = this.actors.learning.getSnapshot().context;
    if (!predictions) {
      this.notify('info', 'Predict the cell types first (Learn panel).');
      return;
    }
    const typed = typedCells(this.actors.annotations.getSnapshot().context.cellTypes);
    const next = nextUncertainCell(predictions.predictions, typed, visited);
    if (!next) {
      this.notify('info', 'Every predicted cell has a type now.');
      return;
    }
    this.actors.learning.send({ type: 'VISITED', cell: next.cell });
    const frames = this.store.framesOfCell(predictions.feature, next.cell);
    const { frame } = this.actors.display.getSnapshot().context;
    this.divisions.jumpTo(frames.includes(frame) || !frames.length ? frame : frames[0], next.cell);
  }

  async uploadEmbeddings(file: File) {
    const { feature } = this.actors.display.getSnapshot().context;
    try {
      const kept = await api.uploadEmbeddings(this.projectId, file, feature);
      this.notify('success', `Imported ${kept.cells} vectors of ${kept.dimensions} numbers.`);
      this.actors.learning.send({ type: 'IMPORTED', embeddings: kept });
      return kept;
    } catch (error) {
      this.notify('error', `Could not import the embeddings: ${(error as Error).message}`);
      return null;
    }
  }

  /** A type's marker channels (names); an empty list forgets them. */
  setMarkers(typeName: string, channels: string[]) {
    this.edits.send('set_markers', { type: typeName, channels });
  }

  /** Show the channels named as a type's markers, one colour layer each. */
  matchMarkers(typeName: string) {
    const markers = this.actors.annotations.getSnapshot().context.markers[typeName] ?? [];
    const names = this.actors.display.getSnapshot().context.channels.map((c) => c.name);
    const channels = markers.map((m) => names.indexOf(m)).filter((c) => c >= 0);
    if (!channels.length) {
      this.notify('info', `${typeName} has no marker channels yet.`);
      return;
    }
    this.actors.display.send({ type: 'SHOW_CHANNELS', channels });
  }
}
