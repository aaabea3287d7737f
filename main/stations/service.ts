/**
 * The stations domain's logic: this console's registration and heartbeat (one upsert per tick), the list with the
 * states of Plant rule 6, and renames by admins (audited). Other modules give what only they know through
 * providers set on the service — the models in use and the outbox depth — so this domain asks nothing of them.
 */
import os from 'node:os';
import type { SessionUser } from '../api/kit';
import { because } from '../api/reasons';
import { ApiError } from '../api/kit';
import { writeAudit } from '../audit/audit';
import type { StationPaths } from '../config';
import { describePgError, withTransaction, type Databases } from '../db/pools';
import { log } from '../log';
import { APP_VERSION } from '../version';
import { defaultStationName, loadStationIdentity, readStationIdentity, resolveStationKind, type StationIdentity } from './identity';
import { getStation, listStations, lockStationName, setStationName, upsertHeartbeat } from './queries';
import { DEFAULT_HEARTBEAT_MS, STATION_NAME_MAX, type ModelsInUse, type StationKind, type StationRow, type StationsList } from './types';

export interface StationsOptions {
  /** heartbeat interval (default LINEDECK_STATION_HEARTBEAT_MS, else 15 s); the state thresholds are multiples of it */
  intervalMs?: number;
  env?: NodeJS.ProcessEnv;
}

type Provider<T> = () => T | Promise<T>;

function isNameTaken(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string };
  return err?.code === '23505' && err.constraint === 'stations_name_key';
}

function intervalFrom(opts: StationsOptions): number {
  if (opts.intervalMs !== undefined) return opts.intervalMs;
  const fromEnv = Number((opts.env ?? process.env).LINEDECK_STATION_HEARTBEAT_MS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_HEARTBEAT_MS;
}

export class StationsService {
  readonly intervalMs: number;
  private identity: StationIdentity | undefined;
  private models: Provider<ModelsInUse> = () => null;
  private outboxDepth: Provider<number> = () => 0;

  constructor(
    private readonly dbs: Databases,
    private readonly paths: StationPaths,
    private readonly opts: StationsOptions = {},
  ) {
    this.intervalMs = intervalFrom(opts);
  }

  /** The models this console scores with, asked at every heartbeat (null: not known). */
  setModelsProvider(fn: Provider<ModelsInUse>): void {
    this.models = fn;
  }

  /** Journaled results not yet forwarded, asked at every heartbeat (0 until the station journal exists). */
  setOutboxDepthProvider(fn: Provider<number>): void {
    this.outboxDepth = fn;
  }

  /** This console's identity (LINEDECK_HOME/station.json), created on first use. */
  stationId(): string {
    this.identity ??= loadStationIdentity(this.paths);
    return this.identity.stationId;
  }

  kind(): StationKind {
    return resolveStationKind(this.paths, this.opts.env);
  }

  /**
   * Registers this console or records its heartbeat. A new station takes the host name; when another station has
   * it (two PCs imaged alike), the host name with the start of its id.
   */
  async heartbeat(): Promise<{ registered: boolean; stationId: string }> {
    const stationId = this.stationId();
    const host = os.hostname() || 'unknown';
    const [models, depth] = await Promise.all([
      Promise.resolve()
        .then(this.models)
        .catch(() => null),
      Promise.resolve()
        .then(this.outboxDepth)
        .catch(() => 0),
    ]);
    const base = defaultStationName().slice(0, STATION_NAME_MAX);
    const values = {
      stationId,
      name: base,
      host: host.slice(0, 255),
      kind: this.kind(),
      version: APP_VERSION,
      models: models && Object.keys(models).length ? models : null,
      outboxDepth: Number.isInteger(depth) && depth > 0 ? depth : 0,
      intervalMs: this.intervalMs,
    };
    const pool = this.dbs.pool('inspection');
    for (const name of [base, `${base.slice(0, STATION_NAME_MAX - 9)}-${stationId.slice(0, 8)}`, stationId]) {
      try {
        const r = await upsertHeartbeat(pool, { ...values, name });
        return { registered: r.registered, stationId };
      } catch (e) {
        if (!isNameTaken(e)) throw e;
      }
    }
    throw new Error(`station ${stationId} could not register: its names are taken`);
  }

  async list(): Promise<StationsList> {
    const { rows, now } = await listStations(this.dbs.pool('inspection'));
    return { stations: rows, now, self: this.identity?.stationId ?? readStationIdentity(this.paths)?.stationId ?? null };
  }

  /** Renames a station (admins); the name is unique regardless of case. Audited in the same transaction. */
  async rename(user: SessionUser | undefined, stationId: string, name: string): Promise<StationRow> {
    const pool = this.dbs.pool('inspection');
    try {
      await withTransaction(pool, async (c) => {
        const before = await lockStationName(c, stationId);
        if (before === null) throw new ApiError('not_found', `no station ${stationId}`, because('station_not_found', { stationId }));
        if (before === name) return;
        await setStationName(c, stationId, name);
        await writeAudit(c, user, { action: 'stations.rename', table: 'stations', operation: 'UPDATE', target: stationId, before: { name: before }, after: { name } });
      });
    } catch (e) {
      if (isNameTaken(e)) throw new ApiError('conflict', `another station is already named "${name}"`, because('station_name_taken', { name }));
      throw e;
    }
    return (await getStation(pool, stationId))!;
  }
}

export interface HeartbeatLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Heartbeats at once (registration) and then every `svc.intervalMs`. A failing heartbeat (database away) is logged
 * once per outage, not at every tick, and tried again at the next tick; the recovery is logged too. Returns the
 * stopper, which waits for a heartbeat in flight.
 */
export function startStationHeartbeat(svc: StationsService, opts: { logger?: HeartbeatLogger } = {}): () => Promise<void> {
  const logger: HeartbeatLogger = opts.logger ?? log('stations');
  let failures = 0;
  let stopped = false;
  let inflight: Promise<void> | undefined;
  const tick = () => {
    if (inflight || stopped) return;
    inflight = (async () => {
      try {
        const r = await svc.heartbeat();
        if (failures > 0) logger.info({ stationId: r.stationId, failures }, 'station heartbeat restored');
        else if (r.registered) logger.info({ stationId: r.stationId }, 'station registered');
        failures = 0;
      } catch (e) {
        if (failures++ === 0) logger.warn({ err: describePgError(e) }, `station heartbeat failed; trying again every ${svc.intervalMs / 1000} s (logged once until it recovers)`);
      }
    })().finally(() => {
      inflight = undefined;
    });
  };
  const timer = setInterval(tick, svc.intervalMs);
  timer.unref();
  tick();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await inflight;
  };
}
