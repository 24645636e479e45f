// Two annotators in two browsers on one project, against the real server: each is asked for (or
// linked with) a name, sees the other in the list of people present with their frame, sees the
// other's strokes appear, undoes only their own, and reads both in the history panel.
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  addAccount,
  localLabels,
  noiseNpy,
  screenPoint,
  screenshot,
  serverLabels,
  signIn,
  waitForImage,
  waitForLabels,
  waitForSaved,
} from './helpers';

/** A browser of its own (no name kept yet), signed in as `username` by password, open on the project. */
async function openAs(browser: Browser, url: string, username: string): Promise<Page> {
  const context = await browser.newContext({
    storageState: { cookies: [], origins: [] },
    extraHTTPHeaders: {},
  });
  await signIn(context, username);
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/** Paint `cell` with the brush from (x, y) to (x + 12, y), and wait until it is saved. */
async function brush(page: Page, cell: number, x: number, y: number) {
  await page.evaluate(
    (c) => window.deepcellLabel!.selection.send({ type: 'SELECT', cell: c }),
    cell,
  );
  await page.keyboard.press('b');
  await page.evaluate(() => window.deepcellLabel!.tools.send({ type: 'SET_BRUSH_SIZE', size: 2 }));
  const start = await screenPoint(page, x, y);
  const end = await screenPoint(page, x + 12, y);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(end.x, end.y, { steps: 6 });
  await page.mouse.up();
  await waitForSaved(page);
}

/** The label the browser shows at (x, y) becomes `value` (another browser's edits arrive by polling). */
async function shows(page: Page, x: number, y: number, value: number) {
  await expect
    .poll(async () => (await localLabels(page)).at(x, y), { timeout: 15_000 })
    .toBe(value);
}

test('two annotators: presence, each other’s strokes, undo of one’s own only, history', async ({
  browser,
  request,
}) => {
  const created = await request.post('/api/projects', {
    multipart: {
      images: { name: 'together.npy', mimeType: 'application/octet-stream', buffer: noiseNpy(2) },
      axes: 'ZYX',
    },
  });
  expect(created.status()).toBe(201);
  const id = (await created.json()).id as string;

  // Alice comes by a crowdsourcing link that names her; Bob is asked.
  // Each has an account of their own, with the annotator's role on the project.
  for (const name of ['alice', 'bob']) await addAccount(request, name, id, 'annotator');
  const alice = await openAs(browser, `/project?projectId=${id}&annotator=alice`, 'alice');
  const bob = await openAs(browser, `/project?projectId=${id}`, 'bob');
  await expect(bob.getByTestId('annotator-dialog')).toBeVisible();
  await bob.getByTestId('annotator-input').fill('bob/');
  await bob.getByTestId('annotator-save').click();
  await expect(bob.getByTestId('annotator-dialog')).toContainText('not /');
  await screenshot(bob, 'annotator-dialog');
  await bob.getByTestId('annotator-input').fill('bob');
  await bob.getByTestId('annotator-save').click();
  await waitForImage(alice);
  await waitForImage(bob);
  await expect(alice.getByTestId('annotator-name')).toHaveText('alice');
  await expect(bob.getByTestId('annotator-name')).toHaveText('bob');

  // Each sees the other, with their frame; Bob moves to frame 2 and Alice sees it.
  await expect(alice.getByTestId('viewer-label')).toHaveText('bob · frame 1');
  await expect(bob.getByTestId('viewer-label')).toHaveText('alice · frame 1');
  await bob.keyboard.press('d');
  await expect(alice.getByTestId('viewer-label')).toHaveText('bob · frame 2', { timeout: 10_000 });
  await bob.keyboard.press('a');
  await waitForLabels(bob);

  // Each paints a stroke; each sees the other's appear.
  await brush(alice, 1, 10, 20);
  await brush(bob, 2, 60, 40);
  await shows(alice, 66, 40, 2);
  await shows(bob, 16, 20, 1);

  // Alice undoes: her stroke goes (for both), Bob's stays.
  await alice.getByTestId('undo').click();
  await waitForSaved(alice);
  let stored = await serverLabels(alice, id);
  expect(stored.at(16, 20)).toBe(0);
  expect(stored.at(66, 40)).toBe(2);
  await shows(bob, 16, 20, 0);
  await expect(alice.getByTestId('undo')).toBeDisabled(); // nothing more of hers
  await expect(bob.getByTestId('undo')).toBeEnabled();

  // Bob undoes: his stroke goes; Alice's undone stroke stays undone; then Alice redoes hers.
  await bob.keyboard.press('Control+z');
  await waitForSaved(bob);
  stored = await serverLabels(bob, id);
  expect(stored.at(66, 40)).toBe(0);
  expect(stored.at(16, 20)).toBe(0);
  await alice.keyboard.press('Control+Shift+z');
  await waitForSaved(alice);
  await shows(bob, 16, 20, 1);
  expect((await serverLabels(bob, id)).at(66, 40)).toBe(0);

  // The history panel names who did what, newest first; a click shows where.
  const entries = bob.getByTestId('history-entry');
  await expect(entries).toHaveCount(5);
  await expect(entries.nth(0)).toContainText('alice · redo brush');
  await expect(entries.nth(1)).toContainText('bob · undo brush');
  await expect(entries.nth(3)).toContainText('bob · brush');
  await expect(entries.nth(3)).toHaveAttribute('data-state', 'undone');
  await expect(entries.nth(4)).toContainText('alice · brush');
  await expect(entries.nth(4)).toHaveAttribute('data-state', 'applied');
  await entries.nth(3).click();
  const highlight = bob.getByTestId('history-highlight');
  await expect(highlight).toBeVisible();
  await screenshot(bob, 'together');
  const box = (await highlight.boundingBox())!;
  const stroke = await screenPoint(bob, 66, 40);
  expect(stroke.x).toBeGreaterThan(box.x);
  expect(stroke.x).toBeLessThan(box.x + box.width);

  // Leaving: Bob closes his browser and Alice no longer sees him.
  await bob.context().close();
  await expect(alice.getByTestId('viewer')).toHaveCount(0, { timeout: 15_000 });
  await alice.context().close();
});
