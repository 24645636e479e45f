// Two annotators in two browsers on one project, against the real server: each signs in with an
// account, sees the other in the list of people present by account name with their frame, sees
// the other's strokes appear, undoes only their own, and reads both in the history panel.
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  ADMIN,
  createAccount,
  createNoiseProject,
  csrfHeaders,
  localLabels,
  screenPoint,
  screenshot,
  serverLabels,
  signInAs,
  waitForImage,
  waitForLabels,
  waitForSaved,
} from './helpers';

/** A browser of its own, signed in as `who`, open on the project. */
async function openAs(
  browser: Browser,
  who: { username: string; password: string },
  url: string,
): Promise<Page> {
  const context = await browser.newContext({
    storageState: { cookies: [], origins: [] },
    extraHTTPHeaders: {},
  });
  const page = await context.newPage();
  await page.goto(`/login?next=${encodeURIComponent(url)}`);
  await signInAs(page, who);
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
}) => {
  // The owner makes the project and gives it to two annotators.
  const owner = await openAs(browser, ADMIN, '/');
  const id = await createNoiseProject(owner, 'together.npy');
  for (const name of ['alice', 'bob']) {
    await createAccount(owner, name, `${name}-password-1`);
    const added = await owner.request.post(`/api/projects/${id}/members`, {
      headers: await csrfHeaders(owner),
      data: { username: name, role: 'annotator' },
    });
    expect(added.status()).toBe(201);
  }
  await owner.context().close();

  const project = `/project?projectId=${id}`;
  const alice = await openAs(browser, { username: 'alice', password: 'alice-password-1' }, project);
  const bob = await openAs(browser, { username: 'bob', password: 'bob-password-1' }, project);
  await waitForImage(alice);
  await waitForImage(bob);
  await expect(alice.getByTestId('account-name')).toHaveText('Alice');
  await expect(bob.getByTestId('account-name')).toHaveText('Bob');

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
