import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/client';
import { createProjectFromUploads, uploadFile } from '../../src/api/uploads';

/** A fake of the server's upload routes that keeps the bytes and can fail on cue. */
class FakeServer {
  chunkSize = 10;
  uploads = new Map<string, { size: number; parts: Map<number, Uint8Array>; name: string }>();
  inFlight = 0;
  mostInFlight = 0;
  puts: number[] = [];
  /** How many more times a PUT of a chunk answers with this status (or a network failure: 0). */
  failures = new Map<number, { times: number; status: number }>();
  nextId = 1;

  state(id: string) {
    const upload = this.uploads.get(id)!;
    const chunks = Math.ceil(upload.size / this.chunkSize);
    const received = [...upload.parts.keys()].sort((a, b) => a - b);
    return {
      id,
      name: upload.name,
      size: upload.size,
      chunk_size: this.chunkSize,
      chunks,
      received,
      complete: received.length === chunks,
    };
  }

  bytes(id: string): Uint8Array {
    const upload = this.uploads.get(id)!;
    const out = new Uint8Array(upload.size);
    for (const [index, part] of upload.parts) out.set(part, index * this.chunkSize);
    return out;
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = String(input);
    const method = init.method ?? 'GET';
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      });
    if (url === '/api/uploads' && method === 'POST') {
      const { name, size } = JSON.parse(String(init.body));
      const id = `u${this.nextId++}`;
      this.uploads.set(id, { size, name, parts: new Map() });
      return json(this.state(id), 201);
    }
    const chunk = url.match(/^\/api\/uploads\/(\w+)\/chunks\/(\d+)$/);
    if (chunk && method === 'PUT') {
      const [, id, indexText] = chunk;
      const index = Number(indexText);
      this.puts.push(index);
      this.inFlight++;
      this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
      try {
        const data = new Uint8Array(await (init.body as Blob).arrayBuffer());
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
        const failure = this.failures.get(index);
        if (failure && failure.times > 0) {
          failure.times--;
          if (failure.status === 0) throw new TypeError('Failed to fetch');
          return json({ error: `chunk ${index} refused` }, failure.status);
        }
        this.uploads.get(id)!.parts.set(index, data);
        return json(this.state(id));
      } finally {
        this.inFlight--;
      }
    }
    const one = url.match(/^\/api\/uploads\/(\w+)$/);
    if (one && method === 'GET') {
      if (!this.uploads.has(one[1])) return json({ error: 'no upload' }, 404);
      return json(this.state(one[1]));
    }
    if (url === '/api/projects' && method === 'POST') {
      const form = init.body as FormData;
      return json({ id: 'p1', name: form.get('name'), upload: form.get('images_upload') }, 202);
    }
    return json({ error: 'nothing here' }, 404);
  };
}

function fileOf(size: number): Blob {
  return new Blob([Uint8Array.from({ length: size }, (_, i) => (i * 7) % 251)]);
}

async function bytesOf(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

const noWait = async () => {};

describe('uploadFile', () => {
  it('sends every chunk, at most three at a time, and reports progress up to 1', async () => {
    const server = new FakeServer();
    const file = fileOf(95);
    const progress: number[] = [];
    const done = await uploadFile(file, 'cells.tif', {
      fetch: server.fetch,
      onProgress: (fraction) => progress.push(fraction),
    });
    expect(done.complete).toBe(true);
    expect(done.chunks).toBe(10);
    expect(server.bytes(done.id)).toEqual(await bytesOf(file));
    expect(server.mostInFlight).toBe(3);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('retries a failed chunk with growing waits, then succeeds', async () => {
    const server = new FakeServer();
    server.failures.set(2, { times: 2, status: 503 });
    server.failures.set(4, { times: 1, status: 0 });
    const waits: number[] = [];
    const file = fileOf(50);
    const done = await uploadFile(file, 'a.tif', {
      fetch: server.fetch,
      backoffMs: 100,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(done.complete).toBe(true);
    expect(server.bytes(done.id)).toEqual(await bytesOf(file));
    expect(server.puts.filter((index) => index === 2)).toHaveLength(3);
    expect(waits.sort((a, b) => a - b)).toEqual([100, 100, 200]);
  });

  it('gives up on a chunk after five retries', async () => {
    const server = new FakeServer();
    server.failures.set(1, { times: 99, status: 500 });
    await expect(
      uploadFile(fileOf(30), 'a.tif', { fetch: server.fetch, sleep: noWait }),
    ).rejects.toThrow('chunk 1 refused');
    expect(server.puts.filter((index) => index === 1)).toHaveLength(6);
  });

  it('does not retry a request the server refuses as wrong', async () => {
    const server = new FakeServer();
    server.failures.set(0, { times: 99, status: 400 });
    const failure = uploadFile(fileOf(30), 'a.tif', { fetch: server.fetch, sleep: noWait });
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    expect(server.puts.filter((index) => index === 0)).toHaveLength(1);
  });

  it('resumes an earlier upload, sending only the missing chunks', async () => {
    const server = new FakeServer();
    const file = fileOf(60);
    server.failures.set(3, { times: 99, status: 400 });
    const first = await uploadFile(file, 'a.tif', {
      fetch: server.fetch,
      concurrency: 1,
    }).catch((error: Error) => error);
    expect(first).toBeInstanceOf(ApiError);
    const id = [...server.uploads.keys()][0];
    expect(server.state(id).received).toEqual([0, 1, 2]);

    server.failures.clear();
    server.puts = [];
    const progress: number[] = [];
    const done = await uploadFile(file, 'a.tif', {
      fetch: server.fetch,
      resumeId: id,
      onProgress: (fraction) => progress.push(fraction),
    });
    expect(done.id).toBe(id);
    expect(server.puts.sort()).toEqual([3, 4, 5]);
    expect(progress[0]).toBe(0.5);
    expect(server.bytes(id)).toEqual(await bytesOf(file));
  });

  it('starts afresh when the upload to resume is gone', async () => {
    const server = new FakeServer();
    const done = await uploadFile(fileOf(25), 'a.tif', {
      fetch: server.fetch,
      resumeId: 'gone',
    });
    expect(done.id).not.toBe('gone');
    expect(done.complete).toBe(true);
  });

  it('stops when aborted', async () => {
    const server = new FakeServer();
    const controller = new AbortController();
    const upload = uploadFile(fileOf(200), 'a.tif', {
      fetch: server.fetch,
      signal: controller.signal,
      onProgress: (fraction) => {
        if (fraction >= 0.2) controller.abort();
      },
    });
    await expect(upload).rejects.toMatchObject({ name: 'AbortError' });
    const id = [...server.uploads.keys()][0];
    expect(server.state(id).complete).toBe(false);
  });
});

describe('createProjectFromUploads', () => {
  it('sends the upload ids and accepts a project still being built', async () => {
    const server = new FakeServer();
    const project = await createProjectFromUploads(
      { imagesUpload: 'u7', name: 'big.tif' },
      { fetch: server.fetch },
    );
    expect(project).toMatchObject({ id: 'p1', name: 'big.tif', upload: 'u7' });
  });
});
