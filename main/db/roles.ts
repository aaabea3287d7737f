/**
 * Least privilege in the database (#17 item 6). Three identities:
 * - the owner: whoever runs the migrations (`linedeck migrate`, a start with pending migrations, the demo seed) — the
 *   embedded server's bootstrap user, or the plant's owner role given as `migrateUrl` / LINEDECK_MIGRATE_URL;
 * - `linedeck_app`: what the console connects as for everything else — rows in, rows out, no DDL, no TRUNCATE, no
 *   rewriting of the audit trail, read-only on the FCMS CDC tables;
 * - `linedeck_read`: SELECT only, for a plant's reporting tools (the console does not use it).
 * The grants are an ensure-hook run after every migrate, so every table a migration adds is covered; default
 * privileges cover what the owner creates later (the demo seed's FCMS schema). Roles are created where the owner
 * may (embedded: always); otherwise the hook says what IT must run.
 */
import type pg from 'pg';
import type { EnsureHook } from './migrate';

export const APP_ROLE = 'linedeck_app';
export const READ_ROLE = 'linedeck_read';

/** Tables the console may read and append to but never change: the audit trail and the migrations' bookkeeping. */
const APPEND_ONLY = ['audit_logs'];
const READ_ONLY = ['linedeck_migrations'];
/** Schemas the console reads only (the FCMS CDC pipeline owns them). */
const READ_ONLY_SCHEMAS = ['fcms_cdc'];

async function roleExists(c: pg.ClientBase, role: string): Promise<boolean> {
  return ((await c.query('select 1 from pg_roles where rolname = $1', [role])).rowCount ?? 0) > 0;
}

/** Runs `sql` in a savepoint; answers the error's message instead of failing the migration. */
async function attempt(c: pg.ClientBase, sql: string): Promise<string | null> {
  await c.query('savepoint linedeck_roles');
  try {
    await c.query(sql);
    await c.query('release savepoint linedeck_roles');
    return null;
  } catch (e) {
    await c.query('rollback to savepoint linedeck_roles');
    return (e as Error).message;
  }
}

/** Creates the console's roles when missing (NOLOGIN: a login and its password are the installer's or IT's). */
export async function ensureRoles(c: pg.ClientBase): Promise<string[]> {
  const notes: string[] = [];
  const me = (await c.query<{ su: boolean; cr: boolean; user: string }>('select rolsuper as su, rolcreaterole as cr, current_user as user from pg_roles where rolname = current_user')).rows[0];
  for (const role of [APP_ROLE, READ_ROLE]) {
    if (await roleExists(c, role)) continue;
    if (!me.su && !me.cr) {
      notes.push(`database role ${role} is missing and ${me.user} may not create roles: run CREATE ROLE ${role} ${role === APP_ROLE ? "LOGIN PASSWORD '…'" : 'NOLOGIN'} as an administrator, then linedeck migrate (README "Security")`);
      continue;
    }
    // two databases of one cluster migrating at once may both try
    const err = await attempt(c, `do $$ begin create role ${role} nologin nosuperuser nocreatedb nocreaterole noinherit; exception when duplicate_object or unique_violation then null; end $$`);
    if (err) notes.push(`creating database role ${role} failed: ${err}`);
  }
  return notes;
}

/** Grants what the console needs to `linedeck_app` and SELECT to `linedeck_read`, on every object there is now and
 * (default privileges) on what the owner creates later. Idempotent; a grant the owner may not give becomes a note. */
export async function grantConsoleRoles(c: pg.ClientBase): Promise<string[]> {
  const notes: string[] = [];
  const app = await roleExists(c, APP_ROLE);
  const read = await roleExists(c, READ_ROLE);
  const steps: string[] = [];
  if (app) {
    steps.push(
      `grant usage on schema public to ${APP_ROLE}`,
      `grant select, insert, update, delete on all tables in schema public to ${APP_ROLE}`,
      `revoke truncate, references, trigger on all tables in schema public from ${APP_ROLE}`,
      `grant usage, select on all sequences in schema public to ${APP_ROLE}`,
      `alter default privileges in schema public grant select, insert, update, delete on tables to ${APP_ROLE}`,
      `alter default privileges in schema public grant usage, select on sequences to ${APP_ROLE}`,
      // a schema the owner creates later (the demo's FCMS copy) is readable without another migrate
      `alter default privileges grant usage on schemas to ${APP_ROLE}`,
    );
    for (const t of APPEND_ONLY) steps.push(`revoke update, delete on table public.${t} from ${APP_ROLE}`);
    for (const t of READ_ONLY) steps.push(`revoke insert, update, delete on table public.${t} from ${APP_ROLE}`);
  }
  if (read) {
    steps.push(
      `grant usage on schema public to ${READ_ROLE}`,
      `grant select on all tables in schema public to ${READ_ROLE}`,
      `alter default privileges in schema public grant select on tables to ${READ_ROLE}`,
      `alter default privileges grant usage on schemas to ${READ_ROLE}`,
    );
  }
  const schemas = (await c.query<{ s: string }>('select nspname as s from pg_namespace where nspname = any($1::text[])', [READ_ONLY_SCHEMAS])).rows.map((r) => r.s);
  for (const s of schemas)
    for (const role of [app && APP_ROLE, read && READ_ROLE].filter(Boolean) as string[]) {
      steps.push(`grant usage on schema ${s} to ${role}`, `grant select on all tables in schema ${s} to ${role}`, `alter default privileges in schema ${s} grant select on tables to ${role}`);
      if (role === APP_ROLE) steps.push(`revoke insert, update, delete, truncate on all tables in schema ${s} from ${role}`);
    }
  for (const sql of steps) {
    const err = await attempt(c, sql);
    if (err) notes.push(`${sql}: ${err}`);
  }
  // what the owner could not grant (tables of the CDC pipeline's own role): IT's part
  if (app)
    for (const s of schemas) {
      const unreadable = await c.query<{ t: string }>(
        `select format('%I.%I', schemaname, tablename) as t from pg_tables where schemaname = $1 and not has_table_privilege($2, format('%I.%I', schemaname, tablename), 'select')`,
        [s, APP_ROLE],
      );
      if (unreadable.rowCount) notes.push(`${APP_ROLE} cannot read ${unreadable.rows.map((r) => r.t).join(', ')}: run GRANT USAGE ON SCHEMA ${s} TO ${APP_ROLE}; GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${APP_ROLE}; as their owner`);
    }
  return notes;
}

/** The core ensure-hook: roles, then grants; run after every other hook (modules.ts puts it last). */
export const rolesHook: EnsureHook = {
  name: 'core.roles',
  group: 'core',
  run: async ({ client }) => {
    // savepoints (each grant may fail alone) need a transaction
    await client.query('begin');
    try {
      const notes = [...(await ensureRoles(client)), ...(await grantConsoleRoles(client))];
      await client.query('commit');
      return notes;
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    }
  },
};

/** Who a pool connects as: the console should not be a superuser (doctor warns). */
export async function connectionRole(q: pg.Pool | pg.ClientBase): Promise<{ user: string; superuser: boolean; createrole: boolean }> {
  const r = await q.query<{ user: string; superuser: boolean; createrole: boolean }>(
    'select current_user as user, rolsuper as superuser, rolcreaterole as createrole from pg_roles where rolname = current_user',
  );
  return r.rows[0];
}
