// Instructions: what each tool does, and the shortcut table printed from the key map.
import {
  Dialog,
  DialogContent,
  DialogTitle,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import { KEY_BINDINGS, displayKey } from '../keymap';

const TOOL_HELP: [string, string][] = [
  [
    'Select',
    'Click a cell to select it; click again where cells overlap to cycle through them. Drag to pan.',
  ],
  [
    'Brush / Eraser',
    'Paint or erase the selected cell. The stroke shows at once and is replaced by the saved result.',
  ],
  [
    'Write mode',
    'Exclude: paint only background. Overwrite: painted pixels become only this cell. Overlap: pixels keep their cells and gain this one.',
  ],
  ['Trim', 'Click part of a cell to keep only the piece connected to the click.'],
  [
    'Flood',
    'Click a region to fill it with the selected cell (click inside a cell’s hole to fill it).',
  ],
  ['Threshold', 'Drag a box: bright pixels in it are added to the selected cell.'],
  ['Watershed', 'Click twice inside one cell to split it in two along the image.'],
  [
    'Autofit, Shrink, Grow',
    'Fit the selected cell to the image, or take away / add one pixel around it.',
  ],
  [
    'Delete, Replace, Swap, New',
    'Choose the tool, pick the scope (this frame, past, future or all), click the other cell for replace and swap, then press Enter.',
  ],
  [
    'Match to previous / next frame',
    'The cells of the shown frame take the ids of the cells they overlap most in the frame before (or after), one to one; cells that overlap none get new ids. Only the ids change, not the pixels.',
  ],
  [
    'Copy and interpolate (stacks)',
    'Copy the selected cell from the previous frame into this one, or fill it into the frames between its last earlier frame and this one with shapes in between. The write mode applies.',
  ],
  [
    'Link all frames',
    'A job follows every cell through the movie or stack (missing for up to two frames, too) and gives it one id; proposed divisions appear in the divisions panel to accept or reject one by one. The linking is one edit: undo takes it back.',
  ],
  ['Undo / Redo', 'Every edit is saved on the server and can be undone, even after reloading.'],
];

export function HelpDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} maxWidth="md" fullWidth data-testid="help-dialog">
      <DialogTitle>How to label</DialogTitle>
      <DialogContent dividers>
        {TOOL_HELP.map(([name, text]) => (
          <Typography key={name} variant="body2" sx={{ mb: 1 }}>
            <strong>{name}.</strong> {text}
          </Typography>
        ))}
        <Typography variant="h6" sx={{ mt: 2 }}>
          Keyboard shortcuts
        </Typography>
        <Table size="small" data-testid="shortcut-table">
          <TableHead>
            <TableRow>
              <TableCell>Keys</TableCell>
              <TableCell>Action</TableCell>
              <TableCell>Group</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {KEY_BINDINGS.filter((b) => b.context === 'project').map((binding) => (
              <TableRow key={binding.id}>
                <TableCell>{binding.keys.map((k) => displayKey(k)).join(' or ')}</TableCell>
                <TableCell>{binding.description}</TableCell>
                <TableCell>{binding.group}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </DialogContent>
    </Dialog>
  );
}
