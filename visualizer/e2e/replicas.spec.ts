// A reviewer compares two replicas of one campaign image that their annotators drew differently:
// the cells where they disagree are counted and highlighted, and the highlight turns off; then
// the two side by side, both showing the same place, each with its disagreeing cells marked.
import { readFileSync } from 'node:fs';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { canvasColorAt, noiseNpy, testdata, waitForImage } from './helpers';
import { browserOf } from './people';

/** Zoom and pan of each pane of the side-by-side view. */
const paneViews = (page: Page) =>
  page.evaluate(() =>
    window.deepcellLabelPair!.map((s) => {
      const { zoom, x, y } = s.viewport.getSnapshot().context;
      return { zoom, x, y };
    }),
  );

async function ok<T>(answer: Promise<import('@playwright/test').APIResponse>): Promise<T> {
  const response = await answer;
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()) as T;
}

/** The annotator takes their next task (once it is built), brushes cells, and submits. */
async function label(page: Page, campaign: string, cells: [number, [number, number], number?][]) {
  let given: { task: { id: number }; project: string } | null = null;
  await expect(async () => {
    const answer = await page.request.post(`/api/campaigns/${campaign}/next`);
    expect(answer.status()).toBe(200);
    given = await answer.json();
  }).toPass({ timeout: 90_000 });
  const { task, project } = given!;
  for (const [cell, point, frame = 0] of cells) {
    await ok(
      page.request.post(`/api/projects/${project}/edits`, {
        data: { action: 'brush', args: { points: [point], brush_size: 8, cell }, frame },
      }),
    );
  }
  await ok(page.request.post(`/api/tasks/${task.id}/submit`));
}

/** A campaign of two replicas of one image, with two annotators and a reviewer. */
async function twoReplicas(
  browser: Browser,
  baseURL: string,
  image: { name: string; mimeType: string; buffer: Buffer },
) {
  const manager = await browserOf(browser, baseURL, 'e2e-replica-manager');
  const ann = await browserOf(browser, baseURL, 'e2e-replica-ann');
  const bo = await browserOf(browser, baseURL, 'e2e-replica-bo');
  const reviewer = await browserOf(browser, baseURL, 'e2e-replica-reviewer');
  const { id: campaign } = await ok<{ id: string }>(
    manager.request.post('/api/campaigns', {
      data: { name: 'Two replicas', replicas: 2, review_share: 1.0, gold_rate: 0.0 },
    }),
  );
  for (const [username, role] of [
    ['e2e-replica-ann', 'annotator'],
    ['e2e-replica-bo', 'annotator'],
    ['e2e-replica-reviewer', 'reviewer'],
  ]) {
    await ok(
      manager.request.post(`/api/campaigns/${campaign}/members`, { data: { username, role } }),
    );
  }
  await ok(
    manager.request.post(`/api/campaigns/${campaign}/images`, { multipart: { images: image } }),
  );
  return { ann, bo, reviewer, campaign };
}

/** The reviewer opens the image's replicas from the review queue (`link`: how). */
async function compare(reviewer: Page, campaign: string, link: string) {
  await reviewer.goto(`/campaign?id=${campaign}`);
  const queue = reviewer.getByTestId('review-queue');
  await expect(queue.getByRole('row')).toHaveCount(2);
  await queue.getByRole('link', { name: link }).first().click();
}

test('a reviewer sees where two replicas disagree', async ({ browser, baseURL }) => {
  const image = testdata('stardist/img2d.tif');
  const { ann, bo, reviewer, campaign } = await twoReplicas(browser, baseURL!, {
    name: 'img2d.tif',
    mimeType: 'image/tiff',
    buffer: readFileSync(image),
  });

  // Both draw a cell at the same place; Ann draws a second one Bo does not have.
  await label(ann, campaign, [
    [1, [100, 100]],
    [2, [300, 300]],
  ]);
  await label(bo, campaign, [[1, [100, 100]]]);

  await compare(reviewer, campaign, 'Compare replicas');
  await waitForImage(reviewer);

  // One of the two is Ann's: one cell disagrees there, none in Bo's.
  const seen: string[] = [];
  for (const step of [0, 1]) {
    if (step) {
      await reviewer.getByTestId('review-next').click();
      await waitForImage(reviewer);
    }
    const notice = reviewer.getByTestId('disagreement');
    await expect(notice).toContainText(/cells? disagrees? with replica \d/);
    const cells = (await notice.getAttribute('data-cells')) ?? '';
    seen.push(cells);
    if (cells !== '2') {
      await expect(notice).toContainText('0 cells disagree with replica');
      continue;
    }
    await expect(notice).toContainText('1 cell disagrees with replica');
    // The highlight: the disagreeing cell is drawn stronger, and less once turned off.
    const highlighted = await canvasColorAt(reviewer, 300, 300);
    await reviewer.getByTestId('disagreement-toggle').click();
    await expect(notice).toHaveAttribute('data-shown', 'false');
    await expect.poll(() => canvasColorAt(reviewer, 300, 300)).not.toEqual(highlighted);
    // The cell both drew is drawn the same either way.
    const agreed = await canvasColorAt(reviewer, 100, 100);
    await reviewer.getByTestId('disagreement-toggle').click();
    await expect(notice).toHaveAttribute('data-shown', 'true');
    await expect.poll(() => canvasColorAt(reviewer, 300, 300)).toEqual(highlighted);
    expect(await canvasColorAt(reviewer, 100, 100)).toEqual(agreed);
  }
  expect(seen.sort()).toEqual(['', '2']);

  // Side by side: both replicas at once, each with the cells that disagree with the other.
  await reviewer.getByTestId('view-side').click();
  const judged = reviewer.getByTestId('pane-judged');
  const beside = reviewer.getByTestId('pane-beside');
  await expect(judged.getByTestId('image-canvas')).toBeVisible();
  await expect(beside.getByTestId('image-canvas')).toBeVisible();
  await reviewer.waitForFunction(
    () =>
      window.deepcellLabelPair?.length === 2 &&
      window.deepcellLabelPair.every((s) => s.canvas.firstImageShown && s.image.complete()),
    null,
    { timeout: 60_000 },
  );
  expect(await judged.getAttribute('data-project')).not.toEqual(
    await beside.getAttribute('data-project'),
  );
  const cellsOf = async (pane: typeof judged) => {
    const notice = pane.getByTestId('disagreement');
    await expect(notice).toContainText(/cells? disagrees? with replica \d/);
    return (await notice.getAttribute('data-cells')) ?? '';
  };
  const paneCells = [await cellsOf(judged), await cellsOf(beside)];
  expect([...paneCells].sort()).toEqual(['', '2']);
  const annIndex = paneCells.indexOf('2');
  const annPane = annIndex === 0 ? judged : beside;

  // Zooming or panning one pane moves the other the same way.
  const before = (await paneViews(reviewer))[0];
  const box = (await beside.getByTestId('canvas-container').boundingBox())!;
  await reviewer.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await reviewer.mouse.wheel(0, -400);
  await expect.poll(async () => (await paneViews(reviewer))[1].zoom).toBeGreaterThan(before.zoom);
  await expect
    .poll(async () => {
      const [first, second] = await paneViews(reviewer);
      return first.zoom === second.zoom && first.x === second.x && first.y === second.y;
    })
    .toBe(true);
  const zoomed = (await paneViews(reviewer))[0];
  const judgedBox = (await judged.getByTestId('canvas-container').boundingBox())!;
  await reviewer.mouse.move(judgedBox.x + 100, judgedBox.y + 100);
  await reviewer.mouse.down({ button: 'right' });
  await reviewer.mouse.move(judgedBox.x + 140, judgedBox.y + 130, { steps: 4 });
  await reviewer.mouse.up({ button: 'right' });
  const [panned, follower] = await paneViews(reviewer);
  expect(panned.x).not.toEqual(zoomed.x);
  expect(follower).toEqual(panned);

  // Ann's disagreeing cell is highlighted in her pane, and less once its highlight is off.
  await reviewer.evaluate(() =>
    window.deepcellLabelPair!.forEach((s) => s.viewport.send({ type: 'FIT' })),
  );
  const marked = await canvasColorAt(reviewer, 300, 300, annIndex);
  await annPane.getByTestId('disagreement-toggle').click();
  await expect.poll(() => canvasColorAt(reviewer, 300, 300, annIndex)).not.toEqual(marked);
  await annPane.getByTestId('disagreement-toggle').click();
  await expect.poll(() => canvasColorAt(reviewer, 300, 300, annIndex)).toEqual(marked);

  // Back to one at a time.
  await reviewer.getByTestId('view-one').click();
  await expect(judged).toHaveCount(0);
  await waitForImage(reviewer);
  await expect(reviewer.getByTestId('disagreement')).toHaveCount(1);
});

test('replicas of a movie are compared on the frame shown', async ({ browser, baseURL }) => {
  const { ann, bo, reviewer, campaign } = await twoReplicas(browser, baseURL!, {
    name: 'movie.npy',
    mimeType: 'application/octet-stream',
    buffer: noiseNpy(3, 64, 96),
  });
  // Both draw cell 1 on every frame; on the last, Ann draws cell 5 too, which Bo has not.
  const everyFrame: [number, [number, number], number][] = [0, 1, 2].map((t) => [1, [20, 20], t]);
  await label(ann, campaign, [...everyFrame, [5, [70, 40], 2]]);
  await label(bo, campaign, everyFrame);

  await compare(reviewer, campaign, 'Side by side');
  const panes = [reviewer.getByTestId('pane-judged'), reviewer.getByTestId('pane-beside')];
  for (const pane of panes) {
    await expect(pane.getByTestId('disagreement')).toHaveAttribute('data-frame', '0');
    await expect(pane.getByTestId('disagreement')).toContainText(
      'frame 1: 0 cells disagree with replica',
    );
  }
  // The last frame, chosen once, in both panes: Ann's cell 5 disagrees there.
  await reviewer.getByTestId('frame-slider').click();
  await reviewer.keyboard.press('End');
  await expect(reviewer.getByTestId('frame-label')).toContainText('Frame 3 / 3');
  const cells: string[] = [];
  for (const pane of panes) {
    const notice = pane.getByTestId('disagreement');
    await expect(notice).toHaveAttribute('data-frame', '2');
    await expect(notice).toContainText(/frame 3: \d cells? disagrees? with replica/);
    cells.push((await notice.getAttribute('data-cells')) ?? '');
  }
  expect(cells.sort()).toEqual(['', '5']);

  // One at a time, the frame shown is compared too.
  await reviewer.getByTestId('view-one').click();
  await waitForImage(reviewer);
  const notice = reviewer.getByTestId('disagreement');
  await expect(notice).toHaveAttribute('data-frame', '0');
  await reviewer.keyboard.press('d');
  await reviewer.keyboard.press('d');
  await expect(reviewer.getByTestId('frame-label')).toContainText('Frame 3 / 3');
  await expect(notice).toHaveAttribute('data-frame', '2');
  expect(cells).toContain(await notice.getAttribute('data-cells'));
});
