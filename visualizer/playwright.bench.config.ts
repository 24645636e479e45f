// Benchmarks in the browser (run by `python -m bench browser`, never by `npm run test:e2e`): the
// end-to-end settings with only the *.bench.ts files.
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({ ...base, testMatch: '**/*.bench.ts', timeout: 1_800_000 });
