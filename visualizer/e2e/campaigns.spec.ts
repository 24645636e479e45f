// A campaign walked by three people in three browsers: the manager makes it and adds an image,
// the annotator labels and submits, the reviewer pins a comment to a point of the image and
// rejects with a comment, the annotator gets the task back with both, resolves the pinned one and
// submits again, the reviewer accepts, the manager sees it counted.
import { expect, test, type Page } from '@playwright/test';
import { clickPixel, screenPoint, testdata, waitForImage } from './helpers';
import { browserOf } from './people';

/** Start labelling until the task's project is built and given. */
async function startLabelling(page: Page, campaignUrl: string) {
  await expect(async () => {
    await page.goto(campaignUrl);
    await page.getByRole('button', { name: 'Start labelling' }).click();
    await page.waitForURL(/task=/, { timeout: 3_000 });
  }).toPass({ timeout: 90_000 });
}

test('a campaign task walks through reject and accept', async ({ browser, baseURL }) => {
  const image = testdata('stardist/img2d.tif');
  const manager = await browserOf(browser, baseURL!, 'e2e-manager');
  const annotator = await browserOf(browser, baseURL!, 'e2e-annotator');
  const reviewer = await browserOf(browser, baseURL!, 'e2e-reviewer');

  await manager.goto('/campaigns');
  await manager.getByLabel('Name').fill('Nuclei of day 3');
  await manager.getByLabel('Instructions (Markdown)').fill('Outline every nucleus.');
  await manager.getByRole('button', { name: 'Create campaign' }).click();
  await manager.waitForURL(/\/campaign\?id=/);
  const campaignUrl = manager.url();
  await expect(manager.getByTestId('campaign-name')).toHaveText('Nuclei of day 3');

  await manager.getByLabel('Username').fill('e2e-annotator');
  await manager.getByRole('button', { name: 'Add member' }).click();
  await expect(manager.getByTestId('members')).toContainText('e2e-annotator (annotator)');
  await manager.getByLabel('Username').fill('e2e-reviewer');
  await manager.getByRole('combobox').click();
  await manager.getByRole('option', { name: 'reviewer' }).click();
  await manager.getByRole('button', { name: 'Add member' }).click();
  await expect(manager.getByTestId('members')).toContainText('e2e-reviewer (reviewer)');

  await manager.getByTestId('campaign-images').setInputFiles(image);
  await manager.getByRole('button', { name: 'Add 1 image' }).click();
  await expect(manager.getByTestId('images-added')).toHaveText('img2d.tif added', {
    timeout: 60_000,
  });

  // The annotator labels and submits.
  await startLabelling(annotator, campaignUrl);
  await expect(annotator.getByTestId('task-instructions')).toHaveText('Outline every nucleus.');
  await annotator.getByRole('button', { name: 'Submit task' }).click();
  await expect(annotator.getByTestId('task-state')).toHaveText('submitted');

  // The reviewer opens the task and pins a comment to a point of the image.
  await reviewer.goto(campaignUrl);
  const queue = reviewer.getByTestId('review-queue');
  await queue.getByRole('link', { name: 'img2d.tif' }).click();
  await waitForImage(reviewer);
  await reviewer.getByTestId('comment-add').click();
  await clickPixel(reviewer, 120, 80);
  await reviewer.getByTestId('comment-draft-text').fill('This nucleus is two.');
  await reviewer.getByTestId('comment-save').click();
  await expect(reviewer.getByTestId('comment-marker')).toHaveCount(1);
  await expect(reviewer.getByTestId('comment-entry')).toHaveText(
    /1\. e2e-reviewer: This nucleus is two\..*Resolve/,
  );
  const version = await reviewer.evaluate(
    () => window.deepcellLabel!.editQueue.getSnapshot().context.version,
  );

  // The reviewer rejects: first without a comment (refused), then with one.
  await reviewer.goto(campaignUrl);
  await expect(queue.getByRole('row')).toHaveCount(1);
  await queue.getByRole('button', { name: 'Reject' }).click();
  await expect(reviewer.getByRole('alert')).toContainText('comment');
  await queue.getByLabel('Comment').fill('Two nuclei at the top are missing.');
  await queue.getByRole('button', { name: 'Reject' }).click();
  await expect(queue.getByRole('row')).toHaveCount(0);

  // Back to the annotator, with the comment; submitted again.
  await startLabelling(annotator, campaignUrl);
  await expect(annotator.getByTestId('task-rejection')).toContainText(
    'e2e-reviewer: Two nuclei at the top are missing.',
  );
  // The pinned comment is a marker where the reviewer clicked (pinning edited nothing).
  await waitForImage(annotator);
  expect(
    await annotator.evaluate(() => window.deepcellLabel!.editQueue.getSnapshot().context.version),
  ).toBe(version);
  const marker = annotator.getByTestId('comment-marker');
  await expect(marker).toHaveCount(1);
  const tip = await screenPoint(annotator, 120, 80);
  const pin = (await marker.boundingBox())!;
  expect(Math.abs(pin.x + pin.width / 2 - tip.x)).toBeLessThan(pin.width);
  expect(Math.abs(pin.y + pin.height - tip.y)).toBeLessThan(pin.height);
  await marker.click();
  await expect(annotator.getByTestId('comment-card')).toContainText(
    'e2e-reviewer: This nucleus is two.',
  );
  await annotator.getByTestId('comment-resolve').click();
  await expect(marker).toHaveCount(0);
  await expect(annotator.getByTestId('comments-panel')).toContainText('Every comment is resolved.');
  await annotator.getByTestId('comments-show-resolved').click();
  await expect(marker).toHaveAttribute('data-resolved', 'true');
  await expect(annotator.getByTestId('comment-entry')).toContainText('resolved by e2e-annotator');
  await annotator.getByRole('button', { name: 'Submit task' }).click();
  await expect(annotator.getByTestId('task-state')).toHaveText('submitted');

  await reviewer.reload();
  await expect(queue.getByRole('row')).toHaveCount(1);
  // The reviewer sees it resolved, and by whom.
  await queue.getByRole('link', { name: 'img2d.tif' }).click();
  await waitForImage(reviewer);
  await expect(reviewer.getByTestId('comment-marker')).toHaveCount(0);
  await expect(reviewer.getByTestId('comments-panel')).toContainText('0 open');
  await reviewer.getByTestId('comments-show-resolved').click();
  await expect(reviewer.getByTestId('comment-entry')).toContainText('resolved by e2e-annotator');
  await reviewer.goto(campaignUrl);
  await queue.getByRole('button', { name: 'Accept' }).click();
  await expect(queue.getByRole('row')).toHaveCount(0);

  await manager.reload();
  await expect(manager.getByTestId('campaign-counts')).toContainText('accepted 1');
  await expect(manager.getByTestId('annotator-table')).toContainText('e2e-annotator');
});

test('a manager switches pre-segmentation on and off on the campaign page', async ({
  page,
  request,
}) => {
  const made = await request.post('/api/campaigns', { data: { name: 'Pre-segmented nuclei' } });
  expect(made.status()).toBe(201);
  const campaign = (await made.json()).id as string;
  await page.goto(`/campaign?id=${campaign}`);
  const section = page.getByRole('region', { name: 'Pre-segmentation' });
  const setting = section.getByLabel('Pre-segment images nobody has started');
  await expect(setting).not.toBeChecked();
  // The switch follows the server's answer.
  await setting.click();
  await expect(setting).toBeChecked();
  // Kept by the server: the page opened again and the API both say so.
  await page.reload();
  await expect(setting).toBeChecked();
  const described = await request.get(`/api/campaigns/${campaign}`);
  expect((await described.json()).presegment).toBe(true);
  await setting.click();
  await expect(setting).not.toBeChecked();
  await expect
    .poll(async () => (await (await request.get(`/api/campaigns/${campaign}`)).json()).presegment)
    .toBe(false);
  // Before any image is accepted there is nothing to learn from, and the page says so.
  await section.getByRole('button', { name: 'Pre-segment now' }).click();
  await expect(section.getByRole('alert')).toContainText('No image of this campaign is accepted');
});
