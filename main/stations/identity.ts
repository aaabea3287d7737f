/**
 * Who this console is: a UUID kept in LINEDECK_HOME/station.json, created on the first start and never changed, so
 * a restart (or a new version) is the same station. Created atomically: the file is written whole under a
 * temporary name and linked into place only if no other process created it first (two processes starting at once
 * agree on one id). Its kind comes from LINEDECK_STATION_KIND, else config.json's `stationKind`, else 'station';
 * its first name is the host name (admins rename it in Admin → Stations; the name then lives in the database).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStationConfig, type StationPaths } from '../config';
import { log } from '../log';
import { STATION_KINDS, type StationKind } from './types';

export interface StationIdentity {
  stationId: string;
  /** when station.json was created (station clock, ISO 8601) */
  createdAt: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function identityFile(paths: Pick<StationPaths, 'home'>): string {
  return path.join(paths.home, 'station.json');
}

/** The identity in station.json, or null when there is none (or it is not a valid one). Creates nothing. */
export function readStationIdentity(paths: Pick<StationPaths, 'home'>): StationIdentity | null {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(identityFile(paths), 'utf8'));
  } catch {
    return null;
  }
  const r = raw as Partial<StationIdentity> | null;
  if (!r || typeof r.stationId !== 'string' || !UUID.test(r.stationId)) return null;
  return { stationId: r.stationId.toLowerCase(), createdAt: typeof r.createdAt === 'string' ? r.createdAt : '' };
}

/**
 * This console's identity, created on first use. A station.json that cannot be read as an identity (edited by hand,
 * a disk fault) is kept aside as station.json.bad-<time> and a new identity is made: the old row then shows
 * offline in Admin → Stations rather than the console not registering at all.
 */
export function loadStationIdentity(paths: Pick<StationPaths, 'home'>): StationIdentity {
  const file = identityFile(paths);
  const found = readStationIdentity(paths);
  if (found) return found;
  if (fs.existsSync(file)) {
    const aside = `${file}.bad-${Date.now()}`;
    fs.renameSync(file, aside);
    log('stations').warn({ file, aside }, 'station.json is not a station identity; kept aside, creating a new one');
  }
  fs.mkdirSync(paths.home, { recursive: true });
  const identity: StationIdentity = { stationId: crypto.randomUUID(), createdAt: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    fs.writeFileSync(fd, `${JSON.stringify(identity, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file); // fails with EEXIST when another process won the race: then its identity is ours
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      // file systems without hard links: rename is still atomic (the file is whole or absent)
      if (!fs.existsSync(file)) fs.renameSync(tmp, file);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const stored = readStationIdentity(paths);
  if (!stored) throw new Error(`${file} could not be written as a station identity`);
  return stored;
}

/** The kind of this console: LINEDECK_STATION_KIND, else config.json's `stationKind`, else 'station'. */
export function resolveStationKind(paths: Pick<StationPaths, 'configFile'>, env: NodeJS.ProcessEnv = process.env): StationKind {
  const fromEnv = env.LINEDECK_STATION_KIND?.trim().toLowerCase();
  if (fromEnv) {
    if ((STATION_KINDS as readonly string[]).includes(fromEnv)) return fromEnv as StationKind;
    log('stations').warn({ value: env.LINEDECK_STATION_KIND }, `LINEDECK_STATION_KIND must be one of ${STATION_KINDS.join(', ')}; ignored`);
  }
  let configured: StationKind | undefined;
  try {
    configured = readStationConfig(paths.configFile).stationKind;
  } catch {
    configured = undefined; // an unreadable config.json is reported where it matters (opening the databases)
  }
  return configured ?? 'station';
}

/** The name a new station registers with: the host name (admins rename it later). */
export function defaultStationName(): string {
  return os.hostname().trim() || 'station';
}
