// The one module that talks to the server (see docs/API.md). Everything else goes through it.

export interface CellEntry {
  value: number;
  cell: number;
  t: number;
  c?: number;
}

export interface Division {
  parent: number;
  daughters: number[];
  t: number;
  /** The label feature whose cells it names; absent means 0. */
  feature?: number;
}

export interface CellType {
  id: number;
  name: string;
  color: string;
  cells: number[];
  feature: number;
}

/**
 * A problem the server found in the divisions, e.g. a parent that divides into one daughter.
 * `frames` count from 0, and so do the frame numbers in `message`.
 */
export interface Finding {
  kind: string;
  cell: number;
  frames: number[];
  message: string;
  /** The feature of the division it is about. */
  feature?: number;
}

export type ProjectStatus = 'ready' | 'building' | 'failed';

/** What one pixel measures (x, y) and the z-slice spacing, in one unit; null where unknown. */
export interface PhysicalSize {
  x: number | null;
  y: number | null;
  z: number | null;
  unit: string;
}

export interface ProjectMetadata {
  id: string;
  name: string;
  frames: number;
  height: number;
  width: number;
  channels: number;
  features: number;
  dtype: string;
  channel_names: string[];
  feature_names: string[];
  channel_ranges?: [number, number][];
  tile_size?: number;
  /** Side of the browser's tiles at every pyramid level. */
  view_tile_size?: number;
  /** Pyramid levels; level 0 is full resolution, each next one half the size (rounded up). */
  levels?: number;
  status?: ProjectStatus;
  /** 0..1 while the project is being prepared. */
  progress?: number;
  /** What is being done while building; why it failed when failed. */
  status_message?: string;
  version: number;
  cells: CellEntry[];
  divisions: Division[];
  cellTypes: CellType[];
  findings?: Finding[];
  spots?: { count: number; columns: string[] };
  can_undo?: boolean;
  can_redo?: boolean;
  /** From the input file's metadata; null when the file did not say. */
  physical_size?: PhysicalSize | null;
  /** What was converted when the files were read, one line each; '' when nothing was. */
  notes?: string;
  /** The marker panel: each cell type name's marker channel names. */
  markers?: Markers;
  /** Vectors imported for the cells (embeddings.json), or null. */
  embeddings?: ImportedEmbeddings | null;
  /** The caller's role on it ("admin": a site admin, who may do everything). */
  role?: 'viewer' | 'annotator' | 'reviewer' | 'owner' | 'admin';
}

/** A pixel box an edit changed (level-0 pixels). */
export interface ChangedBox {
  feature: number;
  frame: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A changed box and its new label values. */
export interface Patch extends ChangedBox {
  data: string;
}

export interface CellChange {
  t: number;
  c: number;
  value: number;
  cells: number[];
}

/** A relabelling of one frame: `values[i]` now encodes the one cell `cells[i]`. */
export interface Relabel {
  t: number;
  c: number;
  values: number[];
  cells: number[];
}

export interface EditRecord {
  version: number;
  action: string;
  kind: string;
  /** Who made it: the account's name. */
  author?: string;
  /** When, ISO 8601 in UTC. */
  created?: string;
  frame?: number;
  feature?: number;
  /** For an undo or redo: the version of the edit it acted on. */
  target?: number | null;
  patches: Patch[];
  cells: CellChange[];
  /** Relabellings (propagate, linking, their undo), applied after `cells`. */
  relabels?: Relabel[];
  divisions: Division[] | null;
  cellTypes: CellType[] | null;
  channelNames?: string[] | null;
  markers?: Markers | null;
  /** The label layers' names, when the edit added or took away a layer. */
  featureNames?: string[] | null;
}

export interface EditResponse {
  version: number;
  edits: EditRecord[];
  /** The divisions' problems after the edits (in edit, undo, redo and poll answers alike). */
  findings?: Finding[];
  can_undo?: boolean;
  can_redo?: boolean;
}

export type WriteMode = 'exclude' | 'overwrite' | 'overlap';

export interface EditRequest {
  action: string;
  args: Record<string, unknown>;
  frame: number;
  feature: number;
  write_mode: WriteMode;
  base_version: number;
}

/** The server refused the request (4xx/5xx); `message` is the server's explanation. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** Seconds to wait before trying again (a 429's Retry-After), when the server said. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all; worth retrying later. */
export class NetworkError extends Error {
  constructor(message = 'The server cannot be reached') {
    super(message);
    this.name = 'NetworkError';
  }
}

export async function errorFrom(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string') message = body.error;
  } catch {
    // The body was not JSON; the status line is all we have.
  }
  const wait = Number(response.headers.get('Retry-After') ?? NaN);
  return new ApiError(message, response.status, Number.isFinite(wait) ? wait : null);
}

/** A request that changes something; a cookie-authenticated one must carry the CSRF token. */
const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = '';

/** The session's CSRF token, from sign-in or `GET /api/auth/me` (see account.ts). */
export function setCsrfToken(token: string) {
  csrfToken = token;
}

/** Headers every request carries: the CSRF token on the ones that change something. */
export function authHeaders(method = 'GET'): Record<string, string> {
  return CHANGING.has(method.toUpperCase()) && csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
}

/** Called when the server answers 401 (the sign-in has ended): by default, off to sign in. */
let onSignedOut: () => void = () => {
  if (typeof window !== 'undefined' && window.location) {
    window.location.assign(signInUrl(window.location.pathname + window.location.search));
  }
};

export function setSignedOutHandler(handler: () => void) {
  onSignedOut = handler;
}

/** The sign-in page, coming back to `next` afterwards. */
export function signInUrl(next: string): string {
  const back = safeNext(next);
  return back === '/' || back.startsWith('/login')
    ? '/login'
    : `/login?next=${encodeURIComponent(back)}`;
}

/**
 * Where to go after signing in: `next` when it is a path of this site, else the home page.
 * `//host`, `/\host`, absolute URLs and other schemes would leave the site, so they are refused.
 */
export function safeNext(next: string | null | undefined, origin = 'http://app.invalid'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : '/';
  } catch {
    return '/';
  }
}

/** `init` with the session's cookie and headers. */
export function withAuth(init?: RequestInit): RequestInit {
  return {
    credentials: 'same-origin',
    ...init,
    headers: { ...authHeaders(init?.method), ...(init?.headers as object) },
  };
}

/** Fetch with the session's headers; a 401 ends the page (off to sign in) except where `quiet`. */
async function send(url: string, init?: RequestInit, quiet = false): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, withAuth(init));
  } catch (error) {
    if (init?.signal?.aborted) throw error;
    throw new NetworkError();
  }
  if (!quiet) noticeSignedOut(response);
  return response;
}

/** A 401 means the sign-in has ended (expired, signed out elsewhere): sign in again. */
export function noticeSignedOut(response: { status: number }) {
  if (response.status === 401) onSignedOut();
}

/** Read the session's CSRF token again (none when signed in by an API token, or signed out). */
async function readCsrfToken() {
  const response = await fetch('/api/auth/me', { credentials: 'same-origin' }).catch(() => null);
  const body = response?.ok ? ((await response.json()) as { csrf_token?: string | null }) : {};
  csrfToken = body.csrf_token ?? '';
}

export async function request(
  url: string,
  init?: RequestInit,
  quiet = false,
  retried = false,
): Promise<Response> {
  const response = await send(url, init, quiet);
  if (!response.ok) {
    const error = await errorFrom(response);
    // The session changed (signed in again in another tab): its new token, and one more try.
    if (response.status === 403 && error.message.includes('X-CSRF-Token') && !retried) {
      await readCsrfToken();
      return request(url, init, quiet, true);
    }
    throw error;
  }
  return response;
}

export async function json<T>(url: string, init?: RequestInit, quiet = false): Promise<T> {
  return (await request(url, init, quiet)).json() as Promise<T>;
}

export function postJson<T>(url: string, body: unknown, quiet = false): Promise<T> {
  return json<T>(
    url,
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) },
    quiet,
  );
}

const base = (id: string) => `/api/projects/${encodeURIComponent(id)}`;

export interface UploadForm {
  images: Blob;
  imagesName: string;
  labels?: Blob;
  labelsName?: string;
  axes?: string;
  name?: string;
}

/** Create a project from files, reporting upload progress (0..1) as it goes. */
export function createProject(
  form: UploadForm,
  onProgress: (fraction: number) => void,
): Promise<ProjectMetadata> {
  const body = new FormData();
  body.append('images', form.images, form.imagesName);
  if (form.labels) body.append('labels', form.labels, form.labelsName ?? 'labels');
  if (form.axes) body.append('axes', form.axes);
  if (form.name) body.append('name', form.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/projects');
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(authHeaders('POST'))) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new NetworkError());
    xhr.onload = () => {
      noticeSignedOut(xhr);
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON: handled below.
      }
      if (xhr.status >= 200 && xhr.status < 300 && parsed) {
        resolve(parsed as ProjectMetadata);
      } else {
        const error = (parsed as { error?: string } | null)?.error;
        reject(new ApiError(error ?? `Upload failed (${xhr.status})`, xhr.status));
      }
    };
    xhr.send(body);
  });
}

export const getProject = (id: string) => json<ProjectMetadata>(base(id));

/** Convert any numpy dtype's bytes into what the textures take: float32 for raw, int32 for labels. */
export function decodePlane(buffer: ArrayBuffer, dtype: string): Float32Array | Int32Array {
  switch (dtype) {
    case 'int32':
      return new Int32Array(buffer);
    case 'float32':
      return new Float32Array(buffer);
    case 'uint8':
      return Float32Array.from(new Uint8Array(buffer));
    case 'int8':
      return Float32Array.from(new Int8Array(buffer));
    case 'uint16':
      return Float32Array.from(new Uint16Array(buffer));
    case 'int16':
      return Float32Array.from(new Int16Array(buffer));
    case 'uint32':
      return Float32Array.from(new Uint32Array(buffer));
    case 'float64':
      return Float32Array.from(new Float64Array(buffer));
    case 'int64':
      return Float32Array.from(new BigInt64Array(buffer), (v) => Number(v));
    case 'uint64':
      return Float32Array.from(new BigUint64Array(buffer), (v) => Number(v));
    default:
      throw new Error(`Unsupported pixel type ${dtype}`);
  }
}

function shapeOf(response: Response): [number, number] {
  const [height, width] = (response.headers.get('X-Shape') ?? '0,0').split(',').map(Number);
  return [height, width];
}

export interface RawTile {
  height: number;
  width: number;
  data: Float32Array;
}

/** One channel of a view tile at a pyramid level, as float32 for the texture. */
export async function getRawTile(
  id: string,
  frame: number,
  channel: number,
  tile: { level: number; ty: number; tx: number },
  signal?: AbortSignal,
): Promise<RawTile> {
  const url = `${base(id)}/raw/${frame}/${channel}/levels/${tile.level}/tiles/${tile.ty}/${tile.tx}`;
  const response = await request(url, { signal });
  const [height, width] = shapeOf(response);
  const dtype = response.headers.get('X-Dtype') ?? 'uint8';
  const data = decodePlane(await response.arrayBuffer(), dtype);
  return { height, width, data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

export interface LabelTile {
  height: number;
  width: number;
  data: Int32Array;
  /** The tile's version (its ETag), for asking later whether it changed. */
  etag: string | null;
}

/**
 * Labels of a view tile at a pyramid level. With `etag`, answers null when the tile is unchanged.
 */
export async function getLabelTile(
  id: string,
  feature: number,
  frame: number,
  tile: { level: number; ty: number; tx: number },
  signal?: AbortSignal,
  etag?: string | null,
): Promise<LabelTile | null> {
  const url = `${base(id)}/labels/${feature}/${frame}/levels/${tile.level}/tiles/${tile.ty}/${tile.tx}`;
  const response = await send(url, { signal, headers: etag ? { 'If-None-Match': etag } : {} });
  if (response.status === 304) return null;
  if (!response.ok) throw await errorFrom(response);
  const [height, width] = shapeOf(response);
  return {
    height,
    width,
    data: new Int32Array(await response.arrayBuffer()),
    etag: response.headers.get('ETag'),
  };
}

export const postEdit = (id: string, edit: EditRequest) =>
  postJson<EditResponse>(`${base(id)}/edits`, edit);

export const undo = (id: string, baseVersion: number) =>
  postJson<EditResponse>(`${base(id)}/undo`, { base_version: baseVersion });

export const redo = (id: string, baseVersion: number) =>
  postJson<EditResponse>(`${base(id)}/redo`, { base_version: baseVersion });

export const getEditsSince = (id: string, version: number) =>
  json<EditResponse>(`${base(id)}/edits?since=${version}`);

/** One record of the history as the history panel shows it. */
export interface HistoryEntry {
  version: number;
  kind: string;
  action: string;
  /** An edit: applied, undone or discarded; an undo or redo: done. */
  state: string;
  target: number | null;
  author: string;
  created: string;
  frame: number;
  feature: number;
  cell: number | null;
  boxes: ChangedBox[];
  /** The project lists it changed: divisions, cell_types, channel_names. */
  lists: string[];
}

export interface HistoryPage {
  version: number;
  /** Newest first. */
  edits: HistoryEntry[];
  /** Whether older records exist. */
  more: boolean;
}

/** The history newest first, `limit` records older than version `before` (all when null). */
export const getHistory = (id: string, before: number | null, limit = 50) =>
  json<HistoryPage>(
    `${base(id)}/history?limit=${limit}${before === null ? '' : `&before=${before}`}`,
  );

/** Someone who has the project open. */
export interface Viewer {
  annotator: string;
  frame: number;
  feature: number;
  /** When they last reported, ISO 8601 in UTC. */
  seen: string;
  /** The caller. */
  you: boolean;
}

export interface Viewers {
  viewers: Viewer[];
  stale_seconds: number;
}

/** Tell the server which frame the user looks at; answers who has the project open. */
export const reportViewing = (id: string, frame: number, feature: number) =>
  json<Viewers>(`${base(id)}/viewers`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ frame, feature }),
  });

/** The user left the project. Sent with `keepalive`, so it still goes out while the page unloads. */
export function leaveProject(id: string) {
  return fetch(`${base(id)}/viewers`, withAuth({ method: 'DELETE', keepalive: true })).then(
    () => undefined,
    () => undefined, // leaving is best effort: an app that is gone stops being listed anyway
  );
}

export type ExportFormat = 'zip' | 'npz' | 'ctc' | 'trk' | 'ome-zarr';

/** What a finished export job made: its file, kept on the server until `expires`. */
export interface ExportResult {
  file: string;
  /** The name the browser saves it under. */
  name: string;
  format: ExportFormat;
  bytes: number;
  version: number;
  /** The route that downloads the file (a link to follow, not a fetch: it may lead to S3). */
  download: string;
  expires: string;
}

/** Where a submit put the export. */
export interface SubmitResult {
  bucket: string;
  key: string;
  bytes: number;
  version?: number;
}

/** Export the project on the server's workers; the job, whose result is an `ExportResult`. */
export const startExport = (id: string, format: ExportFormat = 'zip') =>
  postJson<Job<ExportResult>>(`${base(id)}/exports`, { format });

/** Submit the project to the output bucket, as a job whatever the project's size. */
export const submitProject = (id: string, format: ExportFormat = 'zip') =>
  json<Job<SubmitResult>>(`${base(id)}/submit`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
    body: JSON.stringify({ format }),
  });

export interface Spots {
  columns: string[];
  spots: number[][];
  /** The frame of each spot, when the project has several. */
  frames?: number[];
}

export const getSpots = (id: string) => json<Spots>(`${base(id)}/spots`);

export interface Expression {
  feature: number;
  frame: number | 'all';
  channels: string[];
  cells: number[];
  area: number[];
  /** One row per cell, one column per channel. */
  mean: number[][];
  total: number[][];
}

export type ExpressionFrame = number | 'all';

export const expressionUrl = (
  id: string,
  feature: number,
  frame: ExpressionFrame,
  format?: 'csv',
) => `${base(id)}/expression?feature=${feature}&frame=${frame}${format ? `&format=${format}` : ''}`;

export const getExpression = (id: string, feature: number, frame: ExpressionFrame) =>
  json<Expression>(expressionUrl(id, feature, frame));

export type Judgment = 'accept' | 'reject';

export interface Review {
  project: string;
  /** Null, like every field but `project`, when the project does not exist. */
  name: string | null;
  judgment: Judgment | null;
  comment: string | null;
  reviewer: string | null;
  reviewed: string | null;
  version: number | null;
  /** The id names no project (mistyped, or the project was deleted). */
  missing?: boolean;
}

export const postReview = (id: string, judgment: Judgment, comment: string) =>
  postJson<Review>(`${base(id)}/review`, { judgment, comment });

export const reviewsUrl = (projects: string[], format?: 'csv') =>
  `/api/reviews?projects=${projects.map(encodeURIComponent).join(',')}${
    format ? `&format=${format}` : ''
  }`;

export const getReviews = (projects: string[]) => json<{ reviews: Review[] }>(reviewsUrl(projects));

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Long work on the server's workers (a build, an export, training, linking): GET /api/jobs/<id>. */
export interface Job<Result = unknown> {
  id: string;
  kind: string;
  project: string | null;
  state: JobState;
  /** 0..1 */
  progress: number;
  /** What the job is doing now. */
  message: string;
  /** Set once the job is done. */
  result: Result | null;
  /** Why it failed, in words for the user. */
  error: string | null;
  attempts: number;
  created: string | null;
  started: string | null;
  finished: string | null;
}

export const FINISHED_JOB_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

const jobUrl = (id: string) => `/api/jobs/${encodeURIComponent(id)}`;

export const getJob = <Result = unknown>(id: string) => json<Job<Result>>(jobUrl(id));

export const cancelJob = (id: string) => postJson<Job>(`${jobUrl(id)}/cancel`, {});

/** A link the linking is unsure of: cell `cell` linked from frame `from_t` to frame `t`. */
export interface UncertainLink {
  cell: number;
  t: number;
  from_t: number;
  confidence: number;
  reason: 'rival' | 'gap';
}

/** What a link job gives: the version of its edit, the divisions it proposes (each with how sure
 *  it is, 0 to 1) and the links it is least sure of. */
export interface LinkResult {
  version: number;
  proposed_divisions: (Required<Division> & { confidence: number })[];
  uncertain_links: UncertainLink[];
  uncertain_count: number;
  cells_relabelled: number;
  tracks: number;
  gaps_closed: number;
  feature: number;
}

/** Follow every cell of a feature through all frames (a job): POST /api/projects/<id>/link. */
export const startLink = (
  id: string,
  body: { feature: number; threshold?: number; max_gap?: number; divisions?: boolean },
) => postJson<Job<LinkResult>>(`${base(id)}/link`, body);

// --- segmentation (docs/SEGMENTATION.md) ------------------------------------------------------

export interface SegmentationMethod {
  name: string;
  description: string;
  /** True: it learns from the cells drawn inside a box. */
  learns: boolean;
}

export interface ProposedCell {
  cell: number;
  frame: number;
  /** 0..1 */
  confidence: number;
}

export interface SegmentResult {
  version: number;
  method: string;
  feature: number;
  /** True when the cells went into a new label layer (`feature`). */
  new_feature?: boolean;
  /** The label layers' names after a new one was made. */
  feature_names?: string[];
  /** Added cells, least sure first. */
  cells: ProposedCell[];
  diameters: Record<string, number>;
}

export interface SegmentRequest {
  method: string;
  feature: number;
  channel: number;
  frames: 'frame' | 'all';
  frame: number;
  diameter: number | null;
  /** Put the proposal into a new label layer instead of `feature`. */
  new_feature?: boolean;
  /** [x1, y1, x2, y2] in pixels, for methods that learn. */
  box?: [number, number, number, number];
}

export const segmentationMethods = () =>
  json<{ methods: SegmentationMethod[] }>('/api/segmenters').then((answer) => answer.methods);

export const measureDiameter = (id: string, feature: number, frame: number) =>
  json<{ diameter: number }>(`${base(id)}/diameter?feature=${feature}&frame=${frame}`);

export const startSegmentation = (id: string, body: SegmentRequest) =>
  postJson<Job<SegmentResult>>(`${base(id)}/segment`, body);

// --- cell types that learn (docs/API.md, "Cell types that learn") ---------------------------

/** Type name -> marker channel names. */
export type Markers = Record<string, string[]>;

export interface ImportedEmbeddings {
  feature: number;
  cells: number;
  dimensions: number;
  version: number;
}

export type LearningSource = 'position' | 'mean' | 'total' | 'imported';
export type LearningFrames = 'frame' | 'all';

export interface CellSelection {
  feature: number;
  frames: LearningFrames;
  frame?: number;
}

export interface EmbeddingResult {
  feature: number;
  frames: LearningFrames;
  frame: number | null;
  source: LearningSource;
  columns: string[];
  cells: { cell: number; x: number; y: number }[];
}

export interface TrainingCurve {
  cells: number[];
  train_accuracy: number[];
  validation_accuracy: number[];
}

export interface ClassifierReport {
  classes: number[];
  type_names: string[];
  train_cells: number;
  validation_cells: number;
  validation_accuracy: number;
  /** Rows: true type; columns: predicted type (validation cells), in `classes` order. */
  confusion: number[][];
  curve: TrainingCurve;
  left_out: string[];
  source: LearningSource;
  feature: number;
  trained_version: number;
}

export interface Prediction {
  cell: number;
  type: number;
  probability: number;
  /** 1 − the highest class probability. */
  uncertainty: number;
}

export interface PredictionsResult {
  feature: number;
  source: LearningSource;
  classes: number[];
  /** The least sure first. */
  predictions: Prediction[];
}

export const startEmbedding = (
  id: string,
  body: CellSelection & { source: LearningSource; seed?: number },
) => postJson<Job<EmbeddingResult>>(`${base(id)}/embedding`, body);

export const startClassifier = (
  id: string,
  body: CellSelection & { source: LearningSource; train_fraction: number; seed: number },
) => postJson<Job<ClassifierReport>>(`${base(id)}/classifier`, body);

export const startPredictions = (id: string, body: CellSelection) =>
  postJson<Job<PredictionsResult>>(`${base(id)}/predictions`, body);

/** A result kept on the server, with the labels version it was made at. */
export interface KeptResult<T> {
  job: string;
  made: string | null;
  labels_version: number | null;
  /** The labels (or the imported vectors) changed since it was made. */
  out_of_date: boolean;
  result: T;
}

/** What the Learn panel opens with: the latest results of a feature and what it can learn from. */
export interface KeptLearning {
  feature: number;
  labels_version: number;
  /** Cells of the feature, in all frames; learning needs `min_cells`. */
  cells: number;
  min_cells: number;
  /** The names of the raw channels that carry signal (not one flat value). */
  channels: string[];
  embedding: KeptResult<EmbeddingResult> | null;
  classifier: KeptResult<ClassifierReport> | null;
  predictions: KeptResult<PredictionsResult> | null;
  /** The latest job of each kind still queued or running, to follow. */
  running?: Partial<Record<'embedding' | 'classifier' | 'predictions', Job>>;
}

export const keptLearning = (id: string, feature: number) =>
  json<KeptLearning>(`${base(id)}/learning?feature=${feature}`);

/** Upload an embeddings.json ({"<cell>": [numbers...]}) for the cells of a feature. */
export async function uploadEmbeddings(
  id: string,
  file: Blob,
  feature = 0,
): Promise<ImportedEmbeddings> {
  const body = new FormData();
  body.append('embeddings', file, 'embeddings.json');
  return json<ImportedEmbeddings>(`${base(id)}/embeddings?feature=${feature}`, {
    method: 'POST',
    body,
  });
}
