// End-to-end tests: the real Flask server (scripts/serve.sh) with a fresh data folder, serving the
// built app, driven by Debian's Chromium (never a downloaded browser).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT ?? 5187);
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'deepcell-label-e2e-'));
// The server's first start makes the admin with this token and password (the workers, which
// load this file again, inherit the token through the environment).
process.env.E2E_ADMIN_TOKEN ??= `dcl_e2e_${randomBytes(32).toString('base64url')}`;
process.env.E2E_ADMIN_PASSWORD ??= `e2e ${randomBytes(12).toString('base64url')}`;
// A real OpenID Connect provider beside the server (tests/oidc_provider.py), with this server as
// its client and one person, for the single sign-on test; its issuer is "localhost" so that its
// cookies and the server's (on 127.0.0.1) stay apart.
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? port + 1);
process.env.E2E_OIDC_PASSWORD ??= `sso ${randomBytes(12).toString('base64url')}`;
const oidc = {
  OIDC_CLIENT_ID: 'deepcell-label-e2e',
  OIDC_CLIENT_SECRET: (process.env.E2E_OIDC_SECRET ??= randomBytes(24).toString('base64url')),
};

export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  outputDir: 'test-results/playwright',
  timeout: 180_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    extraHTTPHeaders: { Authorization: `Bearer ${process.env.E2E_ADMIN_TOKEN}` },
    // Every test browser and API request is signed in as the admin by its API token, and holds
    // the admin's session cookie (e2e/global-setup.ts) for what a browser fetches without that
    // header (downloads); accounts.spec.ts and together.spec.ts sign in by password alone.
    storageState: 'test-results/e2e-admin-state.json',
    viewport: { width: 1280, height: 720 },
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-gl=angle',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
      ],
    },
  },
  webServer: [
    {
      command: `.venv/bin/python tests/oidc_provider.py ${oidcPort} http://127.0.0.1:${port}/api/auth/oidc/callback`,
      cwd: '..',
      url: `http://localhost:${oidcPort}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        ...oidc,
        OIDC_USERNAME: 'sandra.lee',
        OIDC_PASSWORD: process.env.E2E_OIDC_PASSWORD,
      },
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: 'bash scripts/serve.sh',
      cwd: '..',
      url: `http://127.0.0.1:${port}/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      // A creation answers 202 when its build takes longer than 10 s: the large project's test
      // follows the build's progress on the project page.
      env: {
        PORT: String(port),
        DATA_DIR: dataDir,
        ALLOW_PRIVATE_URLS: 'true',
        CREATE_WAIT_SECONDS: '10',
        LOG_LEVEL: 'WARNING',
        ADMIN_TOKEN: process.env.E2E_ADMIN_TOKEN,
        ADMIN_PASSWORD: process.env.E2E_ADMIN_PASSWORD,
        ...oidc,
        OIDC_ISSUER: `http://localhost:${oidcPort}/`,
        OIDC_PROVIDER_NAME: 'Lab Account',
        OIDC_ALLOW_SIGNUP: 'true',
      },
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
