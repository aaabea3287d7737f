import { defineConfig } from 'vitest/config';

// One embedded PostgreSQL per run (main/testing/global-setup.ts); every test file gets its own database.
export default defineConfig({
  test: {
    include: ['main/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/src/**/*.test.{ts,tsx}', 'ml-models/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    globalSetup: ['main/testing/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
