/**
 * Least privilege in the database (issue "Security" item 6, db/roles.ts): the console never connects as a superuser;
 * migrations and the demo seed run as the owner; linedeck_app can read and write rows but not change the schema,
 * empty a table, rewrite the audit trail or write the FCMS CDC tables. Real servers: an installed station's
 * embedded one, and a "plant" server whose owner role is not a superuser and may not create roles.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { bootStation, seedAsOwner } from '../boot';
import { seedDemo } from '../demo/seed';
import { writeStationConfig, stationConfigSchema } from '../config';
import { Databases, type PoolKind } from '../db/pools';
import { APP_ROLE } from '../db/roles';
import { runDoctor } from '../doctor';
import { CLI_USER } from '../domain';
import { DATA_SOURCES } from '../config';
import { startTestServer, type TestServer } from '../testing/server';
import { createTestDb } from '../testing/db';

const homes: string[] = [];
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.destroy().catch(() => undefined);
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});
function home(): string {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-roles-'));
  fs.chmodSync(h, 0o755);
  homes.push(h);
  return h;
}

/** What linedeck_app must not be able to do, each with the SQLSTATE PostgreSQL refuses it with. */
const REFUSED: [string, string][] = [
  ['create table evil (x int)', '42501'],
  ['drop table users', '42501'],
  ['alter table users add column evil int', '42501'],
  ['truncate inspections', '42501'],
  ["update audit_logs set action = 'nothing happened'", '42501'],
  ['delete from audit_logs', '42501'],
  ["insert into linedeck_migrations(name, checksum) values ('x', 'y')", '42501'],
  ['create role evil superuser', '42501'],
  ['alter role linedeck_app superuser', '42501'],
];

async function expectRefusals(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (const [sql, code] of REFUSED) {
      const err = await c.query(sql).then(
        () => null,
        (e: { code?: string }) => e,
      );
      expect(err?.code, sql).toBe(code);
    }
    // what it needs: rows in and out, the audit trail appended
    await c.query('begin');
    await c.query("insert into audit_logs(action, target) values ('roles.test', 'x')");
    expect((await c.query("select count(*)::int as n from audit_logs where action = 'roles.test'")).rows[0].n).toBe(1);
    await c.query('rollback');
  } finally {
    await c.end();
  }
}

async function identities(dbs: Databases): Promise<{ user: string; su: boolean }[]> {
  const out: { user: string; su: boolean }[] = [];
  for (const s of DATA_SOURCES)
    for (const k of ['read', 'job', 'forward'] as PoolKind[]) {
      const r = await dbs.pool(s, k).query<{ user: string; su: boolean }>('select current_user as user, rolsuper as su from pg_roles where rolname = current_user');
      out.push(r.rows[0]);
    }
  return out;
}

describe('database roles', () => {
  it('an installed station (embedded server): the console connects as linedeck_app; the demo seed and migrations ran as the owner', async () => {
    const h = home();
    const st = await bootStation({ home: h, demo: false, background: false });
    try {
      // `linedeck demo seed --only cylinders,inspection` does this: as the owner (it creates the FCMS CDC copy)
      await seedAsOwner(st.station, true, (owner) => seedDemo(owner, { withAdmin: false, only: ['cylinders', 'inspection'] }));
      for (const who of await identities(st.app.services.dbs)) expect(who).toEqual({ user: APP_ROLE, su: false });
      // the demo data is there, and the screens read it through linedeck_app (FCMS CDC copy included)
      const call = (name: string, input: unknown) => st.app.call(name, input, { transport: 'cli', user: CLI_USER });
      expect(await call('cylinders.summary', {})).toMatchObject({ ok: true });
      expect(((await call('cylinders.list', { limit: 5 })) as { ok: boolean; value: { rows: unknown[] } }).value.rows.length).toBeGreaterThan(0);
      expect(await call('inspection.inspections.list', { limit: 5 })).toMatchObject({ ok: true });
      expect(await call('inspection.dashboard.stats', {})).toMatchObject({ ok: true });
      expect(await call('admin.audit.list', {})).toMatchObject({ ok: true });
      // a job that writes: the full resync (set-based statements, the snapshot's triggers) through linedeck_app
      const synced = await call('cylinders.sync', { wait: true });
      expect(synced, JSON.stringify(synced)).toMatchObject({ ok: true, value: { result: { synced: expect.any(Number) } } });
      // every session the console opened is linedeck_app's (the migrator's is closed)
      const owner = new pg.Client({ connectionString: st.station.embedded!.url });
      await owner.connect();
      try {
        const sessions = await owner.query<{ usename: string; application_name: string }>(
          "select usename, application_name from pg_stat_activity where application_name like 'linedeck-%' and datname = 'linedeck'",
        );
        expect(sessions.rows.length).toBeGreaterThan(0);
        for (const s of sessions.rows) expect(s, s.application_name).toMatchObject({ usename: APP_ROLE });
        // the schema belongs to the owner, not to the console
        expect((await owner.query("select count(*)::int as n from pg_tables where tableowner = $1", [APP_ROLE])).rows[0].n).toBe(0);
      } finally {
        await owner.end();
      }
      await expectRefusals(st.station.embedded!.appUrl);
      // the FCMS CDC tables are the pipeline's: the console reads them, never writes them
      const app = new pg.Client({ connectionString: st.station.embedded!.appUrl });
      await app.connect();
      try {
        expect((await app.query('select count(*)::int as n from fcms_cdc.ma_cylinders')).rows[0].n).toBeGreaterThan(0);
        const w = await app.query(`update fcms_cdc.ma_cylinders set "CAPACITY" = "CAPACITY"`).catch((e: { code?: string }) => e);
        expect((w as { code?: string }).code).toBe('42501');
      } finally {
        await app.end();
      }
      const checks = await runDoctor(st.app.services.dbs, st.station.paths, true);
      const role = checks.find((c) => c.name.startsWith('database.role'));
      expect(role).toMatchObject({ ok: true, detail: `connects as ${APP_ROLE}` });
      expect(role?.warn).toBeUndefined();
    } finally {
      await st.close();
    }
  }, 300_000);

  it('a plant server: an owner role without superuser or CREATEROLE migrates (migrateUrl); the console connects as linedeck_app', async () => {
    const server = await startTestServer('plant');
    servers.push(server);
    const su = new pg.Client({ connectionString: server.url });
    await su.connect();
    try {
      // what the plant's IT runs once (README "Security")
      await su.query("create role plant_owner login password 'owner-pass-1'");
      await su.query('alter database plant owner to plant_owner');
      await su.query(`alter role ${APP_ROLE} password 'app-pass-1'`);
    } finally {
      await su.end();
    }
    const at = (user: string, pw: string) => {
      const u = new URL(server.url);
      u.username = user;
      u.password = pw;
      return u.toString();
    };
    const h = home();
    writeStationConfig(path.join(h, 'config.json'), stationConfigSchema.parse({ databaseUrl: at(APP_ROLE, 'app-pass-1'), migrateUrl: at('plant_owner', 'owner-pass-1') }));
    const st = await bootStation({ home: h, demo: false, background: false });
    try {
      for (const who of await identities(st.app.services.dbs)) expect(who).toEqual({ user: APP_ROLE, su: false });
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      try {
        const owners = await c.query<{ tableowner: string; n: number }>("select tableowner, count(*)::int as n from pg_tables where schemaname = 'public' group by 1");
        expect(owners.rows).toEqual([{ tableowner: 'plant_owner', n: expect.any(Number) }]);
      } finally {
        await c.end();
      }
      // the first administrator's setup (its audit row) and a login, through linedeck_app
      const call = (name: string, input: unknown) => st.app.call(name, input, { transport: 'test' });
      const code = fs.readFileSync(path.join(h, 'setup-code'), 'utf8').trim();
      expect(await call('auth.setup', { username: 'plantadmin', email: 'it@plant.example', password: 'a-long-admin-pass', setupCode: code })).toMatchObject({ ok: true });
      expect(await call('auth.login', { username: 'plantadmin', password: 'a-long-admin-pass' })).toMatchObject({ ok: true });
      await expectRefusals(at(APP_ROLE, 'app-pass-1'));
      const checks = await runDoctor(st.app.services.dbs, st.station.paths, false);
      expect(checks.find((c) => c.name === 'migrations')).toMatchObject({ ok: true, detail: 'up to date' });
      expect(checks.find((c) => c.name.startsWith('database.role'))?.warn).toBeUndefined();
    } finally {
      await st.close();
    }
  }, 180_000);

  it('doctor warns when the console connects as a superuser', async () => {
    const db = await createTestDb();
    try {
      const checks = await runDoctor(db.dbs, { home: os.tmpdir(), pgdata: '', images: os.tmpdir(), logs: os.tmpdir(), queue: os.tmpdir(), configFile: '' }, false);
      const role = checks.find((c) => c.name.startsWith('database.role'));
      expect(role).toMatchObject({ ok: true, warn: true });
      expect(role?.detail).toMatch(/superuser.*linedeck_app/);
    } finally {
      await db.drop();
    }
  }, 60_000);
});
