import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import {
  annotationsMachine,
  describeFinding,
  describeFrames,
  divisionsOfCell,
  findingTarget,
  nextFinding,
} from '../../src/machines/annotations';
import { editForPick, pickerMachine, type PickerEmitted } from '../../src/machines/picker';

const division = { parent: 31, daughters: [134, 135], t: 1 };
const single = {
  kind: 'single_daughter',
  cell: 31,
  frames: [1],
  message: 'cell 31 divides at frame 1 into one daughter only (cell 134)',
};

describe('divisions panel', () => {
  it('finds the parent and the daughters of the selected cell', () => {
    expect(divisionsOfCell([division], 31)).toEqual({ asParent: division, asDaughter: null });
    expect(divisionsOfCell([division], 135)).toEqual({ asParent: null, asDaughter: division });
    expect(divisionsOfCell([division], 23)).toEqual({ asParent: null, asDaughter: null });
    expect(divisionsOfCell([division], null)).toEqual({ asParent: null, asDaughter: null });
  });

  it('keeps divisions, types and findings from edit answers', () => {
    const actor = createActor(annotationsMachine, { input: { divisions: [division] } }).start();
    actor.send({
      type: 'RECORDS',
      records: [
        { divisions: [{ ...division, daughters: [134] }], cellTypes: null, cells: [] },
        { divisions: null, cellTypes: null, cells: [{ t: 1, c: 0, value: 7, cells: [7] }] },
      ],
    });
    actor.send({ type: 'FINDINGS', findings: [single] });
    const context = actor.getSnapshot().context;
    expect(context.divisions[0].daughters).toEqual([134]);
    expect(context.cellsVersion).toBe(1);
    expect(context.findings).toEqual([single]);
    actor.send({ type: 'FINDINGS', findings: [] });
    expect(actor.getSnapshot().context.findings).toEqual([]);
  });

  it('words findings from their fields, numbering frames from 1 as the app does', () => {
    expect(describeFinding(single)).toBe('Cell 31 divides into one daughter only, at frame 2');
    expect(describeFinding(single)).not.toContain('frame 1');
    expect(
      describeFinding({ ...single, kind: 'parent_after_division', frames: [3, 4, 5], message: '' }),
    ).toBe('Cell 31 has divided but is still present in frames 4 to 6');
    expect(
      describeFinding({ kind: 'daughter_before_division', cell: 134, frames: [0], message: '' }),
    ).toBe('Cell 134 is a daughter but is present before its birth, in frame 1');
    expect(
      describeFinding({ kind: 'multiple_divisions', cell: 7, frames: [2, 9], message: '' }),
    ).toBe('Cell 7 is in more than one division, at frames 3 and 10');
    expect(describeFinding({ kind: 'odd_thing', cell: 2, frames: [0, 1], message: '' })).toBe(
      'Cell 2: odd thing (frames 1 to 2)',
    );
    expect(describeFrames([20, 0, 5, 9, 13])).toBe('5 frames from 1 to 21');
    expect(describeFrames([])).toBe('no frame');
  });

  it('ignores a findings list that says the same as the one it has', () => {
    const actor = createActor(annotationsMachine, { input: { findings: [single] } }).start();
    const before = actor.getSnapshot().context.findings;
    actor.send({ type: 'FINDINGS', findings: [{ ...single, frames: [1] }] });
    expect(actor.getSnapshot().context.findings).toBe(before);
    actor.send({ type: 'FINDINGS', findings: [{ ...single, frames: [2] }] });
    expect(actor.getSnapshot().context.findings[0].frames).toEqual([2]);
  });

  it('jumps to a finding: its first frame and its cell, stepping through the list', () => {
    expect(findingTarget({ ...single, frames: [4, 2] })).toEqual({ frame: 2, cell: 31 });
    const other = { ...single, kind: 'parent_after_division', cell: 5 };
    expect(nextFinding([single, other], null)).toBe(single);
    expect(nextFinding([single, other], single)).toBe(other);
    expect(nextFinding([single, other], other)).toBe(single);
    expect(nextFinding([], single)).toBeNull();
  });

  it('adds a daughter with one click, never the parent itself', () => {
    const actor = createActor(pickerMachine).start();
    const picked: PickerEmitted[] = [];
    actor.on('picked', (e) => picked.push(e));
    actor.send({ type: 'CLICK', cells: [135], cycle: false });
    expect(picked).toEqual([]); // not picking yet
    actor.send({ type: 'START', purpose: { kind: 'addDaughter', parent: 31 } });
    actor.send({ type: 'CLICK', cells: [31], cycle: false });
    expect(picked).toEqual([]);
    actor.send({ type: 'CLICK', cells: [31, 135], cycle: false });
    expect(picked.map((p) => p.cell)).toEqual([135]);
    expect(actor.getSnapshot().context.purpose).toBeNull();
    const edit = editForPick(picked[0].purpose, picked[0].cell, []);
    expect(edit).toEqual({ action: 'add_daughter', args: { parent: 31, daughter: 135 } });
  });

  it('Shift+click cycles overlapping cells, then a click picks the one shown', () => {
    const actor = createActor(pickerMachine).start();
    const picked: number[] = [];
    actor.on('picked', (e) => picked.push(e.cell));
    actor.send({ type: 'START', purpose: { kind: 'removeDaughter', parent: 31 } });
    actor.send({ type: 'CLICK', cells: [134, 135], cycle: true });
    expect(actor.getSnapshot().context.candidate).toBe(134);
    actor.send({ type: 'CLICK', cells: [134, 135], cycle: true });
    expect(actor.getSnapshot().context.candidate).toBe(135);
    expect(picked).toEqual([]);
    actor.send({ type: 'CLICK', cells: [134, 135], cycle: false });
    expect(picked).toEqual([135]);
    expect(editForPick({ kind: 'removeDaughter', parent: 31 }, 135, [])).toEqual({
      action: 'remove_daughter',
      args: { parent: 31, daughter: 135 },
    });
  });

  it('Escape leaves picking', () => {
    const actor = createActor(pickerMachine).start();
    actor.send({ type: 'START', purpose: { kind: 'addDaughter', parent: 1 } });
    actor.send({ type: 'CANCEL' });
    expect(actor.getSnapshot().context.purpose).toBeNull();
  });
});
