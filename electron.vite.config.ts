import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { cliBundleStamp } from './scripts/cli-bundle.mjs';

// Three builds, one per runtime: the Electron shell (main process: electron/main; beside it the backend process
// and the CLI with the Node services of main/),
// the preload bridge, and the renderer (also served by the browser host for Playwright and development).
export default defineConfig({
  main: {
    // out/electron/main/cli-stamp.json: what cli.js was built from, so `npm run linedeck` runs it only while current
    plugins: [cliBundleStamp(__dirname)],
    build: {
      outDir: 'out/electron/main',
      // packages load from node_modules, except zod: bundled, it is one chunk of what the code uses instead of the
      // ~100 modules (every locale) of `import { z } from 'zod'` — about 0.1 s CPU of every CLI command that reads
      // config.json (bench/cli)
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: {
          // package.json "main": `--cli` runs the command line without a window, else the console (index)
          entry: resolve(__dirname, 'electron/main/entry.ts'),
          index: resolve(__dirname, 'electron/main/index.ts'),
          cli: resolve(__dirname, 'main/cli/bin.ts'),
          // the backend process (utilityProcess.fork): the station's services; Electron main only relays to it
          backend: resolve(__dirname, 'main/backend/entry.ts'),
          // the browser host (`npm start` without Electron): runs built when current, like the CLI (scripts/start.mjs)
          host: resolve(__dirname, 'main/host/bin.ts'),
          // the inspection engine's worker thread, next to index.js (engine.ts looks for worker.js beside itself)
          worker: resolve(__dirname, 'main/inspection/engine/worker.ts'),
        },
        // shared chunks beside the entries, so import.meta.url-relative lookups (worker.js, resources) hold
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'electron/preload/index.ts') }, output: { format: 'cjs' } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    base: './',
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: resolve(__dirname, 'renderer/index.html') },
    },
    plugins: [react()],
  },
});
