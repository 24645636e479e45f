// Above a campaign task's project: the instructions, the reviewer's last comment, and Submit.
import { useEffect, useState } from 'react';
import { Alert, Box, Button, Link, Stack, Typography } from '@mui/material';
import { getTask, nextTask, submitTask, type Task } from '../api/campaigns';
import { taskUrl } from '../pages/CampaignPage';

export function TaskBar({ taskId }: { taskId: number }) {
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  useEffect(() => {
    getTask(taskId).then(setTask, (e: Error) => setError(e.message));
  }, [taskId]);
  const submit = async () => {
    try {
      const done = await submitTask(taskId);
      setTask({ ...task!, ...done });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const next = async () => {
    try {
      const found = await nextTask(task!.campaign, setNotice);
      if (found) window.location.assign(taskUrl(found.task));
      else setNotice('Nothing is left for you in this campaign.');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!task) return error ? <Alert severity="error">{error}</Alert> : null;
  const rejection = [...(task.events ?? [])].reverse().find((e) => e.to === 'rejected');
  return (
    <Box sx={{ p: 1, borderBottom: 1, borderColor: 'divider' }} data-testid="task-bar">
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Link href={`/campaign?id=${encodeURIComponent(task.campaign)}`}>Campaign</Link>
        <Typography sx={{ flex: 1, whiteSpace: 'pre-wrap' }} data-testid="task-instructions">
          {task.instructions}
        </Typography>
        <Typography data-testid="task-state">{task.state.replace('_', ' ')}</Typography>
        {task.state === 'in_progress' && (
          <Button variant="contained" onClick={submit}>
            Submit task
          </Button>
        )}
      </Stack>
      {rejection && task.state === 'in_progress' && (
        <Alert severity="warning" data-testid="task-rejection">
          {rejection.by}: {rejection.comment}
        </Alert>
      )}
      {task.completion_code && (
        <Alert severity="success" data-testid="completion-code">
          Completion code: {task.completion_code}
        </Alert>
      )}
      {task.state !== 'in_progress' && (
        <Button onClick={next} data-testid="next-task">
          Next task
        </Button>
      )}
      {notice && <Alert severity="info">{notice}</Alert>}
      {error && <Alert severity="error">{error}</Alert>}
    </Box>
  );
}
