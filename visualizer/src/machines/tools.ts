// The active tool and what a pointer gesture with it means. The machine turns gestures into edit
// requests (emitted as `edit`); it does not know about the server or the label pixels.
import { assign, emit, setup } from 'xstate';
import type { WriteMode } from '../api/client';

export type SegmentTool =
  'select' | 'brush' | 'eraser' | 'trim' | 'flood' | 'threshold' | 'watershed';
export type CellsTool = 'delete' | 'replace' | 'swap' | 'new';
export type Tool = SegmentTool | CellsTool;
export type Scope = 'frame' | 'past' | 'future' | 'all';
export type CellAction = 'autofit' | 'shrink' | 'grow';

export const SEGMENT_TOOLS: SegmentTool[] = [
  'select',
  'brush',
  'eraser',
  'trim',
  'flood',
  'threshold',
  'watershed',
];
export const CELLS_TOOLS: CellsTool[] = ['delete', 'replace', 'swap', 'new'];
export const MIN_BRUSH = 1;
export const MAX_BRUSH = 64;

export type Point = [number, number];

export interface ToolContext {
  tool: Tool;
  brushSize: number;
  writeMode: WriteMode;
  scope: Scope;
  /** The second cell of replace and swap. */
  other: number | null;
  stroke: Point[];
  strokeCell: number | null;
  boxStart: Point | null;
  boxEnd: Point | null;
  seed: { x: number; y: number; cell: number } | null;
}

export type ToolEvent =
  | { type: 'SELECT_TOOL'; tool: Tool }
  | { type: 'TOGGLE_ERASER' }
  | { type: 'BRUSH_BIGGER' }
  | { type: 'BRUSH_SMALLER' }
  | { type: 'SET_BRUSH_SIZE'; size: number }
  | { type: 'SET_WRITE_MODE'; mode: WriteMode }
  | { type: 'SET_SCOPE'; scope: Scope }
  | { type: 'SET_OTHER'; cell: number | null }
  | { type: 'POINTER_DOWN'; x: number; y: number; cells: number[]; selected: number | null }
  | { type: 'POINTER_MOVE'; x: number; y: number }
  | { type: 'POINTER_UP'; x: number; y: number }
  | { type: 'CELL_ACTION'; action: CellAction; selected: number | null }
  | { type: 'APPLY'; selected: number | null }
  | { type: 'CANCEL' };

export type ToolEmitted =
  | { type: 'edit'; action: string; args: Record<string, unknown> }
  | { type: 'pick'; cells: number[] }
  | { type: 'stroke'; points: Point[]; size: number; erase: boolean; cell: number }
  | { type: 'strokeEnd' }
  | { type: 'notice'; message: string };

const SELECT_A_CELL = 'Select a cell first (click one, or press N for a new cell).';

const pixel = (x: number, y: number): Point => [Math.floor(x), Math.floor(y)];
const isStrokeTool = (tool: Tool) => tool === 'brush' || tool === 'eraser';

export const toolMachine = setup({
  types: {
    context: {} as ToolContext,
    events: {} as ToolEvent,
    emitted: {} as ToolEmitted,
  },
  guards: {
    strokeWithCell: ({ context, event }) =>
      event.type === 'POINTER_DOWN' && isStrokeTool(context.tool) && event.selected !== null,
    strokeWithoutCell: ({ context, event }) =>
      event.type === 'POINTER_DOWN' && isStrokeTool(context.tool) && event.selected === null,
    thresholdDown: ({ context, event }) =>
      event.type === 'POINTER_DOWN' && context.tool === 'threshold' && event.selected !== null,
    watershedFirst: ({ context, event }) =>
      event.type === 'POINTER_DOWN' && context.tool === 'watershed' && event.cells.length > 0,
  },
}).createMachine({
  id: 'tools',
  context: {
    tool: 'select',
    brushSize: 5,
    writeMode: 'exclude',
    scope: 'frame',
    other: null,
    stroke: [],
    strokeCell: null,
    boxStart: null,
    boxEnd: null,
    seed: null,
  },
  on: {
    SELECT_TOOL: {
      target: '.idle',
      actions: assign({
        tool: ({ event }) => event.tool,
        seed: null,
        boxStart: null,
        boxEnd: null,
      }),
    },
    TOGGLE_ERASER: {
      target: '.idle',
      actions: assign({ tool: ({ context }) => (context.tool === 'brush' ? 'eraser' : 'brush') }),
    },
    BRUSH_BIGGER: {
      actions: assign({ brushSize: ({ context }) => Math.min(MAX_BRUSH, context.brushSize + 1) }),
    },
    BRUSH_SMALLER: {
      actions: assign({ brushSize: ({ context }) => Math.max(MIN_BRUSH, context.brushSize - 1) }),
    },
    SET_BRUSH_SIZE: {
      actions: assign({
        brushSize: ({ event }) => Math.min(MAX_BRUSH, Math.max(MIN_BRUSH, Math.round(event.size))),
      }),
    },
    SET_WRITE_MODE: { actions: assign({ writeMode: ({ event }) => event.mode }) },
    SET_SCOPE: { actions: assign({ scope: ({ event }) => event.scope }) },
    SET_OTHER: { actions: assign({ other: ({ event }) => event.cell }) },
    CELL_ACTION: [
      {
        guard: ({ event }) => event.selected === null,
        actions: emit({ type: 'notice', message: SELECT_A_CELL }),
      },
      {
        actions: emit(({ event }) => ({
          type: 'edit' as const,
          action: event.action,
          args: { cell: event.selected },
        })),
      },
    ],
    CANCEL: {
      target: '.idle',
      actions: assign({ seed: null, boxStart: null, boxEnd: null, other: null }),
    },
  },
  initial: 'idle',
  states: {
    idle: {
      on: {
        POINTER_DOWN: [
          {
            guard: 'strokeWithCell',
            target: 'stroking',
            actions: [
              assign({
                stroke: ({ event }) => [pixel(event.x, event.y)],
                strokeCell: ({ event }) => event.selected,
              }),
              emit(({ context }) => ({
                type: 'stroke' as const,
                points: context.stroke,
                size: context.brushSize,
                erase: context.tool === 'eraser',
                cell: context.strokeCell!,
              })),
            ],
          },
          { guard: 'strokeWithoutCell', actions: emit({ type: 'notice', message: SELECT_A_CELL }) },
          {
            guard: 'thresholdDown',
            target: 'boxing',
            actions: assign({
              boxStart: ({ event }) => pixel(event.x, event.y),
              boxEnd: ({ event }) => pixel(event.x, event.y),
              strokeCell: ({ event }) => event.selected,
            }),
          },
          {
            guard: 'watershedFirst',
            target: 'seeded',
            actions: assign({
              seed: ({ event }) => {
                const [x, y] = pixel(event.x, event.y);
                const cell =
                  event.selected !== null && event.cells.includes(event.selected)
                    ? event.selected
                    : event.cells[0];
                return { x, y, cell };
              },
            }),
          },
          {
            guard: ({ context }) => context.tool === 'select',
            actions: emit(({ event }) => ({ type: 'pick' as const, cells: event.cells })),
          },
          {
            guard: ({ context, event }) => context.tool === 'trim' && event.cells.length > 0,
            actions: emit(({ event }) => {
              const [x, y] = pixel(event.x, event.y);
              const cell =
                event.selected !== null && event.cells.includes(event.selected)
                  ? event.selected
                  : event.cells[0];
              return { type: 'edit' as const, action: 'trim', args: { cell, x, y } };
            }),
          },
          {
            guard: ({ context, event }) => context.tool === 'flood' && event.selected !== null,
            actions: emit(({ event }) => {
              const [x, y] = pixel(event.x, event.y);
              return {
                type: 'edit' as const,
                action: 'flood',
                args: { cell: event.selected, x, y },
              };
            }),
          },
          {
            guard: ({ context }) => context.tool === 'replace' || context.tool === 'swap',
            actions: assign({
              other: ({ context, event }) =>
                event.cells.find((c) => c !== event.selected) ?? context.other,
            }),
          },
          {
            guard: ({ context }) => context.tool === 'flood' || context.tool === 'threshold',
            actions: emit({ type: 'notice', message: SELECT_A_CELL }),
          },
        ],
        APPLY: [
          {
            guard: ({ context, event }) =>
              (context.tool === 'delete' || context.tool === 'new') && event.selected !== null,
            actions: [
              emit(({ context, event }) => ({
                type: 'edit' as const,
                action: context.tool,
                args: { cell: event.selected, scope: context.scope },
              })),
              // A second Enter must not delete another cell: deleting is done one cell at a time.
              assign({
                tool: ({ context }) => (context.tool === 'delete' ? 'select' : context.tool),
              }),
            ],
          },
          {
            guard: ({ context, event }) =>
              (context.tool === 'replace' || context.tool === 'swap') &&
              event.selected !== null &&
              context.other !== null &&
              context.other !== event.selected,
            actions: [
              emit(({ context, event }) => ({
                type: 'edit' as const,
                action: context.tool,
                args: { cell: event.selected, other_cell: context.other, scope: context.scope },
              })),
              assign({ other: null }),
            ],
          },
          {
            guard: ({ context }) => context.tool === 'replace' || context.tool === 'swap',
            actions: emit({
              type: 'notice',
              message: 'Select a cell, then click the other cell on the image, then press Enter.',
            }),
          },
          {
            guard: ({ context }) => context.tool === 'delete' || context.tool === 'new',
            actions: emit({ type: 'notice', message: SELECT_A_CELL }),
          },
        ],
      },
    },
    stroking: {
      on: {
        POINTER_MOVE: {
          guard: ({ context, event }) => {
            const [x, y] = pixel(event.x, event.y);
            const last = context.stroke[context.stroke.length - 1];
            return last[0] !== x || last[1] !== y;
          },
          actions: [
            assign({
              stroke: ({ context, event }) => [...context.stroke, pixel(event.x, event.y)],
            }),
            emit(({ context }) => ({
              type: 'stroke' as const,
              points: context.stroke.slice(-2),
              size: context.brushSize,
              erase: context.tool === 'eraser',
              cell: context.strokeCell!,
            })),
          ],
        },
        POINTER_UP: {
          target: 'idle',
          actions: [
            emit(({ context }) => ({
              type: 'edit' as const,
              action: context.tool === 'eraser' ? 'erase' : 'brush',
              args: {
                cell: context.strokeCell,
                points: context.stroke,
                brush_size: context.brushSize,
              },
            })),
            emit({ type: 'strokeEnd' }),
            assign({ stroke: [], strokeCell: null }),
          ],
        },
      },
    },
    boxing: {
      on: {
        POINTER_MOVE: { actions: assign({ boxEnd: ({ event }) => pixel(event.x, event.y) }) },
        POINTER_UP: {
          target: 'idle',
          actions: [
            emit(({ context, event }) => {
              const [ex, ey] = pixel(event.x, event.y);
              const [sx, sy] = context.boxStart!;
              return {
                type: 'edit' as const,
                action: 'threshold',
                args: {
                  cell: context.strokeCell,
                  x1: Math.min(sx, ex),
                  y1: Math.min(sy, ey),
                  x2: Math.max(sx, ex),
                  y2: Math.max(sy, ey),
                },
              };
            }),
            assign({ boxStart: null, boxEnd: null, strokeCell: null }),
          ],
        },
      },
    },
    seeded: {
      on: {
        POINTER_DOWN: [
          {
            guard: ({ context, event }) => event.cells.includes(context.seed!.cell),
            target: 'idle',
            actions: [
              emit(({ context, event }) => {
                const [x, y] = pixel(event.x, event.y);
                const seed = context.seed!;
                return {
                  type: 'edit' as const,
                  action: 'watershed',
                  args: { cell: seed.cell, x1: seed.x, y1: seed.y, x2: x, y2: y },
                };
              }),
              assign({ seed: null }),
            ],
          },
          {
            target: 'idle',
            actions: [
              emit({ type: 'notice', message: 'Watershed: click twice inside the same cell.' }),
              assign({ seed: null }),
            ],
          },
        ],
      },
    },
  },
});
