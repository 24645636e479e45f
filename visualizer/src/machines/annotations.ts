// The project's lists that are not pixels: divisions, cell types, the marker panel and the
// server's validation findings. Edit answers and polls keep them current; panels read them through selectors.
import { assign, setup } from 'xstate';
import type { CellType, Division, EditRecord, Finding, Markers } from '../api/client';

export interface AnnotationsContext {
  divisions: Division[];
  cellTypes: CellType[];
  findings: Finding[];
  /** Each cell type name's marker channels. */
  markers: Markers;
  /** Counts changes of the cells lists, so timelines and counts know when to look again. */
  cellsVersion: number;
}

export type AnnotationsEvent =
  | {
      type: 'RECORDS';
      records: Pick<EditRecord, 'divisions' | 'cellTypes' | 'cells' | 'relabels' | 'markers'>[];
    }
  | { type: 'FINDINGS'; findings: Finding[] };

export interface DivisionsOfCell {
  /** The division in which the cell is the parent (its daughters and frame). */
  asParent: Division | null;
  /** The division from which the cell comes (its parent and frame). */
  asDaughter: Division | null;
}

export function divisionsOfCell(divisions: Division[], cell: number | null): DivisionsOfCell {
  if (cell === null) return { asParent: null, asDaughter: null };
  return {
    asParent: divisions.find((d) => d.parent === cell) ?? null,
    asDaughter: divisions.find((d) => d.daughters.includes(cell)) ?? null,
  };
}

/** Where a finding points: the first frame it names and its cell. */
export function findingTarget(finding: Finding): { frame: number; cell: number } {
  return { frame: finding.frames.length ? Math.min(...finding.frames) : 0, cell: finding.cell };
}

/** Frames (counted from 0, ascending) in a few words, numbered from 1 as the app shows them. */
export function describeFrames(frames: number[]): string {
  const shown = [...new Set(frames)].sort((a, b) => a - b).map((f) => f + 1);
  if (!shown.length) return 'no frame';
  if (shown.length === 1) return `frame ${shown[0]}`;
  const first = shown[0];
  const last = shown[shown.length - 1];
  if (last - first === shown.length - 1) return `frames ${first} to ${last}`;
  if (shown.length <= 4) return `frames ${shown.slice(0, -1).join(', ')} and ${last}`;
  return `${shown.length} frames from ${first} to ${last}`;
}

/**
 * What a finding says, built from its kind, cell and frames with frames numbered from 1 (the
 * server's own message counts them from 0).
 */
export function describeFinding(finding: Finding): string {
  const { cell, frames } = finding;
  const where = describeFrames(frames);
  switch (finding.kind) {
    case 'parent_after_division':
      return `Cell ${cell} has divided but is still present in ${where}`;
    case 'daughter_before_division':
      return `Cell ${cell} is a daughter but is present before its birth, in ${where}`;
    case 'single_daughter':
      return `Cell ${cell} divides into one daughter only, at ${where}`;
    case 'multiple_divisions':
      return `Cell ${cell} is in more than one division, at ${where}`;
    default:
      return `Cell ${cell}: ${finding.kind.replace(/_/g, ' ')} (${where})`;
  }
}

/** Whether two finding lists say the same, so an unchanged list from a poll changes nothing. */
export function sameFindings(a: Finding[], b: Finding[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((f, i) => {
    const g = b[i];
    return (
      f.kind === g.kind &&
      f.cell === g.cell &&
      f.message === g.message &&
      f.frames.length === g.frames.length &&
      f.frames.every((frame, j) => frame === g.frames[j])
    );
  });
}

/** The finding after `current` in the list (wrapping), to step through problems one by one. */
export function nextFinding(findings: Finding[], current: Finding | null): Finding | null {
  if (!findings.length) return null;
  const index = current
    ? findings.findIndex((f) => f.kind === current.kind && f.cell === current.cell)
    : -1;
  return findings[(index + 1) % findings.length];
}

export const annotationsMachine = setup({
  types: {
    context: {} as AnnotationsContext,
    events: {} as AnnotationsEvent,
    input: {} as {
      divisions?: Division[];
      cellTypes?: CellType[];
      findings?: Finding[];
      markers?: Markers;
    },
  },
}).createMachine({
  id: 'annotations',
  context: ({ input }) => ({
    divisions: input.divisions ?? [],
    cellTypes: input.cellTypes ?? [],
    findings: input.findings ?? [],
    markers: input.markers ?? {},
    cellsVersion: 0,
  }),
  on: {
    RECORDS: {
      actions: assign(({ context, event }) => {
        let { divisions, cellTypes, markers, cellsVersion } = context;
        for (const record of event.records) {
          if (record.divisions) divisions = record.divisions;
          if (record.cellTypes) cellTypes = record.cellTypes;
          if (record.markers) markers = record.markers;
          if (record.cells?.length || record.relabels?.length) cellsVersion += 1;
        }
        return { divisions, cellTypes, markers, cellsVersion };
      }),
    },
    FINDINGS: {
      guard: ({ context, event }) => !sameFindings(context.findings, event.findings),
      actions: assign({ findings: ({ event }) => event.findings }),
    },
  },
});
