/**
 * A throw-away database on a PostgreSQL server (for the benches): created fresh under `name`, with a Databases over it for
 * every data source; `drop()` closes the pools and drops it (forcing off any session left).
 */
import pg from 'pg';
import { Databases } from '../main/db/pools';

export interface ScratchDatabase {
  url: string;
  dbs: Databases;
  drop(): Promise<void>;
}

async function admin(baseUrl: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function createScratchDatabase(baseUrl: string, name: string): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`scratch database name must be a plain identifier, got "${name}"`);
  await admin(baseUrl, `drop database if exists ${name}`);
  await admin(baseUrl, `create database ${name}`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const dbs = new Databases({ cylinders: url, telemetry: url, inspection: url });
  return {
    url,
    dbs,
    drop: async () => {
      await dbs.close();
      await admin(baseUrl, `drop database if exists ${name} with (force)`);
    },
  };
}
