import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { createTestDb, type TestDb } from '../testing/db';
import { startHost, type Host } from './server';

describe('browser host', () => {
  let db: TestDb;
  let app: App;
  let host: Host;
  const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-static-'));
  const post = (name: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${host.url}/api/call/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}`, ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>x</title>');
    fs.writeFileSync(path.join(os.tmpdir(), 'ld-secret.txt'), 'secret');
    db = await createTestDb();
    app = createApp({ dbs: db.dbs, paths: stationPaths(staticDir) });
    host = await startHost({ app, staticDir });
  });
  afterAll(async () => {
    await host.close();
    await app.dispose();
    await db.drop();
    fs.rmSync(staticDir, { recursive: true, force: true });
  });

  it('serves procedures as envelopes with the per-run token', async () => {
    const r = await post('auth.status', {});
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, value: { needsSetup: true, user: null, demo: false, setupCode: null } });
    const v = await post('auth.login', { username: '' });
    expect(await v.json()).toMatchObject({ ok: false, error: { kind: 'validation' } });
  });

  it('refuses a wrong token, a foreign origin or host, non-JSON bodies and GET on the API', async () => {
    expect((await post('auth.status', {}, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('auth.status', {}, { origin: 'http://evil.example' })).status).toBe(403);
    // DNS rebinding: a page on another name resolving to 127.0.0.1 (fetch cannot set Host, node:http can)
    const rebind = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: host.port, path: '/api/call/auth.status', method: 'POST', headers: { host: `evil.example:${host.port}`, authorization: `Bearer ${host.token}` } }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end('{}');
    });
    expect(rebind).toBe(403);
    const bad = await fetch(`${host.url}/api/call/auth.status`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: '{nope' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${host.url}/api/call/auth.status`)).status).toBe(405);
  });

  it('answers a malformed percent-encoding with 400 on every route and stays up (it used to exit on URIError)', async () => {
    const auth = { authorization: `Bearer ${host.token}` };
    expect((await fetch(`${host.url}/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${host.url}/api/call/%E0%A4%A`, { method: 'POST', headers: auth, body: '{}' })).status).toBe(400);
    expect((await fetch(`${host.url}/api/file/%E0%A4%A`, { headers: auth })).status).toBe(400);
    expect((await post('auth.status', {})).status).toBe(200);
  });

  it('serves the renderer with a CSP and never files outside it', async () => {
    const r = await fetch(`${host.url}/`);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    const t = await fetch(`${host.url}/..%2f..%2fld-secret.txt`);
    expect(await t.text()).not.toContain('secret');
  });

  it('opens the events WebSocket only with the token, and pushes events only to a socket that names a live session', async () => {
    const bad = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=wrong`);
    const badResult = await new Promise<string>((res) => {
      bad.on('error', () => res('refused'));
      bad.on('open', () => res('open'));
    });
    expect(badResult).toBe('refused');
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
    await new Promise((r) => ws.on('open', r));
    const got: unknown[] = [];
    ws.on('message', (m) => got.push(JSON.parse(String(m))));
    // the token alone: nothing (main/security/events.test.ts has the whole table)
    app.services.bus.emit('telemetry.appended', { tags: ['D099'], lastTs: '2026-11-22T00:00:00Z' });
    await app.services.auth.createUser({ username: 'hostviewer', email: 'hv@plant.example', password: 'host-viewer-pass', role: 'viewer' });
    const { sessionId } = await app.services.auth.login('hostviewer', 'host-viewer-pass');
    ws.send(JSON.stringify({ session: sessionId }));
    const deadline = Date.now() + 5000;
    while (!got.length && Date.now() < deadline) {
      app.services.bus.emit('telemetry.appended', { tags: ['D100'], lastTs: '2026-11-23T00:00:00Z' });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(got[0]).toEqual({ event: 'telemetry.appended', payload: { tags: ['D100'], lastTs: '2026-11-23T00:00:00Z' } });
    ws.close();
  });
});
