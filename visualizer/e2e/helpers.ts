// Shared steps of the end-to-end tests: finding test data, uploading, reading the canvas and
// reading labels back through the API.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  expect,
  test,
  type APIRequestContext,
  type BrowserContext,
  type Page,
} from '@playwright/test';

const here = dirname(fileURLToPath(import.meta.url));
/** `../shared/testdata` seen from the repository root. */
export const TESTDATA = join(here, '..', '..', '..', 'shared', 'testdata');

/** Path of a shared test file, or skip (fail under REQUIRE_TESTDATA=1) when it is absent. */
export function testdata(relative: string): string {
  const path = join(TESTDATA, relative);
  if (!existsSync(path)) {
    const reason = `test data ${path} is missing`;
    if (process.env.REQUIRE_TESTDATA === '1') throw new Error(reason);
    console.warn(`SKIPPED: ${reason}`);
    test.skip(true, reason);
  }
  return path;
}

/** A .npy file (format 1.0) of uint8 noise, frames × HEIGHT × WIDTH, no labels. */
export function noiseNpy(frames: number, HEIGHT = 64, WIDTH = 96): Buffer {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${frames}, ${HEIGHT}, ${WIDTH}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix.writeUInt8(1, 6);
  prefix.writeUInt8(0, 7);
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(frames * HEIGHT * WIDTH);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) % 251;
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

/** The password of the accounts the tests make. */
export const PASSWORD = 'e2e account password';

/**
 * A new account (made by the admin through `request`), with `role` on `project` when named.
 * Several tests may make the same name: an existing account is fine.
 */
export async function addAccount(
  request: APIRequestContext,
  username: string,
  project?: string,
  role?: string,
) {
  const made = await request.post('/api/users', { data: { username, password: PASSWORD } });
  expect([201, 409]).toContain(made.status());
  if (project && role) {
    const added = await request.post(`/api/projects/${project}/members`, {
      data: { username, role },
    });
    expect(added.status()).toBe(201);
  }
}

/** Sign a browser in by password, as the sign-in page does: it gets the session cookie. */
export async function signIn(context: BrowserContext, username: string, password = PASSWORD) {
  const answer = await context.request.post('/api/auth/login', { data: { username, password } });
  expect(answer.status()).toBe(200);
  return (await answer.json()) as { csrf_token: string };
}

const root = join(here, '..', '..');

/** A generated movie (bench/movies.py) of 8 frames and 20 cells, 2 of which divide unless told
 * otherwise, ids shuffled in every frame, written as an image and a labels TIFF. */
export function makeMovie(divisions = 2): { images: string; labels: string } {
  const folder = mkdtempSync(join(tmpdir(), 'deepcell-label-movie-'));
  const images = join(folder, 'movie.tif');
  const labels = join(folder, 'movie-labels.tif');
  const script = [
    'import sys, numpy as np, tifffile',
    'from bench.movies import moving_cells',
    `m = moving_cells(frames=8, size=200, cells=20, divisions=${divisions}, appearing=1, leaving=1, missing=1, seed=5)`,
    'tifffile.imwrite(sys.argv[1], (m.labels > 0).astype(np.uint8) * 200, photometric="minisblack")',
    'tifffile.imwrite(sys.argv[2], m.labels, photometric="minisblack")',
  ].join('\n');
  execFileSync(join(root, '.venv', 'bin', 'python'), ['-c', script, images, labels], {
    cwd: root,
  });
  return { images, labels };
}

/** A blank image (every pixel 0) the size of a labels TIFF: a project with nothing to measure. */
export function blankImageFor(labels: string): string {
  const images = join(mkdtempSync(join(tmpdir(), 'deepcell-label-blank-')), 'blank.tif');
  const script = [
    'import sys, numpy as np, tifffile',
    'shape = tifffile.imread(sys.argv[1]).shape',
    'tifffile.imwrite(sys.argv[2], np.zeros(shape, np.uint8), photometric="minisblack")',
  ].join('\n');
  execFileSync(join(root, '.venv', 'bin', 'python'), ['-c', script, labels, images], { cwd: root });
  return images;
}

export const projectId = (page: Page) => new URL(page.url()).searchParams.get('projectId')!;

/** Wait until the project page has drawn its first full image. */
export async function waitForImage(page: Page) {
  await page.waitForURL(/\/project\?projectId=/);
  await page.waitForFunction(() => window.deepcellLabel?.canvas.firstImageShown === true, null, {
    timeout: 60_000,
  });
  await waitForLabels(page);
}

/** Wait until every tile on screen is loaded at its own level, labels included. */
export async function waitForLabels(page: Page) {
  await page.waitForFunction(() => window.deepcellLabel?.image.complete() === true);
}

/** Wait until every queued edit has been answered; returns the project version. */
export async function waitForSaved(page: Page): Promise<number> {
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  await page.waitForFunction(() => {
    const queue = window.deepcellLabel!.editQueue.getSnapshot();
    return queue.context.queue.length === 0 && !queue.matches('sending');
  });
  return page.evaluate(() => window.deepcellLabel!.editQueue.getSnapshot().context.version);
}

/** Page coordinates of the centre of an image pixel. */
export async function screenPoint(page: Page, x: number, y: number) {
  const box = (await page.getByTestId('canvas-container').boundingBox())!;
  const view = await page.evaluate(() => window.deepcellLabel!.viewport.getSnapshot().context);
  return { x: box.x + (x + 0.5 - view.x) * view.zoom, y: box.y + (y + 0.5 - view.y) * view.zoom };
}

export async function clickPixel(page: Page, x: number, y: number) {
  const p = await screenPoint(page, x, y);
  await page.mouse.click(p.x, p.y);
}

/** Canvas RGBA at an image pixel, read from the WebGL drawing buffer (of one pane of review's
 * side-by-side view when `pane` is given: 0 the judged project, 1 the one beside it). */
export async function canvasColorAt(
  page: Page,
  x: number,
  y: number,
  pane?: number,
): Promise<number[]> {
  return page.evaluate(
    ([ix, iy, index]) => {
      const s = index < 0 ? window.deepcellLabel! : window.deepcellLabelPair![index];
      const view = s.viewport.getSnapshot().context;
      const dpr = window.devicePixelRatio || 1;
      s.canvas.renderer!.render();
      return s.canvas.renderer!.readPixel(
        Math.floor((ix + 0.5 - view.x) * view.zoom * dpr),
        Math.floor((iy + 0.5 - view.y) * view.zoom * dpr),
      );
    },
    [x, y, pane ?? -1],
  );
}

export interface LabelFrame {
  width: number;
  height: number;
  values: Int32Array;
  at: (x: number, y: number) => number;
}

/** The label frame as the server has it now. */
export async function serverLabels(
  page: Page,
  id: string,
  feature = 0,
  frame = 0,
): Promise<LabelFrame> {
  const response = await page.request.get(`/api/projects/${id}/labels/${feature}/${frame}`);
  expect(response.ok()).toBeTruthy();
  const [height, width] = response.headers()['x-shape'].split(',').map(Number);
  const body = await response.body();
  const values = new Int32Array(
    body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
  );
  return { width, height, values, at: (x, y) => values[y * width + x] };
}

/** The browser's copy of the shown label frame, read pixel by pixel from its label tiles. */
export async function localLabels(page: Page): Promise<LabelFrame> {
  const { width, height, list } = await page.evaluate(() => {
    const s = window.deepcellLabel!;
    const { frame, feature } = s.display.getSnapshot().context;
    const { width, height } = s.metadata;
    const list: number[] = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) list.push(s.store.valueAt(feature, frame, x, y));
    }
    return { width, height, list };
  });
  const values = Int32Array.from(list);
  return { width, height, values, at: (x, y) => values[y * width + x] };
}

/** Pixels of each label value: count and a pixel well inside (farthest from the bounding box edge). */
export function cellPixels(frame: LabelFrame, value: number) {
  const points: [number, number][] = [];
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) if (frame.at(x, y) === value) points.push([x, y]);
  }
  const cx = points.reduce((s, p) => s + p[0], 0) / points.length;
  const cy = points.reduce((s, p) => s + p[1], 0) / points.length;
  points.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
  return { count: points.length, centre: points[0], points };
}

/** Label values present, by pixel count, largest first. */
export function valuesBySize(frame: LabelFrame): number[] {
  const counts = new Map<number, number>();
  for (const v of frame.values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([v]) => v);
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(here, '..', 'test-results', 'screenshots', `${name}.png`) });
}

/** Download the project zip with the Download button and upload it again from the home page. */
export async function exportAndImport(page: Page): Promise<Buffer> {
  const download = page.waitForEvent('download');
  await page.getByTestId('download').click();
  const exported = readFileSync(await (await download).path());
  await expect(page.getByTestId('export-result')).toContainText('Downloaded');
  await page.goto('/');
  await page.getByTestId('images-input').setInputFiles({
    name: 'exported.zip',
    mimeType: 'application/zip',
    buffer: exported,
  });
  await page.getByTestId('upload-button').click();
  await page.waitForURL(/\/project\?projectId=/);
  return exported;
}

export async function uploadThroughHome(page: Page, images: string, labels?: string) {
  await page.goto('/');
  await page.getByTestId('images-input').setInputFiles(images);
  if (labels) await page.getByTestId('labels-input').setInputFiles(labels);
  await page.getByTestId('upload-button').click();
  await waitForImage(page);
}

/** The site admin the test server makes at its first start (playwright.config.ts). */
export const ADMIN = {
  username: process.env.E2E_ADMIN_USERNAME ?? 'admin',
  password: process.env.E2E_ADMIN_PASSWORD ?? 'e2e-admin-password',
};

/** Sign in on the sign-in page (the page is there already, or goes there). */
export async function signInAs(page: Page, who: { username: string; password: string }) {
  if (!new URL(page.url()).pathname.startsWith('/login')) await page.goto('/login');
  await page.getByTestId('login-username').fill(who.username);
  await page.getByTestId('login-password').fill(who.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname !== '/login');
}

/** Headers for a changing API call made with the page's session cookie. */
export async function csrfHeaders(page: Page): Promise<Record<string, string>> {
  const me = await page.request.get('/api/auth/me');
  expect(me.ok()).toBeTruthy();
  return { 'X-CSRF-Token': (await me.json()).csrf_token };
}

/** A new account, made by the signed-in admin of `page`. */
export async function createAccount(page: Page, username: string, password: string) {
  const made = await page.request.post('/api/users', {
    headers: await csrfHeaders(page),
    data: { username, password, display_name: username[0].toUpperCase() + username.slice(1) },
  });
  expect(made.status(), await made.text()).toBe(201);
  return { username, password };
}

/** A small project (noise, two frames) made by the signed-in account of `page`; its id. */
export async function createNoiseProject(page: Page, name: string): Promise<string> {
  const created = await page.request.post('/api/projects', {
    headers: await csrfHeaders(page),
    multipart: {
      images: { name, mimeType: 'application/octet-stream', buffer: noiseNpy(2) },
      axes: 'ZYX',
      name,
    },
  });
  expect([201, 202]).toContain(created.status());
  return (await created.json()).id as string;
}
