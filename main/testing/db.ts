/**
 * Test databases on the run's real PostgreSQL: each call creates a fresh, uniquely named database (optionally
 * migrated) and returns a Databases over it; `drop()` removes it.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrateAll } from '../migrations';
import { Databases, type PoolOptions } from '../db/pools';

export interface TestDb {
  url: string;
  name: string;
  dbs: Databases;
  /** a plain pool with no statement timeout, for arranging fixtures and reading results */
  pool: pg.Pool;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('pgAdminUrl');
}

export function urlForDatabase(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestDb(opts: { migrate?: boolean; pool?: PoolOptions; prefix?: string } = {}): Promise<TestDb> {
  const base = adminUrl();
  const name = `${opts.prefix ?? 't'}_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = urlForDatabase(base, name);
  const dbs = new Databases({ cylinders: url, telemetry: url, inspection: url }, opts.pool);
  if (opts.migrate !== false) await migrateAll(dbs);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: '-c timezone=UTC' });
  return {
    url,
    name,
    dbs,
    pool,
    drop: async () => {
      await dbs.close();
      await pool.end();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
