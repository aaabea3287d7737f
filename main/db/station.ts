/**
 * Opens a station's databases: the configured URLs, or the embedded server under LINEDECK_HOME when none is set.
 * Migrating them is main/migrations.ts's `migrateAll`.
 */
import { DATA_SOURCES, type DataSource, readStationConfig, resolveDatabaseUrls, resolveHome, resolveOwnerUrl, stationPaths, type StationPaths } from '../config';
import { startEmbedded, type EmbeddedHandle } from './embedded';
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
  // the console connects as linedeck_app; migrations and the demo seed as the owner (db/roles.ts)
  const urls = Object.fromEntries(DATA_SOURCES.map((s) => [s, configured[s] ?? embedded!.appUrl])) as Record<DataSource, string>;
  const owners = Object.fromEntries(DATA_SOURCES.map((s) => [s, configured[s] ? resolveOwnerUrl(cfg, configured[s]) : embedded!.url])) as Record<DataSource, string>;
  const dbs = new Databases(urls, opts.pool, owners);
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
