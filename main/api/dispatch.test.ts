import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../testing/db';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { readSetupCode } from '../system/setup-code';
import os from 'node:os';
import path from 'node:path';

describe('dispatcher over the real handler table', () => {
  let db: TestDb;
  let app: App;
  const call = (name: string, input: unknown, sessionId?: string) => app.call(name, input, { transport: 'test', sessionId });

  beforeAll(async () => {
    db = await createTestDb();
    app = createApp({ dbs: db.dbs, paths: stationPaths(path.join(os.tmpdir(), `ld-${db.name}`)) });
  });
  afterAll(async () => {
    await app.dispose();
    await db.drop();
  });

  it('offers the first-run setup only while no admin exists and with the station’s setup code, then refuses it', async () => {
    // a production station: the code is not sent to the screen
    expect(await call('auth.status', {})).toEqual({ ok: true, value: { needsSetup: true, user: null, demo: false, setupCode: null } });
    const noCode = await call('auth.setup', { username: 'chief', email: 'chief@plant.example', password: 'correct horse' });
    expect(noCode).toMatchObject({ ok: false, error: { kind: 'forbidden', message: expect.stringContaining('setup code'), details: { reason: 'setup_code' } } });
    const wrong = await call('auth.setup', { username: 'chief', email: 'chief@plant.example', password: 'correct horse', setupCode: 'AAAA-BBBB-CCCC' });
    expect(wrong).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect((await db.pool.query('select count(*)::int as n from users')).rows[0].n).toBe(0);
    const setupCode = readSetupCode(app.services.paths)!;
    expect(setupCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const bad = await call('auth.setup', { username: 'ad', email: 'nope', password: 'x' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.kind).toBe('validation');
      expect(bad.error.message).toMatch(/username/);
      expect(bad.error.message).toMatch(/email/i);
      expect(bad.error.message).toMatch(/at least 10 characters/);
    }
    // typed in lower case with spaces, as a person might
    const ok = await call('auth.setup', { username: 'chief', email: 'chief@plant.example', password: 'correct horse', setupCode: setupCode.toLowerCase().replace(/-/g, ' ') });
    expect(ok).toMatchObject({ ok: true, value: { user: { username: 'chief', role: 'admin' } } });
    // used once: the file is gone
    expect(readSetupCode(app.services.paths)).toBeNull();
    const again = await call('auth.setup', { username: 'other', email: 'o@plant.example', password: 'correct horse', setupCode });
    expect(again).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    const audit = await db.pool.query("select username, action, new_data from audit_logs where action = 'admin.user.create'");
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].new_data).toMatchObject({ username: 'chief', role: 'admin' });
  });

  it('checks the session and the role on every procedure', async () => {
    const admin = await call('auth.login', { username: 'CHIEF', password: 'correct horse' });
    if (!admin.ok) throw new Error(admin.error.message);
    const sid = (admin.value as { sessionId: string }).sessionId;
    expect(await call('admin.users.list', {})).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
    const created = await call('admin.users.create', { username: 'viewer2', email: 'v2@plant.example', password: 'viewer-pass', role: 'viewer' }, sid);
    expect(created).toMatchObject({ ok: true, value: { username: 'viewer2', role: 'viewer', isActive: true } });
    const viewer = await call('auth.login', { username: 'viewer2', password: 'viewer-pass' });
    if (!viewer.ok) throw new Error(viewer.error.message);
    const vsid = (viewer.value as { sessionId: string }).sessionId;
    expect(await call('admin.users.list', {}, vsid)).toMatchObject({ ok: false, error: { kind: 'forbidden', message: expect.stringContaining('admin') } });
    expect(await call('jobs.cancel', { jobId: 'x' }, vsid)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await call('jobs.list', {}, vsid)).toEqual({ ok: true, value: [] });
    expect(await call('no.such.procedure', {}, sid)).toMatchObject({ ok: false, error: { kind: 'not_found' } });
    expect(await call('admin.users.update', { userId: 'x' }, sid)).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await call('auth.login', { username: 'viewer2', password: 'wrong-pass' })).toMatchObject({ ok: false, error: { kind: 'unauthenticated', message: 'wrong user name or password' } });
  });

  it('keeps one active admin and drops sessions of a changed user', async () => {
    const admin = await call('auth.login', { username: 'chief', password: 'correct horse' });
    const sid = (admin as { value: { sessionId: string; user: { userId: number } } }).value.sessionId;
    const me = (admin as { value: { user: { userId: number } } }).value.user.userId;
    expect(await call('admin.users.update', { userId: me, role: 'viewer' }, sid)).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    const users = (await call('admin.users.list', {}, sid)) as { value: { userId: number; username: string }[] };
    const v = users.value.find((u) => u.username === 'viewer2')!;
    const vs = (await call('auth.login', { username: 'viewer2', password: 'viewer-pass' })) as { value: { sessionId: string } };
    expect(await call('admin.users.update', { userId: v.userId, isActive: false }, sid)).toMatchObject({ ok: true, value: { isActive: false } });
    expect(await call('jobs.list', {}, vs.value.sessionId)).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
    expect(await call('auth.login', { username: 'viewer2', password: 'viewer-pass' })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    const audit = await db.pool.query("select old_data, new_data from audit_logs where action = 'admin.user.update' and target = 'viewer2'");
    expect(audit.rows[0]).toMatchObject({ old_data: { isActive: true }, new_data: { isActive: false } });
  });

  it('reports a lost database as unavailable, not as an internal error', async () => {
    const { Databases } = await import('../db/pools');
    const dead = new Databases({ cylinders: 'postgresql://x:y@127.0.0.1:1/none', telemetry: 'postgresql://x:y@127.0.0.1:1/none', inspection: 'postgresql://x:y@127.0.0.1:1/none' });
    const app2 = createApp({ dbs: dead, paths: stationPaths(path.join(os.tmpdir(), 'ld-dead')) });
    const r = await app2.call('auth.status', {}, { transport: 'test' });
    expect(r).toMatchObject({ ok: false, error: { kind: 'unavailable', message: expect.stringContaining('connection refused') } });
    const h = await app2.call('system.health', {}, { transport: 'test' });
    expect(h).toMatchObject({ ok: true, value: { sources: [{ ok: false }, { ok: false }, { ok: false }] } });
    await dead.close();
  });
});
