/**
 * A station starts and inspects with the plant database down (issue "Plant deployment"): booted once while the
 * server answers (a worker logs in, one inspection), then started again with the server stopped — it boots, the
 * worker logs in from the station's credential cache (as at most a worker), the inspection is answered and waits
 * in the outbox, and once the server is back the station migrates and forwards it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStation } from './boot';
import { inspectionModule } from './inspection/module';
import { generateImage } from './inspection/synth/generate';
import { startTestServer, type TestServer } from './testing/server';

const png = async (i: number) => (await generateImage({ surface: 'machined', level: 'plain', label: 'normal', seed: 'boot-offline', index: i, size: 128 })).png;

describe('a station with the database down', () => {
  let server: TestServer;
  let home: string;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-boot-offline-'));
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await server?.destroy();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('boots, logs a known worker in, inspects, and forwards when the database is back', async () => {
    // 1. a day with the database: a worker and a manager log in here, one inspection
    const first = await bootStation({ home, databaseUrl: server.url, seedIfEmpty: false });
    closers.push(first.close);
    const { app } = first;
    await app.services.auth.createUser({ username: 'worker7', email: 'w7@plant.example', password: 'line-7-pass', role: 'worker' });
    await app.services.auth.createUser({ username: 'boss', email: 'boss@plant.example', password: 'boss-pass-1', role: 'manager' });
    const insp = app.instance(inspectionModule);
    await insp.svc.createProduct({ productCode: 'BOOT-1', productName: '부팅 시험', description: null, category: null } as never);
    await insp.pipeline.buildBank('BOOT-1', { images: await Promise.all([0, 1, 2, 3].map(async (i) => ({ bytes: await png(i), fileName: `n${i}.png` }))) });
    const login = await app.call('auth.login', { username: 'worker7', password: 'line-7-pass' }, { transport: 'test' });
    expect(login.ok).toBe(true);
    expect((await app.call('auth.login', { username: 'boss', password: 'boss-pass-1' }, { transport: 'test' })).ok).toBe(true);
    const sessionId = (login as { value: { sessionId: string } }).value.sessionId;
    const r1 = await app.call('inspection.inspect', { productCode: 'BOOT-1', image: { bytes: await png(10) }, wait: true }, { transport: 'test', sessionId });
    expect(r1).toMatchObject({ ok: true, value: { stored: true } });
    // the product's snapshot is taken in the background after that inspection
    const snaps = path.join(home, 'cache', 'products');
    for (let i = 0; i < 100 && !(fs.existsSync(snaps) && fs.readdirSync(snaps).length); i++) await new Promise((r) => setTimeout(r, 100));
    await first.close();
    closers.pop();

    // 2. the database server is down when the station starts
    await server.stop();
    const second = await bootStation({ home, databaseUrl: server.url, seedIfEmpty: false });
    closers.push(second.close);
    const call = second.app.call;
    const w = await call('auth.login', { username: 'worker7', password: 'line-7-pass' }, { transport: 'test' });
    expect(w).toMatchObject({ ok: true, value: { user: { username: 'worker7', role: 'worker', offline: true } } });
    // a manager gets a worker's rights offline; a wrong password or a stranger is told the database is away
    expect(await call('auth.login', { username: 'boss', password: 'boss-pass-1' }, { transport: 'test' })).toMatchObject({ ok: true, value: { user: { role: 'worker', offline: true } } });
    expect(await call('auth.login', { username: 'worker7', password: 'wrong-pass' }, { transport: 'test' })).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    expect(await call('auth.login', { username: 'nobody', password: 'whatever-1' }, { transport: 'test' })).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
    const sid = (w as { value: { sessionId: string } }).value.sessionId;
    const r2 = await call('inspection.inspect', { productCode: 'BOOT-1', image: { bytes: await png(11) } }, { transport: 'test', sessionId: sid });
    expect(r2).toMatchObject({ ok: true, value: { stored: false, inspection_code: null } });
    // what needs the database says so
    expect(await call('inspection.inspections.list', {}, { transport: 'test', sessionId: sid })).toMatchObject({ ok: false, error: { kind: 'unavailable' } });

    // 3. the server is back: the journaled inspection reaches it
    await server.start();
    const rt = second.app.instance(inspectionModule);
    for (let i = 0; i < 600 && rt.outbox.depth() > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(rt.outbox.depth()).toBe(0);
    const n = await second.station.dbs.pool('inspection').query('select count(*)::int as n, count(distinct station_id)::int as s from inspections');
    expect(n.rows[0]).toEqual({ n: 2, s: 1 });
  }, 300_000);
});
