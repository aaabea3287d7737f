/**
 * Logins and sessions (issue #17 items 4 and 5) on a real PostgreSQL through the real dispatcher: lockout with its
 * audit trail, the admin's unlock, the station budget, scrypt (bcrypt rehash, bytes past bcrypt's 72), the password
 * policy, the session's lifetime and idle rules, and re-authentication for admin changes. Time is moved with the
 * AuthService's clock; nothing but time is faked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { createTestDb, type TestDb } from '../testing/db';
import { seedDemoUsers, DEMO_PASSWORD } from '../system/demo';
import { ADMIN_LOCK_AFTER, LOCK_AFTER, SessionStore, sessionOptionsFromEnv, STATION_FAILURES } from './auth';
import { verifyPassword } from './password';

const MIN = 60_000;

describe('logins and sessions', () => {
  let db: TestDb;
  let home: string;
  const apps: App[] = [];
  let now = Date.parse('2026-12-07T08:00:00Z');
  const clock = () => now;

  const newApp = (opts: { station?: string; stationFailures?: number } = {}) => {
    const app = createApp({ dbs: db.dbs, paths: stationPaths(home), auth: { clock, station: opts.station ?? 'station-A', stationFailures: opts.stationFailures } });
    apps.push(app);
    return app;
  };
  const login = (app: App, username: string, password: string) => app.call('auth.login', { username, password }, { transport: 'test' });
  const sid = (r: unknown) => (r as { value: { sessionId: string } }).value.sessionId;
  const userId = async (username: string) => (await db.pool.query('select user_id from users where username = $1', [username])).rows[0].user_id as number;
  const audit = async (target: string) =>
    (await db.pool.query<{ action: string; username: string; user_id: number | null; new_data: Record<string, unknown> }>('select action, username, user_id, new_data from audit_logs where target = $1 order by log_id', [target])).rows;

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-auth-'));
    const app = newApp();
    await app.services.auth.createUser({ username: 'chief', email: 'chief@plant.example', password: 'chief-admin-pass', role: 'admin' });
    for (const u of ['op1', 'op2', 'op3', 'op4'])
      await app.services.auth.createUser({ username: u, email: `${u}@plant.example`, password: `${u}-line-pass`, role: 'worker' });
  });
  afterAll(async () => {
    for (const a of apps) await a.dispose();
    await db.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('locks an account after 100 wrong passwords, audits every attempt, holds at other stations, and an admin unlocks it', async () => {
    const app = newApp();
    const answers = [];
    for (let i = 0; i < 100; i++) answers.push(await login(app, 'op1', `wrong-guess-${i}`));
    // four plain refusals, then the lock: the 5th failure locks for 30 s, and the other 95 are refused unchecked
    for (const a of answers.slice(0, LOCK_AFTER - 1)) expect(a).toEqual({ ok: false, error: { kind: 'unauthenticated', message: 'wrong user name or password', details: { reason: 'wrong_login', params: {} } } });
    for (const a of answers.slice(LOCK_AFTER - 1)) expect(a).toMatchObject({ ok: false, error: { kind: 'unauthenticated', details: { reason: 'locked', retryAfterS: 30 } } });
    // the right password does not open a locked account
    expect(await login(app, 'op1', 'op1-line-pass')).toMatchObject({ ok: false, error: { details: { reason: 'locked' } } });
    const trail = await audit('op1');
    const id = await userId('op1');
    expect(trail.filter((r) => r.action === 'auth.login.failure')).toHaveLength(LOCK_AFTER);
    expect(trail.filter((r) => r.action === 'auth.login.locked')).toHaveLength(100 - LOCK_AFTER + 1);
    expect(trail.filter((r) => r.action.startsWith('auth.')).every((r) => r.username === 'op1' && r.user_id === id && r.new_data.station === 'station-A')).toBe(true);

    // waiting out each lock: every further failure doubles the wait (30 s, 1, 2, 4, 8 min), the 10th needs an admin
    for (let f = LOCK_AFTER + 1; f <= ADMIN_LOCK_AFTER; f++) {
      now += 30_000 * 2 ** (f - 1 - LOCK_AFTER) + 1000;
      const r = await login(app, 'op1', 'still-wrong-pass');
      expect(r).toMatchObject({ ok: false, error: { details: { reason: 'locked', retryAfterS: f === ADMIN_LOCK_AFTER ? null : 30 * 2 ** (f - LOCK_AFTER) } } });
    }
    now += 3 * 86_400_000;
    expect(await login(app, 'op1', 'op1-line-pass')).toMatchObject({ ok: false, error: { details: { reason: 'locked', retryAfterS: null } } });
    // the lock is on the users row: another station (another AuthService, as after a restart) refuses too
    expect(await login(newApp({ station: 'station-B' }), 'op1', 'op1-line-pass')).toMatchObject({ ok: false, error: { details: { reason: 'locked' } } });
    const row = (await db.pool.query('select failed_logins, locked_at from users where user_id = $1', [id])).rows[0];
    expect(row.failed_logins).toBe(ADMIN_LOCK_AFTER);
    expect(row.locked_at).not.toBeNull();

    // Admin → Users shows it; the admin unlocks (with a fresh password: the admin just logged in)
    const admin = sid(await login(app, 'chief', 'chief-admin-pass'));
    const users = (await app.call('admin.users.list', {}, { transport: 'test', sessionId: admin })) as { value: { username: string; lockedAt: unknown; failedLogins: number }[] };
    expect(users.value.find((u) => u.username === 'op1')).toMatchObject({ failedLogins: ADMIN_LOCK_AFTER, lockedAt: expect.anything() });
    const worker = sid(await login(app, 'op2', 'op2-line-pass'));
    expect(await app.call('admin.users.unlock', { userId: id }, { transport: 'test', sessionId: worker })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await app.call('admin.users.unlock', { userId: id }, { transport: 'test', sessionId: admin })).toMatchObject({ ok: true, value: { username: 'op1', failedLogins: 0, lockedAt: null, lockedUntil: null } });
    expect(await login(app, 'op1', 'op1-line-pass')).toMatchObject({ ok: true, value: { user: { username: 'op1' } } });
    const after = await audit('op1');
    expect(after.find((r) => r.action === 'admin.user.unlock')).toMatchObject({ username: 'chief', new_data: { failedLogins: 0 } });
    expect(after.at(-1)).toMatchObject({ action: 'auth.login', username: 'op1' });
  });

  it('answers an unknown user name exactly as a known one, and audits it', async () => {
    now += 86_400_000;
    const app = newApp();
    const known = [];
    const unknown = [];
    for (let i = 0; i < 7; i++) {
      known.push(await login(app, 'op3', `nope-nope-${i}`));
      unknown.push(await login(app, 'ghost', `nope-nope-${i}`));
    }
    expect(unknown).toEqual(known);
    expect(unknown.at(-1)).toMatchObject({ ok: false, error: { details: { reason: 'locked' } } });
    const trail = await audit('ghost');
    expect(trail.map((r) => r.action)).toEqual([...Array(LOCK_AFTER).fill('auth.login.failure'), 'auth.login.locked', 'auth.login.locked']);
    expect(trail[0]).toMatchObject({ username: 'ghost', user_id: null });
    await app.services.auth.unlockUser(await userId('op3'), { userId: await userId('chief'), username: 'chief', fullName: null, role: 'admin' });
  });

  it('refuses every login at a station after its budget of failures, for a while', async () => {
    now += 86_400_000;
    const app = newApp();
    // spread over many names so no account locks: 3 wrong passwords each
    for (let i = 0; i < STATION_FAILURES; i++) expect(await login(app, `guess${Math.floor(i / 3)}`, 'wrong-password-x')).toMatchObject({ ok: false, error: { message: 'wrong user name or password' } });
    // now even the right password of a real user is refused here (not at another station)
    expect(await login(app, 'op4', 'op4-line-pass')).toMatchObject({ ok: false, error: { kind: 'unauthenticated', details: { reason: 'throttled' } } });
    expect((await audit('op4')).at(-1)).toMatchObject({ action: 'auth.login.throttled' });
    expect(await login(newApp({ station: 'station-C' }), 'op4', 'op4-line-pass')).toMatchObject({ ok: true });
    now += 15 * MIN + 1000;
    expect(await login(app, 'op4', 'op4-line-pass')).toMatchObject({ ok: true });
  });

  it('verifies an old bcrypt hash once and rehashes it to scrypt, for the database and the offline cache', async () => {
    const app = newApp();
    await app.services.auth.createUser({ username: 'legacy', email: 'legacy@plant.example', password: 'legacy-pass-9', role: 'worker' });
    await db.pool.query("update users set password_hash = $1 where username = 'legacy'", [bcrypt.hashSync('legacy-pass-9', 4)]);
    expect(await login(app, 'legacy', 'legacy-pass-99')).toMatchObject({ ok: false });
    expect((await db.pool.query("select password_hash from users where username = 'legacy'")).rows[0].password_hash).toMatch(/^\$2[ab]\$/);
    expect(await login(app, 'legacy', 'legacy-pass-9')).toMatchObject({ ok: true });
    const stored = (await db.pool.query("select password_hash from users where username = 'legacy'")).rows[0].password_hash as string;
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect((await audit('legacy')).at(-1)).toMatchObject({ action: 'auth.login', new_data: { rehashed: 'bcrypt→scrypt' } });
    // the next login verifies the scrypt hash and leaves it alone
    expect(await login(app, 'legacy', 'legacy-pass-9')).toMatchObject({ ok: true });
    expect((await db.pool.query("select password_hash from users where username = 'legacy'")).rows[0].password_hash).toBe(stored);
    // the station's offline cache holds the new hash, and a bcrypt one cached before the change still verifies
    const cached = JSON.parse(fs.readFileSync(path.join(home, 'cache', 'credentials.json'), 'utf8')).legacy;
    expect(cached.hash).toBe(stored);
    expect(await verifyPassword('legacy-pass-9', bcrypt.hashSync('legacy-pass-9', 4))).toBe(true);
  });

  it('honours a long Korean password past bcrypt’s 72 bytes', async () => {
    const app = newApp();
    const stem = '가나다라마바사아자차카타파하거너더러머버서어저처'; // 24 syllables = 72 bytes of UTF-8
    expect(Buffer.byteLength(stem)).toBe(72);
    const real = `${stem}커`;
    const other = `${stem}터`; // differs from the 73rd byte on
    // bcrypt cannot tell them apart: this is what the change fixes
    expect(bcrypt.compareSync(other, bcrypt.hashSync(real, 4))).toBe(true);
    await app.services.auth.createUser({ username: 'hangul', email: 'hangul@plant.example', password: real, role: 'viewer' });
    expect(await login(app, 'hangul', other)).toMatchObject({ ok: false, error: { message: 'wrong user name or password' } });
    expect(await login(app, 'hangul', real)).toMatchObject({ ok: true });
    // typed on a machine that sends decomposed jamo (NFD), it is the same password
    expect(await login(app, 'hangul', real.normalize('NFD'))).toMatchObject({ ok: true });
  });

  it('enforces the password policy, except the demo seed’s documented password', async () => {
    const app = newApp();
    const admin = sid(await login(app, 'chief', 'chief-admin-pass'));
    const make = (username: string, password: string) => app.call('admin.users.create', { username, email: `${username}@plant.example`, password, role: 'viewer' }, { transport: 'test', sessionId: admin });
    expect(await make('shorty', 'nine-char')).toMatchObject({ ok: false, error: { kind: 'validation', message: expect.stringContaining('at least 10 characters') } });
    expect(await make('operator12', 'OPERATOR12')).toMatchObject({ ok: false, error: { kind: 'validation', message: expect.stringContaining('user name') } });
    expect(await make('common1', 'password123')).toMatchObject({ ok: false, error: { kind: 'validation', message: expect.stringContaining('too common') } });
    expect(await make('common2', 'linedeck-demo')).toMatchObject({ ok: false, error: { kind: 'validation' } });
    const op = await userId('op2');
    expect(await app.call('admin.users.update', { userId: op, password: 'op2' }, { transport: 'test', sessionId: admin })).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await app.call('admin.users.update', { userId: op, password: 'qwertyuiop' }, { transport: 'test', sessionId: admin })).toMatchObject({ ok: false, error: { kind: 'validation' } });
    // the demo seed keeps its shared password (README, e2e)
    expect(DEMO_PASSWORD).toBe('linedeck-demo');
    await seedDemoUsers(app.services.auth, { withAdmin: false });
    expect(await login(app, 'viewer1', DEMO_PASSWORD)).toMatchObject({ ok: true });
  });

  it('ends a session at the end of its lifetime, whatever the activity', async () => {
    const app = newApp();
    const s = sid(await login(app, 'op2', 'op2-line-pass'));
    const poll = () => app.call('jobs.list', {}, { transport: 'test', sessionId: s });
    for (let m = 0; m < 12 * 60 - 20; m += 20) {
      now += 20 * MIN;
      expect(await app.call('auth.activity', {}, { transport: 'test', sessionId: s })).toEqual({ ok: true, value: { ok: true } });
    }
    expect(await poll()).toMatchObject({ ok: true });
    now += 21 * MIN; // 12 h and a minute after the login
    expect(await app.call('auth.activity', {}, { transport: 'test', sessionId: s })).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
    expect(await poll()).toMatchObject({ ok: false, error: { kind: 'unauthenticated' } });
    expect(sessionOptionsFromEnv({ LINEDECK_SESSION_HOURS: '8', LINEDECK_IDLE_MINUTES: '5' })).toMatchObject({ lifetimeMs: 8 * 3600_000, idleMs: 5 * MIN });
    expect(sessionOptionsFromEnv({})).toMatchObject({ lifetimeMs: 12 * 3600_000, idleMs: 30 * MIN });
    const short = new SessionStore({ ...sessionOptionsFromEnv({ LINEDECK_SESSION_HOURS: '1' }), clock });
    const id = short.create({ userId: 1, username: 'x', fullName: null, role: 'viewer' });
    now += 29 * MIN;
    expect(short.activity(id)).toBe(true);
    now += 29 * MIN;
    expect(short.activity(id)).toBe(true);
    now += 3 * MIN;
    expect(short.get(id)).toBeUndefined();
  });

  it('locks an idle session although the dashboards poll, and keeps an active one', async () => {
    const app = newApp();
    const idle = sid(await login(app, 'op2', 'op2-line-pass'));
    const busy = sid(await login(app, 'op4', 'op4-line-pass'));
    const poll = (s: string) => app.call('jobs.list', {}, { transport: 'test', sessionId: s });
    // two hours of a dashboard polling every 10 s; only one of the two people touches the keyboard (once a minute)
    let idleEnded = -1;
    for (let t = 10; t <= 2 * 3600; t += 10) {
      now += 10_000;
      if (idleEnded < 0 && !(await poll(idle)).ok) idleEnded = t;
      expect(await poll(busy)).toMatchObject({ ok: true });
      if (t % 60 === 0) await app.call('auth.activity', {}, { transport: 'test', sessionId: busy });
    }
    // the idle one ended after 30 minutes, the polling notwithstanding
    expect(idleEnded).toBe(30 * 60 + 10);
    expect(await app.call('auth.status', {}, { transport: 'test', sessionId: idle })).toMatchObject({ ok: true, value: { user: null } });
    expect(await app.call('auth.status', {}, { transport: 'test', sessionId: busy })).toMatchObject({ ok: true, value: { user: { username: 'op4' } } });
  });

  it('asks for the password again before an admin change', async () => {
    const app = newApp();
    const admin = sid(await login(app, 'chief', 'chief-admin-pass'));
    const as = (name: string, input: unknown) => app.call(name, input, { transport: 'test', sessionId: admin });
    const target = await userId('op3');
    expect(await as('admin.users.update', { userId: target, fullName: 'Fresh' })).toMatchObject({ ok: true });
    now += 11 * MIN;
    await as('auth.activity', {});
    // reading is fine; changing needs the password again, and the session stays
    expect(await as('admin.users.list', {})).toMatchObject({ ok: true });
    for (const [name, input] of [
      ['admin.users.update', { userId: target, fullName: 'Stale' }],
      ['admin.users.unlock', { userId: target }],
      ['admin.users.create', { username: 'late1', email: 'late1@plant.example', password: 'late-user-pass', role: 'viewer' }],
      ['admin.datasources.set', {}],
      ['stations.rename', { stationId: '00000000-0000-4000-8000-000000000000', name: 'x' }],
    ] as const)
      expect(await as(name, input)).toEqual({ ok: false, error: { kind: 'unauthenticated', message: expect.any(String), details: { reason: 'reauth', params: {} } } });
    expect((await db.pool.query("select full_name from users where username = 'op3'")).rows[0].full_name).toBe('Fresh');
    expect(await as('auth.reauth', { password: 'chief-wrong-pass' })).toMatchObject({ ok: false, error: { kind: 'validation', message: 'wrong password' } });
    expect(await as('admin.users.update', { userId: target, fullName: 'Stale' })).toMatchObject({ ok: false, error: { details: { reason: 'reauth' } } });
    expect(await as('auth.reauth', { password: 'chief-admin-pass' })).toEqual({ ok: true, value: { ok: true } });
    expect(await as('admin.users.update', { userId: target, fullName: 'Renamed' })).toMatchObject({ ok: true, value: { fullName: 'Renamed' } });
    const trail = await audit('chief');
    expect(trail.slice(-2).map((r) => r.action)).toEqual(['auth.reauth.failure', 'auth.reauth']);
    now += 9 * MIN;
    expect(await as('admin.users.update', { userId: target, fullName: 'Again' })).toMatchObject({ ok: true });
    now += 2 * MIN;
    expect(await as('admin.users.update', { userId: target, fullName: 'Later' })).toMatchObject({ ok: false, error: { details: { reason: 'reauth' } } });
    // the command line is the machine's administrator: no password prompt there
    const chief = { userId: await userId('chief'), username: 'chief', fullName: null, role: 'admin' as const };
    expect(await app.call('admin.users.update', { userId: target, fullName: 'Cli' }, { transport: 'cli', user: chief })).toMatchObject({ ok: true });
  });
});
