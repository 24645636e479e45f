// One campaign (`/campaign?id=`): its instructions and counts, "Start labelling", and for its
// managers and reviewers the members, images, crowd links, review queue and dashboard.
import { useCallback, useEffect, useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Container,
  Divider,
  FormControlLabel,
  LinearProgress,
  Link,
  MenuItem,
  Select,
  Stack,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import {
  addImages,
  addMember,
  createLink,
  getCampaign,
  getJob,
  getStats,
  listMembers,
  listTasks,
  nextTask,
  presegmentNow,
  reviewTask,
  statsCsvUrl,
  updateCampaign,
  type Campaign,
  type Job,
  type Stats,
  type Task,
} from '../api/campaigns';
import { CampaignTimeline } from '../components/CampaignTimeline';

export const taskUrl = (task: { project: string; id: number }) =>
  `/project?projectId=${encodeURIComponent(task.project)}&task=${task.id}`;

export function CampaignPage({ campaignId }: { campaignId: string }) {
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const refresh = useCallback(() => {
    getCampaign(campaignId).then(setCampaign, (e: Error) => setError(e.message));
  }, [campaignId]);
  useEffect(refresh, [refresh]);
  const start = async () => {
    try {
      const next = await nextTask(campaignId, setNotice);
      if (next) window.location.assign(taskUrl(next.task));
      else setNotice('Nothing is left for you in this campaign.');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (!campaign) return <Container sx={{ py: 3 }}>{error || 'Loading…'}</Container>;
  const manager = campaign.role === 'manager';
  const reviewer = manager || campaign.role === 'reviewer';
  return (
    <Container maxWidth="lg" sx={{ py: 3 }}>
      <Link href="/campaigns">All campaigns</Link>
      <Typography variant="h4" data-testid="campaign-name">
        {campaign.name}
      </Typography>
      <Typography color="text.secondary" data-testid="campaign-counts">
        {Object.entries(campaign.counts)
          .map(([state, count]) => `${state.replace('_', ' ')} ${count}`)
          .join(' · ')}
      </Typography>
      {error && <Alert severity="error">{error}</Alert>}
      {notice && <Alert severity="info">{notice}</Alert>}
      <Typography sx={{ whiteSpace: 'pre-wrap', my: 2 }}>{campaign.instructions}</Typography>
      <Button variant="contained" onClick={start}>
        Start labelling
      </Button>
      {manager && <Members campaignId={campaignId} />}
      {manager && <AddImages campaignId={campaignId} onDone={refresh} />}
      {manager && <Presegmentation campaign={campaign} onChange={setCampaign} />}
      {manager && <CrowdLink campaignId={campaignId} />}
      {reviewer && <ReviewQueue campaignId={campaignId} onChange={refresh} />}
      {reviewer && <Dashboard campaignId={campaignId} />}
    </Container>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Stack spacing={1} sx={{ mt: 3 }} component="section" aria-label={title}>
      <Divider />
      <Typography variant="h6">{title}</Typography>
      {children}
    </Stack>
  );
}

function Members({ campaignId }: { campaignId: string }) {
  const [members, setMembers] = useState<{ username: string; role: string }[]>([]);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState('annotator');
  const [error, setError] = useState('');
  const load = useCallback(() => {
    listMembers(campaignId).then(setMembers, (e: Error) => setError(e.message));
  }, [campaignId]);
  useEffect(load, [load]);
  const add = async () => {
    try {
      await addMember(campaignId, username.trim(), role);
      setUsername('');
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Section title="Members">
      {error && <Alert severity="error">{error}</Alert>}
      <Typography data-testid="members">
        {members.map((m) => `${m.username} (${m.role})`).join(', ')}
      </Typography>
      <Stack direction="row" spacing={1}>
        <TextField
          size="small"
          label="Username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Select size="small" value={role} onChange={(e) => setRole(e.target.value)}>
          {['annotator', 'reviewer', 'manager'].map((r) => (
            <MenuItem key={r} value={r}>
              {r}
            </MenuItem>
          ))}
        </Select>
        <Button onClick={add} disabled={!username.trim()}>
          Add member
        </Button>
      </Stack>
    </Section>
  );
}

/** Follow a job until it ends, telling `onUpdate` each state seen; the last one. */
async function follow(job: Job, onUpdate: (job: Job) => void): Promise<Job> {
  let current = job;
  onUpdate(current);
  while (current.state === 'queued' || current.state === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 500));
    current = await getJob(current.id);
    onUpdate(current);
  }
  return current;
}

function JobProgress({ job, testId }: { job: Job; testId: string }) {
  return (
    <LinearProgress
      variant="determinate"
      value={job.state === 'done' ? 100 : job.progress * 100}
      data-testid={testId}
    />
  );
}

function AddImages({ campaignId, onDone }: { campaignId: string; onDone: () => void }) {
  const [images, setImages] = useState<File[]>([]);
  const [labels, setLabels] = useState<File[]>([]);
  const [gold, setGold] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState('');
  const send = async () => {
    setError('');
    try {
      const current = await follow(await addImages(campaignId, images, labels, gold), setJob);
      if (current.state !== 'done') setError(current.error ?? `The job ${current.state}.`);
      onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const added = (job?.result as { images?: { image: string; error: string | null }[] })?.images;
  return (
    <Section title="Add images">
      {error && <Alert severity="error">{error}</Alert>}
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Button component="label" variant="outlined">
          Images
          <input
            hidden
            multiple
            type="file"
            data-testid="campaign-images"
            onChange={(e) => setImages(Array.from(e.target.files ?? []))}
          />
        </Button>
        <Button component="label" variant="outlined">
          Labels (by file name)
          <input
            hidden
            multiple
            type="file"
            onChange={(e) => setLabels(Array.from(e.target.files ?? []))}
          />
        </Button>
        <FormControlLabel
          control={<Checkbox checked={gold} onChange={(e) => setGold(e.target.checked)} />}
          label="Gold (reference labels)"
        />
        <Button variant="contained" onClick={send} disabled={images.length === 0}>
          Add {images.length} image{images.length === 1 ? '' : 's'}
        </Button>
      </Stack>
      {job && <JobProgress job={job} testId="images-progress" />}
      {added && (
        <Typography data-testid="images-added">
          {added.map((i) => (i.error ? `${i.image}: ${i.error}` : `${i.image} added`)).join('; ')}
        </Typography>
      )}
    </Section>
  );
}

function Presegmentation({
  campaign,
  onChange,
}: {
  campaign: Campaign;
  onChange: (campaign: Campaign) => void;
}) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState('');
  const toggle = async (on: boolean) => {
    setError('');
    try {
      // The answer is the campaign's settings, without the caller's role in it.
      const updated = await updateCampaign(campaign.id, { presegment: on });
      onChange({ ...updated, role: campaign.role });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const now = async () => {
    setError('');
    try {
      const current = await follow(await presegmentNow(campaign.id), setJob);
      if (current.state !== 'done') setError(current.error ?? `The job ${current.state}.`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const working = job?.state === 'queued' || job?.state === 'running';
  const images = (job?.result as { images?: unknown[] } | undefined)?.images;
  return (
    <Section title="Pre-segmentation">
      {error && <Alert severity="error">{error}</Alert>}
      <Typography color="text.secondary">
        The learned segmenter learns from the accepted images and proposes the cells of the images
        nobody has started, for annotators to correct. Proposals are made again when more images are
        accepted, as long as nobody has started the image.
      </Typography>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <FormControlLabel
          control={
            <Switch checked={campaign.presegment} onChange={(e) => toggle(e.target.checked)} />
          }
          label="Pre-segment images nobody has started"
        />
        <Button variant="outlined" onClick={now} disabled={working}>
          Pre-segment now
        </Button>
      </Stack>
      {job && <JobProgress job={job} testId="presegment-progress" />}
      {job?.state === 'done' && images && (
        <Typography data-testid="presegment-result">
          {images.length} image{images.length === 1 ? '' : 's'} pre-segmented
        </Typography>
      )}
    </Section>
  );
}

function CrowdLink({ campaignId }: { campaignId: string }) {
  const [url, setUrl] = useState('');
  const [hours, setHours] = useState('48');
  const [uses, setUses] = useState('100');
  const make = async () => {
    const link = await createLink(campaignId, Number(hours), Number(uses));
    setUrl(`${window.location.origin}${link.url}`);
  };
  return (
    <Section title="Crowd link">
      <Stack direction="row" spacing={1}>
        <TextField
          size="small"
          label="Hours"
          value={hours}
          onChange={(e) => setHours(e.target.value)}
        />
        <TextField
          size="small"
          label="Uses"
          value={uses}
          onChange={(e) => setUses(e.target.value)}
        />
        <Button onClick={make}>Make link</Button>
      </Stack>
      {url && (
        <Typography sx={{ wordBreak: 'break-all' }}>{url}?worker=&lt;worker id&gt;</Typography>
      )}
    </Section>
  );
}

function ReviewQueue({ campaignId, onChange }: { campaignId: string; onChange: () => void }) {
  const [tasks, setTasks] = useState<Task[]>([]);
  const [all, setAll] = useState<Task[]>([]);
  const [comments, setComments] = useState<Record<number, string>>({});
  const [error, setError] = useState('');
  const load = useCallback(() => {
    listTasks(campaignId, 'submitted').then(setTasks, (e: Error) => setError(e.message));
    listTasks(campaignId).then(setAll, () => undefined);
  }, [campaignId]);
  useEffect(load, [load]);
  const decide = async (task: Task, decision: 'accept' | 'reject') => {
    setError('');
    try {
      await reviewTask(task.id, decision, comments[task.id] ?? '');
      load();
      onChange();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  // The replicas of one image, in review mode: one at a time, or side by side.
  const replicas = (task: Task) =>
    all.filter((t) => t.image === task.image && t.replica > 0).map((t) => t.project);
  return (
    <Section title="Review queue">
      {error && <Alert severity="error">{error}</Alert>}
      {tasks.length === 0 && <Typography>Nothing waits for review.</Typography>}
      <Table size="small" data-testid="review-queue">
        <TableBody>
          {tasks.map((task) => (
            <TableRow key={task.id} data-testid={`review-${task.id}`}>
              <TableCell>
                <Link href={taskUrl(task)}>{task.image}</Link> (replica {task.replica})
              </TableCell>
              <TableCell>{task.annotator}</TableCell>
              <TableCell>
                agreement {task.agreement == null ? '–' : task.agreement.toFixed(2)}
              </TableCell>
              <TableCell>
                {replicas(task).length > 1 && (
                  <Stack direction="row" spacing={1}>
                    <Link href={`/project?projectId=${replicas(task).join(',')}`}>
                      Compare replicas
                    </Link>
                    <Link href={`/project?projectId=${replicas(task).join(',')}&view=side`}>
                      Side by side
                    </Link>
                  </Stack>
                )}
              </TableCell>
              <TableCell>
                <TextField
                  size="small"
                  label="Comment"
                  value={comments[task.id] ?? ''}
                  onChange={(e) => setComments({ ...comments, [task.id]: e.target.value })}
                />
              </TableCell>
              <TableCell>
                <Button onClick={() => decide(task, 'accept')}>Accept</Button>
                <Button color="error" onClick={() => decide(task, 'reject')}>
                  Reject
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Section>
  );
}

function Dashboard({ campaignId }: { campaignId: string }) {
  const [stats, setStats] = useState<Stats | null>(null);
  useEffect(() => {
    getStats(campaignId).then(setStats, () => undefined);
  }, [campaignId]);
  if (!stats) return null;
  const figure = (value: number | null) => (value == null ? '–' : value.toFixed(2));
  return (
    <Section title="Dashboard">
      <CampaignTimeline timeline={stats.timeline} />
      <Table size="small" data-testid="annotator-table">
        <TableHead>
          <TableRow>
            {[
              'Annotator',
              'Tasks',
              'Submitted',
              'Accepted',
              'Rejected',
              'Cells',
              'Active min',
              'Agreement F1',
              'Gold F1',
            ].map((h) => (
              <TableCell key={h}>{h}</TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {stats.annotators.map((a) => (
            <TableRow key={a.username}>
              <TableCell>{a.username}</TableCell>
              <TableCell>{a.tasks}</TableCell>
              <TableCell>{a.submitted}</TableCell>
              <TableCell>{a.accepted}</TableCell>
              <TableCell>{a.rejected}</TableCell>
              <TableCell>{a.cells}</TableCell>
              <TableCell>{(a.active_seconds / 60).toFixed(1)}</TableCell>
              <TableCell>{figure(a.agreement_f1)}</TableCell>
              <TableCell>{figure(a.gold_f1)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Link href={statsCsvUrl(campaignId)} download>
        Download CSV
      </Link>
    </Section>
  );
}
