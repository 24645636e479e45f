// Campaign calls of the API (SPEC 12): campaigns, members, images, tasks, review, dashboard.
import { json, postJson, request } from './client';

export type TaskState = 'new' | 'in_progress' | 'submitted' | 'in_review' | 'accepted' | 'rejected';

export interface Campaign {
  id: string;
  name: string;
  instructions: string;
  replicas: number;
  review_share: number;
  lease_minutes: number;
  agreement_threshold: number;
  /** The workers pre-segment the images nobody has started, learning from the accepted ones. */
  presegment: boolean;
  role?: string;
  counts: Record<TaskState, number>;
}

export interface Task {
  id: number;
  campaign: string;
  image: string;
  replica: number;
  project: string;
  state: TaskState;
  annotator: string | null;
  reviewer: string | null;
  agreement: number | null;
  completion_code?: string;
  instructions?: string;
  events?: { from: string; to: string; by: string; at: string; comment: string }[];
}

export interface AnnotatorStats {
  username: string;
  tasks: number;
  submitted: number;
  accepted: number;
  rejected: number;
  cells: number;
  active_seconds: number;
  agreement_f1: number | null;
  gold_f1: number | null;
}

export interface Stats {
  counts: Record<TaskState, number>;
  timeline: ({ hour: string } & Partial<Record<TaskState, number>>)[];
  annotators: AnnotatorStats[];
}

export interface Job {
  id: string;
  state: string;
  progress: number;
  message?: string;
  error?: string;
  result?: unknown;
}

const base = (id: string) => `/api/campaigns/${encodeURIComponent(id)}`;

export const listCampaigns = () =>
  json<{ campaigns: Campaign[] }>('/api/campaigns').then((a) => a.campaigns);
export const createCampaign = (settings: Partial<Campaign>) =>
  postJson<Campaign>('/api/campaigns', settings);
export const getCampaign = (id: string) => json<Campaign>(base(id));
/** Change settings of a campaign (managers); answers the campaign. */
export const updateCampaign = (id: string, settings: Partial<Campaign>) =>
  json<Campaign>(base(id), {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(settings),
  });
/** Queue a pre-segmentation now (or be given the one already on its way). */
export const presegmentNow = (id: string) =>
  postJson<{ job: Job }>(`${base(id)}/presegment`, {}).then((a) => a.job);
export const listMembers = (id: string) =>
  json<{ members: { username: string; role: string }[] }>(`${base(id)}/members`).then(
    (a) => a.members,
  );
export const addMember = (id: string, username: string, role: string) =>
  postJson(`${base(id)}/members`, { username, role });
export const createLink = (id: string, hours: number, uses: number) =>
  postJson<{ url: string }>(`${base(id)}/links`, { expires_in_hours: hours, max_uses: uses });
export const listTasks = (id: string, state?: TaskState) =>
  json<{ tasks: Task[] }>(`${base(id)}/tasks${state ? `?state=${state}` : ''}`).then(
    (a) => a.tasks,
  );
export const getStats = (id: string) => json<Stats>(`${base(id)}/stats`);
export const statsCsvUrl = (id: string) => `${base(id)}/stats?format=csv`;
export const getTask = (id: number) => json<Task>(`/api/tasks/${id}`);
export const submitTask = (id: number) => postJson<Task>(`/api/tasks/${id}/submit`, {});
export const reviewTask = (id: number, decision: 'accept' | 'reject', comment: string) =>
  postJson<Task>(`/api/tasks/${id}/review`, { decision, comment });
/** What opening a crowd link answers: the member (a new guest when no one was signed in). */
export interface CrowdMember {
  username: string;
  campaign: string;
  role: string;
  worker: string;
  guest: boolean;
  csrf_token?: string;
}

/** Open a crowd link as the platform's worker; a guest is signed in by the answer's cookie. */
export const openCrowdLink = (token: string, worker: string) =>
  postJson<CrowdMember>(
    `/api/crowd/${encodeURIComponent(token)}?worker=${encodeURIComponent(worker)}`,
    {},
    true,
  );
export const getJob = (id: string) => json<Job>(`/api/jobs/${encodeURIComponent(id)}`);

/**
 * The caller's next task, or null when nothing is left for them (204). While the tasks left
 * for them are still being prepared (202), `onPreparing` is told why and the request is sent
 * again after the server's `Retry-After`.
 */
export async function nextTask(
  id: string,
  onPreparing?: (message: string) => void,
): Promise<{ task: Task; project: string; instructions: string } | null> {
  for (;;) {
    const response = await request(`${base(id)}/next`, { method: 'POST' });
    if (response.status === 204) return null;
    if (response.status !== 202) return response.json();
    const waiting = (await response.json()) as { message: string; retry_after: number };
    onPreparing?.(waiting.message);
    const seconds = Number(response.headers.get('Retry-After')) || waiting.retry_after || 5;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}

/** Send images (and labels matched by file name) to a campaign; answers the job. */
export async function addImages(id: string, images: File[], labels: File[], gold: boolean) {
  const form = new FormData();
  for (const file of images) form.append('images', file, file.name);
  for (const file of labels) form.append('labels', file, file.name);
  if (gold) form.append('gold', 'true');
  const response = await request(`${base(id)}/images`, { method: 'POST', body: form });
  return ((await response.json()) as { job: Job }).job;
}

/** A comment pinned to a point of a project's frame. */
export interface PinnedComment {
  id: number;
  frame: number;
  x: number;
  y: number;
  text: string;
  author: string;
  created: string;
  resolved: boolean;
  resolved_by: string | null;
  resolved_at: string | null;
}

const commentsUrl = (projectId: string) =>
  `/api/projects/${encodeURIComponent(projectId)}/comments`;

export const listComments = (projectId: string) =>
  json<{ comments: PinnedComment[] }>(commentsUrl(projectId), undefined, true).then(
    (a) => a.comments,
  );
export const addComment = (
  projectId: string,
  point: { frame: number; x: number; y: number },
  text: string,
) => postJson<PinnedComment>(commentsUrl(projectId), { ...point, text });
export const resolveComment = (projectId: string, id: number, resolved: boolean) =>
  json<PinnedComment>(`${commentsUrl(projectId)}/${id}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ resolved }),
  });

/** Against one other replica: the shown replica's cells with no match, and those merging two. */
export interface ReplicaDisagreement {
  project: string;
  replica: number;
  task: number;
  unmatched: number[];
  merges: number[];
}

/** The cells (label values of one frame and feature) of a replica that disagree with others. */
export interface Disagreement {
  campaign: string;
  image: { id: number; name: string };
  project: string;
  replica: number;
  task: number;
  frame: number;
  feature: number;
  cells: number[];
  against: ReplicaDisagreement[];
}

export const getDisagreement = (
  projectId: string,
  others: string[],
  frame: number,
  feature: number,
) =>
  json<Disagreement>(
    `/api/projects/${encodeURIComponent(projectId)}/disagreement?with=${others
      .map(encodeURIComponent)
      .join(',')}&frame=${frame}&feature=${feature}`,
    undefined,
    true,
  );
