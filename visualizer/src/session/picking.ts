// Picking cells on the canvas for a panel (a daughter of the selected cell, cells of a type):
// starting and stopping it, and the edit that each pick makes.
import { editForPick, type PickPurpose } from '../machines/picker';
import type { Disconnect, SessionActors } from './actors';
import type { Edits } from './edits';

type Actors = Pick<SessionActors, 'picker' | 'annotations'>;

export class Picking {
  constructor(
    private readonly actors: Actors,
    private readonly edits: Edits,
  ) {}

  connect(): Disconnect {
    const subscription = this.actors.picker.on('picked', (event) => {
      const cellTypes = this.actors.annotations.getSnapshot().context.cellTypes;
      const edit = editForPick(event.purpose, event.cell, cellTypes);
      if (edit) this.edits.send(edit.action, edit.args);
    });
    return () => subscription.unsubscribe();
  }

  /** Whether a panel is picking: clicks on the canvas then pick instead of using the tool. */
  get active(): boolean {
    return this.actors.picker.getSnapshot().context.purpose !== null;
  }

  /** Start picking for a purpose (toggles off when already picking so). */
  start(purpose: PickPurpose) {
    const current = this.actors.picker.getSnapshot().context.purpose;
    if (current && JSON.stringify(current) === JSON.stringify(purpose)) {
      this.cancel();
    } else {
      this.actors.picker.send({ type: 'START', purpose });
    }
  }

  /** A click on the canvas; `cycle` (Shift) steps through overlapping cells without picking. */
  click(cells: number[], cycle: boolean) {
    this.actors.picker.send({ type: 'CLICK', cells, cycle });
  }

  cancel() {
    this.actors.picker.send({ type: 'CANCEL' });
  }
}
