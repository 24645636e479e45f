// What the divisions panel and its keys do: pick a daughter for the selected cell, remove one,
// step through the problems the server found, and show the frame and cell of a division.
import type { Finding } from '../api/client';
import { findingTarget, nextFinding } from '../machines/annotations';
import type { Notify, SessionActors } from './actors';
import type { Edits } from './edits';
import type { Picking } from './picking';

type Actors = Pick<SessionActors, 'display' | 'selection' | 'annotations'>;

export class Divisions {
  /** The finding last jumped to, so the next jump goes on from it. */
  private shownFinding: Finding | null = null;

  constructor(
    private readonly actors: Actors,
    private readonly picking: Picking,
    private readonly edits: Edits,
    private readonly notify: Notify,
  ) {}

  /** Show a frame and select a cell, e.g. where a division or a finding is. */
  jumpTo(frame: number, cell: number | null) {
    this.actors.display.send({ type: 'SET_FRAME', frame });
    if (cell !== null) this.actors.selection.send({ type: 'SELECT', cell });
  }

  /** Click the daughter to add to, or remove from, the selected cell. */
  pickDaughter(kind: 'addDaughter' | 'removeDaughter') {
    const parent = this.actors.selection.getSnapshot().context.selected;
    if (parent === null) {
      this.notify('info', 'Select the parent cell first.');
      return;
    }
    this.picking.start({ kind, parent });
  }

  removeDaughter(parent: number, daughter: number) {
    this.edits.send('remove_daughter', { parent, daughter });
  }

  nextFinding() {
    const findings = this.actors.annotations.getSnapshot().context.findings;
    const finding = nextFinding(findings, this.shownFinding);
    this.shownFinding = finding;
    if (!finding) {
      this.notify('info', 'No problems found in the divisions.');
      return;
    }
    const target = findingTarget(finding);
    this.jumpTo(target.frame, target.cell);
  }
}
