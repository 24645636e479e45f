// A 16384×16384×3 uint16 image: created from the home page (sent in chunks, built in the background), opened, panned
// and zoomed to a far corner at full resolution, painted at two far-apart places and exported.
// SCALE_SIZE sets a smaller side for a quick run.
import { statSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { canvasColorAt, screenPoint, waitForImage, waitForLabels, waitForSaved } from './helpers';
import type { ProjectMetadata } from '../src/api/client';
import { cellCentre, largeTiff, RADIUS, waitUntilReady } from './scale';

const SIZE = Number(process.env.SCALE_SIZE ?? 16384);
const CHANNELS = 3;
const TILE = 512;

/** Show level-0 pixel (x, y) at the canvas's top-left corner at zoom 1 (one pixel per CSS pixel). */
async function viewAt(page: Page, x: number, y: number) {
  await page.evaluate(
    ([tx, ty]) => {
      const s = window.deepcellLabel!;
      let view = s.viewport.getSnapshot().context;
      s.viewport.send({ type: 'ZOOM_AT', factor: 1 / view.zoom, canvasX: 0, canvasY: 0 });
      view = s.viewport.getSnapshot().context;
      s.viewport.send({
        type: 'PAN',
        dx: (view.x - tx) * view.zoom,
        dy: (view.y - ty) * view.zoom,
      });
    },
    [x, y],
  );
  await waitForLabels(page);
}

/** Level-0 labels as the server has them now, read through its 512² label tiles. */
function serverLabels(page: Page, id: string) {
  const tiles = new Map<string, Promise<{ width: number; values: Int32Array }>>();
  const tile = async (ty: number, tx: number) => {
    const response = await page.request.get(
      `/api/projects/${id}/labels/0/0/levels/0/tiles/${ty}/${tx}`,
    );
    expect(response.ok()).toBeTruthy();
    const body = await response.body();
    return {
      width: Number(response.headers()['x-shape'].split(',')[1]),
      values: new Int32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)),
    };
  };
  return async (x: number, y: number) => {
    expect(x >= 0 && y >= 0 && x < SIZE && y < SIZE).toBe(true);
    const [ty, tx] = [Math.floor(y / TILE), Math.floor(x / TILE)];
    const key = `${ty}/${tx}`;
    if (!tiles.has(key)) tiles.set(key, tile(ty, tx));
    const { width, values } = await tiles.get(key)!;
    return values[(y - ty * TILE) * width + (x - tx * TILE)];
  };
}

/** Paint a short horizontal stroke from level-0 pixel (x, y) to (x + length, y). */
async function stroke(page: Page, x: number, y: number, length: number) {
  const start = await screenPoint(page, x, y);
  const end = await screenPoint(page, x + length, y);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(end.x, end.y, { steps: 6 });
  await page.mouse.up();
}

const brightness = (rgba: number[]) => rgba[0] + rgba[1] + rgba[2];

test('a 16384×16384×3 project opens, pans, zooms, paints far apart and exports', async ({
  page,
}) => {
  test.setTimeout(900_000);
  const tiff = largeTiff(SIZE, CHANNELS);
  const started = Date.now();
  // Through the home page, as a user does: a file this large goes up in resumable chunks, with
  // progress; when the build outlasts the server's wait the project page shows the build's
  // progress, then opens the project by itself.
  await page.goto('/');
  await page.getByTestId('images-input').setInputFiles(tiff.path);
  let chunkPuts = 0;
  page.on('request', (request) => {
    if (request.method() === 'PUT' && /\/api\/uploads\/[^/]+\/chunks\/\d+$/.test(request.url()))
      chunkPuts += 1;
  });
  const created = page.waitForResponse(
    (response) =>
      response.url().endsWith('/api/projects') && response.request().method() === 'POST',
    { timeout: 600_000 },
  );
  await page.getByTestId('upload-button').click();
  const fileBytes = statSync(tiff.path).size;
  const inChunks = fileBytes > 64 * 1024 * 1024; // the home page's threshold for chunked uploads
  if (inChunks) {
    await expect(page.getByTestId('upload-status')).toContainText('Uploading', { timeout: 30_000 });
  }
  const answer = await created;
  // The server waits a few seconds (CREATE_WAIT_SECONDS) for the build job: a fast machine
  // finishes it in that time (201, ready), a slower one answers 202 and the page shows progress.
  expect([201, 202]).toContain(answer.status());
  expect(chunkPuts).toBe(inChunks ? Math.ceil(fileBytes / (8 * 1024 * 1024)) : 0);
  await page.waitForURL(/\/project\?projectId=/);
  const projectId = new URL(page.url()).searchParams.get('projectId');
  const building = (await (
    await page.request.get(`/api/projects/${projectId}`)
  ).json()) as ProjectMetadata;
  // While the build runs, the project page shows its progress.
  if (building.status === 'building') {
    await expect(page.getByTestId('build-progress')).toBeVisible();
    await expect(page.getByTestId('build-status')).toContainText('%');
  }
  await expect(page.getByTestId('building')).toHaveCount(0, { timeout: 600_000 });
  await waitForImage(page);
  const project = await waitUntilReady(page.request, building);
  expect(project.levels).toBe(Math.ceil(Math.log2(SIZE / TILE)) + 1);
  console.log(
    `scale: generate ${tiff.seconds.toFixed(1)} s (0 = reused), upload in ${chunkPuts} chunks, create and prepare ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  // The first view of a fresh page load, timed.
  await page.goto('/');
  await page.goto(`/project?projectId=${project.id}`);
  await waitForImage(page);
  const firstView = await page.evaluate(
    () => performance.getEntriesByName('dcl:first-image')[0].startTime,
  );
  const fitted = await page.evaluate(() => window.__deepcellDebug!.tiles());
  console.log(`scale: first view ${firstView.toFixed(0)} ms at level ${fitted.level}`);
  expect(fitted.level).toBeGreaterThan(0);
  expect(firstView).toBeLessThan(20_000);
  // The overview shows the image: its cells are brighter than the gaps between them somewhere.
  const view = await page.evaluate(() => window.deepcellLabel!.viewport.getSnapshot().context);
  const centre = await canvasColorAt(
    page,
    Math.floor(view.x + view.canvasWidth / view.zoom / 2),
    SIZE / 2,
  );
  expect(brightness(centre)).toBeGreaterThan(0);

  // Full resolution at the top-left corner and at the far bottom-right corner.
  const places = [
    { x: 0, y: 0, row: 2, column: 2 },
    {
      x: SIZE - 900,
      y: SIZE - 500,
      row: Math.floor(SIZE / 48) - 4,
      column: Math.floor(SIZE / 48) - 4,
    },
  ];
  for (const place of places) {
    await viewAt(page, place.x, place.y);
    expect(await page.evaluate(() => window.__deepcellDebug!.tiles().level)).toBe(0);
    const [cx, cy] = cellCentre(place.row, place.column);
    const inside = await canvasColorAt(page, cx, cy);
    const gap = await canvasColorAt(page, cx + 24, cy + 24);
    expect(brightness(inside)).toBeGreaterThan(brightness(gap) + 30);
  }
  // Zooming out again draws at once from cached coarser tiles, never a blank canvas.
  await page.evaluate(() => window.deepcellLabel!.viewport.send({ type: 'FIT' }));
  const afterFit = await page.evaluate(() => {
    const s = window.deepcellLabel!;
    s.canvas.renderer!.render();
    const v = s.viewport.getSnapshot().context;
    return s.canvas.renderer!.readPixel(
      Math.floor(v.canvasWidth / 2),
      Math.floor(v.canvasHeight / 2),
    );
  });
  expect(brightness(afterFit)).toBeGreaterThan(0);

  // Paint near the top-left and near the bottom-right at level 0, each in the gap between cells.
  await page.keyboard.press('n');
  await page.keyboard.press('b');
  await page.evaluate(() => window.deepcellLabel!.tools.send({ type: 'SET_BRUSH_SIZE', size: 2 }));
  const strokes = [
    { x: 30, y: 71 + RADIUS, view: { x: 0, y: 0 } },
    // Ending at the seam between the first two tiles (a radius-2 brush covers one pixel more).
    { x: TILE - 22, y: 300, view: { x: 0, y: 0 } },
    { x: SIZE - 300, y: SIZE - 200, view: { x: SIZE - 900, y: SIZE - 500 } },
  ];
  const versionBefore = await waitForSaved(page);
  for (const s of strokes) {
    await viewAt(page, s.view.x, s.view.y);
    await stroke(page, s.x, s.y, 20);
  }
  expect(await waitForSaved(page)).toBeGreaterThan(versionBefore);
  const cell = await page.evaluate(
    () => window.deepcellLabel!.selection.getSnapshot().context.selected,
  );
  expect(cell).toBeGreaterThan(0);

  const at = serverLabels(page, project.id);
  for (const s of strokes) {
    for (let x = s.x; x <= s.x + 20; x += 5) expect(await at(x, s.y)).toBe(cell);
    // Nothing else nearby changed: the image had no labels, so all else is still background.
    for (const [dx, dy] of [
      [-8, 0],
      [28, 0],
      [10, -8],
      [10, 8],
      [-20, -20],
      [60, 40],
    ]) {
      expect(await at(s.x + dx, s.y + dy)).toBe(0);
    }
    // The browser's copy agrees.
    expect(
      await page.evaluate(([x, y]) => window.deepcellLabel!.pointer.cellsAt(x, y), [s.x + 10, s.y]),
    ).toEqual([cell]);
  }

  // Outlines are found across tile seams too: the stroke's last column is the first tile's last
  // column, so its outline there is drawn from the tile beside it.
  expect(await at(TILE - 1, 300)).toBe(cell);
  expect(await at(TILE, 300)).toBe(0);
  await viewAt(page, 0, 0);
  await page.evaluate(() => {
    const s = window.deepcellLabel!;
    s.display.send({ type: 'SET_LABEL_OPACITY', opacity: 1 });
    s.display.send({ type: 'SET_OUTLINE_OPACITY', opacity: 1 });
  });
  const inside = await canvasColorAt(page, TILE - 6, 300);
  const outline = await canvasColorAt(page, TILE - 6, 299);
  expect(outline).not.toEqual(inside);
  expect(await canvasColorAt(page, TILE - 1, 300)).toEqual(outline);

  // Flooding the background fills only the region on screen (the client sends it with the edit).
  await viewAt(page, 0, 0);
  const region = await page.evaluate(() => window.deepcellLabel!.canvas.visibleRegion());
  expect(region).toMatchObject({ x: 0, y: 0 });
  await page.keyboard.press('g');
  const floodAt = cellCentre(3, 3).map((v) => v + 24) as [number, number];
  const beforeFlood = await waitForSaved(page);
  const floodPoint = await screenPoint(page, ...floodAt);
  await page.mouse.click(floodPoint.x, floodPoint.y);
  expect(await waitForSaved(page)).toBeGreaterThan(beforeFlood);
  const flooded = serverLabels(page, project.id);
  expect(await flooded(...floodAt)).toBe(cell);
  expect(await flooded(2, 2)).toBe(cell);
  expect(await flooded(region.width + 10, 2)).toBe(0);
  expect(await flooded(2, region.height + 10)).toBe(0);

  // Too large to export in a request: Download runs an export job, its progress shown in place.
  const refused = await page.request.get(`/api/projects/${project.id}/export?format=zip`);
  expect(refused.status()).toBe(413);
  expect((await refused.json()).error).toContain(`POST /api/projects/${project.id}/exports`);
  const download = page.waitForEvent('download', { timeout: 600_000 });
  await page.getByTestId('download').click();
  await expect(page.getByTestId('export-job')).toContainText('Preparing the download');
  const bytes = statSync(await (await download).path()).size;
  await expect(page.getByTestId('export-result')).toContainText('Downloaded');
  console.log(`scale: export ${(bytes / 1e6).toFixed(1)} MB`);
  // The raw pixels compress well but not to nothing; the zip holds far less than the 1.5 GB raw.
  expect(bytes).toBeGreaterThan(SIZE * SIZE * CHANNELS * 2 * 0.005);
  expect(bytes).toBeLessThan(SIZE * SIZE * CHANNELS * 2 + SIZE * SIZE * 4);

  // OME-Zarr, for napari and the like: the image's pyramid and the painted labels, by the API.
  const zarrJob = await page.request.post(`/api/projects/${project.id}/exports`, {
    data: { format: 'ome-zarr' },
  });
  expect(zarrJob.status()).toBe(202);
  const jobUrl = `/api/jobs/${(await zarrJob.json()).id}`;
  await expect
    .poll(async () => (await (await page.request.get(jobUrl)).json()).state, {
      timeout: 600_000,
      intervals: [1000],
    })
    .toBe('done');
  const zarr = await page.request.get(`${jobUrl}/download`, { timeout: 600_000 });
  expect(zarr.status()).toBe(200);
  const zarrBytes = (await zarr.body()).byteLength;
  console.log(`scale: OME-Zarr export ${(zarrBytes / 1e6).toFixed(1)} MB`);
  expect(zarrBytes).toBeGreaterThan(SIZE * SIZE * CHANNELS * 2 * 0.005);
});
