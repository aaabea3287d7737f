/**
 * Opens a station's databases: the configured URLs, or the embedded server under LINEDECK_HOME when none is set.
 */
import { DATA_SOURCES, type DataSource, readStationConfig, resolveDatabaseUrls, resolveHome, stationPaths, type StationPaths } from '../config';
import { startEmbedded, type EmbeddedHandle } from './embedded';
import { migrateDatabase, type MigrateResult, type MigrationGroup } from './migrate';
import { allHooks, allMigrations } from './migrations';
import { Databases, type PoolOptions } from './pools';

export interface Station {
  paths: StationPaths;
  dbs: Databases;
  embedded?: EmbeddedHandle;
  close(): Promise<void>;
}

export async function openStation(opts: { home?: string; databaseUrl?: string; pool?: PoolOptions } = {}): Promise<Station> {
  const paths = stationPaths(resolveHome(opts.home));
  const cfg = readStationConfig(paths.configFile);
  const configured = resolveDatabaseUrls(cfg, opts.databaseUrl);
  let embedded: EmbeddedHandle | undefined;
  if (DATA_SOURCES.some((s) => !configured[s])) embedded = await startEmbedded(paths.pgdata);
  const urls = Object.fromEntries(DATA_SOURCES.map((s) => [s, configured[s] ?? embedded!.url])) as Record<DataSource, string>;
  const dbs = new Databases(urls, opts.pool);
  return {
    paths,
    dbs,
    embedded,
    close: async () => {
      await dbs.close();
      await embedded?.stop();
    },
  };
}

/** Migrates every distinct database: `core` everywhere, each source's group where that source lives. */
export async function migrateAll(dbs: Databases, opts: { dryRun?: boolean } = {}): Promise<MigrateResult> {
  const out: MigrateResult = { applied: [], pending: 0, notes: [] };
  for (const { url, sources } of dbs.distinct()) {
    const groups: MigrationGroup[] = ['core', ...sources];
    const r = await migrateDatabase(url, groups, allMigrations, allHooks, opts);
    out.applied.push(...r.applied);
    out.pending += r.pending;
    out.notes.push(...r.notes);
  }
  return out;
}
