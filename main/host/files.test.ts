/**
 * Pictures as bytes through the browser host: GET /api/file/<path> (token, session, role, path checks) and
 * uploads as multipart/form-data reaching the same result as base64 in JSON.
 */
import { ensureSetupCode } from '../system/setup-code';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { createTestDb, type TestDb } from '../testing/db';
import { startHost, type Host } from './server';

describe('browser host: pictures as bytes', () => {
  let db: TestDb;
  let app: App;
  let host: Host;
  let admin: string;
  let viewer: string;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-files-'));
  const paths = stationPaths(home);
  let png: Buffer;

  const post = (name: string, body: unknown, session?: string) =>
    fetch(`${host.url}/api/call/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}`, ...(session ? { 'x-linedeck-session': session } : {}) },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<{ ok: boolean; value?: any; error?: { kind: string; message: string } }>);
  /** the renderer's form: field `input` with {$bin} placeholders, one part per binary value */
  const postForm = (name: string, input: unknown, parts: Record<string, { bytes: Uint8Array; fileName: string }>, session: string) => {
    const form = new FormData();
    form.append('input', JSON.stringify(input));
    for (const [k, p] of Object.entries(parts)) form.append(k, new Blob([p.bytes as Uint8Array<ArrayBuffer>]), p.fileName);
    return fetch(`${host.url}/api/call/${name}`, { method: 'POST', headers: { authorization: `Bearer ${host.token}`, 'x-linedeck-session': session }, body: form });
  };
  const get = (rel: string, opts: { token?: string | null; session?: string | null; query?: boolean } = {}) => {
    const token = opts.token === undefined ? host.token : opts.token;
    const session = opts.session === undefined ? viewer : opts.session;
    if (opts.query) {
      const q = new URLSearchParams({ ...(token ? { token } : {}), ...(session ? { session } : {}) });
      return fetch(`${host.url}/api/file/${rel}?${q}`);
    }
    return fetch(`${host.url}/api/file/${rel}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(session ? { 'x-linedeck-session': session } : {}) } });
  };

  beforeAll(async () => {
    db = await createTestDb();
    app = createApp({ dbs: db.dbs, paths });
    host = await startHost({ app });
    admin = (await post('auth.setup', { username: 'admin', password: 'admin-files-pass', email: 'a@plant.example', setupCode: ensureSetupCode(paths) })).value.sessionId;
    expect((await post('admin.users.create', { username: 'viewer1', password: 'viewer-files-pass', email: 'v@plant.example', role: 'viewer' }, admin)).ok).toBe(true);
    viewer = (await post('auth.login', { username: 'viewer1', password: 'viewer-files-pass' })).value.sessionId;
    fs.mkdirSync(path.join(paths.images, 'ab', 'cd'), { recursive: true });
    png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 90, b: 30 } } })
      .png()
      .toBuffer();
    fs.writeFileSync(path.join(paths.images, 'ab', 'cd', 'pic.png'), png);
    fs.writeFileSync(path.join(home, 'secret.txt'), 'not for the screens');
  });
  afterAll(async () => {
    await host.close();
    await app.dispose();
    await db.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('serves a stored file as bytes with its type, only with the host token and a session', async () => {
    const ok = await get('ab/cd/pic.png');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await ok.arrayBuffer()).equals(png)).toBe(true);
    // an <img src> cannot send headers: token and session as query parameters
    const q = await get('ab/cd/pic.png', { query: true });
    expect(q.status).toBe(200);
    expect(Buffer.from(await q.arrayBuffer()).equals(png)).toBe(true);

    expect((await get('ab/cd/pic.png', { token: null })).status).toBe(401);
    expect((await get('ab/cd/pic.png', { token: 'wrong' })).status).toBe(401);
    const anon = await get('ab/cd/pic.png', { session: null });
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
    expect(await (await get('ab/cd/pic.png', { session: 'not-a-session' })).json()).toMatchObject({ error: { kind: 'unauthenticated' } });
    expect((await fetch(`${host.url}/api/file/ab/cd/pic.png`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` } })).status).toBe(405);
  });

  it('answers 404 for a missing file and refuses paths that leave the store', async () => {
    const missing = await get('ab/cd/none.png');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ ok: false, error: { kind: 'not_found' } });
    for (const p of ['..%2fsecret.txt', '..%2F..%2Fetc%2Fpasswd', 'ab/..%2f..%2fsecret.txt', '%2e%2e/secret.txt', 'ab%5c..%5c..%5csecret.txt', '%2fetc%2fpasswd']) {
      const r = await get(p);
      expect([400, 404], p).toContain(r.status);
      expect(await r.text(), p).not.toContain('not for the screens');
    }
    // a raw ../ that the URL parser does not normalise (node:http sends the path as written)
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: host.port, path: '/api/file/ab/../../secret.txt', headers: { authorization: `Bearer ${host.token}`, 'x-linedeck-session': viewer } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(raw.body).not.toContain('not for the screens');
    // and the procedure it mirrors says the same
    expect(await post('inspection.file.get', { path: '../secret.txt' }, viewer)).toMatchObject({ ok: false });
  });

  it('takes uploads as multipart/form-data with the same result as base64 in JSON', async () => {
    const p1 = await post('inspection.products.create', { productCode: 'MP-1', productName: 'multipart one' }, admin);
    const p2 = await post('inspection.products.create', { productCode: 'MP-2', productName: 'multipart two' }, admin);
    expect(p1.ok && p2.ok, JSON.stringify([p1, p2])).toBe(true);
    const manual = Buffer.from('# 수리 지침\n\nclean the burr\n');
    const viaJson = await post('inspection.manuals.create', { productId: p1.value.productId, manualTitle: 'guide', file: { base64: manual.toString('base64'), fileName: 'guide.md' } }, admin);
    const viaForm = await (
      await postForm('inspection.manuals.create', { productId: p2.value.productId, manualTitle: 'guide', file: { bytes: { $bin: 'b0' }, fileName: 'guide.md' } }, { b0: { bytes: manual, fileName: 'guide.md' } }, admin)
    ).json();
    expect(viaJson.ok, JSON.stringify(viaJson)).toBe(true);
    expect(viaForm.ok, JSON.stringify(viaForm)).toBe(true);
    const strip = (m: any) => ({ fileName: m.fileName, fileSize: m.fileSize, fileType: m.fileType, sha: String(m.filePath).split('/').pop() });
    expect(strip(viaForm.value)).toEqual(strip(viaJson.value));

    const imgJson = await post('inspection.images.add', { productId: p1.value.productId, imageType: 'normal', image: { base64: png.toString('base64'), fileName: 'n1.png' } }, admin);
    const imgForm = await (
      await postForm('inspection.images.add', { productId: p2.value.productId, imageType: 'normal', image: { bytes: { $bin: 'pic' }, fileName: 'n1.png' } }, { pic: { bytes: png, fileName: 'n1.png' } }, admin)
    ).json();
    expect(imgJson.ok, JSON.stringify(imgJson)).toBe(true);
    expect(imgForm.ok, JSON.stringify(imgForm)).toBe(true);
    for (const k of ['filePath', 'width', 'height', 'fileSize', 'fileName']) expect(imgForm.value[k], k).toEqual(imgJson.value[k]);
    // and the stored picture comes back as the same bytes
    const back = await get(imgForm.value.filePath.split('/').map(encodeURIComponent).join('/'));
    expect(Buffer.from(await back.arrayBuffer()).equals(png)).toBe(true);
  });

  it('refuses malformed multipart bodies with 400 and keeps the size limit', async () => {
    const send = (body: string, type: string) =>
      fetch(`${host.url}/api/call/auth.status`, { method: 'POST', headers: { authorization: `Bearer ${host.token}`, 'content-type': type }, body });
    expect((await send('nope', 'multipart/form-data')).status).toBe(400); // no boundary
    expect((await send('--x\r\nContent-Disposition: form-data; name="input"\r\n\r\n{}', 'multipart/form-data; boundary=x')).status).toBe(400); // cut short
    const noInput = await send('--x\r\nContent-Disposition: form-data; name="b0"; filename="a"\r\n\r\nabc\r\n--x--\r\n', 'multipart/form-data; boundary=x');
    expect(noInput.status).toBe(400);
    const badRef = new FormData();
    badRef.append('input', JSON.stringify({ image: { bytes: { $bin: 'missing' } } }));
    expect((await fetch(`${host.url}/api/call/auth.status`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: badRef })).status).toBe(400);
    const badJson = new FormData();
    badJson.append('input', '{nope');
    expect((await fetch(`${host.url}/api/call/auth.status`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: badJson })).status).toBe(400);
    const big = new FormData();
    big.append('input', JSON.stringify({ x: { $bin: 'b0' } }));
    big.append('b0', new Blob([new Uint8Array(65 * 1024 * 1024)]), 'big.bin');
    const r = await fetch(`${host.url}/api/call/auth.status`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: big }).catch((e) => e as Error);
    // the host answers 413 and stops reading; a client may see the answer or the connection closing
    if (!(r instanceof Error)) expect(r.status).toBe(413);
  });
});
