// What a new user meets in the first hour, against the real server: tools that do not repeat a
// destructive action, messages that say what an action did and then leave, frames counted from 1,
// panels that fit the project.
import { expect, test, type Page } from '@playwright/test';
import {
  blankImageFor,
  cellPixels,
  clickPixel,
  makeMovie,
  projectId,
  serverLabels,
  testdata,
  uploadThroughHome,
  valuesBySize,
  waitForImage,
  waitForLabels,
  waitForSaved,
} from './helpers';

/** The message that names `text` appears, and later leaves by itself. */
async function toldThenGone(page: Page, text: string | RegExp) {
  const notice = page.getByTestId('notice').filter({ hasText: text });
  await expect(notice).toHaveCount(1);
  return () => expect(notice).toHaveCount(0);
}

test('a single image: panels that fit it, Delete once then back to Select', async ({ page }) => {
  await uploadThroughHome(page, testdata('stardist/img2d.tif'), testdata('stardist/mask2d.tif'));
  const id = projectId(page);
  const labels = await serverLabels(page, id);
  const [first, second] = valuesBySize(labels);
  const firstCell = cellPixels(labels, first);
  const secondCell = cellPixels(labels, second);

  // One frame: nothing to link, no divisions.
  await expect(page.getByTestId('history-panel')).toBeVisible();
  await expect(page.getByTestId('divisions-panel')).toHaveCount(0);
  await expect(page.getByTestId('linking-panel')).toHaveCount(0);
  await expect(page.getByTestId('link-movie')).toHaveCount(0);

  // Enter applies Delete once; the tool is Select again, so a second Enter deletes nothing.
  await clickPixel(page, ...firstCell.centre);
  await expect(page.getByTestId('selected-cell')).toHaveText(`Cell ${first}`);
  await page.keyboard.press('Backspace');
  await expect(page.getByTestId('tool-delete')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Enter');
  await waitForSaved(page);
  await expect(page.getByTestId('tool-select')).toHaveAttribute('aria-pressed', 'true');
  await clickPixel(page, ...secondCell.centre);
  await expect(page.getByTestId('selected-cell')).toHaveText(`Cell ${second}`);
  await page.keyboard.press('Enter');
  await waitForSaved(page);
  const after = await serverLabels(page, id);
  expect(after.at(...firstCell.centre)).not.toBe(first);
  expect(after.at(...secondCell.centre)).toBe(second);

  // The download's result floats over the page, the top bar stays one line, and it leaves.
  const bar = page.getByRole('banner');
  const barHeight = (await bar.boundingBox())!.height;
  await page.getByTestId('download').click();
  const result = page.getByTestId('export-result');
  await expect(result).toContainText('Downloaded');
  await expect(bar.getByTestId('export-result')).toHaveCount(0);
  expect((await bar.boundingBox())!.height).toBe(barHeight);
  await expect(result).toHaveCount(0);

  // Every export format is in the Download menu, each a job whose file the browser saves.
  for (const [format, ending] of [
    ['npz', '.npz'],
    ['ctc', '.ctc.zip'],
    ['trk', '.trk'],
    ['ome-zarr', '.ome.zarr.zip'],
  ]) {
    await page.getByTestId('download-menu').click();
    const saved = page.waitForEvent('download');
    await page.getByTestId(`download-${format}`).click();
    expect((await saved).suggestedFilename()).toMatch(
      new RegExp(`${ending.replaceAll('.', '\\.')}$`),
    );
    await expect(result).toContainText(`${ending} (`);
  }
});

test('a movie: match, copy, interpolate, undo and redo say what they did; linking counts right', async ({
  page,
}) => {
  const { images, labels } = makeMovie(1);
  await uploadThroughHome(page, images, labels);
  const id = projectId(page);
  // Match frame 2 to frame 1, then frame 3 to frame 2: cells keep their ids through frames 1-3.
  for (const frame of [2, 3]) {
    await page.keyboard.press('d');
    await expect(page.getByTestId('frame-label')).toContainText(`Frame ${frame} /`);
    await waitForLabels(page);
    await page.getByTestId('match-previous').click();
    await waitForSaved(page);
  }
  await toldThenGone(page, /^Matched frame 3 to frame 2: \d+ cells? took the ids there\.$/);
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  await toldThenGone(page, 'Undid propagate (frame 3).');
  await page.getByTestId('redo').click();
  await waitForSaved(page);
  const redone = await toldThenGone(page, 'Redid propagate (frame 3).');

  // A cell of frames 1 to 3: copy it from frame 2, interpolate it from frame 1.
  const metadata = await (await page.request.get(`/api/projects/${id}`)).json();
  const cells: { t: number; value: number; cell: number }[] = metadata.cells;
  const inFrame = (t: number) => new Set(cells.filter((c) => c.t === t).map((c) => c.cell));
  const { value, cell } = cells.find(
    (c) => c.t === 2 && inFrame(1).has(c.cell) && inFrame(0).has(c.cell),
  )!;
  await clickPixel(page, ...cellPixels(await serverLabels(page, id, 0, 2), value).centre);
  await expect(page.getByTestId('selected-cell')).toHaveText(`Cell ${cell}`);
  await page.getByTestId('copy-from-previous').click();
  await waitForSaved(page);
  await toldThenGone(page, `Copied cell ${cell} from frame 2 to frame 3.`);
  await page.getByTestId('interpolate').click();
  await waitForSaved(page);
  const interpolated = await toldThenGone(page, `Interpolated cell ${cell} in frame 2.`);
  // Neither stays: only errors do.
  await redone();
  await interpolated();

  // One proposed division is "1 division".
  await page.getByTestId('link-movie').click();
  await expect(page.getByTestId('proposals')).toContainText('Proposed divisions (1)', {
    timeout: 60_000,
  });
  await expect(page.getByTestId('notice').last()).toContainText('1 division proposed');
  await waitForSaved(page);

  // Undoing an accepted proposal proposes it again, to accept or reject once more.
  const proposals = page.getByTestId('proposals');
  const proposal = (await proposals.getByTestId('proposal-show').first().textContent())!;
  await proposals.getByTestId('proposal-accept').first().click();
  await waitForSaved(page);
  await expect(proposals).toHaveCount(0);
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  await expect(proposals.getByTestId('proposal-show')).toHaveText([proposal]);
  await proposals.getByTestId('proposal-reject').first().click();
  await expect(proposals).toHaveCount(0);
});

test('a blank image: the Learn panel says it has no channel to learn from', async ({ page }) => {
  const labels = testdata('stardist/mask2d.tif');
  await uploadThroughHome(page, blankImageFor(labels), labels);
  await page.getByTestId('tab-learn').click();
  const told = page.getByTestId('learn-nothing-to-learn');
  await expect(told).toContainText('no channel to learn from');
  await expect(told).toContainText('Learn from position');
  // Learning from position needs no channel: the message goes.
  await page.getByTestId('learn-source').getByRole('combobox').click();
  await page.getByRole('option', { name: 'position' }).click();
  await expect(told).toHaveCount(0);
});

test('frames are counted from 1 in what a person reads', async ({ page }) => {
  await page.goto('/');
  // The timelapse's daughters first appear in the fifth frame; its card says so.
  await expect(page.getByText(/cells 5 and 6 at frame 5\./)).toBeVisible();
  await page.getByTestId('example-timelapse').click();
  await waitForImage(page);
  for (let i = 0; i < 4; i++) await page.keyboard.press('d');
  await expect(page.getByTestId('frame-label')).toContainText('Frame 5 / 8');
  await waitForLabels(page);
  const labels = await serverLabels(page, projectId(page), 0, 4);
  await clickPixel(page, ...cellPixels(labels, 5).centre);
  await expect(page.getByTestId('selected-cell')).toHaveText('Cell 5');
  // Copying it from the frame before, where it is not yet: the server's refusal names frame 4.
  await page.getByTestId('copy-from-previous').click();
  const refused = page.getByTestId('notice').filter({ hasText: 'Cell 5 is not in frame 4' });
  await expect(refused).toHaveCount(1);
  // An error stays until dismissed.
  await page.waitForTimeout(7000);
  await expect(refused).toHaveCount(1);
});

test('review mode has its own address and a way in from the home page', async ({ page }) => {
  const ids: string[] = [];
  for (const name of ['rgb.zip', 'oneDivision.zip']) {
    await uploadThroughHome(page, testdata(`deepcell-label-zips/${name}`));
    ids.push(projectId(page));
  }
  await page.goto('/');
  await page.getByTestId('review-ids').fill(`${ids[0]}, ${ids[1]}`);
  await page.getByTestId('open-review').click();
  await page.waitForURL(/\/review\?projectId=/);
  expect(new URL(page.url()).searchParams.get('projectId')).toBe(ids.join(','));
  await expect(page.getByTestId('review-position')).toHaveText('Review: project 1 of 2');
  await page.getByTestId('review-accept').click();
  await expect(page.getByTestId('review-verdict')).toHaveText('accepted');
  // The address itself opens it again, as a bookmark would.
  await page.reload();
  await expect(page.getByTestId('review-project-0')).toHaveAttribute('data-judgment', 'accept');
});

test('the app has a favicon', async ({ page }) => {
  await page.goto('/');
  const href = await page.locator('link[rel="icon"]').getAttribute('href');
  expect(href).toBeTruthy();
  const icon = await page.request.get(href!);
  expect(icon.status()).toBe(200);
  expect(icon.headers()['content-type']).toContain('image/svg+xml');
});
