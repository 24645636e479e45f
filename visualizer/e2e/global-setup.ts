// Before the browser tests: sign the admin in by password once and keep the session cookie, so
// that what a browser fetches without the API token header (a download it saves) is signed in
// too, as in a real browser. The name the app asks for is kept as after a first visit.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { request, type FullConfig } from '@playwright/test';

export const ADMIN_STATE = 'test-results/e2e-admin-state.json';

export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  const context = await request.newContext({ baseURL });
  const answer = await context.post('/api/auth/login', {
    data: { username: 'admin', password: process.env.E2E_ADMIN_PASSWORD },
  });
  if (answer.status() !== 200) throw new Error(`admin sign-in: ${await answer.text()}`);
  const state = await context.storageState();
  state.origins = [
    { origin: baseURL, localStorage: [{ name: 'deepcell-label-annotator', value: 'e2e' }] },
  ];
  mkdirSync(dirname(ADMIN_STATE), { recursive: true });
  writeFileSync(ADMIN_STATE, JSON.stringify(state));
  await context.dispose();
}
