// A server job as a progress bar with its message; its error in place when it failed.
import { Alert, Box, Button, LinearProgress, Stack, Typography } from '@mui/material';
import { useSelector } from '@xstate/react';
import type { ActorRefFrom } from 'xstate';
import type { jobMachine } from '../machines/job';

export function JobProgress({
  actor,
  label,
  cancellable = true,
}: {
  actor: ActorRefFrom<typeof jobMachine>;
  /** What the job is, in the user's words ("Training", "Linking the movie"). */
  label: string;
  cancellable?: boolean;
}) {
  const job = useSelector(actor, (state) => state.context.job);
  const trouble = useSelector(actor, (state) => state.context.trouble);
  const cancelling = useSelector(actor, (state) => state.matches('cancelling'));
  const state = job?.state ?? 'queued';
  if (state === 'failed') {
    return (
      <Alert severity="error" data-testid="job-error">
        {label} failed: {job?.error}
      </Alert>
    );
  }
  if (state === 'cancelled') {
    return (
      <Alert severity="info" data-testid="job-cancelled">
        {label} was cancelled.
      </Alert>
    );
  }
  if (state === 'done') return null;
  const percent = Math.round((job?.progress ?? 0) * 100);
  return (
    <Box data-testid="job-progress" aria-live="polite">
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Typography variant="body2" sx={{ flex: 1 }}>
          {label}: {state === 'queued' ? 'waiting for a worker' : job?.message || 'working'}
        </Typography>
        <Typography variant="caption">{percent}%</Typography>
        {cancellable && (
          <Button size="small" disabled={cancelling} onClick={() => actor.send({ type: 'CANCEL' })}>
            Cancel
          </Button>
        )}
      </Stack>
      <LinearProgress
        variant={state === 'queued' ? 'indeterminate' : 'determinate'}
        value={percent}
      />
      {trouble && (
        <Typography variant="caption" color="warning.main">
          {trouble}; still trying.
        </Typography>
      )}
    </Box>
  );
}
