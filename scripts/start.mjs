#!/usr/bin/env node
// `npm start`: build what is missing, then open the console — in Electron when its binary is installed and a
// display exists, otherwise through the browser host (prints a URL to open in any local browser).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cliBundleState } from './cli-bundle.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

if (!fs.existsSync(path.join(root, 'ml-models', 'linedeck-patchcore-default', 'model.onnx'))) run(bin('tsx'), ['ml-models/build/build-default-models.ts']);
// the backend process (out/electron/main/backend.js) came with the relay, the built host (host.js) with #18: a
// build from before them is rebuilt
const built = (f) => fs.existsSync(path.join(root, 'out', ...f.split('/')));
if (!built('renderer/index.html') || !built('electron/main/backend.js') || !built('electron/main/host.js') || process.argv.includes('--rebuild')) run(bin('electron-vite'), ['build']);

let electronBin = null;
try {
  const p = require('electron');
  if (typeof p === 'string' && fs.existsSync(p)) electronBin = p;
} catch {
  /* not installed */
}
const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const forceBrowser = process.argv.includes('--browser') || process.env.LINEDECK_BROWSER_HOST === '1';

if (electronBin && hasDisplay && !forceBrowser) {
  // in the repository the console starts in demo mode (demo data, simulator, DEMO badge); an installed one does not
  const child = spawn(electronBin, ['.', '--demo', ...process.argv.slice(2).filter((a) => a === '--kiosk')], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!electronBin) console.error('The Electron binary is not installed here; serving the console through the browser host instead.');
  else if (!hasDisplay) console.error('No display; serving the console through the browser host instead.');
  const args = ['--demo', ...(process.env.LINEDECK_PORT ? ['--port', process.env.LINEDECK_PORT] : ['--port', '5780'])];
  // the built host when it is current with the sources (the CLI's stamp covers it: ./cli-bundle.mjs), else the
  // sources through tsx — a built one starts without compiling main/ first (a few seconds on 2 cores)
  const stale = cliBundleState(root);
  const child = stale === null ? spawn(process.execPath, [path.join(root, 'out', 'electron', 'main', 'host.js'), ...args], { cwd: root, stdio: 'inherit' }) : spawn(bin('tsx'), ['main/host/bin.ts', ...args], { cwd: root, stdio: 'inherit' });
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}
