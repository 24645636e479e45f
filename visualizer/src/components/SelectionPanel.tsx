// The selected cell, the cells under the cursor, and the selected cell's frames and divisions.
import { Box, Button, Stack, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import { cellColorCss } from '../render/lookup';
import type { ProjectSession } from '../session';

export function SelectionPanel({ session }: { session: ProjectSession }) {
  const selected = useSelector(session.selection, (s) => s.context.selected);
  const feature = useSelector(session.display, (s) => s.context.feature);
  const frames = session.metadata.frames;
  const timeline =
    selected !== null && frames > 1 ? session.store.framesOfCell(feature, selected) : [];
  const divisions =
    selected === null
      ? []
      : session.divisions.filter((d) => d.parent === selected || d.daughters.includes(selected));
  return (
    <Stack spacing={1} sx={{ p: 1 }}>
      <Typography variant="overline">Selection</Typography>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Box
          sx={{
            width: 16,
            height: 16,
            borderRadius: 0.5,
            bgcolor: selected === null ? 'transparent' : cellColorCss(selected),
            border: 1,
          }}
        />
        <Typography data-testid="selected-cell">
          {selected === null ? 'No cell selected' : `Cell ${selected}`}
        </Typography>
      </Stack>
      <Stack direction="row" spacing={0.5}>
        <Button size="small" onClick={session.keyHandlers.previousCell}>
          Prev [
        </Button>
        <Button size="small" onClick={session.keyHandlers.nextCell}>
          Next ]
        </Button>
        <Button size="small" onClick={session.keyHandlers.newCell} data-testid="new-cell">
          New N
        </Button>
      </Stack>
      {timeline.length > 0 && (
        <Typography variant="caption" data-testid="timeline">
          In frames: {timeline.join(', ')}
        </Typography>
      )}
      {divisions.map((d) => (
        <Typography key={`${d.parent}-${d.t}`} variant="caption">
          Division at frame {d.t}: {d.parent} → {d.daughters.join(', ')}
        </Typography>
      ))}
    </Stack>
  );
}
