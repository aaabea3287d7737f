import { defineConfig } from '@playwright/test';

// The same specs against the Electron app (_electron). Needs the Electron binary (not downloadable in CI here).
process.env.LINEDECK_E2E_TARGET = 'electron';
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  timeout: 120_000,
  workers: 1,
  reporter: [['list']],
  outputDir: '../test-results-electron',
});
