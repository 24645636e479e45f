// The selected cell and the buttons that step through cells.
import { Box, Button, Stack, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import { cellColorCss } from '../render/lookup';
import type { ProjectSession } from '../session';

export function SelectionPanel({ session }: { session: ProjectSession }) {
  const selected = useSelector(session.selection, (s) => s.context.selected);
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
        <Button size="small" onClick={session.keys.handlers.previousCell}>
          Prev [
        </Button>
        <Button size="small" onClick={session.keys.handlers.nextCell}>
          Next ]
        </Button>
        <Button size="small" onClick={session.keys.handlers.newCell} data-testid="new-cell">
          New N
        </Button>
      </Stack>
    </Stack>
  );
}
