// A campaign walked by three people in three browsers: the manager makes it and adds an image,
// the annotator labels and submits, the reviewer rejects with a comment, the annotator gets the
// task back with it and submits again, the reviewer accepts, the manager sees it counted.
import { expect, test, type Page } from '@playwright/test';
import { testdata } from './helpers';
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

  // The reviewer rejects: first without a comment (refused), then with one.
  await reviewer.goto(campaignUrl);
  const queue = reviewer.getByTestId('review-queue');
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
  await annotator.getByRole('button', { name: 'Submit task' }).click();
  await expect(annotator.getByTestId('task-state')).toHaveText('submitted');

  await reviewer.reload();
  await expect(queue.getByRole('row')).toHaveCount(1);
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
