// Figures for the browser benchmark (bench/browser.py): a large project and a 2048² one in the
// same run. For each: time to the first complete view, time per frame while panning at full
// resolution and while zooming from the whole image down to full resolution and back (the app's
// own work per frame, and that plus waiting for the GPU to finish the frame), and memory (JS heap
// from the DevTools protocol, and the tile cache's bytes and texture bytes).
import { writeFileSync } from 'node:fs';
import { test, type Page } from '@playwright/test';
import { waitForImage } from './helpers';
import { createLargeProject, largeTiff } from './scale';

const SIZES = (process.env.BENCH_SIZES ?? '16384,2048').split(',').map(Number);
const CHANNELS = 3;
const FRAMES = Number(process.env.BENCH_FRAMES ?? 120);

interface Figures {
  size: number;
  createSeconds: number;
  firstViewMs: number[];
  panCpuMs: number[];
  panTotalMs: number[];
  zoomCpuMs: number[];
  zoomTotalMs: number[];
  heapBytes: number[];
  cacheBytes: number[];
  textureBytes: number[];
  hits: number;
  misses: number;
}

/** Drive the view one animation frame at a time; per frame: the change and a full redraw (cpu),
 * then a 1-pixel read that waits for the GPU to finish the frame (total). */
async function animate(page: Page, kind: 'pan' | 'zoom', frames: number) {
  return page.evaluate(
    async ([kind, frames]) => {
      const s = window.deepcellLabel!;
      const renderer = s.canvas.renderer!;
      const cpu: number[] = [];
      const total: number[] = [];
      const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      const view = s.viewport.getSnapshot().context;
      const zoomSteps = Math.max(1, Math.ceil(Math.log(1 / view.zoom) / Math.log(1.08)));
      for (let i = 0; i < frames; i++) {
        const start = performance.now();
        if (kind === 'pan') {
          // A steady drag across the image, turning back every 40 frames.
          const direction = Math.floor(i / 40) % 2 ? -1 : 1;
          s.viewport.send({ type: 'PAN', dx: -24 * direction, dy: -9 * direction });
        } else {
          // Into full resolution about the centre, then back out.
          const inward = Math.floor(i / zoomSteps) % 2 === 0;
          s.viewport.send({
            type: 'ZOOM_AT',
            factor: inward ? 1.08 : 1 / 1.08,
            canvasX: view.canvasWidth / 2,
            canvasY: view.canvasHeight / 2,
          });
        }
        renderer.render();
        cpu.push(performance.now() - start);
        renderer.readPixel(0, 0);
        total.push(performance.now() - start);
        await nextFrame();
      }
      return { cpu, total };
    },
    [kind, frames] as const,
  );
}

async function memory(page: Page, figures: Figures) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  figures.heapBytes.push(metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0);
  const tiles = await page.evaluate(() => window.__deepcellDebug!.tiles());
  figures.cacheBytes.push(tiles.bytes);
  figures.textureBytes.push(tiles.textureBytes);
  figures.hits = tiles.hits;
  figures.misses = tiles.misses;
  await cdp.detach();
}

test('browser figures for large and small projects', async ({ browser }) => {
  const results: Figures[] = [];
  for (const size of SIZES) {
    const tiff = largeTiff(size, CHANNELS);
    const context = await browser.newContext();
    const page = await context.newPage();
    const { project, seconds } = await createLargeProject(page.request, tiff.path, `bench-${size}`);
    const figures: Figures = {
      size,
      createSeconds: seconds,
      firstViewMs: [],
      panCpuMs: [],
      panTotalMs: [],
      zoomCpuMs: [],
      zoomTotalMs: [],
      heapBytes: [],
      cacheBytes: [],
      textureBytes: [],
      hits: 0,
      misses: 0,
    };
    // First view: three fresh page loads (the server's tile caches warm after the first).
    for (let i = 0; i < 3; i++) {
      await page.goto('/');
      await page.goto(`/project?projectId=${project.id}`);
      await waitForImage(page);
      figures.firstViewMs.push(
        await page.evaluate(() => performance.getEntriesByName('dcl:first-image')[0].startTime),
      );
    }
    await memory(page, figures);
    const zoom = await animate(page, 'zoom', FRAMES);
    figures.zoomCpuMs.push(...zoom.cpu);
    figures.zoomTotalMs.push(...zoom.total);
    await memory(page, figures);
    // Pan at full resolution from the middle of the image.
    await page.evaluate(() => {
      const s = window.deepcellLabel!;
      const v = s.viewport.getSnapshot().context;
      s.viewport.send({
        type: 'ZOOM_AT',
        factor: 1 / v.zoom,
        canvasX: v.canvasWidth / 2,
        canvasY: v.canvasHeight / 2,
      });
    });
    const pan = await animate(page, 'pan', FRAMES);
    figures.panCpuMs.push(...pan.cpu);
    figures.panTotalMs.push(...pan.total);
    await memory(page, figures);
    results.push(figures);
    await context.close();
  }
  writeFileSync(
    process.env.BENCH_OUTPUT ?? 'test-results/scale-bench.json',
    JSON.stringify(results),
  );
});
