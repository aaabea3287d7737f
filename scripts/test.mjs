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

/**
 * The e2e suite's browser: CHROMIUM_PATH, Debian's Chromium, or Playwright's own build; when none is there it is
 * provisioned (Debian's package when root with apt-get, else `playwright install chromium`), else one line says what
 * to install. Returns the executable, which the specs read from CHROMIUM_PATH.
 */
async function browser() {
  const find = async () => {
    for (const c of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (c && fs.existsSync(c)) return c;
    try {
      const { chromium } = await import('@playwright/test');
      const p = chromium.executablePath();
      if (p && fs.existsSync(p)) return p;
    } catch {
      /* no Playwright build known */
    }
    return null;
  };
  let exe = await find();
  if (exe) return exe;
  const quiet = { cwd: root, stdio: 'inherit', env };
  if (process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get')) {
    console.log('\n▶ no Chromium found: installing Debian’s chromium package (apt-get)');
    spawnSync('apt-get', ['update', '-qq'], quiet);
    spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { ...quiet, env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } });
    exe = await find();
  }
  if (!exe) {
    console.log('\n▶ no Chromium found: trying `playwright install chromium`');
    spawnSync(bin('playwright'), ['install', 'chromium'], quiet);
    exe = await find();
  }
  return exe;
}

if (want('e2e')) {
  const exe = await browser();
  if (!exe) {
    console.log('\nno browser for the e2e suite: install Chromium (Debian: `apt-get install chromium`) or run `npx playwright install chromium`, or set CHROMIUM_PATH');
    failed += 1;
  } else env.CHROMIUM_PATH = exe;
  if (!exe) steps.push({ name: 'e2e browser', ok: false, s: '0.0' });
  else if (!step('renderer + shell build (electron-vite)', bin('electron-vite'), ['build'])) failed += 1;
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
