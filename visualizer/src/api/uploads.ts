// Chunked, resumable uploads of large files (POST /api/uploads, see docs/API.md): the file goes
// up in numbered chunks, a few at a time, each retried on failure; an interrupted upload resumes
// by asking the server which chunks it already has.
import {
  ApiError,
  errorFrom,
  NetworkError,
  noticeSignedOut,
  withAuth,
  type ProjectMetadata,
} from './client';

/** Files larger than this go up in chunks; smaller ones are sent whole with the create request. */
export const CHUNKED_UPLOAD_BYTES = 64 * 1024 * 1024;

export interface UploadState {
  id: string;
  name: string;
  size: number;
  chunk_size: number;
  chunks: number;
  received: number[];
  complete: boolean;
}

export interface UploadOptions {
  /** Called with the fraction of the file the server has (0..1) and the bytes sent so far. */
  onProgress?: (fraction: number, bytesSent: number) => void;
  signal?: AbortSignal;
  /** An earlier upload of the same file to continue, if the server still has it. */
  resumeId?: string;
  /** Called once the server has named the upload (to remember it for resuming). */
  onStart?: (state: UploadState) => void;
  /** Chunks in flight at once. */
  concurrency?: number;
  /** Further attempts for a chunk that failed. */
  retries?: number;
  /** Wait before the first retry; doubled for each further one. */
  backoffMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function abortError(): Error {
  return new DOMException('The upload was cancelled.', 'AbortError');
}

/** Server trouble and overload are worth another try; the client's own mistakes are not. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

async function call(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
  signal?: AbortSignal,
): Promise<Response> {
  if (signal?.aborted) throw abortError();
  try {
    const response = await doFetch(url, withAuth({ ...init, signal }));
    noticeSignedOut(response);
    return response;
  } catch (error) {
    if (signal?.aborted) throw abortError();
    throw error instanceof ApiError ? error : new NetworkError();
  }
}

async function stateOf(response: Response): Promise<UploadState> {
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as UploadState;
}

/** Upload `file` in chunks and resolve with the finished upload's state (its `id` names it). */
export async function uploadFile(
  file: Blob,
  name: string,
  options: UploadOptions = {},
): Promise<UploadState> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const sleep = options.sleep ?? defaultSleep;
  const { signal, onProgress } = options;
  const concurrency = Math.max(1, options.concurrency ?? 3);
  const retries = options.retries ?? 5;
  const backoffMs = options.backoffMs ?? 500;

  let state: UploadState | null = null;
  if (options.resumeId) {
    const response = await call(
      doFetch,
      `/api/uploads/${encodeURIComponent(options.resumeId)}`,
      {},
      signal,
    );
    if (response.ok) {
      const found = (await response.json()) as UploadState;
      if (found.size === file.size) state = found;
    }
  }
  if (state === null) {
    const response = await call(
      doFetch,
      '/api/uploads',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, size: file.size }),
      },
      signal,
    );
    state = await stateOf(response);
  }
  const upload = state;
  options.onStart?.(upload);
  const lengthOf = (index: number) =>
    Math.min(upload.chunk_size, upload.size - index * upload.chunk_size);
  const have = new Set(upload.received);
  let sent = [...have].reduce((total, index) => total + lengthOf(index), 0);
  const report = () => onProgress?.(sent / upload.size, sent);
  report();

  const sendChunk = async (index: number) => {
    const start = index * upload.chunk_size;
    const body = file.slice(start, start + lengthOf(index));
    for (let attempt = 0; ; attempt++) {
      let failure: Error;
      try {
        const response = await call(
          doFetch,
          `/api/uploads/${encodeURIComponent(upload.id)}/chunks/${index}`,
          { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body },
          signal,
        );
        if (response.ok) return;
        failure = await errorFrom(response);
        if (!retryable(response.status)) throw failure;
      } catch (error) {
        if (!(error instanceof NetworkError) || signal?.aborted) throw error;
        failure = error;
      }
      if (attempt >= retries) throw failure;
      await sleep(backoffMs * 2 ** attempt);
      if (signal?.aborted) throw abortError();
    }
  };

  const missing = () =>
    Array.from({ length: upload.chunks }, (_, index) => index).filter((index) => !have.has(index));
  const queue = missing();
  let failed: unknown = null;
  const worker = async () => {
    while (queue.length > 0 && failed === null) {
      const index = queue.shift() as number;
      try {
        await sendChunk(index);
      } catch (error) {
        failed ??= error;
        return;
      }
      have.add(index);
      sent += lengthOf(index);
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  if (failed !== null) throw failed;

  const final = await stateOf(
    await call(doFetch, `/api/uploads/${encodeURIComponent(upload.id)}`, {}, signal),
  );
  if (!final.complete) {
    const count = final.chunks - final.received.length;
    throw new ApiError(`The server is missing ${count} chunks of ${name}; upload it again.`, 409);
  }
  return final;
}

export interface UploadedProjectForm {
  imagesUpload: string;
  labelsUpload?: string;
  axes?: string;
  name?: string;
}

/** Create a project from finished uploads (201 ready, or 202 while it is being built). */
export async function createProjectFromUploads(
  form: UploadedProjectForm,
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<ProjectMetadata> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const body = new FormData();
  body.append('images_upload', form.imagesUpload);
  if (form.labelsUpload) body.append('labels_upload', form.labelsUpload);
  if (form.axes) body.append('axes', form.axes);
  if (form.name) body.append('name', form.name);
  const response = await call(doFetch, '/api/projects', { method: 'POST', body }, options.signal);
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as ProjectMetadata;
}

/** Where a file's upload id is remembered, so that trying again resumes instead of restarting. */
export function resumeKey(file: File): string {
  return `upload:${file.name}:${file.size}:${file.lastModified}`;
}
