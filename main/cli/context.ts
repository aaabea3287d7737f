/**
 * What every CLI command gets: the station (databases opened from --database-url / LINEDECK_DATABASE_URL / the
 * embedded server under LINEDECK_HOME), the App over it, and output helpers that keep the contract of cli.md:
 * with --json exactly one JSON document on stdout, logs on stderr, exit 0 / 1 (failure, one line) / 2 (usage).
 *
 * Parsing and --help load nothing of this: the station, the migrations and the App (every module's services, the
 * database driver, ONNX Runtime, sharp) are imported when a command first asks for them, and the station's folders
 * (config) just before any command's action runs (a preAction hook, so `paths()` stays synchronous).
 */
import type { Command } from 'commander';
import type { App } from '../app';
import type { Station } from '../db/station';
import type { StationPaths } from '../config';
import type { CliContext as DomainCliContext } from '../domain';
import type { MigrateResult } from '../db/migrate';

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

/** A database error as the one line the contract asks for (db/pools.ts, loaded only on the error path). */
export async function describeError(e: unknown): Promise<string> {
  const { describePgError } = await import('../db/pools');
  return describePgError(e);
}

export function createCliContext(program: Command, io: { stdout: (s: string) => void; stderr: (s: string) => void }): CliContext {
  let station: Promise<Station> | undefined;
  let app: Promise<App> | undefined;
  let migrated: Promise<MigrateResult> | undefined;
  let config: typeof import('../config') | undefined;
  const opts = () => program.opts<{ json?: boolean; databaseUrl?: string; home?: string }>();
  // before any action: the station's folders (main/config.ts) for the synchronous paths()
  program.hook('preAction', async () => {
    config ??= await import('../config');
  });
  const ctx: CliContext = {
    get json() {
      return Boolean(opts().json);
    },
    station() {
      station ??= import('../db/station').then(({ openStation }) =>
        openStation({ databaseUrl: opts().databaseUrl, home: opts().home, pool: { readStatementTimeoutMs: 120_000 } }).catch(async (e) => {
          throw new CliFailure(await describeError(e));
        }),
      );
      return station;
    },
    paths(): StationPaths {
      if (!config) throw new Error('the CLI context is used before a command runs');
      return config.stationPaths(config.resolveHome(opts().home));
    },
    migrate() {
      migrated ??= Promise.all([ctx.station(), import('../migrations')]).then(async ([st, { migrateAll }]) => {
        const m = await migrateAll(st.dbs);
        for (const n of m.notes) ctx.progress(`note: ${n}`);
        return m;
      });
      return migrated;
    },
    app() {
      app ??= Promise.all([ctx.station(), import('../app')]).then(([st, { createApp }]) => createApp({ dbs: st.dbs, paths: st.paths, embedded: st.embedded }));
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
      if (app) await (await app.catch(() => undefined))?.dispose();
      if (station) await (await station.catch(() => undefined))?.close();
    },
  };
  return ctx;
}
