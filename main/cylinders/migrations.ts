/**
 * Migrations of the cylinders data source (see main/db/migrate.ts for the rules), after the CYNOW design
 * (seeds/cylinder-inventory-cynow.md) as amended by decisions.md ("Cylinder inventory"). See ./README.md.
 *
 * - The versioned migrations create the CYNOW tables exactly as the design names them (policy tables, valve
 *   groups, the `cy_cylinder_current` snapshot) plus the indexes the screens need, and the §4.3 type summary kept
 *   by a trigger on the snapshot.
 * - The FCMS tables (`fcms_cdc.*`) are not ours: in a plant the CDC pipeline owns them. The ensure hook
 *   (`cylinderHooks`) installs, once they exist, the computation (`cy_cylinder_computed`, one view that holds
 *   every rule), the sync functions, the row triggers on the FCMS tables (design §3.1) and the statement
 *   triggers on the lookup and policy tables. When they are missing it says which ones and what to do.
 *
 * One computation, three paths: `cy_sync_cylinder(no)` (row triggers), `cy_sync_cylinders(nos[])` (policy and
 * lookup-table triggers) and `cy_resync_all()` (the set-based full resync) all read `cy_cylinder_computed`, so the
 * rows they write cannot differ. A row is written only when its content changed; `snapshot_updated_at` is
 * therefore "when this cylinder's dashboard row last changed" (UTC).
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import type { EnsureHook, Migration } from '../db/migrate';

/** The FCMS CDC tables the inventory reads (contracts/fcms_cdc.sql). */
export const FCMS_TABLES = ['ma_cylinders', 'tr_latest_cylinder_statuses', 'ma_items', 'ma_valve_specs', 'ma_cylinder_specs'] as const;

/** contracts/fcms_cdc.sql, for the demo seed and the tests (a plant's CDC pipeline creates these itself). */
export const FCMS_DEMO_SCHEMA_SQL = /* sql */ `
CREATE SCHEMA IF NOT EXISTS fcms_cdc;

CREATE TABLE IF NOT EXISTS fcms_cdc.ma_items (
    "ITEM_CODE"     varchar(50) PRIMARY KEY,
    "DISPLAY_NAME"  varchar(100),
    "FORMAL_NAME"   varchar(100)
);

CREATE TABLE IF NOT EXISTS fcms_cdc.ma_cylinder_specs (
    "CYLINDER_SPEC_CODE" varchar(50) PRIMARY KEY,
    "NAME"               varchar(200)
);

CREATE TABLE IF NOT EXISTS fcms_cdc.ma_valve_specs (
    "VALVE_SPEC_CODE" varchar(50) PRIMARY KEY,
    "NAME"            varchar(200)
);

CREATE TABLE IF NOT EXISTS fcms_cdc.ma_cylinders (
    "CYLINDER_NO"          varchar(20) PRIMARY KEY,
    "ITEM_CODE"            varchar(50),
    "CAPACITY"             numeric,
    "VALVE_SPEC_CODE"      varchar(50),
    "CYLINDER_SPEC_CODE"   varchar(50),
    "USE_DEPARTMENT_CODE"  varchar(50),
    "UPDATE_DATETIME"      timestamp
);

CREATE TABLE IF NOT EXISTS fcms_cdc.tr_latest_cylinder_statuses (
    "CYLINDER_NO"         varchar(20) PRIMARY KEY,
    "CONDITION_CODE"      varchar(10),
    "POSITION_USER_NAME"  varchar(100),
    "MOVE_DATE"           timestamp
);
`;

/** Creates the `fcms_cdc` schema per contracts/fcms_cdc.sql (idempotent). For demo data and tests only. */
export async function createFcmsDemoSchema(client: pg.ClientBase | pg.Pool): Promise<void> {
  await client.query(FCMS_DEMO_SCHEMA_SQL);
}

const TABLES_SQL = /* sql */ `
-- §1.1 EndUser policy. The design's UNIQUE is kept; NULLS NOT DISTINCT makes it hold for wildcard rules too
-- (two "CF4, any capacity" rules would otherwise both be allowed and tie).
CREATE TABLE cy_enduser_default (
    id SERIAL PRIMARY KEY,
    gas_name VARCHAR(100) NOT NULL,
    capacity NUMERIC,
    valve_spec_code VARCHAR(50),
    cylinder_spec_code VARCHAR(50),
    default_enduser VARCHAR(50) NOT NULL DEFAULT 'SDC',
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC'),
    updated_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC'),
    CONSTRAINT cy_enduser_default_gas_name_capacity_valve_spec_code_cylind_key
        UNIQUE NULLS NOT DISTINCT (gas_name, capacity, valve_spec_code, cylinder_spec_code)
);
CREATE INDEX idx_cy_enduser_default_lookup ON cy_enduser_default(gas_name, capacity, valve_spec_code, cylinder_spec_code) WHERE is_active = TRUE;

CREATE TABLE cy_enduser_exception (
    id SERIAL PRIMARY KEY,
    cylinder_no VARCHAR(20) NOT NULL UNIQUE,
    enduser VARCHAR(50) NOT NULL,
    reason TEXT,
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC'),
    updated_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC')
);
CREATE INDEX idx_cy_enduser_exception_cylinder ON cy_enduser_exception(cylinder_no) WHERE is_active = TRUE;

-- §1.2 valve standardization
CREATE TABLE cy_valve_group (
    id SERIAL PRIMARY KEY,
    group_name VARCHAR(100) NOT NULL UNIQUE,
    description TEXT,
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC'),
    updated_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC')
);

CREATE TABLE cy_valve_group_mapping (
    id SERIAL PRIMARY KEY,
    valve_spec_code VARCHAR(50) NOT NULL,
    valve_spec_name VARCHAR(200) NOT NULL,
    group_id INTEGER NOT NULL REFERENCES cy_valve_group(id),
    is_primary BOOLEAN DEFAULT FALSE,
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC'),
    updated_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC'),
    UNIQUE(valve_spec_code, valve_spec_name)
);
CREATE INDEX idx_cy_valve_group_mapping_lookup ON cy_valve_group_mapping(valve_spec_code, valve_spec_name) WHERE is_active = TRUE;
CREATE INDEX idx_cy_valve_group_mapping_group ON cy_valve_group_mapping(group_id) WHERE is_active = TRUE;
-- A group has one representative valve ("그룹의 대표 밸브"); two active primaries would make the dashboard name
-- depend on row order.
CREATE UNIQUE INDEX uq_cy_valve_group_mapping_primary ON cy_valve_group_mapping(group_id) WHERE is_primary AND is_active;

-- §1.3 the dashboard snapshot. The design's FOREIGN KEY to fcms_cdc.ma_cylinders (ON DELETE CASCADE) is not
-- created: the FCMS tables belong to the CDC pipeline; the sync's DELETE and TRUNCATE triggers remove the rows of
-- cylinders that leave FCMS (see SYNC_INSTALL_SQL).
CREATE TABLE cy_cylinder_current (
    cylinder_no VARCHAR(20) PRIMARY KEY,

    raw_gas_name VARCHAR(100),
    raw_capacity NUMERIC,
    raw_valve_spec_code VARCHAR(50),
    raw_valve_spec_name VARCHAR(200),
    raw_cylinder_spec_code VARCHAR(50),
    raw_cylinder_spec_name VARCHAR(200),
    raw_usage_place VARCHAR(50),
    raw_location VARCHAR(100),
    raw_condition_code VARCHAR(10),
    raw_position_user_name VARCHAR(100),

    dashboard_gas_name VARCHAR(100),
    dashboard_capacity NUMERIC,
    dashboard_valve_spec_code VARCHAR(50),
    dashboard_valve_spec_name VARCHAR(200),
    dashboard_valve_group_name VARCHAR(100),
    dashboard_cylinder_spec_code VARCHAR(50),
    dashboard_cylinder_spec_name VARCHAR(200),
    dashboard_usage_place VARCHAR(50),
    dashboard_location VARCHAR(100),
    dashboard_status VARCHAR(20),
    dashboard_enduser VARCHAR(50),

    cylinder_type_key VARCHAR(32),
    cylinder_type_key_raw VARCHAR(32),

    condition_code VARCHAR(10),
    move_date TIMESTAMP,
    pressure_due_date TIMESTAMP,
    last_event_at TIMESTAMP,

    source_updated_at TIMESTAMP,
    snapshot_updated_at TIMESTAMP DEFAULT (NOW() AT TIME ZONE 'UTC'),

    status_category VARCHAR(20),
    is_available BOOLEAN
);

CREATE INDEX idx_cy_cylinder_current_type_key ON cy_cylinder_current(cylinder_type_key);
CREATE INDEX idx_cy_cylinder_current_status ON cy_cylinder_current(dashboard_status);
CREATE INDEX idx_cy_cylinder_current_enduser ON cy_cylinder_current(dashboard_enduser);
CREATE INDEX idx_cy_cylinder_current_location ON cy_cylinder_current(dashboard_location);
CREATE INDEX idx_cy_cylinder_current_available ON cy_cylinder_current(is_available) WHERE is_available = TRUE;
CREATE INDEX idx_cy_cylinder_current_gas ON cy_cylinder_current(dashboard_gas_name);
CREATE INDEX idx_cy_cylinder_current_updated ON cy_cylinder_current(snapshot_updated_at);
CREATE INDEX idx_cy_cylinder_current_dashboard_lookup ON cy_cylinder_current(
    dashboard_gas_name,
    dashboard_capacity,
    dashboard_valve_group_name,
    dashboard_cylinder_spec_name,
    dashboard_enduser,
    dashboard_status
);

-- Beyond the design: cylinder-number prefix search under any collation, the list's move-date sort, and a gas
-- filter sorted by cylinder number (numbers are often prefixed per gas, so walking the primary key and filtering
-- on the gas reads far more rows than the planner expects).
CREATE INDEX idx_cy_cylinder_current_no_pattern ON cy_cylinder_current(cylinder_no varchar_pattern_ops);
CREATE INDEX idx_cy_cylinder_current_move_date ON cy_cylinder_current(move_date DESC NULLS LAST, cylinder_no);
CREATE INDEX idx_cy_cylinder_current_gas_no ON cy_cylinder_current(dashboard_gas_name, cylinder_no);

COMMENT ON TABLE cy_cylinder_current IS '용기 현재 상태 스냅샷 (대시보드 전용): raw_* = FCMS 원천 값 (변경 없음), dashboard_* = CYNOW 정책 적용 값';
COMMENT ON COLUMN cy_cylinder_current.source_updated_at IS 'FCMS ma_cylinders.UPDATE_DATETIME of the row the snapshot was computed from';
COMMENT ON COLUMN cy_cylinder_current.snapshot_updated_at IS 'UTC time this row last changed';
`;

/** Summary row attributes (the type key determines them; see cy_cylinder_type_summary). */
const SUMMARY_ATTRS: [string, string][] = [
  ['dashboard_gas_name', 'dashboard_gas_name'],
  ['dashboard_capacity', 'dashboard_capacity'],
  ['valve_spec', 'COALESCE(dashboard_valve_group_name, dashboard_valve_spec_name)'],
  ['dashboard_valve_group_name', 'dashboard_valve_group_name'],
  ['dashboard_cylinder_spec_name', 'dashboard_cylinder_spec_name'],
  ['dashboard_enduser', 'dashboard_enduser'],
];
const SUMMARY_KEY = `COALESCE(cylinder_type_key, '') AS cylinder_type_key, COALESCE(dashboard_status, '') AS dashboard_status, COALESCE(dashboard_location, '') AS dashboard_location`;
const summaryDelta = (src: string) => /* sql */ `
        WITH delta AS (
            SELECT cylinder_type_key, dashboard_status, dashboard_location,
                   ${SUMMARY_ATTRS.map(([a]) => `(array_agg(${a} ORDER BY d DESC))[1] AS ${a}`).join(', ')},
                   sum(d)::integer AS qty, sum(CASE WHEN is_available THEN d ELSE 0 END)::integer AS available_qty
            FROM (${src}) x
            GROUP BY cylinder_type_key, dashboard_status, dashboard_location
        ), up AS (
            INSERT INTO cy_cylinder_type_summary AS t (cylinder_type_key, dashboard_status, dashboard_location,
                ${SUMMARY_ATTRS.map(([a]) => a).join(', ')}, qty, available_qty)
            SELECT cylinder_type_key, dashboard_status, dashboard_location, ${SUMMARY_ATTRS.map(([a]) => a).join(', ')}, qty, available_qty
            FROM delta WHERE qty <> 0 OR available_qty <> 0
            ORDER BY cylinder_type_key, dashboard_status, dashboard_location
            ON CONFLICT (cylinder_type_key, dashboard_status, dashboard_location) DO UPDATE
            SET qty = t.qty + EXCLUDED.qty, available_qty = t.available_qty + EXCLUDED.available_qty
            RETURNING t.cylinder_type_key, t.dashboard_status, t.dashboard_location, t.qty
        )
        SELECT array_agg(cylinder_type_key), array_agg(dashboard_status), array_agg(dashboard_location)
        INTO zk, zs, zl FROM up WHERE qty <= 0`;
const summarySrc = (table: string, d: number) =>
  `SELECT ${SUMMARY_KEY}, ${SUMMARY_ATTRS.map(([a, e]) => `${e} AS ${a}`).join(', ')}, is_available, ${d} AS d FROM ${table}`;

/**
 * Beyond the design: the §4.3 summary kept aggregated. A statement trigger on cy_cylinder_current adds and removes
 * counts as rows change (the per-row CDC path); the full resync rebuilds it in one statement. The summary screen
 * then reads a few thousand rows instead of grouping the whole snapshot.
 */
const TYPE_SUMMARY_SQL = /* sql */ `
CREATE TABLE cy_cylinder_type_summary (
    cylinder_type_key VARCHAR(32) NOT NULL,
    dashboard_status VARCHAR(20) NOT NULL,
    dashboard_location VARCHAR(100) NOT NULL,
    dashboard_gas_name VARCHAR(100),
    dashboard_capacity NUMERIC,
    valve_spec VARCHAR(200),
    dashboard_valve_group_name VARCHAR(100),
    dashboard_cylinder_spec_name VARCHAR(200),
    dashboard_enduser VARCHAR(50),
    qty INTEGER NOT NULL,
    available_qty INTEGER NOT NULL,
    PRIMARY KEY (cylinder_type_key, dashboard_status, dashboard_location)
);
COMMENT ON TABLE cy_cylinder_type_summary IS 'LineDeck: cy_cylinder_current counted by cylinder type, status and location (design §4.3), kept by triggers';

CREATE OR REPLACE FUNCTION cy_rebuild_type_summary() RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    n integer;
BEGIN
    DELETE FROM cy_cylinder_type_summary;
    INSERT INTO cy_cylinder_type_summary (cylinder_type_key, dashboard_status, dashboard_location,
        ${SUMMARY_ATTRS.map(([a]) => a).join(', ')}, qty, available_qty)
    SELECT cylinder_type_key, dashboard_status, dashboard_location, ${SUMMARY_ATTRS.map(([a]) => `min(${a})`).join(', ')},
           count(*)::integer, (count(*) FILTER (WHERE is_available))::integer
    FROM (${summarySrc('cy_cylinder_current', 1)}) x
    GROUP BY cylinder_type_key, dashboard_status, dashboard_location;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;

CREATE OR REPLACE FUNCTION cy_trg_type_summary() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    zk text[];
    zs text[];
    zl text[];
BEGIN
    -- the full resync rebuilds the summary once at its end
    IF current_setting('linedeck.cy_summary_bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        ${summaryDelta(summarySrc('new_rows', 1))};
    ELSIF TG_OP = 'DELETE' THEN
        ${summaryDelta(summarySrc('old_rows', -1))};
    ELSE
        ${summaryDelta(`${summarySrc('new_rows', 1)} UNION ALL ${summarySrc('old_rows', -1)}`)};
    END IF;
    IF zk IS NOT NULL THEN
        DELETE FROM cy_cylinder_type_summary t
        WHERE (t.cylinder_type_key, t.dashboard_status, t.dashboard_location) IN (SELECT * FROM unnest(zk, zs, zl))
          AND t.qty <= 0;
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION cy_trg_type_summary_truncate() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM cy_cylinder_type_summary;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER trigger_cy_type_summary_ins AFTER INSERT ON cy_cylinder_current
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_type_summary();
CREATE TRIGGER trigger_cy_type_summary_upd AFTER UPDATE ON cy_cylinder_current
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_type_summary();
CREATE TRIGGER trigger_cy_type_summary_del AFTER DELETE ON cy_cylinder_current
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_type_summary();
CREATE TRIGGER trigger_cy_type_summary_truncate AFTER TRUNCATE ON cy_cylinder_current
    FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_type_summary_truncate();

SELECT cy_rebuild_type_summary();
`;

const SUMMARY_KEYS = ['cylinder_type_key', 'dashboard_status', 'dashboard_location'];
const SUMMARY_COLS = [...SUMMARY_KEYS, ...SUMMARY_ATTRS.map(([a]) => a), 'qty', 'available_qty'];
const SUMMARY_VALUES = SUMMARY_COLS.slice(SUMMARY_KEYS.length);
const summaryCmp = (t: string) => [...SUMMARY_VALUES.map((c) => `${t}.${c}`), `scale(${t}.dashboard_capacity)`].join(', ');
/**
 * The full resync's summary step (#18): the same counts and attributes as the first rebuild, written only where the
 * summary differs (a resync that changed nothing writes no summary row; a drifted row is repaired). The attributes
 * are grouped first with the counts and then by the summary key, so each row's texts are hashed once instead of
 * compared in min() for every row: the minimum of the groups' values is the minimum of the rows' values.
 */
const TYPE_SUMMARY_REFRESH_SQL = /* sql */ `
CREATE OR REPLACE FUNCTION cy_rebuild_type_summary() RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    n integer;
BEGIN
    WITH agg AS MATERIALIZED (
        SELECT ${SUMMARY_KEYS.join(', ')}, ${SUMMARY_ATTRS.map(([a]) => `min(${a}) AS ${a}`).join(', ')},
               sum(cnt)::integer AS qty, sum(avail)::integer AS available_qty
        FROM (
            SELECT ${SUMMARY_KEY}, ${SUMMARY_ATTRS.map(([a, e]) => `${e} AS ${a}`).join(', ')},
                   count(*) AS cnt, count(*) FILTER (WHERE is_available) AS avail
            FROM cy_cylinder_current
            GROUP BY ${SUMMARY_COLS.slice(0, SUMMARY_KEYS.length + SUMMARY_ATTRS.length).map((_, i) => i + 1).join(', ')}
        ) x
        GROUP BY ${SUMMARY_KEYS.join(', ')}
    ), gone AS (
        DELETE FROM cy_cylinder_type_summary t
        WHERE NOT EXISTS (SELECT 1 FROM agg a WHERE ${SUMMARY_KEYS.map((k) => `a.${k} = t.${k}`).join(' AND ')})
    ), put AS (
        INSERT INTO cy_cylinder_type_summary AS t (${SUMMARY_COLS.join(', ')})
        SELECT ${SUMMARY_COLS.map((c) => `a.${c}`).join(', ')}
        FROM agg a
        LEFT JOIN cy_cylinder_type_summary s ON ${SUMMARY_KEYS.map((k) => `s.${k} = a.${k}`).join(' AND ')}
        WHERE s.cylinder_type_key IS NULL
           OR (${summaryCmp('s')}) IS DISTINCT FROM (${summaryCmp('a')})
        ORDER BY ${SUMMARY_KEYS.map((k) => `a.${k}`).join(', ')}
        ON CONFLICT (${SUMMARY_KEYS.join(', ')}) DO UPDATE SET
            ${SUMMARY_VALUES.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
    )
    SELECT count(*)::integer INTO n FROM agg;
    RETURN n;
END
$fn$;
`;

export const cylinderMigrations: Migration[] = [
  { name: '202611240001_cylinders_policy_and_snapshot', group: 'cylinders', sql: TABLES_SQL },
  { name: '202611240002_cylinders_type_summary', group: 'cylinders', sql: TYPE_SUMMARY_SQL },
  { name: '202612080001_cylinders_type_summary_refresh', group: 'cylinders', sql: TYPE_SUMMARY_REFRESH_SQL },
];

/** Snapshot columns in table order, without snapshot_updated_at (set by the writers). */
export const SNAPSHOT_COLUMNS = [
  'cylinder_no',
  'raw_gas_name',
  'raw_capacity',
  'raw_valve_spec_code',
  'raw_valve_spec_name',
  'raw_cylinder_spec_code',
  'raw_cylinder_spec_name',
  'raw_usage_place',
  'raw_location',
  'raw_condition_code',
  'raw_position_user_name',
  'dashboard_gas_name',
  'dashboard_capacity',
  'dashboard_valve_spec_code',
  'dashboard_valve_spec_name',
  'dashboard_valve_group_name',
  'dashboard_cylinder_spec_code',
  'dashboard_cylinder_spec_name',
  'dashboard_usage_place',
  'dashboard_location',
  'dashboard_status',
  'dashboard_enduser',
  'cylinder_type_key',
  'cylinder_type_key_raw',
  'condition_code',
  'move_date',
  'pressure_due_date',
  'last_event_at',
  'source_updated_at',
  'status_category',
  'is_available',
] as const;

const cols = SNAPSHOT_COLUMNS.join(', ');
const updateSet = SNAPSHOT_COLUMNS.filter((c) => c !== 'cylinder_no')
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(',\n        ');
// capacity also as text: 47 = 47.0 as numbers, but the snapshot must follow FCMS's scale.
const cmpCols = [...SNAPSHOT_COLUMNS.filter((c) => c !== 'cylinder_no'), 'raw_capacity::text', 'dashboard_capacity::text'];
const changedWhere = `(${cmpCols.map((c) => `cy_cylinder_current.${c}`).join(', ')})
        IS DISTINCT FROM (${cmpCols.map((c) => `EXCLUDED.${c}`).join(', ')})`;

const nonKeyCols = SNAPSHOT_COLUMNS.filter((c) => c !== 'cylinder_no');
/** The full resync's comparison: the same as changedWhere's, with the numbers' scale compared by scale() (equal
 * numbers print the same text exactly when their scales are equal) instead of printing both. */
const resyncCmp = (t: string) => [...nonKeyCols.map((c) => `${t}.${c}`), `scale(${t}.raw_capacity)`, `scale(${t}.dashboard_capacity)`].join(', ');

/** The upsert every path uses; `%WHERE%` filters cy_cylinder_computed. */
const upsert = (where: string) => /* sql */ `
    INSERT INTO cy_cylinder_current (${cols}, snapshot_updated_at)
    SELECT ${cols}, (NOW() AT TIME ZONE 'UTC') FROM cy_cylinder_computed ${where}
    ON CONFLICT (cylinder_no) DO UPDATE SET
        ${updateSet},
        snapshot_updated_at = EXCLUDED.snapshot_updated_at
    WHERE ${changedWhere}`;

/**
 * Everything that needs the FCMS tables. Idempotent: CREATE OR REPLACE for functions and views, DROP TRIGGER IF
 * EXISTS + CREATE for triggers. Runs in one transaction.
 */
export const SYNC_INSTALL_SQL = /* sql */ `
-- The computation of every snapshot row, all rules of decisions.md in one place. Extra columns after
-- is_available say which exception / rule / valve group decided the dashboard values (detail screen).
CREATE OR REPLACE VIEW cy_cylinder_computed AS
WITH base AS (
    SELECT
        c."CYLINDER_NO"::varchar(20) AS cylinder_no,
        COALESCE(i."DISPLAY_NAME", i."FORMAL_NAME", '')::varchar(100) AS gas_name,
        c."CAPACITY" AS capacity,
        c."VALVE_SPEC_CODE"::varchar(50) AS valve_spec_code,
        COALESCE(vs."NAME", '')::varchar(200) AS valve_spec_name,
        c."CYLINDER_SPEC_CODE"::varchar(50) AS cylinder_spec_code,
        COALESCE(cs."NAME", '')::varchar(200) AS cylinder_spec_name,
        COALESCE(c."USE_DEPARTMENT_CODE", '')::varchar(50) AS usage_place,
        COALESCE(ls."POSITION_USER_NAME", '')::varchar(100) AS location,
        COALESCE(ls."CONDITION_CODE", '')::varchar(10) AS condition_code,
        ls."MOVE_DATE" AS move_date,
        c."UPDATE_DATETIME" AS update_datetime
    FROM fcms_cdc.ma_cylinders c
    LEFT JOIN fcms_cdc.ma_items i ON c."ITEM_CODE" = i."ITEM_CODE"
    LEFT JOIN fcms_cdc.ma_cylinder_specs cs ON c."CYLINDER_SPEC_CODE" = cs."CYLINDER_SPEC_CODE"
    LEFT JOIN fcms_cdc.ma_valve_specs vs ON c."VALVE_SPEC_CODE" = vs."VALVE_SPEC_CODE"
    LEFT JOIN fcms_cdc.tr_latest_cylinder_statuses ls ON c."CYLINDER_NO" = ls."CYLINDER_NO"
),
decided AS (
    SELECT
        b.*,
        CASE
            WHEN b.condition_code IN ('100', '102') THEN '보관'
            WHEN b.condition_code IN ('210', '220') THEN '충전'
            WHEN b.condition_code = '420' THEN '분석'
            WHEN b.condition_code = '500' THEN '창입'
            WHEN b.condition_code = '600' THEN '출하'
            WHEN b.condition_code = '190' THEN '이상'
            WHEN b.condition_code IN ('950', '952') THEN '폐기'
            ELSE '기타'
        END::varchar(20) AS status,
        ex.id AS exception_id,
        ex.enduser AS exception_enduser,
        dr.id AS enduser_rule_id,
        dr.default_enduser AS rule_enduser,
        vm.group_id AS valve_group_id,
        vm.id AS valve_mapping_id,
        vm.group_name AS valve_group_name,
        pm.id AS primary_mapping_id,
        pm.valve_spec_name AS primary_valve_spec_name
    FROM base b
    LEFT JOIN cy_enduser_exception ex ON ex.cylinder_no = b.cylinder_no AND ex.is_active = TRUE
    LEFT JOIN LATERAL (
        SELECT d.id, d.default_enduser
        FROM cy_enduser_default d
        WHERE d.is_active = TRUE
          AND d.gas_name = b.gas_name
          AND (d.capacity IS NULL OR d.capacity = b.capacity)
          AND (d.valve_spec_code IS NULL OR d.valve_spec_code = b.valve_spec_code)
          AND (d.cylinder_spec_code IS NULL OR d.cylinder_spec_code = b.cylinder_spec_code)
        ORDER BY (d.capacity IS NOT NULL)::int + (d.valve_spec_code IS NOT NULL)::int + (d.cylinder_spec_code IS NOT NULL)::int DESC,
                 d.capacity IS NULL, d.valve_spec_code IS NULL, d.cylinder_spec_code IS NULL, d.id
        LIMIT 1
    ) dr ON TRUE
    LEFT JOIN (
        SELECT m.id, m.group_id, m.valve_spec_code, m.valve_spec_name, g.group_name
        FROM cy_valve_group_mapping m
        JOIN cy_valve_group g ON g.id = m.group_id AND g.is_active = TRUE
        WHERE m.is_active = TRUE
    ) vm ON vm.valve_spec_code = b.valve_spec_code AND vm.valve_spec_name = b.valve_spec_name
    LEFT JOIN cy_valve_group_mapping pm ON pm.group_id = vm.group_id AND pm.is_primary = TRUE AND pm.is_active = TRUE
),
fin AS (
    SELECT
        d.*,
        COALESCE(d.exception_enduser, d.rule_enduser, 'SDC')::varchar(50) AS enduser,
        CASE WHEN d.exception_id IS NOT NULL THEN 'exception' WHEN d.enduser_rule_id IS NOT NULL THEN 'default' ELSE 'fallback' END AS enduser_source,
        (CASE WHEN d.valve_group_id IS NOT NULL THEN COALESCE(d.primary_valve_spec_name, d.valve_spec_name) ELSE d.valve_spec_name END)::varchar(200)
            AS dashboard_valve_spec_name
    FROM decided d
)
SELECT
    f.cylinder_no,
    f.gas_name AS raw_gas_name,
    f.capacity AS raw_capacity,
    f.valve_spec_code AS raw_valve_spec_code,
    f.valve_spec_name AS raw_valve_spec_name,
    f.cylinder_spec_code AS raw_cylinder_spec_code,
    f.cylinder_spec_name AS raw_cylinder_spec_name,
    f.usage_place AS raw_usage_place,
    f.location AS raw_location,
    f.condition_code AS raw_condition_code,
    f.location AS raw_position_user_name,
    f.gas_name AS dashboard_gas_name,
    f.capacity AS dashboard_capacity,
    f.valve_spec_code AS dashboard_valve_spec_code,
    f.dashboard_valve_spec_name,
    f.valve_group_name::varchar(100) AS dashboard_valve_group_name,
    f.cylinder_spec_code AS dashboard_cylinder_spec_code,
    f.cylinder_spec_name AS dashboard_cylinder_spec_name,
    f.usage_place AS dashboard_usage_place,
    f.location AS dashboard_location,
    f.status AS dashboard_status,
    f.enduser AS dashboard_enduser,
    md5(f.gas_name || '|' || COALESCE(f.capacity::text, '') || '|' ||
        COALESCE(f.valve_group_name, f.dashboard_valve_spec_name, '') || '|' ||
        f.cylinder_spec_name || '|' || f.enduser)::varchar(32) AS cylinder_type_key,
    md5(f.gas_name || '|' || COALESCE(f.capacity::text, '') || '|' ||
        f.valve_spec_name || '|' || f.cylinder_spec_name || '|' || '')::varchar(32) AS cylinder_type_key_raw,
    f.condition_code,
    f.move_date,
    NULL::timestamp AS pressure_due_date,
    GREATEST(f.move_date, f.update_datetime) AS last_event_at,
    f.update_datetime AS source_updated_at,
    (CASE WHEN f.status IN ('보관', '충전') THEN '가용' ELSE '비가용' END)::varchar(20) AS status_category,
    f.status IN ('보관', '충전') AS is_available,
    -- why: the decisions behind the dashboard values
    f.enduser_source,
    f.exception_id,
    f.enduser_rule_id,
    f.valve_group_id,
    f.valve_mapping_id,
    f.primary_mapping_id
FROM fin f;

COMMENT ON VIEW cy_cylinder_computed IS 'LineDeck: the snapshot row of every FCMS cylinder with the CYNOW policies applied (decisions.md)';

-- Re-computes the given cylinders; writes only rows whose content changed; removes rows of cylinders that left
-- FCMS. Returns the number of rows written or removed.
CREATE OR REPLACE FUNCTION cy_sync_cylinders(p_nos text[]) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    n_up integer;
    n_del integer;
BEGIN
    IF p_nos IS NULL OR cardinality(p_nos) = 0 THEN
        RETURN 0;
    END IF;
    ${upsert('WHERE cylinder_no = ANY(p_nos)')};
    GET DIAGNOSTICS n_up = ROW_COUNT;
    DELETE FROM cy_cylinder_current cur
    WHERE cur.cylinder_no = ANY(p_nos)
      AND NOT EXISTS (SELECT 1 FROM fcms_cdc.ma_cylinders c WHERE c."CYLINDER_NO" = cur.cylinder_no);
    GET DIAGNOSTICS n_del = ROW_COUNT;
    RETURN n_up + n_del;
END
$fn$;

-- The design's per-row sync (§3.1, sync_cylinder_current) for one cylinder: what the FCMS row triggers call.
CREATE OR REPLACE FUNCTION cy_sync_cylinder(p_no text) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    n_up integer;
    n_del integer;
BEGIN
    ${upsert('WHERE cylinder_no = p_no')};
    GET DIAGNOSTICS n_up = ROW_COUNT;
    IF n_up = 0 THEN
        DELETE FROM cy_cylinder_current cur
        WHERE cur.cylinder_no = p_no
          AND NOT EXISTS (SELECT 1 FROM fcms_cdc.ma_cylinders c WHERE c."CYLINDER_NO" = p_no);
        GET DIAGNOSTICS n_del = ROW_COUNT;
        RETURN n_del;
    END IF;
    RETURN n_up;
END
$fn$;

-- Full, set-based resync (repair; design §7.2 "전체: 일 1회"): no loop per cylinder. One statement reads every
-- cylinder's computation and the snapshot once (a hash full join) and keeps only what differs: rows whose cylinder
-- left FCMS, rows whose content changed (compared column by column: unchanged rows are never written) and cylinders
-- without a row. It deletes the first two kinds and inserts the new content of the last two in cylinder order. (A
-- changed row gets new entries in every index either way, since snapshot_updated_at is indexed and always changes;
-- deleting and inserting in order costs less than an UPDATE's.) An empty snapshot (the install, a truncate) is
-- filled by one INSERT. Then the type summary is brought in step once (only its rows that differ are written).
CREATE OR REPLACE FUNCTION cy_resync_all(OUT synced integer, OUT changed integer, OUT deleted integer)
LANGUAGE plpgsql SET work_mem = '128MB' AS $fn$
BEGIN
    PERFORM set_config('linedeck.cy_summary_bulk', 'on', true);
    IF NOT EXISTS (SELECT 1 FROM cy_cylinder_current) THEN
        -- cold (the install, a truncated snapshot): nothing to compare with, every cylinder is inserted
        INSERT INTO cy_cylinder_current (${cols}, snapshot_updated_at)
        SELECT ${cols}, (NOW() AT TIME ZONE 'UTC') FROM cy_cylinder_computed
        ORDER BY cylinder_no;
        GET DIAGNOSTICS changed = ROW_COUNT;
        deleted := 0;
    ELSE
        WITH diff AS MATERIALIZED (
            SELECT v.cylinder_no AS new_no, cur.cylinder_no AS old_no, ${nonKeyCols.map((c) => `v.${c}`).join(', ')}
            FROM cy_cylinder_computed v
            FULL JOIN cy_cylinder_current cur ON cur.cylinder_no = v.cylinder_no
            WHERE v.cylinder_no IS NULL OR cur.cylinder_no IS NULL
               OR (${resyncCmp('cur')})
                  IS DISTINCT FROM (${resyncCmp('v')})
        ), gone AS (
            DELETE FROM cy_cylinder_current t USING diff d
            WHERE t.cylinder_no = d.old_no
            RETURNING d.*
        ), written AS (
            INSERT INTO cy_cylinder_current (${cols}, snapshot_updated_at)
            SELECT x.new_no, ${nonKeyCols.map((c) => `x.${c}`).join(', ')}, (NOW() AT TIME ZONE 'UTC')
            FROM (SELECT * FROM gone WHERE new_no IS NOT NULL UNION ALL SELECT * FROM diff WHERE old_no IS NULL) x
            ORDER BY x.new_no
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM gone WHERE new_no IS NULL)::integer, (SELECT count(*) FROM written)::integer
        INTO deleted, changed;
    END IF;
    PERFORM cy_rebuild_type_summary();
    PERFORM set_config('linedeck.cy_summary_bulk', 'off', true);
    SELECT COALESCE(sum(qty), 0)::integer INTO synced FROM cy_cylinder_type_summary;
END
$fn$;

-- Row triggers on the FCMS cylinder and status tables (design §3.1).
CREATE OR REPLACE FUNCTION cy_trg_fcms_row() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'DELETE' OR OLD."CYLINDER_NO" IS DISTINCT FROM NEW."CYLINDER_NO" THEN
            PERFORM cy_sync_cylinder(OLD."CYLINDER_NO");
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM cy_sync_cylinder(NEW."CYLINDER_NO");
    END IF;
    RETURN NULL;
END
$fn$;

-- Statement triggers on the FCMS lookup tables: a renamed gas, valve or cylinder spec touches all its cylinders.
CREATE OR REPLACE FUNCTION cy_trg_fcms_lookup() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    codes text[];
    nos text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows', TG_ARGV[0]) INTO codes;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM old_rows', TG_ARGV[0]) INTO codes;
    ELSE
        EXECUTE format('SELECT array_agg(DISTINCT x) FROM (SELECT %1$I AS x FROM old_rows UNION SELECT %1$I FROM new_rows) u', TG_ARGV[0]) INTO codes;
    END IF;
    IF codes IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT array_agg("CYLINDER_NO") FROM fcms_cdc.ma_cylinders WHERE %I = ANY($1)', TG_ARGV[0]) INTO nos USING codes;
    PERFORM cy_sync_cylinders(nos);
    RETURN NULL;
END
$fn$;

-- TRUNCATE of a source table bypasses row triggers: resync everything.
CREATE OR REPLACE FUNCTION cy_trg_fcms_truncate() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM cy_resync_all();
    RETURN NULL;
END
$fn$;

-- Policy triggers: re-apply the policies to exactly the cylinders a change can move, in the same transaction.
CREATE OR REPLACE FUNCTION cy_trg_policy_default() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    rules jsonb;
    nos text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT jsonb_agg(to_jsonb(x)) INTO rules FROM (SELECT gas_name, capacity, valve_spec_code, cylinder_spec_code FROM new_rows) x;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT jsonb_agg(to_jsonb(x)) INTO rules FROM (SELECT gas_name, capacity, valve_spec_code, cylinder_spec_code FROM old_rows) x;
    ELSE
        SELECT jsonb_agg(to_jsonb(x)) INTO rules FROM (
            SELECT gas_name, capacity, valve_spec_code, cylinder_spec_code FROM old_rows
            UNION SELECT gas_name, capacity, valve_spec_code, cylinder_spec_code FROM new_rows) x;
    END IF;
    IF rules IS NULL THEN
        RETURN NULL;
    END IF;
    -- raw_* hold exactly the values the rules match on (gas name as computed, FCMS capacity and codes)
    SELECT array_agg(DISTINCT cur.cylinder_no) INTO nos
    FROM cy_cylinder_current cur
    JOIN jsonb_to_recordset(rules) AS r(gas_name text, capacity numeric, valve_spec_code text, cylinder_spec_code text)
      ON cur.raw_gas_name = r.gas_name
     AND (r.capacity IS NULL OR cur.raw_capacity = r.capacity)
     AND (r.valve_spec_code IS NULL OR cur.raw_valve_spec_code = r.valve_spec_code)
     AND (r.cylinder_spec_code IS NULL OR cur.raw_cylinder_spec_code = r.cylinder_spec_code);
    PERFORM cy_sync_cylinders(nos);
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION cy_trg_policy_exception() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    nos text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT cylinder_no) INTO nos FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT cylinder_no) INTO nos FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT x) INTO nos FROM (SELECT cylinder_no AS x FROM old_rows UNION SELECT cylinder_no FROM new_rows) u;
    END IF;
    PERFORM cy_sync_cylinders(nos);
    RETURN NULL;
END
$fn$;

-- Valve groups and mappings: every cylinder whose FCMS valve is (or was) mapped into a touched group, since a
-- group's rename, activity or primary valve changes all its members.
CREATE OR REPLACE FUNCTION cy_sync_valve_groups(p_groups integer[], p_pairs jsonb) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    nos text[];
BEGIN
    SELECT array_agg(DISTINCT cur.cylinder_no) INTO nos
    FROM cy_cylinder_current cur
    WHERE (cur.raw_valve_spec_code, cur.raw_valve_spec_name) IN (
        SELECT m.valve_spec_code, m.valve_spec_name FROM cy_valve_group_mapping m WHERE m.group_id = ANY(p_groups)
        UNION
        SELECT p.valve_spec_code, p.valve_spec_name
        FROM jsonb_to_recordset(COALESCE(p_pairs, '[]'::jsonb)) AS p(valve_spec_code text, valve_spec_name text)
    );
    RETURN cy_sync_cylinders(nos);
END
$fn$;

CREATE OR REPLACE FUNCTION cy_trg_policy_valve_group() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    ids integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT x) INTO ids FROM (SELECT id AS x FROM old_rows UNION SELECT id FROM new_rows) u;
    END IF;
    PERFORM cy_sync_valve_groups(ids, NULL);
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION cy_trg_policy_valve_mapping() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    ids integer[];
    pairs jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT group_id), jsonb_agg(jsonb_build_object('valve_spec_code', valve_spec_code, 'valve_spec_name', valve_spec_name))
        INTO ids, pairs FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT group_id), jsonb_agg(jsonb_build_object('valve_spec_code', valve_spec_code, 'valve_spec_name', valve_spec_name))
        INTO ids, pairs FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT group_id), jsonb_agg(jsonb_build_object('valve_spec_code', valve_spec_code, 'valve_spec_name', valve_spec_name))
        INTO ids, pairs FROM (SELECT group_id, valve_spec_code, valve_spec_name FROM old_rows
                              UNION SELECT group_id, valve_spec_code, valve_spec_name FROM new_rows) u;
    END IF;
    PERFORM cy_sync_valve_groups(ids, pairs);
    RETURN NULL;
END
$fn$;

-- The design's FOREIGN KEY to fcms_cdc.ma_cylinders (ON DELETE CASCADE) is replaced by the DELETE row trigger and
-- the TRUNCATE trigger below: a foreign key into the CDC-owned table would make the pipeline's TRUNCATE fail and
-- lock FCMS rows on every snapshot write. (Installs of an earlier version had it: drop it.)
ALTER TABLE cy_cylinder_current DROP CONSTRAINT IF EXISTS fk_cylinder_no;

DROP TRIGGER IF EXISTS trigger_sync_cylinder_current_cylinders ON fcms_cdc.ma_cylinders;
CREATE TRIGGER trigger_sync_cylinder_current_cylinders
    AFTER INSERT OR UPDATE OR DELETE ON fcms_cdc.ma_cylinders
    FOR EACH ROW EXECUTE FUNCTION cy_trg_fcms_row();
DROP TRIGGER IF EXISTS trigger_sync_cylinder_current_cylinders_truncate ON fcms_cdc.ma_cylinders;
CREATE TRIGGER trigger_sync_cylinder_current_cylinders_truncate
    AFTER TRUNCATE ON fcms_cdc.ma_cylinders
    FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_fcms_truncate();
DROP TRIGGER IF EXISTS trigger_sync_cylinder_current_status ON fcms_cdc.tr_latest_cylinder_statuses;
CREATE TRIGGER trigger_sync_cylinder_current_status
    AFTER INSERT OR UPDATE OR DELETE ON fcms_cdc.tr_latest_cylinder_statuses
    FOR EACH ROW EXECUTE FUNCTION cy_trg_fcms_row();
DROP TRIGGER IF EXISTS trigger_sync_cylinder_current_status_truncate ON fcms_cdc.tr_latest_cylinder_statuses;
CREATE TRIGGER trigger_sync_cylinder_current_status_truncate
    AFTER TRUNCATE ON fcms_cdc.tr_latest_cylinder_statuses
    FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_fcms_truncate();
${[
  ['ma_items', 'ITEM_CODE', 'items'],
  ['ma_valve_specs', 'VALVE_SPEC_CODE', 'valve_specs'],
  ['ma_cylinder_specs', 'CYLINDER_SPEC_CODE', 'cylinder_specs'],
]
  .map(
    ([table, col, short]) => `
DROP TRIGGER IF EXISTS trigger_sync_cylinder_current_${short}_ins ON fcms_cdc.${table};
CREATE TRIGGER trigger_sync_cylinder_current_${short}_ins AFTER INSERT ON fcms_cdc.${table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_fcms_lookup('${col}');
DROP TRIGGER IF EXISTS trigger_sync_cylinder_current_${short}_upd ON fcms_cdc.${table};
CREATE TRIGGER trigger_sync_cylinder_current_${short}_upd AFTER UPDATE ON fcms_cdc.${table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_fcms_lookup('${col}');
DROP TRIGGER IF EXISTS trigger_sync_cylinder_current_${short}_del ON fcms_cdc.${table};
CREATE TRIGGER trigger_sync_cylinder_current_${short}_del AFTER DELETE ON fcms_cdc.${table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_fcms_lookup('${col}');
DROP TRIGGER IF EXISTS trigger_sync_cylinder_current_${short}_truncate ON fcms_cdc.${table};
CREATE TRIGGER trigger_sync_cylinder_current_${short}_truncate AFTER TRUNCATE ON fcms_cdc.${table}
    FOR EACH STATEMENT EXECUTE FUNCTION cy_trg_fcms_truncate();`,
  )
  .join('\n')}
${[
  ['cy_enduser_default', 'cy_trg_policy_default', 'default'],
  ['cy_enduser_exception', 'cy_trg_policy_exception', 'exception'],
  ['cy_valve_group', 'cy_trg_policy_valve_group', 'valve_group'],
  ['cy_valve_group_mapping', 'cy_trg_policy_valve_mapping', 'valve_mapping'],
]
  .map(
    ([table, fn, short]) => `
DROP TRIGGER IF EXISTS trigger_cy_policy_${short}_ins ON ${table};
CREATE TRIGGER trigger_cy_policy_${short}_ins AFTER INSERT ON ${table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
DROP TRIGGER IF EXISTS trigger_cy_policy_${short}_upd ON ${table};
CREATE TRIGGER trigger_cy_policy_${short}_upd AFTER UPDATE ON ${table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
DROP TRIGGER IF EXISTS trigger_cy_policy_${short}_del ON ${table};
CREATE TRIGGER trigger_cy_policy_${short}_del AFTER DELETE ON ${table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();`,
  )
  .join('\n')}
`;

/** The version of the installed sync objects (the marker comment on cy_sync_cylinders). */
export const SYNC_VERSION = crypto.createHash('sha256').update(SYNC_INSTALL_SQL).digest('hex').slice(0, 16);
const MARKER = `linedeck cylinders sync ${SYNC_VERSION}`;

/** Triggers the hook installs on the FCMS tables, by table. */
export const FCMS_TRIGGERS: Record<string, string[]> = {
  ma_cylinders: ['trigger_sync_cylinder_current_cylinders', 'trigger_sync_cylinder_current_cylinders_truncate'],
  tr_latest_cylinder_statuses: ['trigger_sync_cylinder_current_status', 'trigger_sync_cylinder_current_status_truncate'],
  ma_items: ['ins', 'upd', 'del', 'truncate'].map((x) => `trigger_sync_cylinder_current_items_${x}`),
  ma_valve_specs: ['ins', 'upd', 'del', 'truncate'].map((x) => `trigger_sync_cylinder_current_valve_specs_${x}`),
  ma_cylinder_specs: ['ins', 'upd', 'del', 'truncate'].map((x) => `trigger_sync_cylinder_current_cylinder_specs_${x}`),
};

/** Which of the FCMS tables are missing in this database. */
export async function missingFcmsTables(client: pg.ClientBase | pg.Pool): Promise<string[]> {
  const r = await client.query<{ t: string }>(
    `select t from unnest($1::text[]) t where to_regclass('fcms_cdc.' || quote_ident(t)) is null`,
    [[...FCMS_TABLES]],
  );
  return r.rows.map((x) => `fcms_cdc.${x.t}`);
}

export function missingFcmsNote(missing: string[]): string {
  const list = missing.join(', ');
  return `${list} ${missing.length === 1 ? 'is' : 'are'} missing: the cylinder inventory reads the FCMS CDC tables; run \`linedeck demo seed\` for demo data or point the cylinders source at the FCMS CDC database`;
}

/** Installed triggers (names) on the FCMS and policy tables, and whether the installed sync is this version. */
export async function syncInstallState(client: pg.ClientBase | pg.Pool): Promise<{ version: string | null; current: boolean; missingTriggers: string[] }> {
  const v = await client.query<{ d: string | null }>(
    `select obj_description(to_regprocedure('cy_sync_cylinders(text[])'), 'pg_proc') as d`,
  );
  const desc = v.rows[0]?.d ?? null;
  const version = desc?.startsWith('linedeck cylinders sync ') ? desc.slice('linedeck cylinders sync '.length) : null;
  const policyTables: Record<string, string> = {
    default: 'cy_enduser_default',
    exception: 'cy_enduser_exception',
    valve_group: 'cy_valve_group',
    valve_mapping: 'cy_valve_group_mapping',
  };
  const want = [
    ...Object.entries(FCMS_TRIGGERS).flatMap(([t, names]) => names.map((n) => ({ rel: `fcms_cdc.${t}`, n }))),
    ...Object.entries(policyTables).flatMap(([s, rel]) => ['ins', 'upd', 'del'].map((x) => ({ rel, n: `trigger_cy_policy_${s}_${x}` }))),
  ];
  const have = await client.query<{ rel: string; n: string }>(
    `select (tgrelid::regclass)::text as rel, tgname as n from pg_trigger
     where not tgisinternal and tgname like any (array['trigger_sync_cylinder_current%', 'trigger_cy_policy%']) and tgenabled <> 'D'`,
  );
  const got = new Set(have.rows.map((r) => `${r.rel.replace(/"/g, '')}:${r.n}`));
  const missingTriggers = want.filter((w) => !got.has(`${w.rel}:${w.n}`)).map((w) => `${w.n} on ${w.rel}`);
  return { version, current: version === SYNC_VERSION, missingTriggers };
}

/**
 * Installs (or upgrades) the sync objects when the FCMS tables exist. Returns notes for the operator. When the
 * sync is installed for the first time (or upgraded), the snapshot is brought up to date with one full resync.
 */
export async function ensureCylinderSync(client: pg.ClientBase): Promise<string[]> {
  const missing = await missingFcmsTables(client);
  if (missing.length) return [missingFcmsNote(missing)];
  const state = await syncInstallState(client);
  if (state.current && state.missingTriggers.length === 0) return [];
  await client.query('begin');
  try {
    await client.query(SYNC_INSTALL_SQL);
    await client.query(`comment on function cy_sync_cylinders(text[]) is '${MARKER}'`);
    const r = await client.query<{ synced: number; changed: number; deleted: number }>('select * from cy_resync_all()');
    await client.query('commit');
    const { synced, changed, deleted } = r.rows[0];
    return [
      `cylinders: installed the FCMS sync triggers (${SYNC_VERSION}${state.version ? `, was ${state.version}` : ''}); snapshot holds ${synced} cylinders (${changed} rows written, ${deleted} removed)`,
    ];
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  }
}

export const cylinderHooks: EnsureHook[] = [
  {
    name: 'cylinders_fcms_sync',
    group: 'cylinders',
    run: async (ctx) => {
      const exists = await ctx.client.query(`select to_regclass('cy_cylinder_current') as r`);
      if (!exists.rows[0].r) return [];
      return ensureCylinderSync(ctx.client);
    },
  },
];
