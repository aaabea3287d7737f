/** The stations domain's SQL, named. Times are the database's now() (one clock for every PC of the plant). */
import type pg from 'pg';
import { LATE_INTERVALS, ONLINE_INTERVALS, type ModelsInUse, type StationKind, type StationRow, type StationState } from './types';

export interface HeartbeatValues {
  stationId: string;
  /** used only when the row is created (a registered station keeps its name; admins rename it) */
  name: string;
  host: string;
  kind: StationKind;
  version: string;
  models: ModelsInUse;
  outboxDepth: number;
  intervalMs: number;
}

/**
 * Registers the station or records its heartbeat: one upsert, so a station whose row disappeared (a new plant
 * database) registers again on its next tick. The name is set only on insert.
 * Throws PostgreSQL's unique violation (constraint stations_name_key) when a new station's name is taken.
 */
export async function upsertHeartbeat(db: pg.Pool | pg.ClientBase, v: HeartbeatValues): Promise<{ registered: boolean }> {
  const r = await db.query<{ inserted: boolean }>(
    `insert into stations as s (station_id, name, host, kind, app_version, models_in_use, outbox_depth, heartbeat_interval_ms)
     values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
     on conflict (station_id) do update set
       host = excluded.host, kind = excluded.kind, app_version = excluded.app_version,
       models_in_use = excluded.models_in_use, outbox_depth = excluded.outbox_depth,
       heartbeat_interval_ms = excluded.heartbeat_interval_ms, last_heartbeat = now()
     returning (xmax = 0) as inserted`,
    [v.stationId, v.name, v.host, v.kind, v.version, v.models === null ? null : JSON.stringify(v.models), v.outboxDepth, v.intervalMs],
  );
  return { registered: r.rows[0].inserted };
}

interface StationDbRow {
  station_id: string;
  name: string;
  kind: StationKind;
  host: string;
  app_version: string;
  models_in_use: ModelsInUse;
  outbox_depth: number;
  heartbeat_interval_ms: number;
  last_heartbeat: Date;
  registered_at: Date;
  last_inspection_at: Date | null;
  last_inspection_code: string | null;
  state: StationState;
  seconds_since: number;
  db_now: Date;
}

const SELECT = /* sql */ `
  select now() as db_now, s.station_id, s.name, s.kind, s.host, s.app_version, s.models_in_use, s.outbox_depth, s.heartbeat_interval_ms,
         s.last_heartbeat, s.registered_at,
         li.inspection_date as last_inspection_at, li.inspection_code as last_inspection_code,
         case when now() - s.last_heartbeat < ${ONLINE_INTERVALS} * s.heartbeat_interval_ms * interval '1 millisecond' then 'online'
              when now() - s.last_heartbeat <= ${LATE_INTERVALS} * s.heartbeat_interval_ms * interval '1 millisecond' then 'late'
              else 'offline' end as state,
         greatest(0, extract(epoch from now() - s.last_heartbeat))::float8 as seconds_since
    from stations s
    left join lateral (
      select i.inspection_date, i.inspection_code from inspections i where i.station_id = s.station_id
       order by i.inspection_date desc, i.inspection_id desc limit 1
    ) li on true`;

function toRow(r: StationDbRow): StationRow {
  return {
    stationId: r.station_id,
    name: r.name,
    kind: r.kind,
    host: r.host,
    version: r.app_version,
    modelsInUse: r.models_in_use,
    outboxDepth: r.outbox_depth,
    heartbeatIntervalMs: r.heartbeat_interval_ms,
    lastHeartbeat: r.last_heartbeat.toISOString(),
    registeredAt: r.registered_at.toISOString(),
    lastInspectionAt: r.last_inspection_at ? r.last_inspection_at.toISOString() : null,
    lastInspectionCode: r.last_inspection_code,
    state: r.state,
    secondsSinceHeartbeat: Math.round(r.seconds_since),
  };
}

/** Every station with its state (Plant rule 6), inspection stations first, then by name; and the database's now(). */
export async function listStations(db: pg.Pool | pg.ClientBase): Promise<{ rows: StationRow[]; now: string }> {
  const r = await db.query<StationDbRow>(`${SELECT} order by s.kind = 'desk', lower(s.name), s.station_id`);
  const now = r.rows[0]?.db_now ?? (await db.query<{ now: Date }>('select now()')).rows[0].now;
  return { rows: r.rows.map(toRow), now: now.toISOString() };
}

export async function getStation(db: pg.Pool | pg.ClientBase, stationId: string): Promise<StationRow | null> {
  const r = await db.query<StationDbRow>(`${SELECT} where s.station_id = $1`, [stationId]);
  return r.rows[0] ? toRow(r.rows[0]) : null;
}

/** Locks the station's row for a change in this transaction; its current name, or null when there is no such station. */
export async function lockStationName(c: pg.ClientBase, stationId: string): Promise<string | null> {
  const r = await c.query<{ name: string }>('select name from stations where station_id = $1 for update', [stationId]);
  return r.rows[0]?.name ?? null;
}

/** Throws PostgreSQL's unique violation (constraint stations_name_key) when another station has the name. */
export async function setStationName(c: pg.ClientBase, stationId: string, name: string): Promise<void> {
  await c.query('update stations set name = $2 where station_id = $1', [stationId, name]);
}
