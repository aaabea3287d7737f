/** The station's identity in LINEDECK_HOME/station.json and its kind from the environment or config.json. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stationPaths } from '../config';
import { identityFile, loadStationIdentity, readStationIdentity, resolveStationKind } from './identity';

const dirs: string[] = [];
function home(): ReturnType<typeof stationPaths> {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-station-id-'));
  dirs.push(d);
  return stationPaths(d);
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('station identity', () => {
  it('is created once as a UUID in station.json and read back the same (a restart is the same station)', () => {
    const p = home();
    expect(readStationIdentity(p)).toBeNull();
    const a = loadStationIdentity(p);
    expect(a.stationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(JSON.parse(fs.readFileSync(identityFile(p), 'utf8')).stationId).toBe(a.stationId);
    expect(loadStationIdentity(p)).toEqual(a);
    expect(readStationIdentity(p)).toEqual(a);
    // written atomically: no temporary file left beside it
    expect(fs.readdirSync(p.home)).toEqual(['station.json']);
    // another home is another station
    expect(loadStationIdentity(home()).stationId).not.toBe(a.stationId);
  });

  it('keeps a damaged station.json aside and makes a new identity', () => {
    const p = home();
    fs.writeFileSync(identityFile(p), '{"stationId": "not-a-uuid"');
    expect(readStationIdentity(p)).toBeNull();
    const a = loadStationIdentity(p);
    expect(readStationIdentity(p)).toEqual(a);
    const names = fs.readdirSync(p.home).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toBe('station.json');
    expect(names[1]).toMatch(/^station\.json\.bad-\d+$/);
  });

  it('takes its kind from LINEDECK_STATION_KIND, else config.json, else station', () => {
    const p = home();
    expect(resolveStationKind(p, {})).toBe('station');
    fs.writeFileSync(p.configFile, JSON.stringify({ stationKind: 'desk' }));
    expect(resolveStationKind(p, {})).toBe('desk');
    expect(resolveStationKind(p, { LINEDECK_STATION_KIND: 'station' })).toBe('station');
    expect(resolveStationKind(p, { LINEDECK_STATION_KIND: ' DESK ' })).toBe('desk');
    // an unknown kind in the environment is ignored (logged), config.json decides
    expect(resolveStationKind(p, { LINEDECK_STATION_KIND: 'kiosk' })).toBe('desk');
  });
});
