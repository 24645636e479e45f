// What a new user meets in the first hour, against the real server: tools that do not repeat a
// destructive action, messages that say what an action did and then leave, frames counted from 1,
// panels that fit the project.
import { expect, test } from '@playwright/test';
import {
  cellPixels,
  clickPixel,
  projectId,
  serverLabels,
  testdata,
  uploadThroughHome,
  valuesBySize,
  waitForSaved,
} from './helpers';

test('a single image: Delete once then back to Select', async ({ page }) => {
  await uploadThroughHome(page, testdata('stardist/img2d.tif'), testdata('stardist/mask2d.tif'));
  const id = projectId(page);
  const labels = await serverLabels(page, id);
  const [first, second] = valuesBySize(labels);
  const firstCell = cellPixels(labels, first);
  const secondCell = cellPixels(labels, second);

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
});
