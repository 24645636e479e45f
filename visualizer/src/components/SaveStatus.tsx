// Always-visible save state: saving, saved, or offline with the number of queued edits.
import { Chip } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { ProjectSession } from '../session';

export function SaveStatus({ session }: { session: ProjectSession }) {
  const { queued, offline, sending, version } = useSelector(
    session.editQueue,
    (s) => ({
      queued: s.context.queue.length,
      offline: s.context.offline,
      sending: s.matches('sending'),
      version: s.context.version,
    }),
    (a, b) =>
      a.queued === b.queued &&
      a.offline === b.offline &&
      a.sending === b.sending &&
      a.version === b.version,
  );
  let label = 'Saved';
  let color: 'success' | 'warning' | 'error' | 'default' = 'success';
  if (offline) {
    label = `Offline — ${queued} edit${queued === 1 ? '' : 's'} queued`;
    color = 'error';
  } else if (queued > 0 || sending) {
    label = 'Saving…';
    color = 'warning';
  }
  return (
    <Chip
      size="small"
      color={color}
      label={label}
      data-testid="save-state"
      data-version={version}
    />
  );
}
