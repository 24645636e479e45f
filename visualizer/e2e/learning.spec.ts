// Cell types that learn, in the browser against the real server and worker: embed the cells,
// lasso points into a type, train, predict, apply the confident predictions, undo.
import { expect, test, type Page } from '@playwright/test';
import {
  canvasColorAt,
  cellPixels,
  clickPixel,
  projectId,
  screenshot,
  serverLabels,
  uploadThroughHome,
  waitForImage,
  waitForSaved,
} from './helpers';
import { multiplexedProject } from './multiplexed';

async function edit(page: Page, action: string, args: Record<string, unknown>) {
  const response = await page.request.post(`/api/projects/${projectId(page)}/edits`, {
    data: { action, args },
  });
  expect(response.ok(), await response.text()).toBeTruthy();
  return response.json();
}

/** The cell types tab's active type, as the Learn panel's "Add to …" button names it. */
const activeType = (page: Page) =>
  page.evaluate(() => window.deepcellLabel!.typeDisplay.getSnapshot().context.active);

async function reloadIntoLearn(page: Page) {
  await page.reload();
  await waitForImage(page);
  await page.getByTestId('tab-learn').click();
}

async function typesOnServer(page: Page) {
  const response = await page.request.get(`/api/projects/${projectId(page)}`);
  const metadata = await response.json();
  return Object.fromEntries(
    (metadata.cellTypes as { name: string; cells: number[] }[]).map((t) => [t.name, t.cells]),
  );
}

test('learn cell types: embed, lasso into a type, train, predict, apply, undo', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const { path, truth } = multiplexedProject();
  await uploadThroughHome(page, path);
  // A person typed a third of the T and B cells (through the API, as another tab would).
  const names = ['T cell', 'B cell', 'Macrophage'];
  for (const name of names) await edit(page, 'create_cell_type', { name, color: '#3366cc' });
  for (const [id, name] of [
    [1, 'T cell'],
    [2, 'B cell'],
  ] as const) {
    const cells = Object.keys(truth)
      .filter((c) => truth[c] === name)
      .map(Number);
    await edit(page, 'add_to_cell_type', {
      id,
      cells: cells.slice(0, Math.ceil(cells.length / 3)),
    });
  }
  await page.reload();
  await page.waitForFunction(() => window.deepcellLabel?.canvas.firstImageShown === true);

  // The Learn panel: embed the cells of this frame from their mean expression.
  await page
    .getByTestId('cell-types-panel')
    .getByRole('radio', { name: 'Work on Macrophage' })
    .check();
  await page.getByTestId('tab-learn').click();
  await page.getByTestId('learn-embed').click();
  const scatter = page.getByTestId('embedding-scatter');
  await expect(scatter).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('learn-selected')).toContainText('100 cells');

  // Lasso the Macrophage island's core: an octagon around its middle point.
  await scatter.scrollIntoViewIfNeeded();
  const lasso = await page.evaluate((truthByCell) => {
    const embedding = window.deepcellLabel!.learning.getSnapshot().context.embedding!;
    const points = embedding.cells;
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const margin = 0.05;
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    const view = {
      x0: x0 - (x1 - x0) * margin,
      x1: x1 + (x1 - x0) * margin,
      y0: y0 - (y1 - y0) * margin,
      y1: y1 + (y1 - y0) * margin,
    };
    const macrophages = points.filter((p) => truthByCell[String(p.cell)] === 'Macrophage');
    const cx = macrophages.reduce((s, p) => s + p.x, 0) / macrophages.length;
    const cy = macrophages.reduce((s, p) => s + p.y, 0) / macrophages.length;
    const distances = macrophages.map((p) => Math.hypot(p.x - cx, p.y - cy)).sort((a, b) => a - b);
    const radius = distances[Math.min(9, distances.length - 1)] * 1.05;
    const rect = document
      .querySelector('[data-testid="embedding-scatter"]')!
      .getBoundingClientRect();
    const corners = Array.from({ length: 8 }, (_v, i) => {
      const angle = (i / 8) * 2 * Math.PI;
      const x = cx + radius * Math.cos(angle);
      const y = cy + radius * Math.sin(angle);
      return {
        x: rect.left + ((x - view.x0) / (view.x1 - view.x0)) * rect.width,
        y: rect.top + ((view.y1 - y) / (view.y1 - view.y0)) * rect.height,
      };
    });
    return corners;
  }, truth);
  const labels = await serverLabels(page, projectId(page));
  const macrophage = Number(Object.keys(truth).find((c) => truth[c] === 'Macrophage'));
  const inside = cellPixels(labels, macrophage).centre;
  const before = await canvasColorAt(page, ...inside);
  await page.getByTestId('select-lasso').click();
  await page.mouse.move(lasso[0].x, lasso[0].y);
  await page.mouse.down();
  for (const corner of [...lasso.slice(1), lasso[0]])
    await page.mouse.move(corner.x, corner.y, { steps: 3 });
  await page.mouse.up();
  const selected = await page.evaluate(
    () => window.deepcellLabel!.learning.getSnapshot().context.selected,
  );
  expect(selected.length).toBeGreaterThanOrEqual(8);
  expect(selected.filter((c) => truth[String(c)] === 'Macrophage').length).toBeGreaterThanOrEqual(
    selected.length - 1,
  );
  await expect(page.getByTestId('learn-selected')).toContainText(`${selected.length} selected`);
  // The cells selected in the scatter plot are highlighted in the image; the others are not.
  const other = selected.includes(macrophage)
    ? null
    : await canvasColorAt(page, ...cellPixels(labels, macrophage).centre);
  if (other) expect(other).toEqual(before);
  const chosen = cellPixels(labels, selected[0]).centre;
  await page.getByTestId('learn-selected').click(); // keeps the selection, moves the pointer off
  const highlighted = await canvasColorAt(page, ...chosen);
  await page.evaluate(() => window.deepcellLabel!.learning.send({ type: 'CLEAR_SELECTION' }));
  expect(await canvasColorAt(page, ...chosen)).not.toEqual(highlighted);
  await page.evaluate(
    (cells) => window.deepcellLabel!.learning.send({ type: 'SELECT', cells }),
    selected,
  );
  expect(await canvasColorAt(page, ...chosen)).toEqual(highlighted);
  // A cell selected in the image is marked in the scatter plot.
  await clickPixel(page, ...chosen);
  await expect(page.getByTestId('scatter-marked')).toHaveAttribute(
    'data-cell',
    String(selected[0]),
  );
  await page.getByTestId('learn-add-selected').click();
  await waitForSaved(page);
  expect((await typesOnServer(page))['Macrophage'].sort()).toEqual([...selected].sort());
  await screenshot(page, 'learning-embedding');

  // Train on the typed cells.
  await page.getByTestId('learn-open-train').click();
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-accuracy')).toContainText('Validation accuracy', {
    timeout: 300_000,
  });
  await expect(page.getByTestId('confusion-matrix')).toBeVisible();
  await expect(page.getByTestId('training-curve')).toBeVisible();
  // The chart's legend shows the figures of all the training cells, not "--".
  const legend = page.getByTestId('training-curve').locator('.u-legend');
  await expect(legend).toContainText('%');
  await expect(legend).not.toContainText('--');
  await screenshot(page, 'learning-trained');
  await page.getByTestId('train-dialog').getByRole('button', { name: 'Close' }).click();

  // Predict the others and apply the confident ones as one edit.
  await page.getByTestId('learn-open-predict').click();
  await page.getByTestId('predict-start').click();
  await expect(page.getByTestId('predict-count')).toContainText('have a prediction', {
    timeout: 300_000,
  });
  const typedBefore = await typesOnServer(page);
  const predictions = await page.evaluate(
    () => window.deepcellLabel!.learning.getSnapshot().context.predictions!.predictions,
  );
  const confident = predictions.filter((p) => p.uncertainty < 0.5);
  expect(confident.length).toBeGreaterThan(30);
  await screenshot(page, 'learning-predict');
  // The least sure cell first: a person labels where the model is least sure.
  await page.getByTestId('predict-next-uncertain').click();
  const visited = await page.evaluate(
    () => window.deepcellLabel!.selection.getSnapshot().context.selected,
  );
  expect(visited).toBe(predictions[0].cell);
  // ... and it is marked in the scatter plot.
  await expect(page.getByTestId('scatter-marked')).toHaveAttribute(
    'data-cell',
    String(predictions[0].cell),
  );
  const working = await activeType(page);
  expect(working).not.toBeNull();
  await page.getByTestId('predict-apply').click();
  await waitForSaved(page);
  // The type worked on before applying is still the one worked on.
  expect(await activeType(page)).toBe(working);
  await expect(page.getByTestId('learn-add-selected')).toContainText('Add to Macrophage');
  const typedAfter = await typesOnServer(page);
  const count = (types: Record<string, number[]>) =>
    Object.values(types).reduce((sum, cells) => sum + cells.length, 0);
  expect(count(typedAfter)).toBe(count(typedBefore) + confident.length);
  const name = ['', ...names];
  const right = confident.filter((p) => truth[String(p.cell)] === name[p.type]).length;
  expect(right / confident.length).toBeGreaterThanOrEqual(0.95);

  // Colour by uncertainty, then undo the applied predictions.
  await page.getByTestId('colour-by-uncertainty').click();
  await expect(page.getByTestId('uncertainty-legend')).toContainText('unsure');
  await expect(page.getByTestId('uncertainty-legend')).toContainText('no prediction');
  await screenshot(page, 'learning-uncertainty');
  await page.getByTestId('undo').click();
  await waitForSaved(page);
  expect(await typesOnServer(page)).toEqual(typedBefore);

  // A reload brings the work back: the picture, the classifier and the predictions.
  await reloadIntoLearn(page);
  await expect(page.getByTestId('learn-selected')).toContainText('100 cells');
  await expect(page.getByTestId('learn-embed')).toHaveText('Embed again');
  await expect(page.getByTestId('learn-open-predict')).toBeEnabled();
  await expect(page.getByTestId('learn-next-uncertain')).toBeEnabled();
  await expect(page.getByTestId('learn-trained')).toContainText('have a prediction');
  await expect(page.getByTestId('learn-stale')).toHaveCount(0);
  await expect(page.getByTestId('learn-results-stale')).toHaveCount(0);
  const restored = await page.evaluate(
    () => window.deepcellLabel!.learning.getSnapshot().context.predictions!.predictions,
  );
  expect(restored).toEqual(predictions);

  // Labels changed since (in another tab): the work comes back marked out of date.
  await edit(page, 'erase', { cell: selected[0], points: [chosen], brush_size: 3 });
  await reloadIntoLearn(page);
  await expect(page.getByTestId('learn-stale')).toContainText('Out of date');
  await expect(page.getByTestId('learn-results-stale')).toContainText('Out of date');
  await expect(page.getByTestId('learn-open-predict')).toBeEnabled();
});

test('marker panel: name a type’s markers and match them in the display', async ({ page }) => {
  const { path } = multiplexedProject();
  await uploadThroughHome(page, path);
  await edit(page, 'create_cell_type', { name: 'T cell', color: '#3366cc' });
  await page.reload();
  await page.waitForFunction(() => window.deepcellLabel?.canvas.firstImageShown === true);
  await page.getByTestId('tab-markers').click();
  const panel = page.getByTestId('markers-T cell');
  await panel.getByRole('combobox').click();
  await page.getByRole('option', { name: 'channel 1' }).click();
  await waitForSaved(page);
  await expect(panel).toContainText('channel 1');
  await panel.getByTestId('match-markers').click();
  const layers = await page.evaluate(
    () => window.deepcellLabel!.display.getSnapshot().context.layers,
  );
  expect(layers.map((l) => l.channel)).toEqual([1]);
  const metadata = await (await page.request.get(`/api/projects/${projectId(page)}`)).json();
  expect(metadata.markers).toEqual({ 'T cell': ['channel 1'] });
});

test('types reorder by drag and drop; a lasso in the expression plot selects cells', async ({
  page,
}) => {
  const { path, truth } = multiplexedProject();
  await uploadThroughHome(page, path);
  for (const name of ['T cell', 'B cell', 'Macrophage']) {
    await edit(page, 'create_cell_type', { name, color: '#3366cc' });
  }
  await page.reload();
  await page.waitForFunction(() => window.deepcellLabel?.canvas.firstImageShown === true);
  await page.getByTestId('cell-type-Macrophage').dragTo(page.getByTestId('cell-type-T cell'));
  await waitForSaved(page);
  const metadata = await (await page.request.get(`/api/projects/${projectId(page)}`)).json();
  expect(metadata.cellTypes.map((t: { name: string }) => t.name)).toEqual([
    'Macrophage',
    'T cell',
    'B cell',
  ]);

  await page.getByTestId('open-expression').click();
  await page.getByTestId('expression-lasso').click();
  const plot = page.getByTestId('expression-scatter').locator('.u-over');
  await expect(plot).toBeVisible();
  const box = (await plot.boundingBox())!;
  // A lasso around the left half of the plot: some cells, not all.
  const corners = [
    [0.01, 0.01],
    [0.5, 0.01],
    [0.5, 0.99],
    [0.01, 0.99],
  ].map(([fx, fy]) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height }));
  await page.mouse.move(corners[0].x, corners[0].y);
  await page.mouse.down();
  for (const corner of [...corners.slice(1), corners[0]]) {
    await page.mouse.move(corner.x, corner.y, { steps: 4 });
  }
  await page.mouse.up();
  const selected = page.getByTestId('expression-selected');
  await expect(selected).toContainText('selected');
  const count = Number((await selected.textContent())!.split(' ')[0]);
  expect(count).toBeGreaterThan(0);
  expect(count).toBeLessThan(Object.keys(truth).length);
});
