import { defineConfig } from '@playwright/test';

// Chromium (Debian's /usr/bin/chromium) through the browser host; one worker = one station.
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list'], ['json']],
  outputDir: '../test-results',
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
});
