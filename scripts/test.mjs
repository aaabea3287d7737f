#!/usr/bin/env node
// `npm test`: everything that can run here — type check, lint, unit + integration tests (vitest, real PostgreSQL,
// real ONNX), the renderer build, and the Playwright e2e suite in Chromium through the browser host.
// Ends with one line "N passed, N failed" over all test runners.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-test-'));
const bin = (n) => path.join(root, 'node_modules', '.bin', n);
const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };
let passed = 0;
let failed = 0;
let skipped = 0;
const steps = [];

function step(name, cmd, args, extraEnv = {}) {
  const t0 = Date.now();
  console.log(`\n▶ ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  const ok = r.status === 0;
  steps.push({ name, ok, s: ((Date.now() - t0) / 1000).toFixed(1) });
  return ok;
}

const only = process.argv.slice(2);
const want = (s) => only.length === 0 || only.includes(s);

if (want('typecheck')) step('type check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
if (want('lint')) step('lint (rooms: main never imports electron or renderer; renderer only contract types)', bin('eslint'), ['.']);
if (want('models') && !fs.existsSync(path.join(root, 'ml-models', 'linedeck-patchcore-default', 'model.onnx')))
  step('build default models', bin('tsx'), ['ml-models/build/build-default-models.ts']);

if (want('unit')) {
  const out = path.join(tmp, 'vitest.json');
  step('unit + integration tests (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  if (fs.existsSync(out)) {
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    passed += j.numPassedTests;
    failed += j.numFailedTests + (j.numFailedTestSuites ?? 0) * (j.numFailedTests ? 0 : 1);
    skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  } else failed += 1;
}

if (want('e2e')) {
  if (!step('renderer + shell build (electron-vite)', bin('electron-vite'), ['build'])) failed += 1;
  else {
    const out = path.join(tmp, 'playwright.json');
    step('e2e (Playwright, Chromium via the browser host)', bin('playwright'), ['test', '-c', 'e2e/playwright.config.ts'], { PLAYWRIGHT_JSON_OUTPUT_NAME: out });
    if (fs.existsSync(out)) {
      const s = JSON.parse(fs.readFileSync(out, 'utf8')).stats;
      passed += s.expected + (s.flaky ?? 0);
      failed += s.unexpected;
      skipped += s.skipped;
    } else failed += 1;
  }
}

console.log('\nSummary');
for (const s of steps) console.log(`  ${s.ok ? '✓' : '✗'} ${s.name} (${s.s} s)`);
const stepFailures = steps.filter((s) => !s.ok).length;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(failed > 0 || stepFailures > 0 ? 1 : 0);
