/**
 * Station configuration: where the station keeps its data (LINEDECK_HOME) and which databases it uses.
 * Plain Node: used by the Electron shell, the browser host, the CLI and the tests alike.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { openSecret, sealSecret } from './secrets';

export const DATA_SOURCES = ['cylinders', 'telemetry', 'inspection'] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

/** The folder Electron's app.getPath('userData') gives for productName "LineDeck", computed without Electron. */
export function defaultUserDataDir(): string {
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'LineDeck');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'LineDeck');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'LineDeck');
}

export function resolveHome(explicit?: string): string {
  const dir = path.resolve(explicit ?? process.env.LINEDECK_HOME ?? defaultUserDataDir());
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export interface StationPaths {
  home: string;
  pgdata: string;
  images: string;
  logs: string;
  queue: string;
  configFile: string;
}

export function stationPaths(home: string): StationPaths {
  return {
    home,
    pgdata: path.join(home, 'pgdata'),
    images: path.join(home, 'images'),
    logs: path.join(home, 'logs'),
    queue: path.join(home, 'queue'),
    configFile: path.join(home, 'config.json'),
  };
}

const urlSchema = z
  .string()
  .trim()
  .transform((s) => openSecret(s))
  .refine((s) => /^postgres(ql)?:\/\//.test(s), 'must start with postgres:// or postgresql://');

/** What an administrator can set in LINEDECK_HOME/config.json (Admin → data sources). */
export const stationConfigSchema = z.object({
  databaseUrl: urlSchema.optional(),
  /** the owner's URL for migrations and the demo seed (db/roles.ts); the console itself connects with databaseUrl
   * (as linedeck_app). Used for each source whose database (host, port, name) it names. LINEDECK_MIGRATE_URL overrides */
  migrateUrl: urlSchema.optional(),
  sources: z.partialRecord(z.enum(DATA_SOURCES), urlSchema).default({}),
  modelDirs: z.array(z.string()).default([]),
  simulator: z.boolean().default(true),
  /** demo mode chosen at first run ("load demo data"): the DEMO badge, demo data and the simulator on every start */
  demo: z.boolean().default(false),
  /** what this console is in the plant (main/stations): an inspection station or a control-room PC; LINEDECK_STATION_KIND overrides */
  stationKind: z.enum(['station', 'desk']).optional(),
});
export type StationConfig = z.infer<typeof stationConfigSchema>;

export function readStationConfig(file: string): StationConfig {
  if (!fs.existsSync(file)) return stationConfigSchema.parse({});
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = stationConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function writeStationConfig(file: string, cfg: StationConfig): void {
  const tmp = `${file}.tmp`;
  const sealed = {
    ...cfg,
    databaseUrl: cfg.databaseUrl ? sealSecret(cfg.databaseUrl) : undefined,
    migrateUrl: cfg.migrateUrl ? sealSecret(cfg.migrateUrl) : undefined,
    sources: Object.fromEntries(Object.entries(cfg.sources).map(([k, v]) => [k, v ? sealSecret(v) : v])),
  };
  fs.writeFileSync(tmp, JSON.stringify(sealed, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * Database URL per data source. Precedence: explicit (--database-url) > LINEDECK_<SOURCE>_URL >
 * LINEDECK_DATABASE_URL > config.json (per source, then shared). `undefined` means: use the embedded server.
 */
export function resolveDatabaseUrls(
  cfg: StationConfig,
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<DataSource, string | undefined> {
  const out = {} as Record<DataSource, string | undefined>;
  for (const s of DATA_SOURCES) {
    out[s] =
      explicit ??
      env[`LINEDECK_${s.toUpperCase()}_URL`] ??
      env.LINEDECK_DATABASE_URL ??
      cfg.sources[s] ??
      cfg.databaseUrl ??
      undefined;
  }
  return out;
}

/**
 * The URL migrations use for a source's database: LINEDECK_MIGRATE_URL, else config.json's migrateUrl, when it names
 * the same database (host, port, name) as the source's URL; else the source's own URL (a single-role setup).
 */
export function resolveOwnerUrl(cfg: StationConfig, sourceUrl: string, env: NodeJS.ProcessEnv = process.env): string {
  const owner = env.LINEDECK_MIGRATE_URL ?? cfg.migrateUrl;
  if (!owner) return sourceUrl;
  return sameDatabase(owner, sourceUrl) ? owner : sourceUrl;
}

function sameDatabase(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const port = (u: URL) => u.port || '5432';
    return x.hostname === y.hostname && port(x) === port(y) && x.pathname === y.pathname;
  } catch {
    return false;
  }
}

/** Redacts the password of a connection URL for logs and screens. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}
