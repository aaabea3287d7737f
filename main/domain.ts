/**
 * What a domain is to the rest of the console: a module (main/<domain>/module.ts) that brings its procedures, its
 * handlers over one instance of its services, its migrations, its demo seeder, its doctor checks, its background
 * work and its CLI commands. main/modules.ts lists the modules; main/app.ts, the CLI, `migrate`, `doctor` and
 * `demo seed` iterate that one list. A domain imports this file and lower layers (api/kit, db, config, log, events,
 * jobs, auth); it never imports main/app.ts, main/modules.ts or another domain's module.
 */
import type { Command } from 'commander';
import type { HandlerTable } from './api/dispatch';
import type { ProcedureTable, SessionUser } from './api/kit';
import type { AuthService } from './auth/auth';
import type { StationPaths } from './config';
import type { EmbeddedHandle } from './db/embedded';
import type { EnsureHook, MigrateResult, Migration } from './db/migrate';
import type { Databases } from './db/pools';
import type { Station } from './db/station';
import type { EventBus } from './events';
import type { JobControl, JobRunner } from './jobs/jobs';

/** The station's shared services, built once by main/app.ts and handed to every module's `create`. */
export interface AppServices {
  dbs: Databases;
  paths: StationPaths;
  bus: EventBus;
  jobs: JobRunner;
  auth: AuthService;
  embedded?: EmbeddedHandle;
  /** demo mode (`--demo`, LINEDECK_DEMO=1, `npm start` in the repository, or demo data loaded at first run): every screen shows DEMO */
  demo?: boolean;
  /**
   * what one module tells the station's heartbeat about this console (the stations module reads it; the inspection
   * module fills it): results waiting in the outbox, the models it scores with
   */
  reports?: StationReports;
  /** stoppers registered by services with background work (simulator, schedulers, workers); run in reverse order */
  disposers: (() => Promise<void> | void)[];
}

export interface StationReports {
  outboxDepth?: () => number;
  modelsInUse?: () => Record<string, string> | null;
}

export interface SeedOptions {
  /** create the demo admin too (the CLI does; the app's first start leaves the admin to the first-run setup) */
  withAdmin: boolean;
  now?: Date;
  /** seed only these domains (users are always seeded) */
  only?: string[];
  /**
   * the first start: seed what the screens open on now and leave the slow rest to the domain's `backfill`, which
   * the station runs in the background (default false: everything now, as `linedeck demo seed` does)
   */
  defer?: boolean;
  /** what it does, and how far this domain's seed is (0…1) when it knows */
  onProgress?: (message: string, fraction?: number) => void;
}

/** One line of `linedeck doctor`. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** ok, but IT should look (doctor prints WARN; the exit code stays 0) */
  warn?: boolean;
}

/** What a module's `create` returns: one instance of the domain's services for one running station. */
export interface DomainInstance<P extends ProcedureTable = ProcedureTable> {
  handlers: HandlerTable<P>;
  /** background work of a running station (schedulers, watchers, the demo feed); stoppers go to `disposers` */
  start?(opts: { demo: boolean }): void;
  /** demo data for every screen of the domain; returns counts of what it created */
  seed?(opts: SeedOptions): Promise<Record<string, number>>;
  /**
   * the rest of a deferred seed (SeedOptions.defer), run as a background job after the start: `pending` answers
   * cheaply whether any is left (a station stopped half-way goes on at its next start); `run` does it, resumable
   */
  backfill?: {
    pending(): Promise<boolean>;
    run(ctl: JobControl): Promise<Record<string, number>>;
    /**
     * called on the running station's instance while another instance (the owner's connections) runs the backfill:
     * what it wrote is there now (e.g. empty the screens' caches)
     */
    changed?(): void;
  };
}

/** The CLI's side of a command: output in the contract's forms (shared/contracts/cli.md), and the station. */
export interface CliContext {
  readonly json: boolean;
  /** the databases (not migrated); the embedded server starts on demand */
  station(): Promise<Station>;
  /** this machine's LINEDECK_HOME folders, without touching a database */
  paths(): StationPaths;
  /** migrates every database first (idempotent) and prints the notes */
  migrate(): Promise<MigrateResult>;
  /** calls a procedure through the same dispatcher as the UI; throws a CLI failure on an error envelope */
  call<T = unknown>(name: string, input: unknown): Promise<T>;
  output(value: unknown, human?: string | (() => string)): void;
  fail(message: string, exitCode?: number): never;
  progress(message: string): void;
}

/** A module's CLI commands get the context and, on demand, the module's own instance over the station. */
export interface DomainCli<I> extends CliContext {
  instance(): Promise<I>;
}

export interface DomainModule<P extends ProcedureTable = ProcedureTable, I extends DomainInstance<P> = DomainInstance<P>> {
  /** the domain's name: the procedures' prefix, the seeder's name (`demo seed --only NAME`) */
  name: string;
  procedures: P;
  /** versioned migrations and ensure-hooks (db/migrate.ts), applied by `linedeck migrate` and every start */
  migrations?: Migration[];
  hooks?: EnsureHook[];
  /** builds the domain's services once for a station; main/app.ts calls it */
  create(services: AppServices): I;
  /** extra `linedeck doctor` checks (need no instance) */
  doctor?(dbs: Databases, paths: StationPaths): Promise<Check[]>;
  /** `linedeck <domain> …` commands */
  commands?(program: Command, cli: DomainCli<NoInfer<I>>): void;
}

/** Declares a module with its types inferred (procedures and instance). */
export function defineModule<P extends ProcedureTable, I extends DomainInstance<P>>(m: DomainModule<P, I>): DomainModule<P, I> {
  return m;
}

/** The user the CLI acts as: it already holds database access, so it runs with the admin role. */
export const CLI_USER: SessionUser = { userId: 0, username: 'cli', fullName: 'linedeck CLI', role: 'admin' };
