// The marker panel: which channels mark each cell type (kept with the project), and "match
// markers", which shows a type's marker channels as colour layers.
import { Box, Button, Chip, MenuItem, Select, Stack, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { ProjectSession } from '../session';

export function MarkersPanel({ session }: { session: ProjectSession }) {
  const markers = useSelector(session.annotations, (s) => s.context.markers);
  const allTypes = useSelector(session.annotations, (s) => s.context.cellTypes);
  const feature = useSelector(session.display, (s) => s.context.feature);
  const channels = useSelector(session.display, (s) => s.context.channels.map((c) => c.name));
  const names = [
    ...new Set([
      ...allTypes.filter((t) => (t.feature ?? 0) === feature).map((t) => t.name),
      ...Object.keys(markers),
    ]),
  ];
  if (!names.length) {
    return (
      <Typography variant="caption">Create a cell type to name its marker channels.</Typography>
    );
  }
  return (
    <Stack spacing={1} data-testid="markers-panel">
      {names.map((name) => {
        const own = markers[name] ?? [];
        const left = channels.filter((c) => !own.includes(c));
        return (
          <Box
            key={name}
            data-testid={`markers-${name}`}
            sx={{ border: 1, borderColor: 'divider', borderRadius: 1, p: 0.5 }}
          >
            <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
              <Typography variant="body2">{name}</Typography>
              <Button
                size="small"
                disabled={!own.length}
                onClick={() => session.learn.matchMarkers(name)}
                data-testid="match-markers"
              >
                Match markers
              </Button>
            </Stack>
            <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 0.5, alignItems: 'center' }}>
              {own.map((channel) => (
                <Chip
                  key={channel}
                  size="small"
                  label={channel}
                  onDelete={() =>
                    session.learn.setMarkers(
                      name,
                      own.filter((c) => c !== channel),
                    )
                  }
                />
              ))}
              {left.length > 0 && (
                <Select
                  size="small"
                  variant="standard"
                  value=""
                  displayEmpty
                  inputProps={{
                    'aria-label': `Add a marker of ${name}`,
                    'data-testid': 'add-marker',
                  }}
                  onChange={(e) =>
                    session.learn.setMarkers(name, [...own, e.target.value as string])
                  }
                >
                  <MenuItem value="" disabled>
                    + marker
                  </MenuItem>
                  {left.map((channel) => (
                    <MenuItem key={channel} value={channel}>
                      {channel}
                    </MenuItem>
                  ))}
                </Select>
              )}
            </Stack>
          </Box>
        );
      })}
    </Stack>
  );
}
