/**
 * What every CLI command gets: the station (databases opened from --database-url / LINEDECK_DATABASE_URL / the
 * embedded server under LINEDECK_HOME), the App over it, and output helpers that keep the contract of cli.md:
 * with --json exactly one JSON document on stdout, logs on stderr, exit 0 / 1 (failure, one line) / 2 (usage).
 */
import type { Command } from 'commander';
import { createApp, type App } from '../app';
import { openStation, type Station } from '../db/station';
import { resolveHome, stationPaths } from '../config';
import { describePgError } from '../db/pools';
import type { CliContext as DomainCliContext } from '../domain';
import type { MigrateResult } from '../db/migrate';
import { migrateAll } from '../migrations';

import { CLI_USER } from '../domain';

export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** What the CLI's own commands get: a module's commands see only main/domain.ts's CliContext. */
export interface CliContext extends DomainCliContext {
  /** the App over the station (every module's instance); built once, on demand */
  app(): Promise<App>;
  close(): Promise<void>;
}

export function createCliContext(program: Command, io: { stdout: (s: string) => void; stderr: (s: string) => void }): CliContext {
  let station: Promise<Station> | undefined;
  let app: App | undefined;
  let migrated: Promise<MigrateResult> | undefined;
  const opts = () => program.opts<{ json?: boolean; databaseUrl?: string; home?: string }>();
  const ctx: CliContext = {
    get json() {
      return Boolean(opts().json);
    },
    station() {
      station ??= openStation({ databaseUrl: opts().databaseUrl, home: opts().home, pool: { readStatementTimeoutMs: 120_000 } }).catch((e) => {
        throw new CliFailure(describePgError(e));
      });
      return station;
    },
    paths() {
      return stationPaths(resolveHome(opts().home));
    },
    migrate() {
      migrated ??= ctx.station().then(async (st) => {
        const m = await migrateAll(st.dbs);
        for (const n of m.notes) ctx.progress(`note: ${n}`);
        return m;
      });
      return migrated;
    },
    async app() {
      if (!app) {
        const st = await ctx.station();
        app = createApp({ dbs: st.dbs, paths: st.paths, embedded: st.embedded });
      }
      return app;
    },
    async call<T>(name: string, input: unknown): Promise<T> {
      const a = await ctx.app();
      const r = await a.call(name, input, { transport: 'cli', user: CLI_USER });
      if (!r.ok) throw new CliFailure(`${r.error.kind}: ${r.error.message}`, r.error.kind === 'validation' ? 2 : 1);
      return r.value as T;
    },
    output(value, human) {
      if (ctx.json) io.stdout(`${JSON.stringify(value)}\n`);
      else io.stdout(`${typeof human === 'function' ? human() : (human ?? JSON.stringify(value, null, 2))}\n`);
    },
    fail(message, exitCode = 1): never {
      throw new CliFailure(message, exitCode);
    },
    progress(message) {
      io.stderr(`${message}\n`);
    },
    async close() {
      await app?.dispose();
      if (station) await (await station.catch(() => undefined))?.close();
    },
  };
  return ctx;
}
