// Under the frame slider: one bar per selected or hovered cell, filled in the frames where the
// cell is present; a click on a frame shows it.
import { Box, Stack, Tooltip, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import { cellColorCss } from '../render/lookup';
import type { ProjectSession } from '../session';

function Bar({
  session,
  cell,
  role,
  frames,
}: {
  session: ProjectSession;
  cell: number;
  role: 'selected' | 'hovered';
  frames: number;
}) {
  const feature = useSelector(session.display, (s) => s.context.feature);
  const frame = useSelector(session.display, (s) => s.context.frame);
  // Re-read the frames whenever an edit changed which cells are where.
  useSelector(session.annotations, (s) => s.context.cellsVersion);
  const present = new Set(session.store.framesOfCell(feature, cell));
  return (
    <Stack
      direction="row"
      spacing={1}
      sx={{ alignItems: 'center' }}
      data-testid={`timeline-${role}`}
      data-cell={cell}
      data-frames={[...present].sort((a, b) => a - b).join(',')}
    >
      <Typography variant="caption" sx={{ width: 120, whiteSpace: 'nowrap' }}>
        {role === 'selected' ? 'Selected' : 'Hovered'} cell {cell}
      </Typography>
      <Box sx={{ flex: 1, display: 'flex', height: 10, gap: '1px' }}>
        {Array.from({ length: frames }, (_x, t) => (
          <Tooltip key={t} title={`Frame ${t + 1}${present.has(t) ? '' : ' (absent)'}`}>
            <Box
              onClick={() => session.display.send({ type: 'SET_FRAME', frame: t })}
              sx={{
                flex: 1,
                cursor: 'pointer',
                bgcolor: present.has(t) ? cellColorCss(cell) : 'action.hover',
                outline: t === frame ? '1px solid' : 'none',
                outlineColor: 'text.primary',
              }}
            />
          </Tooltip>
        ))}
      </Box>
    </Stack>
  );
}

export function TimelineBars({ session }: { session: ProjectSession }) {
  const selected = useSelector(session.selection, (s) => s.context.selected);
  const hovering = useSelector(session.selection, (s) => s.context.hovering);
  const frames = session.metadata.frames;
  if (frames <= 1) return null;
  const hovered = hovering.filter((c) => c !== selected).slice(0, 2);
  return (
    <Stack spacing={0.25} sx={{ px: 2, pb: 0.5, minHeight: 24 }} data-testid="timelines">
      {selected !== null && (
        <Bar session={session} cell={selected} role="selected" frames={frames} />
      )}
      {hovered.map((cell) => (
        <Bar key={cell} session={session} cell={cell} role="hovered" frames={frames} />
      ))}
    </Stack>
  );
}
