/**
 * The stations domain's wire types: every console (inspection station or control-room PC) that shares the plant
 * database, as `stations.list` returns it and the Admin → Stations screen shows it. Types and constant lists only.
 */

/** `station`: an inspection station on the line; `desk`: a control-room PC. */
export const STATION_KINDS = ['station', 'desk'] as const;
export type StationKind = (typeof STATION_KINDS)[number];

/**
 * decisions.md, Plant rule 6: online while the heartbeat is younger than 3 intervals, late up to 10 intervals,
 * offline after. Computed by the database with now(), so every PC shows the same state.
 */
export const STATION_STATES = ['online', 'late', 'offline'] as const;
export type StationState = (typeof STATION_STATES)[number];

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const ONLINE_INTERVALS = 3;
export const LATE_INTERVALS = 10;
export const STATION_NAME_MAX = 64;

/** The models a console scores with (e.g. `{ backbone: 'wrn50-l2l3', embedding: 'clip-vit-b32' }`); null when not known. */
export type ModelsInUse = Record<string, string> | null;

export interface StationRow {
  stationId: string;
  name: string;
  kind: StationKind;
  host: string;
  version: string;
  modelsInUse: ModelsInUse;
  /** journaled results not yet in the database (0 until the station journal exists) */
  outboxDepth: number;
  /** the heartbeat interval the console reported; its state thresholds are multiples of it */
  heartbeatIntervalMs: number;
  /** ISO 8601, UTC */
  lastHeartbeat: string;
  registeredAt: string;
  /** always null for now: inspections have no station column yet (see queries.ts, listStations) */
  lastInspectionAt: string | null;
  /** the code of this station's newest inspection in the database */
  lastInspectionCode: string | null;
  state: StationState;
  /** seconds since the last heartbeat, by the database's clock */
  secondsSinceHeartbeat: number;
}

export interface StationsList {
  stations: StationRow[];
  /** the database's now() the states were computed at (ISO 8601, UTC) */
  now: string;
  /** this console's station id, when it has registered (LINEDECK_HOME/station.json); null for a CLI on another PC */
  self: string | null;
}
