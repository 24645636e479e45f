// A crowd link opened by someone with no account: they become a guest of that campaign only,
// land on their task, submit it and are shown the completion code the manager can check.
import { expect, request, test } from '@playwright/test';
import { testdata } from './helpers';
import { readFileSync } from 'node:fs';

test('a crowd link signs a guest in, who labels one task and gets a completion code', async ({
  browser,
  baseURL,
}) => {
  const admin = await request.newContext({
    baseURL,
    extraHTTPHeaders: { Authorization: `Bearer ${process.env.E2E_ADMIN_TOKEN}` },
  });
  const made = await admin.post('/api/campaigns', {
    data: { name: 'Crowd nuclei', instructions: 'Outline every nucleus.', gold_rate: 0 },
  });
  const campaign = (await made.json()).id as string;
  const other = (await (await admin.post('/api/campaigns', { data: { name: 'Other' } })).json())
    .id as string;
  const added = await admin.post(`/api/campaigns/${campaign}/images`, {
    multipart: {
      images: {
        name: 'img2d.tif',
        mimeType: 'image/tiff',
        buffer: readFileSync(testdata('stardist/img2d.tif')),
      },
    },
  });
  expect(added.status()).toBe(202);
  const link = await (
    await admin.post(`/api/campaigns/${campaign}/links`, {
      data: { expires_in_hours: 1, max_uses: 5 },
    })
  ).json();

  // No account, no cookie, no token: only the link.
  const context = await browser.newContext({
    storageState: { cookies: [], origins: [] },
    extraHTTPHeaders: {},
  });
  const guest = await context.newPage();
  await guest.goto(`${link.url}?worker=PROLIFIC-42`);
  await guest.waitForURL(/task=/, { timeout: 90_000 });
  await expect(guest.getByTestId('task-instructions')).toHaveText('Outline every nucleus.');

  // A comment the manager pins to the task's image shows as a marker on the canvas.
  const project = new URL(guest.url()).searchParams.get('projectId')!;
  const pinned = await admin.post(`/api/projects/${project}/comments`, {
    data: { frame: 0, x: 40, y: 30, text: 'Is this one cell or two?' },
  });
  expect(pinned.status()).toBe(201);
  await guest.reload();
  await expect(guest.getByTestId('comment-marker')).toHaveAttribute(
    'aria-label',
    'Comment 1 by admin: Is this one cell or two?',
  );
  await guest.getByRole('button', { name: 'Submit task' }).click();
  await expect(guest.getByTestId('task-state')).toHaveText('submitted');
  const shown = await guest.getByTestId('completion-code').textContent();
  const code = shown!.replace('Completion code:', '').trim();
  expect(code).toMatch(/^[0-9A-F]{16}$/);

  // The guest sees its campaign only; the manager can check the code.
  expect((await guest.request.get(`/api/campaigns/${other}`)).status()).toBe(404);
  const mine = await (await guest.request.get('/api/campaigns')).json();
  expect(mine.campaigns.map((c: { id: string }) => c.id)).toEqual([campaign]);
  const check = await (await admin.get(`/api/campaigns/${campaign}/completion/${code}`)).json();
  expect(check).toMatchObject({ valid: true, worker: 'PROLIFIC-42' });
  await admin.dispose();
  await context.close();
});
