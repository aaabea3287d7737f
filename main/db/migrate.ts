/**
 * Versioned migrations, run by Umzug (ordering, pending/executed bookkeeping) with our own PostgreSQL storage:
 * a `linedeck_migrations` table with a sha-256 checksum per migration, each migration in its own transaction,
 * the whole run under a session advisory lock so two stations (or the app and the CLI) can migrate at once.
 *
 * Migrations belong to a group: `core` (users, roles, audit; applied to every distinct database because audit
 * rows are written in the same transaction as the change they record) or a data source. After the versioned
 * steps, each group's idempotent `ensure` hooks run (e.g. triggers on FCMS tables once those tables exist).
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import type { DataSource } from '../config';
import { log } from '../log';

export type MigrationGroup = 'core' | DataSource;

export interface MigrationContext {
  client: pg.PoolClient;
  /** true when the timescaledb extension can be created in this database */
  timescaleAvailable: boolean;
}

export interface Migration {
  /** unique and ordered: `YYYYMMDDHHmm_group_what` */
  name: string;
  group: MigrationGroup;
  /** SQL to run; or `up` for migrations that must look at the database first */
  sql?: string;
  up?: (ctx: MigrationContext) => Promise<void>;
}

/** An idempotent step run after every migrate; returns notes for the operator (e.g. what is missing). */
export interface EnsureHook {
  name: string;
  group: MigrationGroup;
  run: (ctx: MigrationContext) => Promise<string[]>;
}

export interface MigrateResult {
  applied: string[];
  pending: number;
  notes: string[];
}

const LOCK_KEY = 0x6c696e65; // 'line'

function checksum(m: Migration): string {
  return crypto.createHash('sha256').update(m.sql ?? `${m.name}:code`).digest('hex');
}

class PgStorage implements UmzugStorage<MigrationContext> {
  constructor(
    private client: pg.PoolClient,
    private byName: Map<string, Migration>,
  ) {}
  async executed(): Promise<string[]> {
    const r = await this.client.query<{ name: string }>('select name from linedeck_migrations order by name');
    return r.rows.map((x) => x.name);
  }
  async logMigration({ name }: { name: string }): Promise<void> {
    await this.client.query('insert into linedeck_migrations(name, checksum) values ($1, $2)', [name, checksum(this.byName.get(name)!)]);
  }
  async unlogMigration({ name }: { name: string }): Promise<void> {
    await this.client.query('delete from linedeck_migrations where name = $1', [name]);
  }
}

async function timescaleAvailable(client: pg.PoolClient): Promise<boolean> {
  if (process.env.LINEDECK_DISABLE_TIMESCALE === '1') return false;
  const r = await client.query("select 1 from pg_available_extensions where name = 'timescaledb'");
  return (r.rowCount ?? 0) > 0;
}

/** Applies the pending migrations of `groups` to one database. */
export async function migrateDatabase(
  url: string,
  groups: MigrationGroup[],
  migrations: Migration[],
  hooks: EnsureHook[],
  opts: { dryRun?: boolean } = {},
): Promise<MigrateResult> {
  const mine = migrations.filter((m) => groups.includes(m.group)).sort((a, b) => a.name.localeCompare(b.name));
  const byName = new Map(mine.map((m) => [m.name, m]));
  if (byName.size !== mine.length) throw new Error('duplicate migration names');
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'linedeck-migrate', connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined);
  const client = await pool.connect();
  const logger = log('migrate');
  try {
    await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`create table if not exists linedeck_migrations (
      name text primary key, checksum text not null, applied_at timestamptz not null default now())`);
    const ctx: MigrationContext = { client, timescaleAvailable: await timescaleAvailable(client) };
    const notes: string[] = [];
    const done = new Set((await client.query<{ name: string; checksum: string }>('select name, checksum from linedeck_migrations')).rows.map((r) => {
      const m = byName.get(r.name);
      if (m && checksum(m) !== r.checksum) notes.push(`migration ${r.name} changed after it was applied (checksum differs)`);
      return r.name;
    }));
    const umzug = new Umzug<MigrationContext>({
      migrations: mine.map((m) => ({
        name: m.name,
        up: async ({ context }) => {
          await context.client.query('begin');
          try {
            if (m.sql) await context.client.query(m.sql);
            if (m.up) await m.up(context);
            await context.client.query('commit');
          } catch (e) {
            await context.client.query('rollback');
            throw new Error(`migration ${m.name} failed: ${(e as Error).message}`);
          }
        },
      })),
      context: ctx,
      storage: new PgStorage(client, byName),
      logger: undefined,
    });
    umzug.on('migrated', ({ name }) => logger.info({ name }, 'migration applied'));
    if (opts.dryRun) {
      const pending = mine.filter((m) => !done.has(m.name)).length;
      return { applied: [], pending, notes };
    }
    const applied = (await umzug.up()).map((m) => m.name);
    for (const h of hooks.filter((x) => groups.includes(x.group))) notes.push(...(await h.run(ctx)));
    const pending = (await umzug.pending()).length;
    return { applied, pending, notes };
  } finally {
    await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
    await pool.end();
  }
}
