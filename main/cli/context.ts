/**
 * What every CLI command gets: the station (databases opened from --database-url / LINEDECK_DATABASE_URL / the
 * embedded server under LINEDECK_HOME), the App over it, and output helpers that keep the contract of cli.md:
 * with --json exactly one JSON document on stdout, logs on stderr, exit 0 / 1 (failure, one line) / 2 (usage).
 */
import type { Command } from 'commander';
import { createApp, type App } from '../app';
import type { SessionUser } from '../api/kit';
import { openStation, type Station } from '../db/station';
import { describePgError } from '../db/pools';

export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The CLI acts as the local engineer: it already holds database access, so it runs with the admin role. */
export const CLI_USER: SessionUser = { userId: 0, username: 'cli', fullName: 'linedeck CLI', role: 'admin' };

export interface CliContext {
  readonly json: boolean;
  station(): Promise<Station>;
  app(): Promise<App>;
  /** calls a procedure through the same dispatcher as the UI; throws CliFailure on an error envelope */
  call<T = unknown>(name: string, input: unknown): Promise<T>;
  output(value: unknown, human?: string | (() => string)): void;
  fail(message: string, exitCode?: number): never;
  progress(message: string): void;
  close(): Promise<void>;
}

export function createCliContext(program: Command, io: { stdout: (s: string) => void; stderr: (s: string) => void }): CliContext {
  let station: Promise<Station> | undefined;
  let app: App | undefined;
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
