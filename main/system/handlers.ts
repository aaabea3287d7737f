/** Handlers of the shell's procedures (main/system/contract.ts). */
import { ApiError, roleAtLeast } from '../api/kit';
import { because } from '../api/reasons';
import type { HandlerTable } from '../api/dispatch';
import type { AppServices } from '../domain';
import { newUserSchema, passwordSchema } from '../auth/auth';
import { DATA_SOURCES, readStationConfig, redactUrl, writeStationConfig, type DataSource } from '../config';
import { withTransaction } from '../db/pools';
import { writeAudit } from '../audit/audit';
import { primeSecrets } from '../secrets';
import { systemProcedures } from './contract';
import { publicSources } from './health';
import { auditLog, lockFirstRunSetup, testDatabaseUrl } from './queries';
import { checkSetupCode, ensureSetupCode, removeSetupCode } from './setup-code';
import type { DataSourcesView } from './types';
import { APP_VERSION } from '../version';

export { APP_VERSION };

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
    'auth.status': async (_i, ctx) => {
      const needsSetup = (await s.auth.activeAdminCount()) === 0;
      // a demo station shows its code on the setup screen; a production one never sends it
      return { needsSetup, user: ctx.user ?? null, demo: Boolean(s.demo), setupCode: needsSetup && s.demo ? ensureSetupCode(s.paths) : null };
    },
    'auth.setup': async (input) => {
      const { setupCode, ...user } = input;
      const parsed = newUserSchema.parse({ ...user, role: 'admin' });
      // Serialise concurrent first-run attempts: only one admin may be created this way.
      const out = await withTransaction(s.dbs.pool('inspection'), async (c) => {
        await lockFirstRunSetup(c);
        if ((await s.auth.activeAdminCount()) > 0) throw new ApiError('conflict', 'this station already has an administrator; log in instead', because('admin_exists'));
        // the code in LINEDECK_HOME proves the person can read the machine's files: nobody walking past claims it
        ensureSetupCode(s.paths);
        if (!checkSetupCode(s.paths, setupCode))
          throw new ApiError('forbidden', setupCode ? 'the setup code is wrong (run `linedeck setup-code` on this station)' : 'enter the setup code (run `linedeck setup-code` on this station)', because('setup_code'));
        await s.auth.createUser(parsed);
        return s.auth.login(parsed.username, parsed.password);
      });
      removeSetupCode(s.paths);
      return out;
    },
    'auth.login': async (input) => s.auth.login(input.username, input.password),
    'auth.activity': async (_i, ctx) => ({ ok: s.auth.sessions.activity(ctx.sessionId) }),
    'auth.reauth': async (input, ctx) => s.auth.reauth(ctx.sessionId, input.password),
    'auth.logout': async (_i, ctx) => {
      s.auth.sessions.drop(ctx.sessionId);
      return { ok: true };
    },
    // public for the status light; the (redacted) URLs and the error texts only for a manager's or an admin's session
    'system.health': async (_i, ctx) => {
      const health = await s.dbs.health();
      const sources = roleAtLeast(ctx.user?.role, 'manager') ? health : publicSources(health);
      return { version: APP_VERSION, embedded: Boolean(s.embedded), demo: Boolean(s.demo), sources, now: new Date().toISOString() };
    },
    'admin.users.list': async () => s.auth.listUsers(),
    'admin.users.create': async (input, ctx) => s.auth.createUser(newUserSchema.parse(input), ctx.user),
    'admin.users.update': async (input, ctx) => {
      const { userId, password, ...rest } = input;
      if (password !== undefined) passwordSchema.parse(password);
      return s.auth.updateUser(userId, { ...rest, ...(password ? { password } : {}) }, ctx.user!);
    },
    'admin.users.unlock': async (input, ctx) => s.auth.unlockUser(input.userId, ctx.user!),
    'admin.audit.list': async (input) => auditLog(s.dbs.pool('inspection'), input),
    'admin.datasources.get': async () => datasources(),
    'admin.datasources.set': async (input, ctx) => {
      const cfg = readStationConfig(s.paths.configFile);
      const before = { databaseUrl: cfg.databaseUrl ? redactUrl(cfg.databaseUrl) : null, sources: Object.fromEntries(Object.entries(cfg.sources).map(([k, v]) => [k, redactUrl(v!)])) };
      const urls = [input.databaseUrl, ...Object.values(input.sources ?? {})].filter((u): u is string => Boolean(u));
      for (const u of urls) {
        if (!/^postgres(ql)?:\/\//.test(u)) throw new ApiError('validation', `${u} must start with postgres:// or postgresql://`, because('database_url_scheme', { url: redactUrl(u) }));
        await testDatabaseUrl(u);
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
