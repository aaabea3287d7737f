/** Handlers of the shell's procedures (main/system/contract.ts). */
import pg from 'pg';
import { ApiError } from '../api/kit';
import type { HandlerTable } from '../api/dispatch';
import type { AppServices } from '../app';
import { newUserSchema } from '../auth/auth';
import { DATA_SOURCES, readStationConfig, redactUrl, writeStationConfig, type DataSource } from '../config';
import { describePgError, withTransaction } from '../db/pools';
import { writeAudit } from '../audit/audit';
import { primeSecrets } from '../secrets';
import { systemProcedures, type DataSourcesView } from './contract';

export const APP_VERSION = '0.1.0';

async function testUrl(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
  } catch (e) {
    throw new ApiError('validation', `cannot use ${redactUrl(url)}: ${describePgError(e)}`);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export function createSystemHandlers(s: AppServices): HandlerTable<typeof systemProcedures> {
  const datasources = async (): Promise<DataSourcesView> => {
    const cfg = readStationConfig(s.paths.configFile);
    const health = await s.dbs.health();
    return {
      embedded: Boolean(s.embedded),
      configFile: s.paths.configFile,
      sources: DATA_SOURCES.map((src) => {
        const h = health.find((x) => x.source === src)!;
        const conf = cfg.sources[src] ?? cfg.databaseUrl ?? null;
        return { source: src, url: h.url, configured: conf ? redactUrl(conf) : null, ok: h.ok, ...(h.error ? { error: h.error } : {}) };
      }),
    };
  };
  return {
    'auth.status': async (_i, ctx) => ({ needsSetup: (await s.auth.activeAdminCount()) === 0, user: ctx.user ?? null }),
    'auth.setup': async (input) => {
      const parsed = newUserSchema.parse({ ...input, role: 'admin' });
      // Serialise concurrent first-run attempts: only one admin may be created this way.
      return withTransaction(s.dbs.pool('inspection'), async (c) => {
        await c.query('select pg_advisory_xact_lock(4242)');
        if ((await s.auth.activeAdminCount()) > 0) throw new ApiError('conflict', 'this station already has an administrator; log in instead');
        await s.auth.createUser(parsed);
        return s.auth.login(parsed.username, parsed.password);
      });
    },
    'auth.login': async (input) => s.auth.login(input.username, input.password),
    'auth.logout': async (_i, ctx) => {
      s.auth.sessions.drop(ctx.sessionId);
      return { ok: true };
    },
    'system.health': async () => ({ version: APP_VERSION, embedded: Boolean(s.embedded), sources: await s.dbs.health(), now: new Date().toISOString() }),
    'admin.users.list': async () => s.auth.listUsers(),
    'admin.users.create': async (input, ctx) => s.auth.createUser(newUserSchema.parse(input), ctx.user),
    'admin.users.update': async (input, ctx) => {
      const { userId, password, ...rest } = input;
      if (password !== undefined) newUserSchema.shape.password.parse(password);
      return s.auth.updateUser(userId, { ...rest, ...(password ? { password } : {}) }, ctx.user!);
    },
    'admin.audit.list': async (input) => {
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
      const pool = s.dbs.pool('inspection');
      const total = await pool.query<{ n: number }>(`select count(*)::int as n from audit_logs ${w}`, args);
      const rows = await pool.query(
        `select log_id as "logId", logged_at as "loggedAt", username, action, table_name as "tableName", operation, target,
                old_data as "oldData", new_data as "newData"
         from audit_logs ${w} order by logged_at desc, log_id desc limit ${input.limit} offset ${input.offset}`,
        args,
      );
      return { rows: rows.rows, total: total.rows[0].n };
    },
    'admin.datasources.get': async () => datasources(),
    'admin.datasources.set': async (input, ctx) => {
      const cfg = readStationConfig(s.paths.configFile);
      const before = { databaseUrl: cfg.databaseUrl ? redactUrl(cfg.databaseUrl) : null, sources: Object.fromEntries(Object.entries(cfg.sources).map(([k, v]) => [k, redactUrl(v!)])) };
      const urls = [input.databaseUrl, ...Object.values(input.sources ?? {})].filter((u): u is string => Boolean(u));
      for (const u of urls) {
        if (!/^postgres(ql)?:\/\//.test(u)) throw new ApiError('validation', `${u} must start with postgres:// or postgresql://`);
        await testUrl(u);
      }
      if (input.databaseUrl !== undefined) cfg.databaseUrl = input.databaseUrl || undefined;
      for (const [k, v] of Object.entries(input.sources ?? {})) {
        if (v) cfg.sources[k as DataSource] = v;
        else delete cfg.sources[k as DataSource];
      }
      await primeSecrets([cfg.databaseUrl, ...Object.values(cfg.sources)]); // the desktop app's keychain is in another process
      writeStationConfig(s.paths.configFile, cfg);
      await writeAudit(s.dbs.pool('inspection'), ctx.user, {
        action: 'admin.datasources.set',
        operation: 'UPDATE',
        target: s.paths.configFile,
        before,
        after: { databaseUrl: cfg.databaseUrl ? redactUrl(cfg.databaseUrl) : null, sources: Object.fromEntries(Object.entries(cfg.sources).map(([k, v]) => [k, redactUrl(v!)])) },
      });
      return { ...(await datasources()), restartNeeded: true };
    },
    'jobs.list': async () => s.jobs.list(),
    'jobs.cancel': async (input) => ({ cancelled: s.jobs.cancel(input.jobId) }),
  };
}
