/**
 * Migrations of the stations domain. The table lives with the inspection database (group 'inspection'): the
 * stations of a plant share it, and the journal's results carry their station into it (decisions.md, Plant).
 *
 * - station_id: the UUID the console keeps in LINEDECK_HOME/station.json (identity.ts), not a serial, so a
 *   station registers without asking the database for its id and a restart is the same row.
 * - name: unique regardless of case (what people type), trimmed, editable by admins (`stations.rename`).
 * - heartbeat_interval_ms: the interval the console heartbeats at; the online/late/offline thresholds are multiples
 *   of it (Plant rule 6), so a station configured slower is not shown late.
 * - last_heartbeat and registered_at are the database's now(), so every PC computes the same state.
 */
import type { Migration } from '../db/migrate';

export const stationsMigrations: Migration[] = [
  {
    name: '202612010900_inspection_stations',
    group: 'inspection',
    sql: /* sql */ `
CREATE TABLE stations (
    station_id UUID PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    host VARCHAR(255) NOT NULL,
    kind VARCHAR(10) NOT NULL DEFAULT 'station',
    app_version VARCHAR(50) NOT NULL,
    models_in_use JSONB,
    outbox_depth INTEGER NOT NULL DEFAULT 0,
    heartbeat_interval_ms INTEGER NOT NULL DEFAULT 15000,
    last_heartbeat TIMESTAMPTZ NOT NULL DEFAULT now(),
    registered_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT stations_kind_check CHECK (kind IN ('station', 'desk')),
    CONSTRAINT stations_name_check CHECK (name = btrim(name) AND length(name) >= 1),
    CONSTRAINT stations_outbox_check CHECK (outbox_depth >= 0),
    CONSTRAINT stations_interval_check CHECK (heartbeat_interval_ms > 0)
);
CREATE UNIQUE INDEX stations_name_key ON stations (lower(name));
COMMENT ON TABLE stations IS '검사 스테이션과 관제 PC (하트비트로 상태 표시)';
COMMENT ON COLUMN stations.station_id IS 'LINEDECK_HOME/station.json의 UUID';
COMMENT ON COLUMN stations.last_heartbeat IS '마지막 하트비트 (데이터베이스 now())';
`,
  },
];
