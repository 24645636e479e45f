// A crowd link (/crowd/<token>?worker=<platform id>): signs the worker in as a guest annotator of
// the link's campaign and opens their first task; the task's bar shows the completion code.
import { useCallback, useEffect, useState } from 'react';
import { Alert, Box, Button, CircularProgress, Stack, TextField, Typography } from '@mui/material';
import { setCsrfToken } from '../api/client';
import { nextTask, openCrowdLink } from '../api/campaigns';
import { taskUrl } from './CampaignPage';

/** The link's token: the path's last part (/crowd/<token>), or `?token=`. */
export function crowdToken(location: { pathname: string; search: string }): string {
  const parts = location.pathname.replace(/\/+$/, '').split('/');
  const fromPath = parts[1] === 'crowd' ? (parts[2] ?? '') : '';
  return fromPath || (new URLSearchParams(location.search).get('token') ?? '');
}

export function CrowdPage() {
  const token = crowdToken(window.location);
  const [worker, setWorker] = useState(
    () => new URLSearchParams(window.location.search).get('worker') ?? '',
  );
  const [started, setStarted] = useState(worker !== '');
  const [notice, setNotice] = useState('Signing you in…');
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);

  const start = useCallback(async () => {
    try {
      const member = await openCrowdLink(token, worker.trim());
      if (member.csrf_token) setCsrfToken(member.csrf_token);
      setNotice('Finding your task…');
      const next = await nextTask(member.campaign, setNotice);
      if (next) window.location.assign(taskUrl(next.task));
      else setDone(true);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [token, worker]);

  useEffect(() => {
    if (started) void start();
    // Started once, when the worker id is known.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [started]);

  return (
    <Box sx={{ maxWidth: 560, mx: 'auto', p: 4 }} data-testid="crowd-page">
      <Typography variant="h5" gutterBottom>
        Label cells
      </Typography>
      {error && <Alert severity="error">{error}</Alert>}
      {!error && done && (
        <Alert severity="info" data-testid="crowd-done">
          There is nothing left for you to label in this campaign. Thank you!
        </Alert>
      )}
      {!error && !done && !started && (
        <Stack spacing={2}>
          <TextField
            label="Your worker ID"
            value={worker}
            onChange={(event) => setWorker(event.target.value)}
          />
          <Button variant="contained" disabled={!worker.trim()} onClick={() => setStarted(true)}>
            Start labelling
          </Button>
        </Stack>
      )}
      {!error && !done && started && (
        <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
          <CircularProgress size={24} />
          <Typography data-testid="crowd-notice">{notice}</Typography>
        </Stack>
      )}
    </Box>
  );
}
