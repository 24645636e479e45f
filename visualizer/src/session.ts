// One open project: creates the actors, owns the tiled image (pixels and label copy) and the
// renderer, and connects them.
// Components read the actors through selectors and call the methods here for gestures and keys.
import { createActor, fromPromise, type Actor } from 'xstate';
import * as api from './api/client';
import type { LabelTiles, StoreChange } from './data/labelTiles';
import { decodePatchValues } from './data/patches';
import { StrokePreview } from './data/strokePreview';
import { TiledImage, type TileStats } from './data/tiledImage';
import type { Rect } from './data/tileGrid';
import { actionForKey, type KeyActionId } from './keymap';
import { annotationsMachine, findingTarget, nextFinding } from './machines/annotations';
import { addCellsEdit, typeDisplayMachine, typeOpacity, type TypeEdit } from './machines/cellTypes';
import { displayMachine, type DisplayContext } from './machines/display';
import { editQueueMachine, type QueuedEdit } from './machines/editQueue';
import { exportMachine } from './machines/exporter';
import { noticesMachine } from './machines/notices';
import { editForPick, pickerMachine, type PickPurpose } from './machines/picker';
import { selectionMachine } from './machines/selection';
import { spotsDisplayMachine } from './machines/spots';
import { toolMachine, type ToolEmitted } from './machines/tools';
import { undoMachine } from './machines/undo';
import { toImage, viewportMachine } from './machines/viewport';
import { buildLookup, buildTypeLookup, withSelected, type Lookup } from './render/lookup';
import { MAX_LAYERS, Renderer, type DisplayUniforms } from './render/renderer';

/** Actions that read the raw image take the channel shown. */
const RAW_ACTIONS = new Set(['threshold', 'watershed', 'autofit']);
const PREVIEWED_ACTIONS = new Set(['brush', 'erase']);

export function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.replace('#', ''), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

/** What the shader needs from the display settings. */
export function displayUniforms(display: DisplayContext, dark: boolean): DisplayUniforms {
  const settings = display.channels[display.channel];
  const layers =
    display.mode === 'grayscale'
      ? [
          {
            channel: display.channel,
            color: [1, 1, 1] as [number, number, number],
            range: settings.range,
          },
        ]
      : display.layers
          .filter((l) => l.on)
          .map((l) => ({
            channel: l.channel,
            color: hexToRgb(l.color),
            range: display.channels[l.channel].range,
          }));
  return {
    layers,
    grayscale: display.mode === 'grayscale',
    brightness: settings.brightness,
    contrast: settings.contrast,
    invert: settings.invert,
    showLabels: display.showLabels,
    labelOpacity: display.labelOpacity,
    outlineOpacity: display.outlineOpacity,
    highlight: display.highlight,
    background: dark ? [0.07, 0.07, 0.09] : [0.8, 0.8, 0.82],
  };
}

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export class ProjectSession {
  readonly image: TiledImage;
  readonly store: LabelTiles;
  readonly preview: StrokePreview;
  readonly viewport;
  readonly display;
  readonly selection;
  readonly tools;
  readonly editQueue;
  readonly undo;
  readonly exporter;
  readonly notices;
  readonly annotations;
  readonly picker;
  readonly typeDisplay;
  readonly spotsDisplay;
  renderer: Renderer | null = null;
  dark = false;
  spaceHeld = false;
  firstImageShown = false;

  private applyChain: Promise<void> = Promise.resolve();
  private unsubscribers: (() => void)[] = [];
  private drag: {
    x: number;
    y: number;
    panning: boolean;
    moved: boolean;
    toolDown: boolean;
  } | null = null;
  private pointer: { x: number; y: number } | null = null;

  constructor(readonly metadata: api.ProjectMetadata) {
    const id = metadata.id;
    this.image = new TiledImage(metadata, (message) => this.notify('error', message));
    this.store = this.image.labels;
    this.preview = new StrokePreview(metadata.width, metadata.height);
    this.annotations = createActor(annotationsMachine, {
      input: {
        divisions: metadata.divisions,
        cellTypes: metadata.cellTypes,
        findings: metadata.findings,
      },
    });
    this.picker = createActor(pickerMachine);
    this.typeDisplay = createActor(typeDisplayMachine);
    this.spotsDisplay = createActor(spotsDisplayMachine);
    this.viewport = createActor(viewportMachine, {
      input: { imageWidth: metadata.width, imageHeight: metadata.height },
    });
    this.display = createActor(displayMachine, {
      input: {
        channelNames: metadata.channel_names,
        channelRanges: metadata.channel_ranges,
        dtype: metadata.dtype,
        features: metadata.features,
        frames: metadata.frames,
      },
    });
    this.selection = createActor(selectionMachine);
    this.tools = createActor(toolMachine);
    this.notices = createActor(noticesMachine);
    this.undo = createActor(undoMachine, {
      input: { canUndo: metadata.can_undo ?? false, canRedo: metadata.can_redo ?? false },
    });
    this.editQueue = createActor(
      editQueueMachine.provide({
        actors: {
          send: fromPromise(async ({ input }) => {
            const { item, version } = input;
            if (item.kind !== 'edit') {
              const call = item.kind === 'undo' ? api.undo : api.redo;
              return call(input.projectId, version);
            }
            return api.postEdit(input.projectId, { ...item.request, base_version: version });
          }),
          poll: fromPromise(({ input }) => api.getEditsSince(input.projectId, input.version)),
        },
      }),
      { input: { projectId: id, version: metadata.version } },
    );
    this.exporter = createActor(
      exportMachine.provide({
        actors: {
          run: fromPromise(async ({ input }) => {
            if (input.kind === 'submit') {
              const result = await api.submitProject(input.projectId);
              return `Submitted to ${result.bucket}/${result.key}.`;
            }
            const blob = await api.downloadExport(input.projectId, 'zip');
            download(blob, `${metadata.name || input.projectId}.zip`);
            return `Downloaded ${(blob.size / 1024).toFixed(0)} KB.`;
          }),
        },
      }),
      { input: { projectId: id } },
    );
    this.wire();
  }

  private wire() {
    const on = <T>(subscription: { unsubscribe: () => void } | (() => T)) =>
      this.unsubscribers.push(
        typeof subscription === 'function' ? subscription : () => subscription.unsubscribe(),
      );

    on(this.tools.on('*', (event) => this.onToolEvent(event as ToolEmitted)));
    on(
      this.undo.on('request', (event) =>
        this.editQueue.send({ type: event.kind === 'undo' ? 'UNDO' : 'REDO' }),
      ),
    );
    on(
      this.editQueue.on('applied', (event) => {
        const { records, response } = event;
        this.applyChain = this.applyChain.then(() => this.applyRecords(records));
        this.applyLists(records);
        // Edit, undo, redo and poll answers all carry the findings; an unchanged list is ignored.
        if (response?.findings) {
          this.annotations.send({ type: 'FINDINGS', findings: response.findings });
        }
        if (response && typeof response.can_undo === 'boolean') {
          this.undo.send({
            type: 'SERVER_STATE',
            canUndo: response.can_undo,
            canRedo: response.can_redo ?? false,
          });
        } else if (!event.item) {
          this.undo.send({ type: 'RECORDS_SEEN', records });
        }
      }),
    );
    on(
      this.editQueue.on('rejected', (event) => {
        const item: QueuedEdit = event.item;
        const what = item.kind === 'edit' ? item.request.action : item.kind;
        // Only strokes are drawn before the server answers; other edits just did not happen.
        const previewed = item.kind === 'edit' && PREVIEWED_ACTIONS.has(what);
        this.notify(
          'error',
          previewed
            ? `${what} failed and was undone on screen: ${event.message}`
            : `${what} was refused: ${event.message}`,
        );
      }),
    );
    on(this.editQueue.on('settled', (event) => this.settle(event.item)));
    on(this.store.subscribe((change) => this.onStoreChange(change)));
    on(this.display.subscribe(() => this.onDisplayChange()));
    // Only a new selection changes the colours; hovering does not.
    let selected = this.selection.getSnapshot().context.selected;
    on(
      this.selection.subscribe((snapshot) => {
        if (snapshot.context.selected === selected) return;
        selected = snapshot.context.selected;
        this.refreshLookup();
      }),
    );
    on(this.viewport.subscribe(() => this.pushView()));
    on(this.tools.subscribe(() => this.pushCursors()));
    on(
      this.picker.on('picked', (event) => {
        const edit = editForPick(
          event.purpose,
          event.cell,
          this.annotations.getSnapshot().context.cellTypes,
        );
        if (edit) this.sendEdit(edit.action, edit.args);
      }),
    );
    let cellTypes = this.annotations.getSnapshot().context.cellTypes;
    on(
      this.annotations.subscribe((snapshot) => {
        if (snapshot.context.cellTypes === cellTypes) return;
        const known = new Set(cellTypes.map((t) => t.id));
        cellTypes = snapshot.context.cellTypes;
        // A type just created becomes the one the panel works on.
        const created = cellTypes.find((t) => !known.has(t.id));
        if (created) this.typeDisplay.send({ type: 'SET_ACTIVE', id: created.id });
        this.refreshTypeLookup();
      }),
    );
    on(this.typeDisplay.subscribe(() => this.refreshTypeLookup()));

    for (const actor of this.actors()) actor.start();
    if (this.metadata.spots?.count) void this.loadSpots();
  }

  private async loadSpots() {
    try {
      const spots = await api.getSpots(this.metadata.id);
      this.spotsDisplay.send({ type: 'LOADED', spots });
    } catch (error) {
      this.notify('error', `Could not load the spots: ${(error as Error).message}`);
    }
  }

  /** Divisions, cell types and channel names of edit records (ours or another tab's). */
  private applyLists(records: api.EditRecord[]) {
    if (!records.length) return;
    this.annotations.send({ type: 'RECORDS', records });
    let names: string[] | null = null;
    for (const record of records) if (record.channelNames) names = record.channelNames;
    if (names) this.display.send({ type: 'SET_CHANNEL_NAMES', names });
  }

  private actors(): Actor<never>[] {
    return [
      this.viewport,
      this.display,
      this.selection,
      this.tools,
      this.notices,
      this.undo,
      this.editQueue,
      this.exporter,
      this.annotations,
      this.picker,
      this.typeDisplay,
      this.spotsDisplay,
    ] as unknown as Actor<never>[];
  }

  notify(severity: 'error' | 'warning' | 'info' | 'success', message: string) {
    this.notices.send({ type: 'PUSH', severity, message });
  }

  dispose() {
    for (const stop of this.unsubscribers) stop();
    for (const actor of this.actors()) actor.stop();
    this.image.dispose();
    this.renderer?.dispose();
    this.renderer = null;
  }

  // ---- rendering -------------------------------------------------------------------------------

  attachCanvas(canvas: HTMLCanvasElement) {
    const renderer = new Renderer(canvas);
    this.renderer = renderer;
    renderer.setImageSize(this.metadata.width, this.metadata.height);
    this.image.attach(renderer);
    this.image.onChange = () => renderer.requestRender();
    renderer.onDraw = () => {
      // The first view is shown once every visible tile is drawn at its own level.
      if (!this.firstImageShown && this.image.complete()) {
        this.firstImageShown = true;
        performance.mark('dcl:first-image');
      }
    };
    this.onDisplayChange(true);
    this.pushView();
  }

  /** Tile cache and loading figures, for tests and measurements. */
  tileStats(): TileStats {
    return this.image.stats();
  }

  /** The level-0 region on screen, cut to the image, in whole pixels. */
  visibleRegion(): Rect {
    const view = this.viewport.getSnapshot().context;
    const x0 = Math.max(0, Math.floor(view.x));
    const y0 = Math.max(0, Math.floor(view.y));
    const x1 = Math.min(this.metadata.width, Math.ceil(view.x + view.canvasWidth / view.zoom));
    const y1 = Math.min(this.metadata.height, Math.ceil(view.y + view.canvasHeight / view.zoom));
    return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
  }

  /** Tell the tiled image what is on screen: view, frame, feature and shown channels. */
  private pushTiles() {
    if (!this.renderer) return;
    const view = this.viewport.getSnapshot().context;
    const { frame, feature } = this.current();
    const layers = displayUniforms(this.display.getSnapshot().context, this.dark).layers;
    this.image.show({
      frame,
      feature,
      channels: layers.slice(0, MAX_LAYERS).map((l) => l.channel),
      region: {
        x: view.x,
        y: view.y,
        width: view.canvasWidth / view.zoom,
        height: view.canvasHeight / view.zoom,
      },
      zoom: view.zoom,
      devicePixelRatio: window.devicePixelRatio || 1,
    });
  }

  setDark(dark: boolean) {
    this.dark = dark;
    this.pushDisplay();
  }

  private current() {
    const { frame, feature } = this.display.getSnapshot().context;
    return { frame, feature };
  }

  private shownFrame = -1;
  private shownFeature = -1;

  private onDisplayChange(force = false) {
    const { frame, feature } = this.current();
    if (force || frame !== this.shownFrame || feature !== this.shownFeature) {
      this.shownFrame = frame;
      this.shownFeature = feature;
      this.refreshLookup();
      this.refreshTypeLookup();
    }
    this.pushDisplay();
    this.pushTiles();
  }

  private pushDisplay() {
    this.renderer?.setDisplay(displayUniforms(this.display.getSnapshot().context, this.dark));
  }

  private pushView() {
    const view = this.viewport.getSnapshot().context;
    this.renderer?.setView({
      x: view.x,
      y: view.y,
      zoom: view.zoom,
      cssWidth: view.canvasWidth,
      cssHeight: view.canvasHeight,
      devicePixelRatio: window.devicePixelRatio || 1,
    });
    this.pushTiles();
  }

  private pushCursors() {
    const tools = this.tools.getSnapshot().context;
    const brush =
      this.pointer && (tools.tool === 'brush' || tools.tool === 'eraser')
        ? ([
            Math.floor(this.pointer.x) + 0.5,
            Math.floor(this.pointer.y) + 0.5,
            tools.brushSize,
          ] as [number, number, number])
        : null;
    const box =
      tools.boxStart && tools.boxEnd
        ? ([
            Math.min(tools.boxStart[0], tools.boxEnd[0]),
            Math.min(tools.boxStart[1], tools.boxEnd[1]),
            Math.max(tools.boxStart[0], tools.boxEnd[0]),
            Math.max(tools.boxStart[1], tools.boxEnd[1]),
          ] as [number, number, number, number])
        : null;
    const seed = tools.seed ? ([tools.seed.x, tools.seed.y] as [number, number]) : null;
    this.renderer?.setCursors({ brush, box, seed });
  }

  /** Cell-type colours of the shown frame: rebuilt when types, their display or cells change. */
  refreshTypeLookup() {
    if (!this.renderer) return;
    const { frame, feature } = this.current();
    const display = this.typeDisplay.getSnapshot().context;
    const types = this.annotations
      .getSnapshot()
      .context.cellTypes.filter((t) => (t.feature ?? 0) === feature)
      .map((t) => ({ cells: t.cells, color: t.color, opacity: typeOpacity(display, t.id) }))
      .filter((t) => t.opacity > 0 && t.cells.length > 0);
    if (!types.length) {
      this.renderer.setTypeLookup(null);
      return;
    }
    const cells = this.store.cellMap(feature, frame);
    this.renderer.setTypeLookup(buildTypeLookup(cells, this.store.maxValue(feature, frame), types));
  }

  /** Colours per (feature, frame), rebuilt only when that frame's cells change. */
  private lookups = new Map<string, Lookup>();

  refreshLookup() {
    if (!this.renderer) return;
    const { frame, feature } = this.current();
    const key = `${feature}/${frame}`;
    const cells = this.store.cellMap(feature, frame);
    let base = this.lookups.get(key);
    if (!base) {
      base = buildLookup(cells, this.store.maxValue(feature, frame));
      this.lookups.set(key, base);
    }
    this.renderer.setLookup(
      withSelected(base, cells, this.selection.getSnapshot().context.selected),
    );
  }

  private onStoreChange(change: StoreChange) {
    const { frame, feature } = this.current();
    if (change.frame !== frame || change.feature !== feature) return;
    if (change.kind === 'cells') {
      this.lookups.delete(`${feature}/${frame}`);
      this.refreshLookup();
      this.refreshTypeLookup();
    }
  }

  // ---- edits -----------------------------------------------------------------------------------

  private async applyRecords(records: api.EditRecord[]) {
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
      if (record.cells?.length) this.store.applyCellChanges(record.cells);
    }
    if (records.length) {
      this.refreshLookup();
      this.refreshTypeLookup();
    }
  }

  private settle(item: QueuedEdit) {
    this.applyChain = this.applyChain.then(() => {
      const rect = this.preview.remove(item.id);
      if (rect) this.renderer?.updateOverlay(this.preview, rect);
    });
  }

  /** Queue an edit of the shown frame and feature. */
  sendEdit(action: string, args: Record<string, unknown>) {
    const { frame, feature, channel } = this.display.getSnapshot().context;
    let fullArgs = RAW_ACTIONS.has(action) ? { channel, ...args } : args;
    // A flood of the background stays inside what is on screen.
    if (action === 'flood') fullArgs = { ...fullArgs, region: this.visibleRegion() };
    const queue = this.editQueue.getSnapshot().context;
    const id = queue.nextId;
    if (PREVIEWED_ACTIONS.has(action)) this.preview.rename('stroke', id);
    this.editQueue.send({
      type: 'ENQUEUE',
      edit: {
        action,
        args: fullArgs,
        frame,
        feature,
        write_mode: this.tools.getSnapshot().context.writeMode,
      },
    });
  }

  private onToolEvent(event: ToolEmitted) {
    switch (event.type) {
      case 'edit':
        this.sendEdit(event.action, event.args);
        break;
      case 'pick':
        this.selection.send({ type: 'CLICK', cells: event.cells });
        break;
      case 'stroke': {
        // Drawn now, in this frame; the server's patch replaces it.
        const rect = this.preview.extend('stroke', event);
        if (rect) {
          this.renderer?.updateOverlay(this.preview, rect);
          this.renderer?.render();
        }
        break;
      }
      case 'notice':
        this.notify('info', event.message);
        break;
    }
  }

  // ---- pointer and keys ------------------------------------------------------------------------

  private imagePoint(canvasX: number, canvasY: number) {
    return toImage(this.viewport.getSnapshot().context, canvasX, canvasY);
  }

  /** Cells under an image point: one read from the label copy, no scan. */
  cellsAt(x: number, y: number): number[] {
    const { frame, feature } = this.current();
    return this.store.cellsAt(feature, frame, x, y);
  }

  pointerDown(canvasX: number, canvasY: number, button: number) {
    const tool = this.tools.getSnapshot().context.tool;
    const panning = button === 1 || button === 2 || this.spaceHeld;
    this.drag = { x: canvasX, y: canvasY, panning, moved: false, toolDown: false };
    // The select tool, and picking cells for a panel, pan on drag and pick on a plain click.
    if (panning || tool === 'select' || this.picking()) return;
    this.drag.toolDown = true;
    this.toolPointerDown(canvasX, canvasY);
  }

  private toolPointerDown(canvasX: number, canvasY: number) {
    const point = this.imagePoint(canvasX, canvasY);
    this.tools.send({
      type: 'POINTER_DOWN',
      x: point.x,
      y: point.y,
      cells: this.cellsAt(point.x, point.y),
      selected: this.selection.getSnapshot().context.selected,
    });
  }

  pointerMove(canvasX: number, canvasY: number) {
    const point = this.imagePoint(canvasX, canvasY);
    this.pointer = point;
    this.selection.send({ type: 'HOVER', cells: this.cellsAt(point.x, point.y) });
    const drag = this.drag;
    if (drag) {
      const dx = canvasX - drag.x;
      const dy = canvasY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) > 3) drag.moved = true;
      if (drag.toolDown) {
        this.tools.send({ type: 'POINTER_MOVE', x: point.x, y: point.y });
      } else if (drag.moved) {
        this.viewport.send({ type: 'PAN', dx, dy });
        drag.x = canvasX;
        drag.y = canvasY;
      }
    }
    this.pushCursors();
  }

  pointerUp(canvasX: number, canvasY: number, shift = false) {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    const point = this.imagePoint(canvasX, canvasY);
    if (drag.toolDown) {
      this.tools.send({ type: 'POINTER_UP', x: point.x, y: point.y });
    } else if (!drag.moved && !drag.panning) {
      if (this.picking()) {
        this.picker.send({ type: 'CLICK', cells: this.cellsAt(point.x, point.y), cycle: shift });
      } else {
        this.toolPointerDown(canvasX, canvasY);
      }
    }
  }

  private picking() {
    return this.picker.getSnapshot().context.purpose !== null;
  }

  /** Start picking cells on the canvas for a panel (toggles off when already picking so). */
  startPicking(purpose: PickPurpose) {
    const current = this.picker.getSnapshot().context.purpose;
    if (current && JSON.stringify(current) === JSON.stringify(purpose)) {
      this.picker.send({ type: 'CANCEL' });
    } else {
      this.picker.send({ type: 'START', purpose });
    }
  }

  /** Show a frame and select a cell, e.g. where a division or a finding is. */
  jumpTo(frame: number, cell: number | null) {
    this.display.send({ type: 'SET_FRAME', frame });
    if (cell !== null) this.selection.send({ type: 'SELECT', cell });
  }

  sendTypeEdit(edit: TypeEdit | null) {
    if (edit) this.sendEdit(edit.action, edit.args);
  }

  /** Put several cells in a type at once: one edit, so one undo takes them all out again. */
  addCellsToType(id: number, cells: number[]) {
    const type = this.annotations.getSnapshot().context.cellTypes.find((t) => t.id === id);
    if (!type) return;
    const edit = addCellsEdit(type, cells);
    if (!edit) {
      this.notify('info', `The selected cells are already of type ${type.name}.`);
      return;
    }
    this.sendTypeEdit(edit);
    const count = (edit.args.cells as number[]).length;
    this.notify('success', `Added ${count} cell${count === 1 ? '' : 's'} to ${type.name}.`);
  }

  renameChannel(channel: number, name: string) {
    const current = this.display.getSnapshot().context.channels[channel]?.name;
    if (!name.trim() || name.trim() === current) return;
    this.sendEdit('rename_channel', { channel, name: name.trim() });
  }

  private shownFinding: api.Finding | null = null;

  private jumpToNextFinding() {
    const finding = nextFinding(this.annotations.getSnapshot().context.findings, this.shownFinding);
    this.shownFinding = finding;
    if (!finding) {
      this.notify('info', 'No problems found in the divisions.');
      return;
    }
    const target = findingTarget(finding);
    this.jumpTo(target.frame, target.cell);
  }

  private pickDaughter(kind: 'addDaughter' | 'removeDaughter') {
    const parent = this.selectedCell();
    if (parent === null) {
      this.notify('info', 'Select the parent cell first.');
      return;
    }
    this.startPicking({ kind, parent });
  }

  pointerLeave() {
    this.pointer = null;
    this.selection.send({ type: 'HOVER', cells: [] });
    this.pushCursors();
  }

  wheel(canvasX: number, canvasY: number, deltaY: number) {
    this.viewport.send({ type: 'ZOOM_AT', factor: Math.exp(-deltaY * 0.0015), canvasX, canvasY });
  }

  private selectedCell() {
    return this.selection.getSnapshot().context.selected;
  }

  private cellList() {
    return this.store.allCells(this.current().feature);
  }

  readonly keyHandlers: Record<KeyActionId, () => void> = {
    zoomIn: () => this.viewport.send({ type: 'ZOOM_IN' }),
    zoomOut: () => this.viewport.send({ type: 'ZOOM_OUT' }),
    fit: () => this.viewport.send({ type: 'FIT' }),
    pan: () => {
      this.spaceHeld = true;
    },
    nextFeature: () => this.display.send({ type: 'NEXT_FEATURE' }),
    nextChannel: () => this.display.send({ type: 'NEXT_CHANNEL' }),
    previousFrame: () => this.display.send({ type: 'PREVIOUS_FRAME' }),
    nextFrame: () => this.display.send({ type: 'NEXT_FRAME' }),
    toggleHighlight: () => this.display.send({ type: 'TOGGLE_HIGHLIGHT' }),
    toggleLabels: () => this.display.send({ type: 'TOGGLE_LABELS' }),
    previousCell: () => this.selection.send({ type: 'PREVIOUS', cells: this.cellList() }),
    nextCell: () => this.selection.send({ type: 'NEXT', cells: this.cellList() }),
    newCell: () =>
      this.selection.send({ type: 'SELECT', cell: this.store.maxCell(this.current().feature) + 1 }),
    reset: () => {
      if (this.picking()) {
        this.picker.send({ type: 'CANCEL' });
        return;
      }
      this.selection.send({ type: 'RESET' });
      this.tools.send({ type: 'CANCEL' });
    },
    select: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'select' }),
    brush: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'brush' }),
    eraser: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'eraser' }),
    toggleEraser: () => this.tools.send({ type: 'TOGGLE_ERASER' }),
    brushBigger: () => this.tools.send({ type: 'BRUSH_BIGGER' }),
    brushSmaller: () => this.tools.send({ type: 'BRUSH_SMALLER' }),
    trim: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'trim' }),
    flood: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'flood' }),
    threshold: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'threshold' }),
    watershed: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'watershed' }),
    autofit: () =>
      this.tools.send({ type: 'CELL_ACTION', action: 'autofit', selected: this.selectedCell() }),
    shrink: () =>
      this.tools.send({ type: 'CELL_ACTION', action: 'shrink', selected: this.selectedCell() }),
    grow: () =>
      this.tools.send({ type: 'CELL_ACTION', action: 'grow', selected: this.selectedCell() }),
    delete: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'delete' }),
    replace: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'replace' }),
    swap: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'swap' }),
    relabel: () => this.tools.send({ type: 'SELECT_TOOL', tool: 'new' }),
    apply: () => this.tools.send({ type: 'APPLY', selected: this.selectedCell() }),
    undo: () => this.undo.send({ type: 'UNDO' }),
    redo: () => this.undo.send({ type: 'REDO' }),
    addDaughter: () => this.pickDaughter('addDaughter'),
    removeDaughter: () => this.pickDaughter('removeDaughter'),
    nextFinding: () => this.jumpToNextFinding(),
    toggleTypeOverlay: () => this.typeDisplay.send({ type: 'TOGGLE_OVERLAY' }),
    pickTypeCells: () => {
      const id = this.typeDisplay.getSnapshot().context.active;
      if (id === null) this.notify('info', 'Choose a cell type in the Cell types panel first.');
      else this.startPicking({ kind: 'cellType', id });
    },
    toggleSpots: () => this.spotsDisplay.send({ type: 'TOGGLE' }),
    nextProject: () => this.pageHandlers.nextProject?.(),
    previousProject: () => this.pageHandlers.previousProject?.(),
    help: () => this.onHelp?.(),
    closeDialog: () => undefined,
  };

  onHelp: (() => void) | null = null;
  /** Keys whose actions belong to the page around the project (review mode). */
  pageHandlers: Partial<Record<KeyActionId, () => void>> = {};

  /** Handle a key press on the project page; returns whether it was ours. */
  keyDown(name: string): boolean {
    const action = actionForKey('project', name);
    if (!action) return false;
    this.keyHandlers[action]();
    return true;
  }

  keyUp(name: string) {
    if (name === 'Space') this.spaceHeld = false;
  }
}
