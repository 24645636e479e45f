// People of the campaign tests, each in a browser of their own, signed in by their own token.
import { expect, request, type Browser, type Page } from '@playwright/test';

const PASSWORD = 'correct horse battery staple';

/** A new account (made by the site admin) and an API token of its own. */
async function account(baseURL: string, username: string): Promise<string> {
  const admin = await request.newContext({
    baseURL,
    extraHTTPHeaders: { Authorization: `Bearer ${process.env.E2E_ADMIN_TOKEN}` },
  });
  const made = await admin.post('/api/users', { data: { username, password: PASSWORD } });
  expect([201, 409]).toContain(made.status());
  await admin.dispose();
  // Signed in by its own password only: none of the admin's token or cookie.
  const own = await request.newContext({
    baseURL,
    extraHTTPHeaders: {},
    storageState: { cookies: [], origins: [] },
  });
  const signed = await own.post('/api/auth/login', { data: { username, password: PASSWORD } });
  expect(signed.status()).toBe(200);
  const csrf = (await signed.json()).csrf_token;
  const token = await own.post('/api/auth/tokens', {
    data: { name: 'e2e' },
    headers: { 'X-CSRF-Token': csrf },
  });
  const secret = (await token.json()).token as string;
  await own.dispose();
  return secret;
}

export async function browserOf(
  browser: Browser,
  baseURL: string,
  username: string,
): Promise<Page> {
  const token = await account(baseURL, username);
  // This person's token only: not the admin's session cookie that other specs' pages hold.
  const context = await browser.newContext({
    storageState: { cookies: [], origins: [] },
    extraHTTPHeaders: { Authorization: `Bearer ${token}` },
  });
  return context.newPage();
}
