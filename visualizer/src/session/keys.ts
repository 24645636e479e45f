// What each action of the key map (keymap.ts) does in an open project. Buttons that do what a key
// does call the same handler, so a key and its button cannot disagree.
import type { LabelTiles } from '../data/labelTiles';
import { actionForKey, type KeyActionId } from '../keymap';
import type { CellAction, Tool } from '../machines/tools';
import type { SessionActors } from './actors';
import type { CellTypes } from './cellTypes';
import type { Divisions } from './divisions';
import type { Linking } from './linking';
import type { Learning } from './learning';
import type { Picking } from './picking';
import type { Pointer } from './pointer';

type Actors = Pick<
  SessionActors,
  | 'viewport'
  | 'display'
  | 'selection'
  | 'tools'
  | 'undo'
  | 'typeDisplay'
  | 'spotsDisplay'
  | 'comments'
>;

export interface KeyParts {
  actors: Actors;
  store: LabelTiles;
  pointer: Pointer;
  picking: Picking;
  divisions: Divisions;
  cellTypes: CellTypes;
  linking: Linking;
  learn: Learning;
}

export class Keys {
  readonly handlers: Record<KeyActionId, () => void>;
  /** Opens the help dialog; set by the page. */
  onHelp: (() => void) | null = null;
  /** Keys whose actions belong to the page around the project (review mode). */
  pageHandlers: Partial<Record<KeyActionId, () => void>> = {};
  private readonly pointer: Pointer;

  constructor({ actors, store, pointer, picking, divisions, cellTypes, learn, linking }: KeyParts) {
    this.pointer = pointer;
    const { viewport, display, selection, tools, undo, typeDisplay, spotsDisplay, comments } =
      actors;
    const feature = () => display.getSnapshot().context.feature;
    const selected = () => selection.getSnapshot().context.selected;
    const chooseTool = (tool: Tool) => () => tools.send({ type: 'SELECT_TOOL', tool });
    const cellAction = (action: CellAction) => () =>
      tools.send({ type: 'CELL_ACTION', action, selected: selected() });
    this.handlers = {
      zoomIn: () => viewport.send({ type: 'ZOOM_IN' }),
      zoomOut: () => viewport.send({ type: 'ZOOM_OUT' }),
      fit: () => viewport.send({ type: 'FIT' }),
      pan: () => {
        pointer.panKeyHeld = true;
      },
      nextFeature: () => display.send({ type: 'NEXT_FEATURE' }),
      nextChannel: () => display.send({ type: 'NEXT_CHANNEL' }),
      previousFrame: () => display.send({ type: 'PREVIOUS_FRAME' }),
      nextFrame: () => display.send({ type: 'NEXT_FRAME' }),
      toggleHighlight: () => display.send({ type: 'TOGGLE_HIGHLIGHT' }),
      toggleLabels: () => display.send({ type: 'TOGGLE_LABELS' }),
      previousCell: () => selection.send({ type: 'PREVIOUS', cells: store.allCells(feature()) }),
      nextCell: () => selection.send({ type: 'NEXT', cells: store.allCells(feature()) }),
      newCell: () => selection.send({ type: 'SELECT', cell: store.maxCell(feature()) + 1 }),
      reset: () => {
        if (picking.active) {
          picking.cancel();
          return;
        }
        // A comment about to be pinned is given up first.
        const { placing, draft } = comments.getSnapshot().context;
        if (placing || draft) {
          comments.send({ type: 'CANCEL' });
          return;
        }
        selection.send({ type: 'RESET' });
        tools.send({ type: 'CANCEL' });
      },
      select: chooseTool('select'),
      brush: chooseTool('brush'),
      eraser: chooseTool('eraser'),
      toggleEraser: () => tools.send({ type: 'TOGGLE_ERASER' }),
      brushBigger: () => tools.send({ type: 'BRUSH_BIGGER' }),
      brushSmaller: () => tools.send({ type: 'BRUSH_SMALLER' }),
      trim: chooseTool('trim'),
      flood: chooseTool('flood'),
      threshold: chooseTool('threshold'),
      watershed: chooseTool('watershed'),
      autofit: cellAction('autofit'),
      shrink: cellAction('shrink'),
      grow: cellAction('grow'),
      delete: chooseTool('delete'),
      replace: chooseTool('replace'),
      swap: chooseTool('swap'),
      relabel: chooseTool('new'),
      apply: () => tools.send({ type: 'APPLY', selected: selected() }),
      undo: () => undo.send({ type: 'UNDO' }),
      redo: () => undo.send({ type: 'REDO' }),
      addDaughter: () => divisions.pickDaughter('addDaughter'),
      removeDaughter: () => divisions.pickDaughter('removeDaughter'),
      nextFinding: () => divisions.nextFinding(),
      matchPrevious: () => linking.matchTo(-1),
      matchNext: () => linking.matchTo(1),
      copyFromPrevious: () => linking.copyFromPrevious(),
      interpolate: () => linking.interpolateToHere(),
      linkMovie: () => void linking.linkMovie(),
      toggleTypeOverlay: () => typeDisplay.send({ type: 'TOGGLE_OVERLAY' }),
      pickTypeCells: () => cellTypes.pickCells(),
      nextUncertainCell: () => learn.nextUncertain(),
      toggleSpots: () => spotsDisplay.send({ type: 'TOGGLE' }),
      nextProject: () => this.pageHandlers.nextProject?.(),
      previousProject: () => this.pageHandlers.previousProject?.(),
      help: () => this.onHelp?.(),
      closeDialog: () => undefined,
    };
  }

  /** A key pressed on the project page; returns whether it was the project's. */
  down(name: string): boolean {
    const action = actionForKey('project', name);
    if (!action) return false;
    this.handlers[action]();
    return true;
  }

  up(name: string) {
    if (name === 'Space') this.pointer.panKeyHeld = false;
  }
}
