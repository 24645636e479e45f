// Divisions, cell types, spots and review mode against the real server.
import { readFileSync } from 'node:fs';
import { expect, test, type Locator, type Page } from '@playwright/test';
import {
  ADMIN,
  canvasColorAt,
  cellPixels,
  clickPixel,
  exportAndImport,
  projectId,
  screenPoint,
  screenshot,
  serverLabels,
  testdata,
  uploadThroughHome,
  waitForLabels,
  waitForSaved,
} from './helpers';

const zip = (name: string) => testdata(`deepcell-label-zips/${name}`);

/** Click a cell of the shown frame where it is, whatever the zoom. */
async function clickCell(page: Page, cell: number, frame: number, modifiers: 'Shift'[] = []) {
  const labels = await serverLabels(page, projectId(page), 0, frame);
  const { centre } = cellPixels(labels, cell);
  if (modifiers.length) {
    const p = await screenPoint(page, ...centre);
    await page.keyboard.down('Shift');
    await page.mouse.click(p.x, p.y);
    await page.keyboard.up('Shift');
  } else {
    await clickPixel(page, ...centre);
  }
  return centre;
}

/** Drag from corner to corner of a plot (a box in a scatter plot, a range in a histogram). */
async function dragAcross(page: Page, plot: Locator) {
  const box = (await plot.boundingBox())!;
  await page.mouse.move(box.x + 1, box.y + 1);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 1, box.y + box.height - 1, { steps: 5 });
  await page.mouse.up();
}

async function showFrame(page: Page, frame: number) {
  await expect(page.getByTestId('frame-label')).toContainText(`Frame ${frame + 1} /`);
  await waitForLabels(page);
}

test('divisions: see, remove and re-add a daughter, follow the alert', async ({
  page,
  context,
}) => {
  await uploadThroughHome(page, zip('oneDivision.zip'));
  // A second tab on the same project learns of the findings from its polls alone.
  const other = await context.newPage();
  await other.goto(page.url());
  await other.waitForFunction(() => window.deepcellLabel?.canvas.firstImageShown === true);
  const metadataReads: string[] = [];
  const metadataUrl = new URL(`/api/projects/${projectId(page)}`, page.url()).href;
  other.on('request', (request) => {
    if (request.url() === metadataUrl) metadataReads.push(request.url());
  });
  await clickCell(page, 31, 0);
  await expect(page.getByTestId('selected-cell')).toHaveText('Cell 31');
  await expect(page.getByTestId('division-daughter-134')).toBeVisible();
  await expect(page.getByTestId('division-daughter-135')).toBeVisible();
  await expect(page.getByTestId('findings-none')).toBeVisible();
  // The timeline of cell 31: present in the first frame only.
  await expect(page.getByTestId('timeline-selected')).toHaveAttribute('data-frames', '0');

  await page.getByTestId('jump-to-division').click();
  await showFrame(page, 1);
  await expect(page.getByTestId('selected-cell')).toHaveText('Cell 31');

  // Remove daughter 135 by clicking it: the server finds a division with one daughter.
  await page.keyboard.press('Shift+Y');
  await expect(page.getByTestId('division-picking')).toBeVisible();
  await clickCell(page, 135, 1);
  await waitForSaved(page);
  await expect(page.getByTestId('division-daughter-135')).toHaveCount(0);
  // Worded by the app with frames from 1: the division is in the second frame.
  await expect(page.getByTestId('finding-single_daughter')).toContainText(
    'Cell 31 divides into one daughter only, at frame 2',
  );
  await expect(page.getByTestId('finding-single_daughter')).toContainText(
    'Show cell 31 at frame 2 /',
  );
  await expect(page.getByTestId('finding-single_daughter')).toHaveAttribute(
    'title',
    /As the server reports it: .*at frame 2 /,
  );
  await expect(other.getByTestId('finding-single_daughter')).toContainText(
    'one daughter only, at frame 2',
  );
  expect(metadataReads).toEqual([]);
  await screenshot(page, 'divisions-alert');

  // The alert leads to the problem: its frame and its cell.
  await page.keyboard.press('a');
  await showFrame(page, 0);
  await page.keyboard.press('Escape');
  await page.getByTestId('finding-single_daughter').click();
  await showFrame(page, 1);
  await expect(page.getByTestId('selected-cell')).toHaveText('Cell 31');

  // Re-add it: the alert goes away.
  await page.getByTestId('add-daughter').click();
  await clickCell(page, 135, 1);
  await waitForSaved(page);
  await expect(page.getByTestId('division-daughter-135')).toBeVisible();
  await expect(page.getByTestId('findings-none')).toBeVisible();
  await expect(other.getByTestId('findings-none')).toBeVisible();
  expect(metadataReads).toEqual([]);
  await other.close();
  await page.mouse.move(5, 5);
  await screenshot(page, 'divisions');

  // Undo brings the single-daughter alert back, redo clears it again.
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('finding-single_daughter')).toBeVisible();
  await page.keyboard.press('Control+Shift+Z');
  await expect(page.getByTestId('findings-none')).toBeVisible();
});

test('cell types: create, add cells, see the colours, export and import again', async ({
  page,
}) => {
  await uploadThroughHome(page, zip('oneDivision.zip'));
  const labels = await serverLabels(page, projectId(page), 0, 0);
  const centre23 = cellPixels(labels, 23).centre;
  const before = await canvasColorAt(page, ...centre23);

  await page.getByTestId('new-type-name').fill('Tumour');
  await page.getByTestId('create-type').click();
  const row = page.getByTestId('cell-type-Tumour');
  await expect(row).toBeVisible();
  const created = await waitForSaved(page);

  // Per-cell expression: select every cell in the histogram and put them in the type at once,
  // as one edit that one undo takes back.
  const id = projectId(page);
  const table = await page.request.get(`/api/projects/${id}/expression?feature=0&frame=0`);
  if (table.ok()) {
    await page.getByTestId('open-expression').click();
    await expect(page.getByTestId('expression-scatter').locator('canvas')).toBeVisible();
    await dragAcross(page, page.getByTestId('expression-scatter').locator('.u-over'));
    await expect(page.getByTestId('expression-selected')).toHaveText(/^2 cells selected/);
    await dragAcross(page, page.getByTestId('expression-histogram').locator('.u-over'));
    await expect(page.getByTestId('expression-selected')).toHaveText(/^2 cells selected: 23, 31/);
    await screenshot(page, 'expression');
    await page.getByTestId('expression-add-to-type').click();
    const csv = await page.request.get(
      `/api/projects/${id}/expression?feature=0&frame=all&format=csv`,
    );
    expect((await csv.text()).split('\n')[0]).toMatch(/^cell,area/);
    await page.getByRole('button', { name: 'Close' }).click();
    const added = await waitForSaved(page);
    expect(added).toBe(created + 1);
    const history = await (
      await page.request.get(`/api/projects/${id}/edits?since=${created}`)
    ).json();
    expect(history.edits.map((e: { action: string }) => e.action)).toEqual(['add_to_cell_type']);
    await expect(row.getByTestId('type-count')).toHaveText('2');

    await page.getByTestId('undo').click();
    await waitForSaved(page);
    await expect(row.getByTestId('type-count')).toHaveText('0');
    await page.getByTestId('redo').click();
    await waitForSaved(page);
    await expect(row.getByTestId('type-count')).toHaveText('2');
  } else {
    console.warn(`SKIPPED expression plots: the server answers ${table.status()}`);
    await page.keyboard.press('u');
    await clickCell(page, 23, 0);
    await clickCell(page, 31, 0);
    await page.keyboard.press('Escape');
    await waitForSaved(page);
  }
  await expect(row.getByTestId('type-count')).toHaveText('2');

  // Clicking a cell of the type while picking takes it out; clicking again puts it back.
  await page.keyboard.press('u');
  await expect(page.getByTestId('type-picking')).toBeVisible();
  await clickCell(page, 23, 0);
  await waitForSaved(page);
  await expect(row.getByTestId('type-count')).toHaveText('1');
  await clickCell(page, 23, 0);
  await waitForSaved(page);
  await expect(row.getByTestId('type-count')).toHaveText('2');
  await page.keyboard.press('Escape');

  // The type colour is drawn over the cells in the shader, and hiding the type removes it.
  const typed = await canvasColorAt(page, ...centre23);
  expect(typed).not.toEqual(before);
  await row.getByTestId('type-visibility').click();
  await expect.poll(() => canvasColorAt(page, ...centre23)).toEqual(before);
  await row.getByTestId('type-visibility').click();
  await screenshot(page, 'cell-types');

  // Rename through the panel is an edit too.
  await row.getByTestId('type-name').fill('Tumour cell');
  await row.getByTestId('type-name').press('Enter');
  await waitForSaved(page);
  const renamed = page.getByTestId('cell-type-Tumour cell');
  await expect(renamed).toBeVisible();

  // Export and import again: the type and its cells come back.
  await exportAndImport(page);
  const again = page.getByTestId('cell-type-Tumour cell');
  await expect(again).toBeVisible();
  await expect(again.getByTestId('type-count')).toHaveText('2');
  const types = await page.evaluate(
    () => window.deepcellLabel!.annotations.getSnapshot().context.cellTypes,
  );
  expect(types.map((t) => [t.name, [...t.cells].sort((a, b) => a - b)])).toEqual([
    ['Tumour cell', [23, 31]],
  ]);
});

test('spots are drawn over the image and follow the view', async ({ page }) => {
  await uploadThroughHome(page, zip('spots.zip'));
  await expect(page.getByTestId('spots-panel')).toContainText('Spots (26)');
  const spots = await page.evaluate(
    () => window.deepcellLabel!.spotsDisplay.getSnapshot().context.spots,
  );
  expect(spots?.spots.length).toBe(26);
  const spotPixel = (x: number, y: number) =>
    page.evaluate(
      ([sx, sy]) => {
        const s = window.deepcellLabel!;
        const view = s.viewport.getSnapshot().context;
        const dpr = window.devicePixelRatio || 1;
        const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="spots-canvas"]')!;
        const px = Math.floor((sx - view.x) * view.zoom * dpr);
        const py = Math.floor((sy - view.y) * view.zoom * dpr);
        return [...canvas.getContext('2d')!.getImageData(px, py, 1, 1).data];
      },
      [x, y],
    );
  const [x, y] = spots!.spots[0];
  await expect.poll(async () => (await spotPixel(x, y))[3]).toBeGreaterThan(100);
  // Between spots the layer is clear.
  expect((await spotPixel(2, 98))[3]).toBe(0);
  await screenshot(page, 'spots');
  // Zoom in: the spot stays over the same image point.
  await page.keyboard.press('=');
  await page.keyboard.press('=');
  await expect.poll(async () => (await spotPixel(x, y))[3]).toBeGreaterThan(100);
  await page.keyboard.press('p');
  await expect.poll(async () => (await spotPixel(x, y))[3]).toBe(0);
});

test('review mode: step through two projects, accept one, reject the other, download; an unknown id is shown as missing', async ({
  page,
}) => {
  const create = async (file: string) => {
    const response = await page.request.post('/api/projects', {
      multipart: {
        images: { name: file, mimeType: 'application/zip', buffer: readFileSync(zip(file)) },
      },
    });
    expect(response.status()).toBe(201);
    return (await response.json()).id as string;
  };
  const first = await create('oneDivision.zip');
  const second = await create('spots.zip');
  const unknown = 'noSuchProject';
  await page.goto(`/project?projectId=${first},${second},${unknown}`);
  await expect(page.getByTestId('review-position')).toHaveText('Review: project 1 of 3');
  await expect(page.getByTestId('project-name')).toHaveText('oneDivision.zip');
  await expect(page.getByTestId('review-verdict')).toHaveText('not reviewed');

  await page.getByTestId('review-comment').fill('divisions look right');
  await page.getByTestId('review-accept').click();
  await expect(page.getByTestId('review-verdict')).toHaveText('accepted');
  // The reviewer is the signed-in account (the test browsers' admin).
  await expect(page.getByTestId('review-by')).toContainText(`by ${ADMIN.username}`);

  await page.keyboard.press('Shift+ArrowRight');
  await expect(page.getByTestId('review-position')).toHaveText('Review: project 2 of 3');
  await expect(page.getByTestId('project-name')).toHaveText('spots.zip');
  await page.getByTestId('review-comment').fill('spots off');
  await page.getByTestId('review-reject').click();
  await expect(page.getByTestId('review-verdict')).toHaveText('rejected');
  await expect(page.getByTestId('review-project-0')).toHaveAttribute('data-judgment', 'accept');
  await screenshot(page, 'review');

  // The unknown id: marked missing in the list and on its own page, not an error of the review.
  await expect(page.getByTestId('review-project-2')).toHaveAttribute('data-missing', 'true');
  await expect(page.getByTestId('review-project-2')).toContainText('(missing)');
  await expect(page.getByTestId('review-project-0')).toHaveAttribute('data-missing', 'false');
  await page.keyboard.press('Shift+ArrowRight');
  await expect(page.getByTestId('review-position')).toHaveText('Review: project 3 of 3');
  await expect(page.getByTestId('review-missing')).toContainText(unknown);
  await expect(page.getByTestId('review-verdict')).toHaveText('missing');
  await expect(page.getByTestId('review-accept')).toBeDisabled();
  await expect(page.getByTestId('review-error')).toHaveCount(0);
  await expect(page.getByTestId('project-error')).toHaveCount(0);
  // The review keys still work on the missing project's page.
  await page.keyboard.press('Shift+ArrowLeft');
  await expect(page.getByTestId('review-position')).toHaveText('Review: project 2 of 3');
  await expect(page.getByTestId('project-name')).toHaveText('spots.zip');

  await page.getByTestId('review-project-0').click();
  await expect(page.getByTestId('review-verdict')).toHaveText('accepted');

  const download = page.waitForEvent('download');
  await page.getByTestId('review-csv').click();
  const csv = readFileSync(await (await download).path(), 'utf8')
    .trim()
    .split(/\r?\n/);
  expect(csv[0]).toBe('project,name,judgment,comment,reviewer,reviewed,version');
  const rows = Object.fromEntries(csv.slice(1).map((line) => [line.split(',')[0], line]));
  expect(rows[first]).toContain(',accept,divisions look right,');
  expect(rows[second]).toContain(',reject,spots off,');
});

test('renaming a channel is an undoable edit that survives reload and reaches other tabs', async ({
  page,
  context,
}) => {
  await uploadThroughHome(page, zip('oneDivision.zip'));
  const other = await context.newPage();
  await other.goto(page.url());
  await other.waitForFunction(() => window.deepcellLabel?.canvas.firstImageShown === true);

  await page.getByTestId('rename-channel').fill('DNA');
  await page.getByTestId('rename-channel').press('Enter');
  await waitForSaved(page);
  await expect(page.getByTestId('channel-select')).toContainText('DNA');
  await expect(page.getByTestId('undo')).toBeEnabled();
  // The other tab hears of it from its poll.
  await expect(other.getByTestId('channel-select')).toContainText('DNA');
  await other.close();

  await page.reload();
  await expect(page.getByTestId('channel-select')).toContainText('DNA');
  // Undo availability comes with the metadata, without reading the history.
  await expect(page.getByTestId('undo')).toBeEnabled();
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  await expect(page.getByTestId('channel-select')).toContainText('channel 0');
  await expect(page.getByTestId('redo')).toBeEnabled();
});
