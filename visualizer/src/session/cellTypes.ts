// What the cell types panel and its keys do beyond one actor: type edits, several cells put in a
// type at once, clicking cells into the active type, and a new type becoming the active one.
import { addCellsEdit, nextTypeColor, typeEdits, type TypeEdit } from '../machines/cellTypes';
import { count as cellCount } from '../text';
import type { Disconnect, Notify, SessionActors } from './actors';
import type { Edits } from './edits';
import type { Picking } from './picking';

type Actors = Pick<SessionActors, 'annotations' | 'typeDisplay' | 'display'>;

export class CellTypes {
  constructor(
    private readonly actors: Actors,
    private readonly picking: Picking,
    private readonly edits: Edits,
    private readonly notify: Notify,
  ) {}

  connect(): Disconnect {
    const { annotations, typeDisplay } = this.actors;
    let cellTypes = annotations.getSnapshot().context.cellTypes;
    const subscription = annotations.subscribe((snapshot) => {
      if (snapshot.context.cellTypes === cellTypes) return;
      const known = new Set(cellTypes.map((t) => t.id));
      cellTypes = snapshot.context.cellTypes;
      // A type just created becomes the one the panel works on.
      const created = cellTypes.find((t) => !known.has(t.id));
      if (created) typeDisplay.send({ type: 'SET_ACTIVE', id: created.id });
    });
    return () => subscription.unsubscribe();
  }

  /** Send a type edit; `null` (e.g. moving the first type up) sends nothing. */
  edit(edit: TypeEdit | null) {
    if (edit) this.edits.send(edit.action, edit.args);
  }

  /** A new type of the shown feature, in a colour no type has yet. */
  create(name: string) {
    if (!name.trim()) return;
    const types = this.actors.annotations.getSnapshot().context.cellTypes;
    const feature = this.actors.display.getSnapshot().context.feature;
    this.edit(typeEdits.create(name, nextTypeColor(types), feature));
  }

  /** Put several cells in a type at once: one edit, so one undo takes them all out again. */
  addCells(id: number, cells: number[]) {
    const type = this.actors.annotations.getSnapshot().context.cellTypes.find((t) => t.id === id);
    if (!type) return;
    const edit = addCellsEdit(type, cells);
    if (!edit) {
      this.notify('info', `The selected cells are already of type ${type.name}.`);
      return;
    }
    this.edit(edit);
    const count = (edit.args.cells as number[]).length;
    this.notify('success', `Added ${cellCount(count, 'cell')} to ${type.name}.`);
  }

  /** Click cells to put them in the active type or take them out (again to stop). */
  pickCells() {
    const id = this.actors.typeDisplay.getSnapshot().context.active;
    if (id === null) this.notify('info', 'Choose a cell type in the Cell types panel first.');
    else this.picking.start({ kind: 'cellType', id });
  }
}
