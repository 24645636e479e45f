// Segmentation from the Segment panel against the real server and worker: learn from the cells
// drawn in a dragged box, check the proposals least sure first, undo them all; and `auto` on an
// image without labels opened on the Segment panel.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import {
  projectId,
  screenPoint,
  serverLabels,
  testdata,
  uploadThroughHome,
  waitForImage,
  waitForSaved,
} from './helpers';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** StarDist's nuclei mask with only the cells reaching into the top quarter drawn. */
function topQuarterLabels(): string {
  const labels = join(mkdtempSync(join(tmpdir(), 'deepcell-label-segment-')), 'top.tif');
  const script = [
    'import sys, numpy as np, tifffile',
    'truth = tifffile.imread(sys.argv[1]).astype(np.int32)',
    'top = np.setdiff1d(np.unique(truth[:128]), [0])',
    'tifffile.imwrite(sys.argv[2], np.where(np.isin(truth, top), truth, 0), photometric="minisblack")',
  ].join('\n');
  execFileSync(
    join(root, '.venv', 'bin', 'python'),
    ['-c', script, testdata('stardist/mask2d.tif'), labels],
    { cwd: root },
  );
  return labels;
}

async function cellCount(page: Page): Promise<number> {
  const frame = await serverLabels(page, projectId(page));
  return new Set(frame.values).size - 1;
}

async function chooseMethod(page: Page, name: string) {
  await page.getByTestId('segment-panel').getByRole('combobox').first().click();
  await page.getByTestId(`segment-method-${name}`).click();
}

test('learn from a dragged box, check the least sure first, undo', async ({ page }) => {
  await uploadThroughHome(page, testdata('stardist/img2d.tif'), topQuarterLabels());
  const drawn = await cellCount(page);
  const panel = page.getByTestId('segment-panel');
  await chooseMethod(page, 'learned');
  await expect(panel.getByTestId('segment-run')).toBeDisabled(); // no box yet

  await panel.getByTestId('measure-diameter').click();
  await expect(panel.getByTestId('segment-diameter')).toHaveValue(/^2\d(\.\d)?$/);

  // The box: a drag over the top quarter of the image (512 × 128 pixels).
  await panel.getByTestId('segment-draw-box').click();
  const from = await screenPoint(page, 0, 0);
  const to = await screenPoint(page, 511, 127);
  await page.mouse.move(from.x - 2, from.y - 2);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
  await expect(panel.getByTestId('segment-box')).toHaveText(/^Box 0, 0 – 51\d, 12\d$/);
  expect(await cellCount(page)).toBe(drawn); // the drag drew nothing

  await panel.getByTestId('segment-run').click();
  await expect(page.getByTestId('notice').last()).toContainText('Segmented:', {
    timeout: 120_000,
  });
  await waitForSaved(page);
  const segmented = await cellCount(page);
  expect(segmented).toBeGreaterThan(drawn + 60); // most of the 90 undrawn nuclei

  // Least sure first: the first step selects the cell the job was least sure of.
  const job = await page.evaluate(() => {
    const context = window.deepcellLabel!.segmentation.actor.getSnapshot().context;
    return context.proposed.map((c) => c.confidence);
  });
  expect(job).toEqual([...job].sort((a, b) => a - b));
  await panel.getByTestId('segment-next').click();
  await expect(panel.getByTestId('segment-checked')).toContainText(`1 of ${segmented - drawn}`);
  const selected = await page.evaluate(
    () => window.deepcellLabel!.selection.getSnapshot().context.selected,
  );
  const first = await page.evaluate(
    () => window.deepcellLabel!.segmentation.actor.getSnapshot().context.proposed[0].cell,
  );
  expect(selected).toBe(first);

  // One undo removes every proposed cell.
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  expect(await cellCount(page)).toBe(drawn);
});

test('the real example without labels opens on the Segment panel and auto segments it', async ({
  page,
}) => {
  await page.goto('/');
  const card = page.getByTestId('real-stardist-nuclei-unlabelled');
  await expect(card).toContainText('Source: StarDist sample');
  await expect(card).toContainText('Licence: BSD-3-Clause');
  await card.getByTestId('example-stardist-nuclei-unlabelled').click();
  await waitForImage(page);
  expect(new URL(page.url()).searchParams.get('panel')).toBe('segment');
  expect(await cellCount(page)).toBe(0);
  // The Segment panel comes first in the side panel.
  const side = page.getByTestId('segment-panel');
  const [segmentTop, selectionTop] = await Promise.all([
    side.boundingBox().then((b) => b!.y),
    page
      .getByTestId('selected-cell')
      .boundingBox()
      .then((b) => b!.y),
  ]);
  expect(segmentTop).toBeLessThan(selectionTop);
  await side.getByTestId('segment-diameter').fill('24');
  await side.getByTestId('segment-run').click();
  await expect(page.getByTestId('notice').last()).toContainText('Segmented:', {
    timeout: 120_000,
  });
  await waitForSaved(page);
  expect(await cellCount(page)).toBeGreaterThan(100); // StarDist's image has 125 nuclei
});

test('into a new label layer: the app shows the layer, one undo takes it away', async ({
  page,
}) => {
  await uploadThroughHome(page, testdata('stardist/img2d.tif'), topQuarterLabels());
  const drawn = await cellCount(page);
  const panel = page.getByTestId('segment-panel');
  await panel.getByTestId('segment-diameter').fill('24');
  await panel.getByTestId('segment-new-feature').locator('input').check();
  await panel.getByTestId('segment-run').click();
  await expect(page.getByTestId('notice').last()).toContainText('in the new layer', {
    timeout: 120_000,
  });
  await waitForSaved(page);
  const display = () =>
    page.evaluate(() => {
      const { feature, features } = window.deepcellLabel!.display.getSnapshot().context;
      return { feature, features };
    });
  expect(await display()).toEqual({ feature: 1, features: 2 });
  expect(await cellCount(page)).toBe(drawn); // the person's layer is as it was
  const proposed = await serverLabels(page, projectId(page), 1);
  expect(new Set(proposed.values).size - 1).toBeGreaterThan(100);

  await page.getByTestId('undo').click();
  await waitForSaved(page);
  await expect.poll(display).toEqual({ feature: 0, features: 1 });
});
