/** `linedeck stations`: the contract's JSON (shared/contracts/cli.md) and the human table, run in-process. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stationPaths } from '../config';
import { runCliInProcess } from '../testing/cli';
import { createTestDb, type TestDb } from '../testing/db';
import { APP_VERSION } from '../version';
import { StationsService } from './service';

function cli(url: string, home: string, args: string[]) {
  return runCliInProcess(['--database-url', url, '--home', home, ...args]);
}

describe('linedeck stations', () => {
  let db: TestDb;
  let home: string;
  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-stations-cli-'));
  });
  afterAll(async () => db?.drop());

  it('prints {"stations": [{name, kind, host, version, last_seen, online, outbox}]} with UTC times and the online flag', async () => {
    const empty = await cli(db.url, home, ['--json', 'stations']);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual({ stations: [] });

    // this console (same LINEDECK_HOME as the CLI) and a desk that went quiet long ago
    const svc = new StationsService(db.dbs, stationPaths(home));
    svc.setOutboxDepthProvider(() => 3);
    const { stationId } = await svc.heartbeat();
    await db.pool.query(
      `insert into stations (station_id, name, host, kind, app_version, last_heartbeat, outbox_depth)
       values (gen_random_uuid(), '관제 PC 1', 'desk-01', 'desk', '0.0.9', now() - interval '10 minutes', 0)`,
    );

    const r = await cli(db.url, home, ['--json', 'stations']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1); // exactly one JSON document
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['stations']);
    expect(j.stations).toHaveLength(2);
    for (const s of j.stations) {
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['name', 'kind', 'host', 'version', 'last_seen', 'online', 'outbox']));
      expect(s.last_seen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof s.online).toBe('boolean');
      expect(typeof s.outbox).toBe('number');
    }
    expect(j.stations[0]).toMatchObject({ name: os.hostname(), kind: 'station', host: os.hostname(), version: APP_VERSION, online: true, outbox: 3, station_id: stationId, state: 'online', this_station: true });
    expect(j.stations[1]).toMatchObject({ name: '관제 PC 1', kind: 'desk', host: 'desk-01', version: '0.0.9', online: false, outbox: 0, state: 'offline', this_station: false });
    expect(Date.now() - Date.parse(j.stations[1].last_seen)).toBeGreaterThan(9 * 60_000);

    const human = await cli(db.url, home, ['stations']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^NAME\s+KIND\s+HOST\s+VERSION\s+LAST SEEN \(UTC\)\s+STATE\s+OUTBOX\n/);
    expect(human.stdout).toContain('관제 PC 1');
    expect(human.stdout).toContain('offline');
    expect(human.stdout).toContain('2 stations, 1 online (* this console)');
  });

  it('fails with a one-line reason on a database that was never migrated', async () => {
    const bare = await createTestDb({ migrate: false });
    try {
      const r = await cli(bare.url, home, ['--json', 'stations']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('run `linedeck migrate` first');
    } finally {
      await bare.drop();
    }
  });
});
