import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../testing/db';
import { migrateAll } from '../migrations';
import { migrateDatabase } from './migrate';

describe('migrations', () => {
  const dbs: TestDb[] = [];
  afterAll(async () => Promise.all(dbs.map((d) => d.drop())));

  it('applies every migration once, then nothing', async () => {
    const db = await createTestDb({ migrate: false });
    dbs.push(db);
    const first = await migrateAll(db.dbs);
    expect(first.applied).toContain('202611230001_core_users_roles_audit');
    expect(first.pending).toBe(0);
    const second = await migrateAll(db.dbs);
    expect(second.applied).toEqual([]);
    expect(second.pending).toBe(0);
    const roles = await db.pool.query('select role_name from roles order by role_id');
    expect(roles.rows.map((r) => r.role_name)).toEqual(['admin', 'manager', 'worker', 'viewer']);
  });

  it('is safe to run concurrently (advisory lock)', async () => {
    const db = await createTestDb({ migrate: false });
    dbs.push(db);
    const runs = await Promise.all([migrateAll(db.dbs), migrateAll(db.dbs), migrateAll(db.dbs)]);
    const applied = runs.flatMap((r) => r.applied);
    expect(applied.filter((n) => n === '202611230001_core_users_roles_audit')).toHaveLength(1);
    const n = await db.pool.query('select count(*)::int as n from linedeck_migrations');
    expect(n.rows[0].n).toBe(new Set(applied).size);
  });

  it('rolls a failing migration back and reports its name', async () => {
    const db = await createTestDb({ migrate: false });
    dbs.push(db);
    const bad = [{ name: '209901010000_core_bad', group: 'core' as const, sql: 'create table half_done(x int); select 1/0;' }];
    await expect(migrateDatabase(db.url, ['core'], bad, [])).rejects.toThrow(/209901010000_core_bad failed: division by zero/);
    const t = await db.pool.query("select to_regclass('half_done') as r");
    expect(t.rows[0].r).toBeNull();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const m = await c.query('select count(*)::int as n from linedeck_migrations');
    expect(m.rows[0].n).toBe(0);
    await c.end();
  });
});
