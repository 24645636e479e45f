// The colours of the shown frame's labels: each cell's colour with the selected cells marked (the
// one selected in the image, those selected in the Learn panel's scatter plot, and in review
// mode the cells where replicas disagree), and the cell-type colours. Rebuilt only when the frame, its cells, a selection or the types change.
import type { LabelTiles, StoreChange } from '../data/labelTiles';
import { typeOpacity } from '../machines/cellTypes';
import { highlightedCells } from '../machines/disagreement';
import { buildLookup, buildTypeLookup, withSelected, type Lookup } from '../render/lookup';
import type { Renderer } from '../render/renderer';
import { disconnectAll, type Disconnect, type SessionActors } from './actors';

type Actors = Pick<
  SessionActors,
  'display' | 'selection' | 'annotations' | 'typeDisplay' | 'learning' | 'disagreement'
>;

export class LabelColours {
  /** Colours per (feature, frame), rebuilt only when that frame's cells change. */
  private lookups = new Map<string, Lookup>();

  constructor(
    private readonly store: LabelTiles,
    private readonly actors: Actors,
    private readonly renderer: () => Renderer | null,
  ) {}

  connect(): Disconnect {
    const { selection, annotations, typeDisplay, learning, disagreement } = this.actors;
    // Only a new selection changes the colours; hovering does not.
    let selected = selection.getSnapshot().context.selected;
    let selectedInPlot = learning.getSnapshot().context.selected;
    let cellTypes = annotations.getSnapshot().context.cellTypes;
    let disagreeing = highlightedCells(disagreement.getSnapshot().context);
    return disconnectAll(
      this.store.subscribe((change) => this.onStoreChange(change)),
      selection.subscribe((snapshot) => {
        if (snapshot.context.selected === selected) return;
        selected = snapshot.context.selected;
        this.refreshCells();
      }),
      learning.subscribe((snapshot) => {
        if (snapshot.context.selected === selectedInPlot) return;
        selectedInPlot = snapshot.context.selected;
        this.refreshCells();
      }),
      disagreement.subscribe((snapshot) => {
        const cells = highlightedCells(snapshot.context);
        if (cells === disagreeing) return;
        disagreeing = cells;
        this.refreshCells();
      }),
      annotations.subscribe((snapshot) => {
        if (snapshot.context.cellTypes === cellTypes) return;
        cellTypes = snapshot.context.cellTypes;
        this.refreshTypes();
      }),
      typeDisplay.subscribe(() => this.refreshTypes()),
    );
  }

  private shown() {
    const { frame, feature } = this.actors.display.getSnapshot().context;
    return { frame, feature };
  }

  refresh() {
    this.refreshCells();
    this.refreshTypes();
  }

  refreshCells() {
    const renderer = this.renderer();
    if (!renderer) return;
    const { frame, feature } = this.shown();
    const key = `${feature}/${frame}`;
    const cells = this.store.cellMap(feature, frame);
    let base = this.lookups.get(key);
    if (!base) {
      base = buildLookup(cells, this.store.maxValue(feature, frame));
      this.lookups.set(key, base);
    }
    const inImage = this.actors.selection.getSnapshot().context.selected;
    const inPlot = this.actors.learning.getSnapshot().context.selected;
    const marked = inImage === null ? [...inPlot] : [inImage, ...inPlot];
    // The replicas are compared on the shown frame and feature, value by value.
    const disagreement = this.actors.disagreement.getSnapshot().context;
    for (const value of highlightedCells(disagreement, frame, feature)) {
      marked.push(...(cells.get(value) ?? [value]));
    }
    renderer.setLookup(withSelected(base, cells, marked));
  }

  /** Cell-type colours of the shown frame and feature; none when no type is shown. */
  refreshTypes() {
    const renderer = this.renderer();
    if (!renderer) return;
    const { frame, feature } = this.shown();
    const display = this.actors.typeDisplay.getSnapshot().context;
    const types = this.actors.annotations
      .getSnapshot()
      .context.cellTypes.filter((t) => (t.feature ?? 0) === feature)
      .map((t) => ({ cells: t.cells, color: t.color, opacity: typeOpacity(display, t.id) }))
      .filter((t) => t.opacity > 0 && t.cells.length > 0);
    if (!types.length) {
      renderer.setTypeLookup(null);
      return;
    }
    const cells = this.store.cellMap(feature, frame);
    renderer.setTypeLookup(buildTypeLookup(cells, this.store.maxValue(feature, frame), types));
  }

  private onStoreChange(change: StoreChange) {
    const { frame, feature } = this.shown();
    if (change.frame !== frame || change.feature !== feature) return;
    if (change.kind === 'cells') {
      this.lookups.delete(`${feature}/${frame}`);
      this.refresh();
    }
  }
}
