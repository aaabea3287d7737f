/**
 * Starting a station the way the desktop app and the browser host do: open the databases (embedded by default),
 * migrate, seed demo data into an empty embedded database, start background services (telemetry simulator and
 * refresh scheduler, watch folders), and a DB status monitor that pushes `db.status`.
 */
import { createApp, type App } from './app';
import { readStationConfig } from './config';
import { describePgError, isUnavailable, withTransaction } from './db/pools';
import { grantConsoleRoles } from './db/roles';
import { openStation, type Station } from './db/station';
import { seedDemo } from './demo/seed';
import { log } from './log';
import { migrateAll } from './migrations';
import { ensureSetupCode, setupCodeFile } from './system/setup-code';

export interface BootOptions {
  home?: string;
  databaseUrl?: string;
  /**
   * demo mode: demo data on an empty database, the telemetry simulator, the DEMO badge. Default: LINEDECK_DEMO=1,
   * else config.json's `demo` (set when demo data was loaded at first run), else off — an installed station starts
   * empty and asks for its setup code.
   */
  demo?: boolean;
  /** in demo mode, seed demo data when the database has no users (default true) */
  seedIfEmpty?: boolean;
  /** start the simulator, schedulers and watchers (default true) */
  background?: boolean;
  /** what the start does, and how far it is (0…1) when known: the splash's and the terminal's progress bar */
  onProgress?: (message: string, fraction?: number) => void;
}

/** Where the first start's demo seed lies on the start's progress bar (opening and migrating come before it). */
const SEED_FROM = 0.12;
const SEED_TO = 0.97;

export async function bootStation(opts: BootOptions = {}): Promise<{ app: App; station: Station; close: () => Promise<void> }> {
  const logger = log('boot');
  opts.onProgress?.('데이터베이스 여는 중… (opening the database…)', 0); // the splash and the terminal: Korean, then English
  const station = await openStation({ home: opts.home, databaseUrl: opts.databaseUrl });
  opts.onProgress?.('데이터베이스 구조 갱신 중… (migrating…)', 0.08);
  // a plant database that is away does not keep the station from starting: it inspects from its snapshots and
  // journals (store and forward), and migrates when the database is back
  let migrated = await migrateOrWait(station, logger);
  const demo = resolveDemo(opts.demo, station.paths.configFile);
  const app = createApp({ dbs: station.dbs, paths: station.paths, embedded: station.embedded, demo });
  if (!migrated) {
    const t = setInterval(() => {
      void migrateOrWait(station, logger, true).then(
        (ok) => {
          if (ok && !migrated) {
            migrated = true;
            clearInterval(t);
            logger.info('database back: migrated');
          }
        },
        (e) => logger.error({ err: (e as Error).message }, 'migration failed; tried again in 10 s'),
      );
    }, 10_000);
    t.unref();
    app.services.disposers.push(() => clearInterval(t));
  }
  if (migrated && demo && opts.seedIfEmpty !== false) {
    const users = await app.services.auth.userCount();
    if (users === 0) {
      opts.onProgress?.('첫 시작: 데모 데이터 만드는 중… (first start: seeding demo data…)', SEED_FROM);
      // the screens' recent data now, the slower rest (older telemetry days) in the background after the start
      const counts = await seedAsOwner(station, demo, (owner) =>
        seedDemo(owner, { withAdmin: false, defer: true, onProgress: (m, f) => opts.onProgress?.(m, f === undefined ? undefined : SEED_FROM + (SEED_TO - SEED_FROM) * f) }),
      );
      logger.info({ counts }, 'demo data seeded');
    }
  }
  if (migrated && (await app.services.auth.activeAdminCount()) === 0) {
    // the first administrator's setup asks for it (`linedeck setup-code` prints it)
    ensureSetupCode(station.paths);
    logger.info({ file: setupCodeFile(station.paths) }, 'no administrator yet: the first one needs the setup code (linedeck setup-code)');
  }
  if (opts.background !== false) {
    app.start({ demo: demo && demoFeeds(app) });
    if (migrated && demo) startDemoBackfill(station, app, demo);
  }
  opts.onProgress?.('준비 완료 (ready)', 1);
  // offline logins only for what the database still confirms (a deactivation or password change at another PC)
  const refreshCredentials = () => void app.services.auth.refreshCredentialCache().catch(() => undefined);
  if (migrated) refreshCredentials();
  const credentialsTimer = setInterval(refreshCredentials, 5 * 60_000);
  credentialsTimer.unref();
  app.services.disposers.push(() => clearInterval(credentialsTimer));
  startDbMonitor(app);
  return {
    app,
    station,
    close: async () => {
      await app.dispose();
      await station.close();
    },
  };
}

/**
 * The demo seed creates the FCMS copy and bulk-loads with triggers off: the owner's work, not linedeck_app's
 * (db/roles.ts). It runs on an App of its own over the owner's connections, started and closed around it.
 */
export async function seedAsOwner<T>(station: Station, demo: boolean, fn: (owner: App) => Promise<T>): Promise<T> {
  const dbs = station.dbs.asOwner();
  const owner = createApp({ dbs, paths: station.paths, embedded: station.embedded, demo });
  try {
    const out = await fn(owner);
    // the seed made the FCMS CDC copy after the migrate's grants: linedeck_app reads it from now on
    for (const { sources } of dbs.distinct()) for (const n of await withTransaction(dbs.pool(sources[0], 'job'), grantConsoleRoles)) log('boot').warn(n);
    return out;
  } finally {
    await owner.dispose();
    await dbs.close();
  }
}

/**
 * The rest of a first start's deferred demo seed (the older telemetry days): one background job (`demo.backfill`,
 * its progress on the console's job events) on the owner's connections like the seed itself, stopped with the
 * station. Resumes at the next start when the station stopped before it was done.
 */
function startDemoBackfill(station: Station, app: App, demo: boolean): void {
  const logger = log('boot');
  const controller = new AbortController();
  let job: Promise<unknown> | undefined;
  const begin = async () => {
    const pending: string[] = [];
    for (const { module, instance } of app.instances()) if (instance.backfill && (await instance.backfill.pending())) pending.push(module.name);
    if (!pending.length || controller.signal.aborted) return;
    const started = app.services.jobs.start('demo.backfill', (ctl) => {
      const stop = () => controller.abort();
      ctl.signal.addEventListener('abort', stop);
      return seedAsOwner(station, demo, async (owner) => {
        const counts: Record<string, number> = {};
        const mine = owner.instances().filter(({ module, instance }) => instance.backfill && pending.includes(module.name));
        for (const [k, { module, instance }] of mine.entries()) {
          // what the owner's instance wrote is on the station's screens at once (their caches are the station's)
          const changed = () => app.instances().find((x) => x.module.name === module.name)?.instance.backfill?.changed?.();
          const progress = (f: number | null, m?: string) => {
            changed();
            ctl.progress(f === null ? null : (k + f) / mine.length, m);
          };
          Object.assign(counts, await instance.backfill!.run({ signal: controller.signal, progress }));
          changed();
        }
        return counts;
      });
    });
    job = started.done.then(
      (counts) => logger.info({ counts }, 'demo backfill done'),
      (e) => {
        if (!controller.signal.aborted) logger.warn({ err: (e as Error).message }, 'demo backfill stopped; it goes on at the next start');
      },
    );
  };
  const first = begin().catch((e) => logger.warn({ err: (e as Error).message }, 'demo backfill not started'));
  app.services.disposers.push(async () => {
    controller.abort();
    await first;
    await job;
  });
}

/** Migrates; with the database unreachable, logs it (once, unless `quiet`) and answers false instead of failing. */
async function migrateOrWait(station: Station, logger: ReturnType<typeof log>, quiet = false): Promise<boolean> {
  try {
    const m = await migrateAll(station.dbs);
    for (const n of m.notes) logger.warn(n);
    return true;
  } catch (e) {
    if (!isUnavailable(e)) throw e;
    if (!quiet) logger.warn({ err: describePgError(e) }, 'the database is not reachable: starting without it (inspections are journaled on this station)');
    return false;
  }
}

/** Polls the pools' health every 3 s and pushes `db.status` when it changes. */
function startDbMonitor(app: App): void {
  let last = '';
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const h = await app.services.dbs.health();
      const payload = { sources: h.map((x) => ({ source: x.source, ok: x.ok, ...(x.error ? { error: x.error } : {}) })), embedded: Boolean(app.services.embedded), at: new Date().toISOString() };
      const key = JSON.stringify(payload.sources);
      if (key !== last) {
        last = key;
        app.services.bus.emit('db.status', payload);
      }
    } catch {
      /* pools closed during shutdown */
    } finally {
      busy = false;
    }
  };
  const t = setInterval(tick, 3000);
  t.unref();
  void tick();
  app.services.disposers.push(() => clearInterval(t));
}

/** Demo mode: asked for (`--demo`), LINEDECK_DEMO=1, or chosen at first run (config.json `demo`). */
export function resolveDemo(asked: boolean | undefined, configFile: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (asked !== undefined) return asked;
  if (env.LINEDECK_DEMO === '1') return true;
  try {
    return readStationConfig(configFile).demo;
  } catch {
    return false;
  }
}

/** In demo mode the demo feeds (the telemetry simulator) run on the embedded database unless config.json turns them off. */
function demoFeeds(app: App): boolean {
  let simulator = true;
  try {
    simulator = readStationConfig(app.services.paths.configFile).simulator;
  } catch (e) {
    log('boot').warn({ err: (e as Error).message }, 'config unreadable; defaults apply');
  }
  return simulator && (Boolean(app.services.embedded) || process.env.LINEDECK_SIMULATOR === '1');
}
