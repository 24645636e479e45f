// The one list of keyboard shortcuts. The key handler looks keys up here and the help dialog
// prints this table, so the two cannot disagree.

export type KeyContext = 'project' | 'dialog';
export type KeyGroup =
  | 'View'
  | 'Display'
  | 'Selection'
  | 'Segment tools'
  | 'Cells tools'
  | 'Divisions'
  | 'Frames'
  | 'Cell types'
  | 'Spots'
  | 'Review'
  | 'History'
  | 'Help';

export interface KeyBinding {
  id: string;
  keys: string[];
  description: string;
  group: KeyGroup;
  context: KeyContext;
}

export const KEY_BINDINGS = [
  { id: 'zoomIn', keys: ['=', '+'], description: 'Zoom in', group: 'View', context: 'project' },
  { id: 'zoomOut', keys: ['-'], description: 'Zoom out', group: 'View', context: 'project' },
  {
    id: 'fit',
    keys: ['0'],
    description: 'Fit the image to the window',
    group: 'View',
    context: 'project',
  },
  {
    id: 'pan',
    keys: ['Space'],
    description: 'Hold and drag to pan while a tool drags',
    group: 'View',
    context: 'project',
  },
  {
    id: 'nextFeature',
    keys: ['F'],
    description: 'Next feature (label layer)',
    group: 'Display',
    context: 'project',
  },
  {
    id: 'nextChannel',
    keys: ['C'],
    description: 'Next channel',
    group: 'Display',
    context: 'project',
  },
  {
    id: 'previousFrame',
    keys: ['A'],
    description: 'Previous frame',
    group: 'Display',
    context: 'project',
  },
  { id: 'nextFrame', keys: ['D'], description: 'Next frame', group: 'Display', context: 'project' },
  {
    id: 'toggleHighlight',
    keys: ['H'],
    description: 'Highlight the selected cell on/off',
    group: 'Display',
    context: 'project',
  },
  {
    id: 'toggleLabels',
    keys: ['L'],
    description: 'Show/hide labels',
    group: 'Display',
    context: 'project',
  },
  {
    id: 'previousCell',
    keys: ['['],
    description: 'Select the previous cell',
    group: 'Selection',
    context: 'project',
  },
  {
    id: 'nextCell',
    keys: [']'],
    description: 'Select the next cell',
    group: 'Selection',
    context: 'project',
  },
  {
    id: 'newCell',
    keys: ['N'],
    description: 'Select a new, unused cell id',
    group: 'Selection',
    context: 'project',
  },
  {
    id: 'reset',
    keys: ['Escape'],
    description: 'Deselect and cancel the current gesture (or the comment being pinned)',
    group: 'Selection',
    context: 'project',
  },
  {
    id: 'select',
    keys: ['V'],
    description: 'Select tool: click a cell (again to cycle overlaps)',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'brush',
    keys: ['B'],
    description: 'Brush: paint the selected cell',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'eraser',
    keys: ['E'],
    description: 'Eraser: remove the selected cell',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'toggleEraser',
    keys: ['X'],
    description: 'Switch between brush and eraser',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'brushBigger',
    keys: ['ArrowUp'],
    description: 'Bigger brush',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'brushSmaller',
    keys: ['ArrowDown'],
    description: 'Smaller brush',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'trim',
    keys: ['K'],
    description: 'Trim: keep the part of a cell connected to the click',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'flood',
    keys: ['G'],
    description: 'Flood: fill the clicked region with the selected cell',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'threshold',
    keys: ['T'],
    description: 'Threshold: drag a box to add bright pixels to the selected cell',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'watershed',
    keys: ['W'],
    description: 'Watershed: click twice in one cell to split it',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'autofit',
    keys: ['M'],
    description: 'Autofit the selected cell to the image',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'shrink',
    keys: ['Q'],
    description: 'Shrink the selected cell by one pixel',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'grow',
    keys: ['Shift+Q'],
    description: 'Grow the selected cell by one pixel',
    group: 'Segment tools',
    context: 'project',
  },
  {
    id: 'delete',
    keys: ['Backspace', 'Delete'],
    description: 'Delete tool: Enter deletes the selected cell',
    group: 'Cells tools',
    context: 'project',
  },
  {
    id: 'replace',
    keys: ['R'],
    description: 'Replace tool: click another cell, Enter merges it into the selected one',
    group: 'Cells tools',
    context: 'project',
  },
  {
    id: 'swap',
    keys: ['S'],
    description: 'Swap tool: click another cell, Enter swaps the two',
    group: 'Cells tools',
    context: 'project',
  },
  {
    id: 'relabel',
    keys: ['Shift+N'],
    description: 'New tool: Enter gives the selected cell a new id',
    group: 'Cells tools',
    context: 'project',
  },
  {
    id: 'apply',
    keys: ['Enter'],
    description: 'Apply the cells tool (scope: frame, past, future, all)',
    group: 'Cells tools',
    context: 'project',
  },
  {
    id: 'addDaughter',
    keys: ['Y'],
    description: 'Add a daughter to the selected cell: click it (Shift+click cycles overlaps)',
    group: 'Divisions',
    context: 'project',
  },
  {
    id: 'removeDaughter',
    keys: ['Shift+Y'],
    description: 'Remove a daughter of the selected cell: click it',
    group: 'Divisions',
    context: 'project',
  },
  {
    id: 'nextFinding',
    keys: ['J'],
    description: 'Jump to the next problem found in the divisions',
    group: 'Divisions',
    context: 'project',
  },
  {
    id: 'matchPrevious',
    keys: ['Shift+A'],
    description: 'Match to previous frame: cells take the ids of the cells they overlap there',
    group: 'Frames',
    context: 'project',
  },
  {
    id: 'matchNext',
    keys: ['Shift+D'],
    description: 'Match to next frame: cells take the ids of the cells they overlap there',
    group: 'Frames',
    context: 'project',
  },
  {
    id: 'copyFromPrevious',
    keys: ['Shift+C'],
    description: 'Copy the selected cell here from the previous frame (write mode applies)',
    group: 'Frames',
    context: 'project',
  },
  {
    id: 'interpolate',
    keys: ['Shift+I'],
    description:
      'Interpolate the selected cell through the frames between its last earlier frame and here',
    group: 'Frames',
    context: 'project',
  },
  {
    id: 'linkMovie',
    keys: ['Shift+L'],
    description: 'Link all frames: one id per cell throughout, divisions proposed (a job)',
    group: 'Frames',
    context: 'project',
  },
  {
    id: 'toggleTypeOverlay',
    keys: ['O'],
    description: 'Show/hide the cell type colours',
    group: 'Cell types',
    context: 'project',
  },
  {
    id: 'nextUncertainCell',
    keys: ['I'],
    description: 'Next cell the type predictions are least sure of (Learn panel)',
    group: 'Cell types',
    context: 'project',
  },
  {
    id: 'pickTypeCells',
    keys: ['U'],
    description: 'Click cells to add them to (or take them out of) the chosen cell type',
    group: 'Cell types',
    context: 'project',
  },
  {
    id: 'toggleSpots',
    keys: ['P'],
    description: 'Show/hide the spots',
    group: 'Spots',
    context: 'project',
  },
  {
    id: 'nextProject',
    keys: ['Shift+ArrowRight'],
    description: 'Next project (review mode)',
    group: 'Review',
    context: 'project',
  },
  {
    id: 'previousProject',
    keys: ['Shift+ArrowLeft'],
    description: 'Previous project (review mode)',
    group: 'Review',
    context: 'project',
  },
  { id: 'undo', keys: ['Mod+Z'], description: 'Undo', group: 'History', context: 'project' },
  {
    id: 'redo',
    keys: ['Mod+Shift+Z', 'Mod+Y'],
    description: 'Redo',
    group: 'History',
    context: 'project',
  },
  { id: 'help', keys: ['?'], description: 'Show this help', group: 'Help', context: 'project' },
  {
    id: 'closeDialog',
    keys: ['Escape'],
    description: 'Close the dialog',
    group: 'Help',
    context: 'dialog',
  },
] as const satisfies readonly KeyBinding[];

export type KeyActionId = (typeof KEY_BINDINGS)[number]['id'];

/** A key event in the notation of the table: `Mod+Shift+Z`, `Q`, `Shift+Q`, `[`, `ArrowUp`. */
export function keyName(
  event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>,
): string {
  let key = event.key;
  if (key === ' ') key = 'Space';
  const isLetter = key.length === 1 && key.toLowerCase() !== key.toUpperCase();
  if (isLetter) key = key.toUpperCase();
  const parts: string[] = [];
  if (event.ctrlKey || event.metaKey) parts.push('Mod');
  if (event.altKey) parts.push('Alt');
  // Shift already changes symbols ('=' -> '+'); name it only with letters and named keys.
  if (event.shiftKey && (isLetter || key.length > 1)) parts.push('Shift');
  parts.push(key);
  return parts.join('+');
}

const lookup = new Map<string, KeyActionId>();
for (const binding of KEY_BINDINGS) {
  for (const key of binding.keys) lookup.set(`${binding.context} ${key}`, binding.id);
}

export function actionForKey(context: KeyContext, name: string): KeyActionId | undefined {
  return lookup.get(`${context} ${name}`);
}

/** How a key is written for people: `Mod` becomes Ctrl or ⌘. */
export function displayKey(
  key: string,
  isMac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform),
) {
  return key
    .replace('Mod', isMac ? '⌘' : 'Ctrl')
    .replace('ArrowUp', '↑')
    .replace('ArrowDown', '↓')
    .replace('ArrowLeft', '←')
    .replace('ArrowRight', '→');
}

/** The first key of an action, as shown on buttons. */
export function shortcutFor(id: KeyActionId): string {
  const binding = KEY_BINDINGS.find((b) => b.id === id);
  return binding ? displayKey(binding.keys[0]) : '';
}
