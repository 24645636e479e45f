// Figures of the Learn panel's scatter plot for bench/learning.py: an embedding of many points
// (answered by a stand-in for the server's job, so that no UMAP of that size runs), then the time
// of a frame when the colours change, of a redraw alone, and of a lasso selection.
import { writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { uploadThroughHome } from './helpers';
import { multiplexedProject } from './multiplexed';

const OUTPUT = process.env.BENCH_LEARNING_OUTPUT;
const POINTS = Number(process.env.BENCH_POINTS ?? 100_000);
const FRAMES = 60;

test('scatter plot of many points', async ({ page }) => {
  test.skip(!OUTPUT, 'run by bench/learning.py (BENCH_LEARNING_OUTPUT)');
  await uploadThroughHome(page, multiplexedProject().path);
  const cells = Array.from({ length: POINTS }, (_v, i) => {
    const island = i % 8;
    const angle = (i * 2.399) % (2 * Math.PI);
    const radius = Math.sqrt((i % 997) / 997);
    return {
      cell: i + 1,
      x: Math.cos(island) * 10 + radius * Math.cos(angle) * 3,
      y: Math.sin(island) * 10 + radius * Math.sin(angle) * 3,
    };
  });
  const job = {
    id: 'bench',
    kind: 'embedding',
    project: null,
    state: 'done',
    progress: 1,
    message: 'Done',
    result: { feature: 0, frames: 'frame', frame: 0, source: 'mean', columns: [], cells },
    error: null,
    attempts: 1,
    created: null,
    started: null,
    finished: null,
  };
  await page.route('**/api/projects/*/embedding', (route) => route.fulfill({ json: job }));
  await page.getByTestId('tab-learn').click();
  const began = Date.now();
  await page.getByTestId('learn-embed').click();
  await expect(page.getByTestId('learn-selected')).toContainText(`${POINTS} cells`);
  await page.waitForFunction(() => window.__deepcellScatter !== undefined);
  const firstMs = Date.now() - began;
  const figures = await page.evaluate(
    async ([points, frames]) => {
      const scatter = window.__deepcellScatter!;
      const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      const frameMs: number[] = [];
      const frameAppMs: number[] = [];
      const drawMs: number[] = [];
      const drawAppMs: number[] = [];
      for (let f = 0; f < frames; f++) {
        const colours = new Uint8Array(points * 4);
        for (let i = 0; i < points; i++) colours.set([(i * 7 + f) % 255, 80, 200, 255], i * 4);
        await nextFrame();
        const recoloured = scatter.recolour(colours);
        frameMs.push(recoloured.total);
        frameAppMs.push(recoloured.app);
        await nextFrame();
        const drawn = scatter.draw();
        drawMs.push(drawn.total);
        drawAppMs.push(drawn.app);
      }
      const polygon = Array.from({ length: 40 }, (_v, i) => ({
        x: Math.cos((i / 40) * 2 * Math.PI) * 9,
        y: Math.sin((i / 40) * 2 * Math.PI) * 9,
      }));
      const lasso = scatter.lasso(polygon);
      return { frameMs, frameAppMs, drawMs, drawAppMs, lassoMs: lasso.ms, lassoCount: lasso.count };
    },
    [POINTS, FRAMES],
  );
  writeFileSync(OUTPUT!, JSON.stringify({ points: POINTS, firstMs, ...figures }));
});
