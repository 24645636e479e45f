// Accounts in the browser, against the real server: signing in (and being refused), API tokens
// shown once, sharing a project with a second account who may only look, the admins' accounts
// page, signing out; and a browser signed in by password edits with its cookie and CSRF token.
import { writeFileSync } from 'node:fs';
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  ADMIN,
  addAccount,
  createAccount,
  noiseNpy,
  screenPoint,
  signIn,
  uploadThroughHome,
  waitForSaved,
  createNoiseProject,
  screenshot,
  signInAs,
  waitForImage,
} from './helpers';

/** Neither a cookie nor the admin's API token that the other tests' browsers carry. */
const SIGNED_OUT = { storageState: { cookies: [], origins: [] }, extraHTTPHeaders: {} };

/** A signed-out browser of its own, for a second person. */
async function newPerson(browser: Browser): Promise<Page> {
  const context = await browser.newContext(SIGNED_OUT);
  return context.newPage();
}

test.describe('signed out at first', () => {
  test.use(SIGNED_OUT);

  test('sign in: a protected page asks for it, a wrong password is told, then back to the page', async ({
    page,
  }) => {
    await page.goto('/projects');
    await page.waitForURL('**/login?next=%2Fprojects');
    await page.getByTestId('login-username').fill(ADMIN.username);
    await page.getByTestId('login-password').fill('not the password');
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('login-error')).toHaveText(
      'The username or the password is wrong.',
    );
    await screenshot(page, 'sign-in-refused');
    await page.getByTestId('login-password').fill(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL('**/projects');
    await expect(page.getByTestId('account-name')).toHaveText(ADMIN.username);
    // The home page links to the person's projects.
    await page.goto('/');
    await page.getByTestId('my-projects-link').click();
    await page.waitForURL('**/projects');
  });

  test('single sign-on: the provider’s own sign-in page, then back here signed in', async ({
    page,
    baseURL,
  }) => {
    // The provider (tests/oidc_provider.py) knows one person, who has no account here yet.
    await page.goto('/projects');
    await page.waitForURL('**/login?next=%2Fprojects');
    const button = page.getByTestId('login-sso');
    await expect(button).toHaveText('Sign in with Lab Account');
    await button.click();
    await page.waitForURL((url) => url.origin !== new URL(baseURL!).origin);
    await page.getByLabel('Login').fill('sandra.lee');
    await page.getByRole('button', { name: /continue/i }).click();
    await page.getByLabel('Password', { exact: true }).fill(process.env.E2E_OIDC_PASSWORD!);
    await page.getByRole('button', { name: /sign in/i }).click();
    await screenshot(page, 'sso-consent');
    await page.getByRole('button', { name: /accept/i }).click();
    await page.waitForURL(`${baseURL}/projects`);
    await expect(page.getByTestId('account-name')).toHaveText('Sandra Lee');
    const me = await (await page.request.get('/api/auth/me')).json();
    // The provider's preferred username is its display name, with a space: the e-mail names it.
    expect(me.username).toBe('sandra');
  });

  test('sign in: a link to another site is not followed afterwards', async ({ page, baseURL }) => {
    await page.goto('/login?next=//evil.example/steal');
    await signInAs(page, ADMIN);
    expect(page.url()).toBe(`${baseURL}/`);
  });

  test('too many wrong passwords: told to wait, with the seconds', async ({ page }) => {
    await signInAs(page, ADMIN);
    const flood = await createAccount(page, 'flooded', 'right-password-1');
    const other = await newPerson(page.context().browser()!);
    await other.goto('/login');
    await other.getByTestId('login-username').fill(flood.username);
    const error = other.getByTestId('login-error');
    for (let attempt = 0; attempt < 8; attempt++) {
      await other.getByTestId('login-password').fill(`wrong ${attempt}`);
      // This attempt's answer, not the last one's message still on the page, says what next.
      const answered = other.waitForResponse((answer) => answer.url().endsWith('/api/auth/login'));
      await other.getByTestId('login-submit').click();
      if ((await answered).status() === 429) break;
      await expect(error).toHaveText('The username or the password is wrong.');
      await expect(other.getByTestId('login-submit')).toBeEnabled();
    }
    await expect(error).toHaveText(/^Too many attempts, try again in \d+ s\.$/);
    await expect(other.getByTestId('login-submit')).toBeDisabled();
    await screenshot(other, 'sign-in-throttled');
    await other.context().close();
  });

  test('API tokens: created, shown and copied once, used, listed, revoked', async ({
    page,
    context,
  }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signInAs(page, ADMIN);
    await page.getByTestId('account-menu').click();
    await page.getByTestId('menu-tokens').click();
    await page.waitForURL('**/tokens');
    await page.getByTestId('token-name').fill('nightly pipeline');
    await page.getByTestId('token-create').click();
    const shown = page.getByTestId('new-token');
    await expect(shown).toBeVisible();
    const secret = await shown.inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(22); // at least 128 random bits
    await page.getByTestId('new-token-copy').click();
    await expect(page.getByTestId('new-token-copy')).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await screenshot(page, 'token-created');

    // The token works for a script, without the browser's cookie.
    const bearer = { Authorization: `Bearer ${secret}` };
    const script = await page.context().browser()!.newContext(SIGNED_OUT);
    const asScript = await script.request.get('/api/auth/me', { headers: bearer });
    expect(asScript.status()).toBe(200);
    expect((await asScript.json()).username).toBe(ADMIN.username);

    // Shown once: dismissed or reloaded, the secret is nowhere on the page; the token is listed.
    await page.getByTestId('new-token-box').getByRole('button', { name: 'Close' }).click();
    await expect(shown).toHaveCount(0);
    await page.reload();
    const row = page.getByTestId('token-row').filter({ hasText: 'nightly pipeline' });
    await expect(row).toHaveCount(1);
    expect(await page.content()).not.toContain(secret);

    await row.getByTestId('token-revoke').click();
    await expect(row).toHaveCount(0);
    const revoked = await script.request.get('/api/auth/me', { headers: bearer });
    expect(revoked.status()).toBe(401);
    await script.close();
  });

  test('sharing: a viewer sees the project in My projects, may look but not edit', async ({
    page,
    browser,
  }) => {
    await signInAs(page, ADMIN);
    const viewer = await createAccount(page, 'vera', 'vera-password-1');
    const id = await createNoiseProject(page, 'shared noise.npy');

    // The owner shares it with Vera as a viewer, and makes and revokes a link.
    await page.goto(`/project?projectId=${id}`);
    await waitForImage(page);
    await page.getByTestId('share').click();
    const dialog = page.getByTestId('share-dialog');
    await dialog.getByTestId('member-username').fill(viewer.username);
    await dialog.getByTestId('member-role').selectOption('viewer');
    await dialog.getByTestId('member-add').click();
    const vera = dialog.locator('[data-testid="member-row"][data-username="vera"]');
    await expect(vera.getByTestId('member-row-role')).toHaveValue('viewer');
    await dialog.getByTestId('member-username').fill('nobody-of-that-name');
    await dialog.getByTestId('member-add').click();
    await expect(dialog.getByTestId('member-error')).toContainText('nobody-of-that-name');

    await dialog.getByTestId('link-role').selectOption('annotator');
    await dialog.getByTestId('link-create').click();
    const link = await dialog.getByTestId('new-link').inputValue();
    expect(link).toMatch(new RegExp(`/project\\?projectId=${id}&share=`));
    await expect(dialog.getByTestId('link-row')).toHaveCount(1);
    await screenshot(page, 'share-dialog');
    await dialog.getByTestId('link-revoke').click();
    await expect(dialog.getByTestId('link-row')).toHaveCount(0);
    await dialog.getByTestId('share-close').click();

    // Vera signs in, finds it among her projects as a viewer, opens it: view only.
    const other = await newPerson(browser);
    await other.goto('/projects');
    await other.waitForURL('**/login?next=%2Fprojects');
    await signInAs(other, viewer);
    await other.waitForURL('**/projects');
    const row = other.locator(`[data-testid="project-row"][data-project="${id}"]`);
    await expect(row.getByTestId('project-role')).toHaveText('viewer');
    await expect(row).toContainText('shared noise.npy');
    await expect(row).toContainText('96 × 64, 2 frames, 1 channel');
    await expect(row.getByTestId('project-delete')).toHaveCount(0); // only its owner deletes it
    await row.getByTestId('project-open').click();
    await waitForImage(other);
    await expect(other.getByTestId('view-only')).toBeVisible();
    await expect(other.getByTestId('tool-brush')).toBeDisabled();
    await expect(other.getByTestId('submit')).toBeDisabled();
    await expect(other.getByTestId('share')).toHaveCount(0);
    // What a viewer may not do is disabled, each part with its reason.
    const reasons = other.getByTestId('view-only-reason');
    await expect(reasons).toHaveText([
      'View only: segmenting needs the annotator role.',
      'View only: linking needs the annotator role.',
    ]);
    await expect(other.getByTestId('segment-run')).toBeDisabled();
    await expect(other.getByTestId('match-previous')).toBeDisabled();
    await expect(other.getByTestId('rename-channel')).toBeDisabled();
    await expect(
      other.getByText('View only: renaming a channel needs the annotator role.'),
    ).toBeVisible();
    await other.getByTestId('tab-learn').click();
    await expect(reasons).toHaveCount(3);
    await expect(other.getByTestId('learn-embed')).toBeDisabled();
    expect((await other.request.get(`/api/projects/${id}`).then((r) => r.json())).role).toBe(
      'viewer',
    );
    const versionBefore = (await other.request.get(`/api/projects/${id}`).then((r) => r.json()))
      .version;
    await other.evaluate(() => window.deepcellLabel!.edits.send('delete', { cell: 1 }));
    await expect(other.getByText(/^View only: you may look/)).toBeVisible();
    await screenshot(other, 'view-only');
    const versionAfter = (await other.request.get(`/api/projects/${id}`).then((r) => r.json()))
      .version;
    expect(versionAfter).toBe(versionBefore);
    await other.context().close();
  });

  test('the admins’ page: add an account, set its password, deactivate it', async ({
    page,
    browser,
  }) => {
    await signInAs(page, ADMIN);
    await page.getByTestId('account-menu').click();
    await page.getByTestId('menu-admin').click();
    await page.waitForURL('**/admin');
    await page.getByTestId('new-username').fill('carol');
    await page.getByTestId('new-display-name').fill('Carol C');
    await page.getByTestId('new-password').fill('carol-first-password');
    await page.getByTestId('account-add').click();
    const carol = page.locator('[data-testid="account-row"][data-username="carol"]');
    await expect(carol.getByTestId('account-state')).toHaveText('active');

    await carol.getByTestId('account-reset').click();
    await page.getByTestId('reset-password').fill('carol-second-password');
    await page.getByTestId('reset-save').click();
    await expect(page.getByTestId('accounts-done')).toContainText('carol has a new password');

    const other = await newPerson(browser);
    await signInAs(other, { username: 'carol', password: 'carol-second-password' });
    await expect(other.getByTestId('account-name')).toHaveText('Carol C');
    await expect(other.getByTestId('menu-admin')).toHaveCount(0);
    await other.context().close();

    await carol.getByTestId('account-deactivate').click();
    await expect(carol.getByTestId('account-state')).toHaveText('deactivated');
    await screenshot(page, 'admin-accounts');
    const again = await newPerson(browser);
    await again.goto('/login');
    await again.getByTestId('login-username').fill('carol');
    await again.getByTestId('login-password').fill('carol-second-password');
    await again.getByTestId('login-submit').click();
    await expect(again.getByTestId('login-error')).toBeVisible();
    await again.context().close();
  });

  test('My projects: a project is deleted after a confirmation, for everyone', async ({ page }) => {
    await signInAs(page, ADMIN);
    const id = await createNoiseProject(page, 'to delete.npy');
    await page.goto('/projects');
    const row = page.locator(`[data-testid="project-row"][data-project="${id}"]`);
    await row.getByTestId('project-delete').click();
    await page.getByTestId('delete-cancel').click();
    await expect(page.getByTestId('delete-dialog')).toHaveCount(0);
    await expect(row).toHaveCount(1);
    await row.getByTestId('project-delete').click();
    await expect(page.getByTestId('delete-dialog')).toContainText('Delete to delete.npy?');
    await screenshot(page, 'delete-project');
    await page.getByTestId('delete-confirm').click();
    await expect(row).toHaveCount(0);
    expect((await page.request.get(`/api/projects/${id}`)).status()).toBe(404);
    await page.goto(`/project?projectId=${id}`);
    await expect(page.getByTestId('project-error')).toContainText('There is no project');
  });

  test('signing out ends the session; a protected page then asks to sign in', async ({ page }) => {
    await signInAs(page, ADMIN);
    await page.goto('/tokens');
    await page.getByTestId('account-menu').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL('**/login');
    expect((await page.request.get('/api/auth/me')).status()).toBe(401);
    await page.goto('/tokens');
    await page.waitForURL('**/login?next=%2Ftokens');
    await expect(page.getByTestId('login-submit')).toBeVisible();
  });
});

test('a password-signed-in browser edits with its session cookie and CSRF token', async ({
  browser,
  request,
}) => {
  // A browser of its own without the API token.
  const owner = await browser.newContext(SIGNED_OUT);
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
