// The labelling workflow against the real server: upload, see, select, edit, undo, reload, export.
import { expect, test } from '@playwright/test';
import {
  canvasColorAt,
  cellPixels,
  clickPixel,
  exportAndImport,
  localLabels,
  projectId,
  screenPoint,
  screenshot,
  serverLabels,
  testdata,
  uploadThroughHome,
  valuesBySize,
  waitForImage,
  waitForLabels,
  waitForSaved,
} from './helpers';

test('home page offers upload, axes and examples', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('drop-zone')).toBeVisible();
  await expect(page.getByTestId('example-nuclei')).toBeVisible();
  await expect(page.getByTestId('example-timelapse')).toBeVisible();
  await screenshot(page, 'home');
  // A file that is no image is refused in place.
  await page.getByTestId('images-input').setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('not an image'),
  });
  await page.getByTestId('upload-button').click();
  await expect(page.getByTestId('upload-error')).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
});

test('label a 2-D image: select, brush, flood, threshold, watershed, delete, swap, undo, reload', async ({
  page,
}) => {
  const images = testdata('stardist/img2d.tif');
  const masks = testdata('stardist/mask2d.tif');
  await uploadThroughHome(page, images, masks);
  const id = projectId(page);
  await screenshot(page, 'project');

  // The image is on the canvas: background and a labelled cell differ, and the view is not flat.
  const labels = await serverLabels(page, id);
  const sizes = valuesBySize(labels);
  const [big, second, third] = sizes;
  const bigCell = cellPixels(labels, big);
  const inside = await canvasColorAt(page, ...bigCell.centre);
  expect(inside[3]).toBe(255);
  const samples = await Promise.all(
    [0.1, 0.3, 0.5, 0.7, 0.9].map((f) =>
      canvasColorAt(page, Math.floor(labels.width * f), Math.floor(labels.height * f)),
    ),
  );
  expect(new Set(samples.map((s) => s.join())).size).toBeGreaterThan(1);

  // Hover lists the cell; clicking selects it.
  const centre = await screenPoint(page, ...bigCell.centre);
  await page.mouse.move(centre.x, centre.y);
  await expect(page.getByTestId('hovering')).toContainText(`cell ${big}`);
  await page.mouse.click(centre.x, centre.y);
  await expect(page.getByTestId('selected-cell')).toHaveText(`Cell ${big}`);

  // Brush a new cell on background and read it back from the server.
  let background: [number, number] | null = null;
  for (let y = 5; y < labels.height - 5 && !background; y += 3) {
    for (let x = 5; x < labels.width - 30 && !background; x += 3) {
      let clear = true;
      for (let dy = -4; dy <= 4 && clear; dy++) {
        for (let dx = -4; dx <= 24 && clear; dx++) if (labels.at(x + dx, y + dy)) clear = false;
      }
      if (clear) background = [x, y];
    }
  }
  expect(background).not.toBeNull();
  const [bx, by] = background!;
  await page.keyboard.press('n');
  const newCell = Number(
    (await page.getByTestId('selected-cell').textContent())!.replace('Cell ', ''),
  );
  expect(newCell).toBeGreaterThan(big);
  await page.keyboard.press('b');
  await page.evaluate(() => window.deepcellLabel!.tools.send({ type: 'SET_BRUSH_SIZE', size: 2 }));
  const start = await screenPoint(page, bx, by);
  const end = await screenPoint(page, bx + 20, by);
  const versionBefore = await waitForSaved(page);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(end.x, end.y, { steps: 8 });
  // Drawn locally before the server answers.
  expect(await page.evaluate(() => window.deepcellLabel!.preview.pending)).toBeGreaterThan(0);
  await page.mouse.up();
  expect(await waitForSaved(page)).toBeGreaterThan(versionBefore);
  let now = await serverLabels(page, id);
  expect(now.at(bx + 10, by)).toBe(newCell);
  expect((await localLabels(page)).at(bx + 10, by)).toBe(newCell);
  await expect(page.getByTestId('undo')).toBeEnabled();

  // Flood: with the new cell selected, a click on another cell fills that cell's region with it.
  const secondCell = cellPixels(now, second);
  await page.keyboard.press('g');
  await page.getByTestId('write-mode').click();
  await page.getByRole('option', { name: 'Overwrite' }).click();
  await expect(page.locator('.MuiMenu-root')).toHaveCount(0);
  await expect(page.getByTestId('write-mode')).toContainText('Overwrite');
  await clickPixel(page, ...secondCell.centre);
  await waitForSaved(page);
  await page.evaluate(() =>
    window.deepcellLabel!.tools.send({ type: 'SET_WRITE_MODE', mode: 'exclude' }),
  );
  now = await serverLabels(page, id);
  expect(now.at(...secondCell.centre)).toBe(newCell);

  // Undo brings the flooded cell back, redo repeats the flood.
  await page.keyboard.press('Control+z');
  await waitForSaved(page);
  expect((await serverLabels(page, id)).at(...secondCell.centre)).toBe(second);
  await expect(page.getByTestId('redo')).toBeEnabled();
  await page.keyboard.press('Control+Shift+z');
  await waitForSaved(page);
  expect((await serverLabels(page, id)).at(...secondCell.centre)).toBe(newCell);
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  expect((await serverLabels(page, id)).at(...secondCell.centre)).toBe(second);

  // Threshold: drag a box around a cell; the edit is accepted and the version moves on.
  await page.keyboard.press('n');
  await page.keyboard.press('t');
  const thirdCell = cellPixels(now, third);
  const xs = thirdCell.points.map((p) => p[0]);
  const ys = thirdCell.points.map((p) => p[1]);
  const boxFrom = await screenPoint(
    page,
    Math.max(0, Math.min(...xs) - 6),
    Math.max(0, Math.min(...ys) - 6),
  );
  const boxTo = await screenPoint(
    page,
    Math.min(labels.width - 1, Math.max(...xs) + 6),
    Math.min(labels.height - 1, Math.max(...ys) + 6),
  );
  let version = await waitForSaved(page);
  await page.mouse.move(boxFrom.x, boxFrom.y);
  await page.mouse.down();
  await page.mouse.move(boxTo.x, boxTo.y, { steps: 4 });
  await page.mouse.up();
  expect(await waitForSaved(page)).toBeGreaterThan(version);
  await expect(page.getByTestId('notice').filter({ hasText: 'failed' })).toHaveCount(0);

  // Watershed: two clicks far apart in the biggest cell split it.
  await page.keyboard.press('w');
  const bx0 = bigCell.points.reduce((a, p) => (p[0] < a[0] ? p : a));
  const bx1 = bigCell.points.reduce((a, p) => (p[0] > a[0] ? p : a));
  const seedA: [number, number] = [Math.round((bx0[0] * 3 + bx1[0]) / 4), bx0[1]];
  const seedB: [number, number] = [Math.round((bx0[0] + bx1[0] * 3) / 4), bx1[1]];
  version = await waitForSaved(page);
  const cellsUnderA = await page.evaluate(
    ([x, y]) => window.deepcellLabel!.pointer.cellsAt(x, y),
    seedA,
  );
  expect(cellsUnderA).toContain(big);
  await clickPixel(page, ...seedA);
  await clickPixel(page, ...seedB);
  expect(await waitForSaved(page)).toBeGreaterThan(version);
  now = await serverLabels(page, id);
  expect(cellPixels(now, big).count).toBeLessThan(bigCell.count);

  // Delete the third cell with Backspace + Enter.
  await page.keyboard.press('v');
  await clickPixel(page, ...thirdCell.centre);
  await expect(page.getByTestId('selected-cell')).toHaveText(`Cell ${third}`);
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Enter');
  await waitForSaved(page);
  now = await serverLabels(page, id);
  expect(now.at(...thirdCell.centre)).not.toBe(third);

  // Swap the second cell and the brushed cell.
  await page.keyboard.press('v');
  await clickPixel(page, ...secondCell.centre);
  await expect(page.getByTestId('selected-cell')).toHaveText(`Cell ${second}`);
  await page.keyboard.press('s');
  await clickPixel(page, bx + 10, by);
  await expect(page.getByTestId('other-cell')).toContainText(String(newCell));
  await page.keyboard.press('Enter');
  await waitForSaved(page);
  now = await serverLabels(page, id);
  expect(now.at(...secondCell.centre)).toBe(newCell);
  expect(now.at(bx + 10, by)).toBe(second);

  // Reload: the same labels, and undo and redo still work from the server's history.
  await page.reload();
  await waitForImage(page);
  const reloaded = await localLabels(page);
  expect(reloaded.at(...secondCell.centre)).toBe(newCell);
  expect(reloaded.at(bx + 10, by)).toBe(second);
  await expect(page.getByTestId('undo')).toBeEnabled();
  await page.keyboard.press('Control+z');
  await waitForSaved(page);
  expect((await serverLabels(page, id)).at(bx + 10, by)).toBe(newCell);
  await expect(page.getByTestId('redo')).toBeEnabled();
  await page.keyboard.press('Control+Shift+z');
  await waitForSaved(page);
  expect((await serverLabels(page, id)).at(bx + 10, by)).toBe(second);

  // Another tab sees the edits at its next poll (about a second; more on a loaded machine).
  const other = await page.context().newPage();
  await other.goto(page.url());
  await waitForImage(other);
  await page.keyboard.press('Control+z');
  await waitForSaved(page);
  await expect
    .poll(async () => (await localLabels(other)).at(bx + 10, by), {
      timeout: 8000,
      intervals: [100],
    })
    .toBe(newCell);
  await other.close();

  // Export, then import the download again.
  const exported = await exportAndImport(page);
  expect(exported.subarray(0, 2).toString()).toBe('PK');
  await waitForImage(page);
  const reimported = await localLabels(page);
  expect(reimported.at(bx + 10, by)).toBeGreaterThan(0);
  expect(reimported.at(...secondCell.centre)).toBeGreaterThan(0);
});

test('frames, channels, display settings, help and themes', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('example-timelapse').click();
  await waitForImage(page);
  await expect(page.getByTestId('frame-label')).toContainText('Frame 1 / 8');
  const before = await canvasColorAt(page, 40, 30);
  await page.keyboard.press('d');
  await expect(page.getByTestId('frame-label')).toContainText('Frame 2 / 8');
  await waitForLabels(page);
  await page.keyboard.press('d');
  await page.keyboard.press('d');
  await page.keyboard.press('d');
  await expect(page.getByTestId('frame-label')).toContainText('Frame 5 / 8');
  await waitForLabels(page);
  // Cell 1 divided: its centre is background in frame 5.
  expect(await page.evaluate(() => window.deepcellLabel!.pointer.cellsAt(40, 30))).toEqual([]);
  expect(await canvasColorAt(page, 40, 30)).not.toEqual(before);
  await page.keyboard.press('a');
  await expect(page.getByTestId('frame-label')).toContainText('Frame 4 / 8');
  await screenshot(page, 'timelapse');

  await page.goto('/');
  await page.getByTestId('example-tissue').click();
  await waitForImage(page);
  await screenshot(page, 'tissue-colour');
  await page.getByTestId('mode-grayscale').click();
  const channel0 = await canvasColorAt(page, 20, 20);
  await page.keyboard.press('c');
  await expect(page.getByTestId('channel-select')).toContainText('channel 1');
  await page.evaluate(() =>
    window.deepcellLabel!.display.send({ type: 'SET_LABEL_OPACITY', opacity: 0 }),
  );
  expect(await canvasColorAt(page, 20, 20)).not.toEqual(channel0);
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcut-table')).toContainText('Shift+Q');
  await expect(page.getByTestId('shortcut-table')).toContainText('Add a daughter');
  await expect(page.getByTestId('shortcut-table')).toContainText('Show/hide the spots');
  await screenshot(page, 'help');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Switch light/dark theme' }).click();
  await screenshot(page, 'project-dark');
});
