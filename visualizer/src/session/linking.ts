// What the linking tools do: match the shown frame's ids to the previous or next frame, copy or
// interpolate the selected cell across frames, link the whole movie as a job, accept or reject
// the divisions it proposes, and step through the links it is least sure of.
import * as api from '../api/client';
import type { LabelTiles } from '../data/labelTiles';
import type { ProposedDivision } from '../machines/proposals';
import { currentLink } from '../machines/uncertainLinks';
import type { Disconnect, Notify, SessionActors } from './actors';
import type { Divisions } from './divisions';
import type { Edits } from './edits';
import { count } from '../text';
import { followJob } from './jobs';

type Actors = Pick<
  SessionActors,
  'display' | 'selection' | 'proposals' | 'uncertainLinks' | 'editQueue'
>;

export class Linking {
  constructor(
    private readonly projectId: string,
    private readonly frames: number,
    private readonly actors: Actors,
    private readonly store: LabelTiles,
    private readonly edits: Edits,
    private readonly divisions: Divisions,
    private readonly notify: Notify,
  ) {}

  /** An undo of an accepted division proposes it again; its redo takes it again. An undo of
   *  the linking forgets the links it was unsure of (their ids no longer hold). */
  connect(): Disconnect {
    const subscription = this.actors.editQueue.on('applied', ({ records }) => {
      const linked = this.actors.uncertainLinks.getSnapshot().context.version;
      for (const record of records) {
        if (record.kind !== 'edit' && record.divisions) {
          this.actors.proposals.send({ type: 'DIVISIONS', divisions: record.divisions });
        }
        if (record.kind === 'undo' && linked !== null && record.target === linked) {
          this.actors.uncertainLinks.send({ type: 'CLEAR' });
        }
      }
    });
    return () => subscription.unsubscribe();
  }

  private shown() {
    const { frame, feature } = this.actors.display.getSnapshot().context;
    return { frame, feature };
  }

  /** Give the shown frame's cells the ids of the cells they overlap in the frame before or after. */
  matchTo(direction: -1 | 1) {
    const { frame } = this.shown();
    const source = frame + direction;
    if (source < 0 || source >= this.frames) {
      this.notify('info', `There is no ${direction < 0 ? 'previous' : 'next'} frame to match to.`);
      return;
    }
    this.edits.send('propagate', { from_frame: source, to_frame: frame });
  }

  private selected(): number | null {
    const cell = this.actors.selection.getSnapshot().context.selected;
    if (cell === null) this.notify('info', 'Select a cell first.');
    return cell;
  }

  /** Copy the selected cell's mask from the previous frame into the shown one. */
  copyFromPrevious() {
    const cell = this.selected();
    const { frame } = this.shown();
    if (cell === null) return;
    if (frame === 0) {
      this.notify('info', 'The first frame has no previous frame to copy from.');
      return;
    }
    this.edits.send('copy_cell', { cell, from_frame: frame - 1, to_frame: frame });
  }

  /** Fill the frames between the last earlier frame with the selected cell and the shown one. */
  interpolateToHere() {
    const cell = this.selected();
    if (cell === null) return;
    const { frame, feature } = this.shown();
    const frames = this.store.framesOfCell(feature, cell);
    if (!frames.includes(frame)) {
      this.notify('info', `Draw cell ${cell} in this frame first, then interpolate.`);
      return;
    }
    const earlier = frames.filter((f) => f < frame - 1);
    if (!earlier.length) {
      this.notify('info', `Cell ${cell} is drawn in no earlier frame with a gap before this one.`);
      return;
    }
    this.edits.send('interpolate', {
      cell,
      from_frame: earlier[earlier.length - 1],
      to_frame: frame,
    });
  }

  /** Link every frame of the shown feature (a job); its proposals go to the divisions panel. */
  async linkMovie(divisions = true) {
    const { feature } = this.shown();
    let job: api.Job<api.LinkResult>;
    try {
      job = await api.startLink(this.projectId, { feature, divisions });
    } catch (error) {
      this.notify('error', `Linking could not start: ${(error as Error).message}`);
      return;
    }
    const actor = followJob(job);
    this.actors.proposals.send({ type: 'LINKING', job: actor });
    const subscription = actor.subscribe((snapshot) => {
      if (snapshot.status !== 'done') return;
      subscription.unsubscribe();
      const finished = snapshot.output as api.Job<api.LinkResult> | null;
      if (finished?.state !== 'done' || !finished.result) return;
      const result = finished.result;
      this.actors.proposals.send({ type: 'FOUND', proposals: result.proposed_divisions });
      this.actors.uncertainLinks.send({
        type: 'FOUND',
        feature: result.feature,
        version: result.version,
        links: result.uncertain_links ?? [],
        total: result.uncertain_count,
      });
      const uncertain = result.uncertain_count ?? 0;
      this.notify(
        'info',
        `Linked: ${count(result.tracks, 'track')}, ` +
          `${count(result.cells_relabelled, 'cell')} given new ids, ` +
          `${count(result.proposed_divisions.length, 'division')} proposed` +
          (uncertain ? `, ${count(uncertain, 'uncertain link')} to check.` : '.'),
      );
    });
  }

  /** Record a proposed division (one add_daughter edit naming both daughters). */
  accept(proposal: ProposedDivision) {
    this.edits.send(
      'add_daughter',
      { parent: proposal.parent, daughters: proposal.daughters },
      { feature: proposal.feature },
    );
    this.actors.proposals.send({ type: 'ACCEPTED', proposal });
    this.showChecking();
  }

  reject(proposal: ProposedDivision) {
    this.actors.proposals.send({ type: 'REJECTED', proposal });
    this.showChecking();
  }

  /** Step through the shown feature's proposals least sure first, from the least sure. */
  checkLeastSure() {
    this.actors.proposals.send({ type: 'CHECK_LEAST_SURE', feature: this.shown().feature });
    this.showChecking();
  }

  /** Leave the proposal being checked undecided and show the next least sure. */
  checkNext() {
    this.actors.proposals.send({ type: 'CHECK_NEXT' });
    this.showChecking();
  }

  stopChecking() {
    this.actors.proposals.send({ type: 'STOP_CHECKING' });
  }

  private showChecking() {
    const { checking, order } = this.actors.proposals.getSnapshot().context;
    if (checking) this.show(checking);
    else if (order === 'leastSure') this.notify('info', 'No proposals left to check.');
  }

  /** Show the frame where the daughters appear, the first daughter selected. */
  show(proposal: ProposedDivision) {
    if (this.shown().feature !== proposal.feature) {
      this.actors.display.send({ type: 'SET_FEATURE', feature: proposal.feature });
    }
    this.divisions.jumpTo(proposal.t, proposal.daughters[0] ?? null);
  }

  /** Step through the links the linking is least sure of, from the least sure: each shows the
   *  frame the cell was linked into, the cell selected. */
  checkUncertain() {
    this.actors.uncertainLinks.send({ type: 'CHECK' });
    this.showUncertain();
  }

  nextUncertain() {
    this.actors.uncertainLinks.send({ type: 'NEXT' });
    this.showUncertain();
  }

  stopUncertain() {
    this.actors.uncertainLinks.send({ type: 'STOP' });
  }

  private showUncertain() {
    const snapshot = this.actors.uncertainLinks.getSnapshot();
    const link = currentLink(snapshot);
    if (!link) {
      this.notify('info', 'No uncertain links left to check.');
      return;
    }
    const { feature } = snapshot.context;
    if (feature !== null && this.shown().feature !== feature) {
      this.actors.display.send({ type: 'SET_FEATURE', feature });
    }
    this.divisions.jumpTo(link.t, link.cell);
  }
}
