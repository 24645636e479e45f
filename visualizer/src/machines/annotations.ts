// The project's lists that are not pixels: divisions, cell types and the server's validation
// findings. Edit answers and polls keep them current; panels read them through selectors.
import { assign, setup } from 'xstate';
import type { CellType, Division, EditRecord, Finding } from '../api/client';

export interface AnnotationsContext {
  divisions: Division[];
  cellTypes: CellType[];
  findings: Finding[];
  /** Counts changes of the cells lists, so timelines and counts know when to look again. */
  cellsVersion: number;
}

export type AnnotationsEvent =
  | { type: 'RECORDS'; records: Pick<EditRecord, 'divisions' | 'cellTypes' | 'cells'>[] }
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
    input: {} as { divisions?: Division[]; cellTypes?: CellType[]; findings?: Finding[] },
  },
}).createMachine({
  id: 'annotations',
  context: ({ input }) => ({
    divisions: input.divisions ?? [],
    cellTypes: input.cellTypes ?? [],
    findings: input.findings ?? [],
    cellsVersion: 0,
  }),
  on: {
    RECORDS: {
      actions: assign(({ context, event }) => {
        let { divisions, cellTypes, cellsVersion } = context;
        for (const record of event.records) {
          if (record.divisions) divisions = record.divisions;
          if (record.cellTypes) cellTypes = record.cellTypes;
          if (record.cells?.length) cellsVersion += 1;
        }
        return { divisions, cellTypes, cellsVersion };
      }),
    },
    FINDINGS: { actions: assign({ findings: ({ event }) => event.findings }) },
  },
});
