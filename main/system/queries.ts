/**
 * The shell's SQL: the audit-log page (admin.audit.list), the first-run lock (auth.setup) and the test a database URL
 * must pass before Admin → Data sources saves it.
 */
import pg from 'pg';
import { ApiError } from '../api/kit';
import { because } from '../api/reasons';
import { redactUrl } from '../config';
import { describePgError } from '../db/pools';
import type { AuditQuery, AuditRow } from './types';

/** Connects to `url` and runs `select 1`; a validation error naming the (redacted) URL when that fails. */
export async function testDatabaseUrl(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
  } catch (e) {
    throw new ApiError('validation', `cannot use ${redactUrl(url)}: ${describePgError(e)}`, because('database_url_unusable', { url: redactUrl(url), problem: describePgError(e) }));
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Serialises concurrent first-run attempts: held by the caller's transaction until it ends. */
export async function lockFirstRunSetup(c: pg.ClientBase): Promise<void> {
  await c.query('select pg_advisory_xact_lock(4242)');
}

/** The audit log, newest first: action prefix, user name, [from, to), one page; with the total of matching rows. */
export async function auditLog(pool: pg.Pool, input: AuditQuery): Promise<{ rows: AuditRow[]; total: number }> {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replace('?', `$${args.length}`));
  };
  if (input.action) add('action ilike ?', `${input.action}%`);
  if (input.username) add('username = ?', input.username);
  if (input.from) add('logged_at >= ?', input.from);
  if (input.to) add('logged_at < ?', input.to);
  const w = where.length ? `where ${where.join(' and ')}` : '';
  const total = await pool.query<{ n: number }>(`select count(*)::int as n from audit_logs ${w}`, args);
  const rows = await pool.query<AuditRow>(
    `select log_id as "logId", logged_at as "loggedAt", username, action, table_name as "tableName", operation, target,
            old_data as "oldData", new_data as "newData"
     from audit_logs ${w} order by logged_at desc, log_id desc limit ${input.limit} offset ${input.offset}`,
    args,
  );
  return { rows: rows.rows, total: total.rows[0].n };
}
