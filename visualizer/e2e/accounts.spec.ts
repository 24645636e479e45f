// A browser signed in by password (a session cookie, no API token): the app reads its CSRF
// token and sends it with every change, so brushing, undo and presence work; signed out, the
// server refuses it.
import { writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import {
  addAccount,
  signIn,
  screenPoint,
  noiseNpy,
  uploadThroughHome,
  waitForSaved,
} from './helpers';

test('a password-signed-in browser edits with its session cookie and CSRF token', async ({
  browser,
  request,
  baseURL,
}) => {
  // A browser of its own without the API token (its name known, as after the first visit).
  const owner = await browser.newContext({
    extraHTTPHeaders: {},
    storageState: {
      cookies: [],
      origins: [
        {
          origin: baseURL!,
          localStorage: [{ name: 'deepcell-label-annotator', value: 'casey' }],
        },
      ],
    },
  });
  await addAccount(request, 'casey');
  const session = await signIn(owner, 'casey');
  expect(session.csrf_token).toBeTruthy();
  const page = await owner.newPage();
  const me = await page.request.get('/api/auth/me');
  expect((await me.json()).username).toBe('casey');

  const image = test.info().outputPath('blank.npy');
  writeFileSync(image, noiseNpy(1));
  await uploadThroughHome(page, image);
  const id = new URL(page.url()).searchParams.get('projectId')!;
  // The creator owns it: listed as theirs.
  const mine = await (await page.request.get('/api/projects')).json();
  expect(mine.projects[0]).toMatchObject({ id, role: 'owner' });

  // A brush stroke is saved (the app sent X-CSRF-Token), by casey.
  await page.evaluate(() => window.deepcellLabel!.selection.send({ type: 'SELECT', cell: 1 }));
  await page.keyboard.press('b');
  const start = await screenPoint(page, 10, 20);
  const end = await screenPoint(page, 22, 20);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(end.x, end.y, { steps: 4 });
  await page.mouse.up();
  await waitForSaved(page);
  const history = await (await page.request.get(`/api/projects/${id}/edits?since=0`)).json();
  expect(history.edits).toHaveLength(1);
  expect(history.edits[0]).toMatchObject({ action: 'brush', author: 'casey' });

  // Without the token a change is refused; a stranger does not see the project.
  const forged = await page.request.post(`/api/projects/${id}/undo`, { data: {} });
  expect(forged.status()).toBe(403);
  const stranger = await browser.newContext({ extraHTTPHeaders: {} });
  await addAccount(request, 'stranger');
  await signIn(stranger, 'stranger');
  expect((await stranger.request.get(`/api/projects/${id}`)).status()).toBe(404);

  // Signed out, the cookie opens nothing.
  const out = await page.request.post('/api/auth/logout', {
    headers: { 'X-CSRF-Token': session.csrf_token },
  });
  expect(out.status()).toBe(204);
  expect((await page.request.get(`/api/projects/${id}`)).status()).toBe(401);
  await owner.close();
  await stranger.close();
});
