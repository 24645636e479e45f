// The project's history, newest first: who did what, when and in which frame. Clicking an entry
// shows where it changed pixels; older entries load a page at a time.
import { Alert, Box, Button, List, ListItemButton, ListItemText, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { HistoryEntry } from '../api/client';
import { placeOf } from '../machines/history';
import type { ProjectSession } from '../session';

function what(entry: HistoryEntry, byVersion: Map<number, HistoryEntry>) {
  const action = entry.action.replaceAll('_', ' ');
  if (entry.kind === 'edit') return action;
  const target = entry.target === null ? undefined : byVersion.get(entry.target);
  const whose = target && target.author !== entry.author ? ` of ${target.author}` : '';
  return `${entry.kind} ${action}${whose} (#${entry.target})`;
}

function time(iso: string) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

export function HistoryPanel({ session }: { session: ProjectSession }) {
  const { entries, more, error, highlighted } = useSelector(session.history, (s) => s.context);
  const loading = useSelector(session.history, (s) => s.matches({ pages: 'loading' }));
  const features = session.metadata.features;
  const byVersion = new Map(entries.map((e) => [e.version, e]));
  return (
    <Box sx={{ p: 1 }} data-testid="history-panel">
      <Typography variant="overline">History</Typography>
      {error && (
        <Alert severity="error" sx={{ py: 0 }}>
          {error}
        </Alert>
      )}
      {!entries.length && !loading && (
        <Typography variant="body2" sx={{ opacity: 0.7 }}>
          No edits yet.
        </Typography>
      )}
      <List dense disablePadding sx={{ maxHeight: 280, overflowY: 'auto' }}>
        {entries.map((entry) => (
          <ListItemButton
            key={entry.version}
            dense
            selected={highlighted?.version === entry.version}
            onClick={() => session.historyPanel.jump(entry)}
            data-testid="history-entry"
            data-version={entry.version}
            data-state={entry.state}
            sx={{ py: 0 }}
          >
            <ListItemText
              primary={`${entry.author} · ${what(entry, byVersion)}`}
              secondary={`#${entry.version} · ${time(entry.created)} · ${placeOf(entry, features)}`}
              slotProps={{
                primary: {
                  variant: 'body2',
                  sx: {
                    textDecoration:
                      entry.state === 'applied' || entry.state === 'done' ? 'none' : 'line-through',
                  },
                  title: entry.state === 'undone' ? 'undone' : entry.state,
                },
              }}
            />
          </ListItemButton>
        ))}
      </List>
      {more && (
        <Button
          size="small"
          disabled={loading}
          onClick={() => session.history.send({ type: 'LOAD_MORE' })}
          data-testid="history-more"
        >
          {loading ? 'Loading…' : 'Older edits'}
        </Button>
      )}
    </Box>
  );
}
