/**
 * Migrations of the telemetry data source (see main/db/migrate.ts for the rules), after the telemetry design
 * (seeds/telemetry-dashboard-prd.md §12, §12.1, §27, §28) as amended by decisions.md ("Telemetry").
 *
 * Source tables (contracts/telemetry_source.sql; the plant's ingest pipeline owns them, so CREATE IF NOT EXISTS):
 * influx_hist, influx_qc_rule, ingest_expectation, plus the design's predictions and anomalies.
 *
 * Derived relations, with the design's names and columns on every server:
 *
 * | relation                      | TimescaleDB                              | plain PostgreSQL                         |
 * |-------------------------------|------------------------------------------|------------------------------------------|
 * | influx_agg_1m/10m/1h/1d       | continuous aggregates + the §27.3.2      | tables kept by tl_refresh(from, to):     |
 * |                               | policies, real-time (materialized_only    | 1m from influx_hist, 10m from 1m, 1h from|
 * |                               | = false)                                 | 10m, 1d from 1h (exact roll-ups)          |
 * | features_5m                   | cagg with toolkit percentiles; without   | table (percentile_cont, the design §B16  |
 * |                               | the toolkit a table as on plain PG       | "percentile substitute")                 |
 * | tech_ind_1m_mv                | table kept by tl_refresh (window functions are not allowed in a cagg; a full |
 * |                               | REFRESH MATERIALIZED VIEW of a year of minutes is too heavy)                |
 * | influx_latest                 | view (loose index scan: one index probe per tag, not DISTINCT ON over all)  |
 * | comm_success_1h               | view over influx_agg_1h (decisions 7: an hour without messages is 0 %, and  |
 * |                               | a cagg cannot emit rows for hours without data; expectations apply at once) |
 *
 * Buckets are aligned in UTC with origin 2000-01-03T00:00Z (time_bucket's default = date_bin with that origin).
 * `tl_derived` records how each relation is kept (table | cagg | view | matview); a relation that already exists
 * (a plant database built with the design's DR runbook) is kept as it is and recorded with its own kind.
 *
 * Plain PostgreSQL keeps an invalidation log (`tl_invalidation`, statement triggers on influx_hist with transition
 * tables, TRUNCATE = everything), so late or corrected rows are re-aggregated by the next refresh, as TimescaleDB's
 * own invalidation log does for continuous aggregates.
 */
import type pg from 'pg';
import type { EnsureHook, Migration, MigrationContext } from '../db/migrate';
import { log } from '../log';

export const TL_ORIGIN = '2000-01-03 00:00:00+00';

/** Derived relations in refresh order (a later one may read an earlier one). */
export const DERIVED_RELATIONS = ['influx_agg_1m', 'influx_agg_10m', 'influx_agg_1h', 'influx_agg_1d', 'features_5m', 'tech_ind_1m_mv', 'influx_latest', 'comm_success_1h'] as const;
export type DerivedRelation = (typeof DERIVED_RELATIONS)[number];
export type DerivedKind = 'table' | 'cagg' | 'view' | 'matview';

const AGG_COLUMNS = 'bucket timestamptz NOT NULL, tag_name text NOT NULL, n bigint NOT NULL, avg double precision, sum double precision, min double precision, max double precision, last double precision, first double precision, diff double precision';

/** The columns every derived relation must have (the doctor checks them). */
export const DERIVED_COLUMNS: Record<DerivedRelation, string[]> = {
  influx_agg_1m: ['bucket', 'tag_name', 'n', 'avg', 'sum', 'min', 'max', 'last', 'first', 'diff'],
  influx_agg_10m: ['bucket', 'tag_name', 'n', 'avg', 'sum', 'min', 'max', 'last', 'first', 'diff'],
  influx_agg_1h: ['bucket', 'tag_name', 'n', 'avg', 'sum', 'min', 'max', 'last', 'first', 'diff'],
  influx_agg_1d: ['bucket', 'tag_name', 'n', 'avg', 'sum', 'min', 'max', 'last', 'first', 'diff'],
  features_5m: ['bucket', 'tag_name', 'mean_5m', 'std_5m', 'min_5m', 'max_5m', 'p10_5m', 'p90_5m', 'n_5m'],
  tech_ind_1m_mv: ['bucket', 'tag_name', 'avg', 'sma_10', 'sma_60', 'bb_top', 'bb_bot', 'slope_60'],
  influx_latest: ['tag_name', 'value', 'ts'],
  comm_success_1h: ['bucket', 'tag_name', 'recv_msgs', 'exp_msgs', 'success_rate', 'missing_msgs', 'last_seen_min'],
};

const SOURCE_SQL = /* sql */ `
-- contracts/telemetry_source.sql
CREATE TABLE IF NOT EXISTS public.influx_hist (
  ts timestamptz NOT NULL,
  tag_name text NOT NULL,
  value double precision NOT NULL,
  qc smallint DEFAULT 0,
  meta jsonb DEFAULT '{}'::jsonb,
  PRIMARY KEY (ts, tag_name)
);
CREATE INDEX IF NOT EXISTS idx_hist_tag_ts ON public.influx_hist (tag_name, ts DESC);

CREATE TABLE IF NOT EXISTS public.influx_qc_rule (
  tag_name text PRIMARY KEY,
  min_val double precision, max_val double precision, max_step double precision, max_gap_seconds integer,
  allow_negative boolean, enabled boolean, meta jsonb DEFAULT '{}'::jsonb,
  warn_min double precision, warn_max double precision, crit_min double precision, crit_max double precision,
  roc_max_per_min double precision, spike_zscore double precision, deadband_pct double precision
);

CREATE TABLE IF NOT EXISTS public.ingest_expectation (
  tag_name text PRIMARY KEY,
  exp_per_min integer NOT NULL DEFAULT 1,
  slo_warn numeric NOT NULL DEFAULT 0.98,
  slo_crit numeric NOT NULL DEFAULT 0.95,
  updated_at timestamptz DEFAULT now()
);

-- design §12.1 (7) predictions and (8) anomalies
CREATE TABLE IF NOT EXISTS public.predictions (
  ts timestamptz NOT NULL,
  tag_name text NOT NULL,
  horizon interval NOT NULL,
  yhat double precision NOT NULL,
  pi_low double precision,
  pi_high double precision,
  model_id text NOT NULL,
  version text NOT NULL,
  features jsonb DEFAULT '{}'::jsonb,
  PRIMARY KEY (ts, tag_name, horizon, model_id, version)
);
CREATE INDEX IF NOT EXISTS idx_pred_tag_ts ON public.predictions (tag_name, ts DESC);
CREATE INDEX IF NOT EXISTS predictions_ts_idx ON public.predictions (ts DESC);

CREATE TABLE IF NOT EXISTS public.anomalies (
  ts timestamptz NOT NULL,
  tag_name text NOT NULL,
  score double precision NOT NULL,
  level text NOT NULL,
  context jsonb DEFAULT '{}'::jsonb,
  PRIMARY KEY (ts, tag_name)
);
CREATE INDEX IF NOT EXISTS anomalies_ts_idx ON public.anomalies (ts DESC);
CREATE INDEX IF NOT EXISTS anomalies_tag_ts_desc ON public.anomalies (tag_name, ts DESC);
`;

/** Design §27.3: hypertables, compression 7 d, retention 365 d (each step idempotent). */
async function timescaleSource(c: pg.PoolClient): Promise<void> {
  await c.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  for (const t of ['influx_hist', 'predictions', 'anomalies'])
    await c.query(`SELECT create_hypertable('public.${t}', 'ts', if_not_exists => true, migrate_data => true, chunk_time_interval => interval '7 days')`);
  await c.query('CREATE INDEX IF NOT EXISTS influx_hist_ts_idx ON public.influx_hist (ts DESC)');
  const comp = await c.query<{ enabled: boolean }>(
    `SELECT compression_enabled AS enabled FROM timescaledb_information.hypertables WHERE hypertable_schema = 'public' AND hypertable_name = 'influx_hist'`,
  );
  if (!comp.rows[0]?.enabled)
    await c.query(`ALTER TABLE public.influx_hist SET (timescaledb.compress, timescaledb.compress_orderby = 'ts DESC', timescaledb.compress_segmentby = 'tag_name')`);
  await c.query(`SELECT add_compression_policy('public.influx_hist', INTERVAL '7 days', if_not_exists => true)`);
  await c.query(`SELECT add_retention_policy('public.influx_hist', INTERVAL '365 days', if_not_exists => true)`);
}

/** Runs `fn` inside a savepoint; on error rolls back to it and returns the error. */
async function attempt(c: pg.PoolClient, name: string, fn: () => Promise<void>): Promise<Error | undefined> {
  await c.query(`SAVEPOINT ${name}`);
  try {
    await fn();
    await c.query(`RELEASE SAVEPOINT ${name}`);
    return undefined;
  } catch (e) {
    await c.query(`ROLLBACK TO SAVEPOINT ${name}`);
    return e as Error;
  }
}

async function isHypertable(c: pg.PoolClient, table: string): Promise<boolean> {
  const ext = await c.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (!ext.rowCount) return false;
  const r = await c.query(`SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = 'public' AND hypertable_name = $1`, [table]);
  return (r.rowCount ?? 0) > 0;
}

/** The kind of an existing relation in schema public, or null. */
async function existingKind(c: pg.PoolClient, name: string): Promise<DerivedKind | null> {
  const r = await c.query<{ relkind: string }>(
    `SELECT cl.relkind FROM pg_class cl JOIN pg_namespace ns ON ns.oid = cl.relnamespace WHERE ns.nspname = 'public' AND cl.relname = $1`,
    [name],
  );
  if (!r.rowCount) return null;
  const k = r.rows[0].relkind;
  if (k === 'm') return 'matview';
  if (k === 'r' || k === 'p') return 'table';
  if (k === 'v') {
    const ext = await c.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
    if (ext.rowCount) {
      const ca = await c.query(`SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_schema = 'public' AND view_name = $1`, [name]);
      if (ca.rowCount) return 'cagg';
    }
    return 'view';
  }
  return 'table';
}

const aggTable = (name: string) => /* sql */ `
CREATE TABLE public.${name} (${AGG_COLUMNS}, PRIMARY KEY (tag_name, bucket));
CREATE INDEX ${name}_bucket_idx ON public.${name} (bucket);`;

const TABLE_DDL: Record<'influx_agg_1m' | 'influx_agg_10m' | 'influx_agg_1h' | 'influx_agg_1d' | 'features_5m' | 'tech_ind_1m_mv', string> = {
  influx_agg_1m: aggTable('influx_agg_1m'),
  influx_agg_10m: aggTable('influx_agg_10m'),
  influx_agg_1h: aggTable('influx_agg_1h'),
  influx_agg_1d: aggTable('influx_agg_1d'),
  features_5m: /* sql */ `
CREATE TABLE public.features_5m (
  bucket timestamptz NOT NULL, tag_name text NOT NULL,
  mean_5m double precision, std_5m double precision, min_5m double precision, max_5m double precision,
  p10_5m double precision, p90_5m double precision, n_5m bigint NOT NULL,
  PRIMARY KEY (tag_name, bucket));
CREATE INDEX features_5m_bucket_idx ON public.features_5m (bucket);`,
  tech_ind_1m_mv: /* sql */ `
CREATE TABLE public.tech_ind_1m_mv (
  bucket timestamptz NOT NULL, tag_name text NOT NULL,
  avg double precision, sma_10 double precision, sma_60 double precision,
  bb_top double precision, bb_bot double precision, slope_60 double precision,
  PRIMARY KEY (tag_name, bucket));
CREATE INDEX tech_ind_1m_mv_bucket_idx ON public.tech_ind_1m_mv (bucket);`,
};

/** Design §27.3.1 with time_bucket; WITH NO DATA because a migration runs inside a transaction. */
const caggSql = (name: string, width: string) => /* sql */ `
CREATE MATERIALIZED VIEW public.${name}
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket('${width}', ts) AS bucket, tag_name,
       count(*) AS n, avg(value) AS avg, sum(value) AS sum,
       min(value) AS min, max(value) AS max,
       last(value, ts) AS last, first(value, ts) AS first,
       last(value, ts) - first(value, ts) AS diff
FROM public.influx_hist GROUP BY 1, 2
WITH NO DATA`;

/** Design §27.3.2 (start_offset, end_offset, schedule_interval). */
const CAGG_POLICIES: Record<string, [string, string, string]> = {
  influx_agg_1m: ['2 hours', '1 minute', '1 minute'],
  influx_agg_10m: ['1 day', '10 minutes', '10 minutes'],
  influx_agg_1h: ['7 days', '1 hour', '1 hour'],
  influx_agg_1d: ['730 days', '1 day', '1 day'],
  features_5m: ['2 hours', '5 minutes', '5 minutes'],
};
const CAGG_WIDTH: Record<string, string> = { influx_agg_1m: '1 minute', influx_agg_10m: '10 minutes', influx_agg_1h: '1 hour', influx_agg_1d: '1 day' };

const FEATURES_CAGG = /* sql */ `
CREATE MATERIALIZED VIEW public.features_5m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket('5 minutes', ts) AS bucket, tag_name,
       avg(value) AS mean_5m, stddev_samp(value) AS std_5m,
       min(value) AS min_5m, max(value) AS max_5m,
       approx_percentile(0.1, percentile_agg(value)) AS p10_5m,
       approx_percentile(0.9, percentile_agg(value)) AS p90_5m,
       count(*) AS n_5m
FROM public.influx_hist GROUP BY 1, 2
WITH NO DATA`;

/** influx_latest: the design's DISTINCT ON result, found with one index probe per tag (loose index scan). */
const LATEST_VIEW = /* sql */ `
CREATE OR REPLACE VIEW public.influx_latest AS
WITH RECURSIVE tags AS (
  (SELECT h.tag_name FROM public.influx_hist h ORDER BY h.tag_name LIMIT 1)
  UNION ALL
  SELECT (SELECT h.tag_name FROM public.influx_hist h WHERE h.tag_name > t.tag_name ORDER BY h.tag_name LIMIT 1)
  FROM tags t WHERE t.tag_name IS NOT NULL
)
SELECT t.tag_name, l.value, l.ts
FROM tags t
CROSS JOIN LATERAL (SELECT h.value, h.ts FROM public.influx_hist h WHERE h.tag_name = t.tag_name ORDER BY h.ts DESC LIMIT 1) l
WHERE t.tag_name IS NOT NULL`;

/**
 * comm_success_1h (design §28.1, decisions 7): every hour from a tag's first hour with data to the last hour that
 * has ended, including hours without messages (0 %). Expected messages come from ingest_expectation or its
 * defaults. The screens query the same formula over an explicit 30-day grid (service.ts), so "now" can be given.
 */
const COMM_VIEW = /* sql */ `
CREATE OR REPLACE VIEW public.comm_success_1h AS
SELECT g.bucket,
       t.tag_name,
       COALESCE(h.n, 0)::bigint AS recv_msgs,
       (x.exp_per_min * 60)::bigint AS exp_msgs,
       LEAST(1.0, GREATEST(0.0, COALESCE(h.n, 0)::numeric / NULLIF(x.exp_per_min * 60, 0))) AS success_rate,
       GREATEST(0, x.exp_per_min * 60 - COALESCE(h.n, 0))::bigint AS missing_msgs,
       (SELECT max(m.bucket) FROM public.influx_agg_1m m
         WHERE m.tag_name = t.tag_name AND m.bucket >= g.bucket AND m.bucket < g.bucket + interval '1 hour' AND m.n > 0) AS last_seen_min
FROM (SELECT a.tag_name, min(a.bucket) AS first_hour FROM public.influx_agg_1h a GROUP BY a.tag_name) t
CROSS JOIN LATERAL (SELECT COALESCE((SELECT e.exp_per_min FROM public.ingest_expectation e WHERE e.tag_name = t.tag_name), 1) AS exp_per_min) x
CROSS JOIN LATERAL generate_series(t.first_hour, date_bin('1 hour', now(), timestamptz '${TL_ORIGIN}') - interval '1 hour', interval '1 hour') AS g(bucket)
LEFT JOIN public.influx_agg_1h h ON h.tag_name = t.tag_name AND h.bucket = g.bucket`;

/**
 * tl_refresh(from, to): recomputes every table-kind derived relation for the buckets that the range [from, to)
 * touches (a bucket is recomputed whole), in one transaction, under an advisory lock. Returns rows written per
 * relation. Roll-ups read the finer level, so a range must cover every raw change (the invalidation log does).
 * tech_ind_1m_mv is recomputed for the range plus the 60 rows after it (their windows reach back into the range),
 * each with the 60 rows before it as look-back, so every row equals a computation over the whole history.
 */
const REFRESH_FN = /* sql */ `
CREATE TABLE IF NOT EXISTS public.tl_derived (
  relation text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('table', 'cagg', 'view', 'matview')),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- [lo, hi] raw time ranges changed since the last refresh (plain PostgreSQL); lo = -infinity means everything.
CREATE TABLE IF NOT EXISTS public.tl_invalidation (
  id bigserial PRIMARY KEY,
  lo timestamptz NOT NULL,
  hi timestamptz NOT NULL,
  logged_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.tl_state (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION public.tl_kind(p_relation text) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT kind FROM public.tl_derived WHERE relation = p_relation $$;

CREATE OR REPLACE FUNCTION public.tl_refresh(p_from timestamptz, p_to timestamptz) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  origin constant timestamptz := timestamptz '${TL_ORIGIN}';
  lo1 timestamptz; hi1 timestamptz; lo10 timestamptz; hi10 timestamptz; loh timestamptz; hih timestamptz;
  lod timestamptz; hid timestamptz; lo5 timestamptz; hi5 timestamptz;
  n bigint;
  tags text[];
  out jsonb := '{}'::jsonb;
BEGIN
  IF p_from IS NULL OR p_to IS NULL OR p_from >= p_to OR p_from = '-infinity' OR p_to = 'infinity' THEN
    RAISE EXCEPTION 'tl_refresh needs a finite range with from < to (got % .. %)', p_from, p_to USING ERRCODE = '22023';
  END IF;
  PERFORM pg_advisory_xact_lock(7604401923);
  PERFORM set_config('work_mem', '64MB', true);
  lo1 := date_bin('1 minute', p_from, origin);
  hi1 := date_bin('1 minute', p_to - interval '1 microsecond', origin) + interval '1 minute';
  lo10 := date_bin('10 minutes', lo1, origin);
  hi10 := date_bin('10 minutes', hi1 - interval '1 microsecond', origin) + interval '10 minutes';
  loh := date_bin('1 hour', lo1, origin);
  hih := date_bin('1 hour', hi1 - interval '1 microsecond', origin) + interval '1 hour';
  lod := date_bin('1 day', lo1, origin);
  hid := date_bin('1 day', hi1 - interval '1 microsecond', origin) + interval '1 day';
  lo5 := date_bin('5 minutes', lo1, origin);
  hi5 := date_bin('5 minutes', hi1 - interval '1 microsecond', origin) + interval '5 minutes';

  IF public.tl_kind('influx_agg_1m') = 'table' THEN
    DELETE FROM public.influx_agg_1m WHERE bucket >= lo1 AND bucket < hi1;
    INSERT INTO public.influx_agg_1m (bucket, tag_name, n, avg, sum, min, max, last, first, diff)
    SELECT b, tag_name, cnt, s / cnt, s, mn, mx, a[cardinality(a)], a[1], a[cardinality(a)] - a[1]
    FROM (SELECT date_bin('1 minute', h.ts, origin) AS b, h.tag_name, count(*) AS cnt, sum(h.value) AS s,
                 min(h.value) AS mn, max(h.value) AS mx, array_agg(h.value ORDER BY h.ts) AS a
          FROM public.influx_hist h WHERE h.ts >= lo1 AND h.ts < hi1 GROUP BY 1, 2) x;
    GET DIAGNOSTICS n = ROW_COUNT; out := out || jsonb_build_object('influx_agg_1m', n);
  END IF;

  IF public.tl_kind('influx_agg_10m') = 'table' THEN
    DELETE FROM public.influx_agg_10m WHERE bucket >= lo10 AND bucket < hi10;
    INSERT INTO public.influx_agg_10m (bucket, tag_name, n, avg, sum, min, max, last, first, diff)
    SELECT b, tag_name, cnt, s / cnt, s, mn, mx, l, f, l - f
    FROM (SELECT date_bin('10 minutes', a.bucket, origin) AS b, a.tag_name, sum(a.n)::bigint AS cnt, sum(a.sum) AS s,
                 min(a.min) AS mn, max(a.max) AS mx,
                 (array_agg(a.last ORDER BY a.bucket DESC))[1] AS l, (array_agg(a.first ORDER BY a.bucket))[1] AS f
          FROM public.influx_agg_1m a WHERE a.bucket >= lo10 AND a.bucket < hi10 GROUP BY 1, 2) x;
    GET DIAGNOSTICS n = ROW_COUNT; out := out || jsonb_build_object('influx_agg_10m', n);
  END IF;

  IF public.tl_kind('influx_agg_1h') = 'table' THEN
    DELETE FROM public.influx_agg_1h WHERE bucket >= loh AND bucket < hih;
    INSERT INTO public.influx_agg_1h (bucket, tag_name, n, avg, sum, min, max, last, first, diff)
    SELECT b, tag_name, cnt, s / cnt, s, mn, mx, l, f, l - f
    FROM (SELECT date_bin('1 hour', a.bucket, origin) AS b, a.tag_name, sum(a.n)::bigint AS cnt, sum(a.sum) AS s,
                 min(a.min) AS mn, max(a.max) AS mx,
                 (array_agg(a.last ORDER BY a.bucket DESC))[1] AS l, (array_agg(a.first ORDER BY a.bucket))[1] AS f
          FROM public.influx_agg_10m a WHERE a.bucket >= loh AND a.bucket < hih GROUP BY 1, 2) x;
    GET DIAGNOSTICS n = ROW_COUNT; out := out || jsonb_build_object('influx_agg_1h', n);
  END IF;

  IF public.tl_kind('influx_agg_1d') = 'table' THEN
    DELETE FROM public.influx_agg_1d WHERE bucket >= lod AND bucket < hid;
    INSERT INTO public.influx_agg_1d (bucket, tag_name, n, avg, sum, min, max, last, first, diff)
    SELECT b, tag_name, cnt, s / cnt, s, mn, mx, l, f, l - f
    FROM (SELECT date_bin('1 day', a.bucket, origin) AS b, a.tag_name, sum(a.n)::bigint AS cnt, sum(a.sum) AS s,
                 min(a.min) AS mn, max(a.max) AS mx,
                 (array_agg(a.last ORDER BY a.bucket DESC))[1] AS l, (array_agg(a.first ORDER BY a.bucket))[1] AS f
          FROM public.influx_agg_1h a WHERE a.bucket >= lod AND a.bucket < hid GROUP BY 1, 2) x;
    GET DIAGNOSTICS n = ROW_COUNT; out := out || jsonb_build_object('influx_agg_1d', n);
  END IF;

  IF public.tl_kind('features_5m') = 'table' THEN
    DELETE FROM public.features_5m WHERE bucket >= lo5 AND bucket < hi5;
    INSERT INTO public.features_5m (bucket, tag_name, mean_5m, std_5m, min_5m, max_5m, p10_5m, p90_5m, n_5m)
    SELECT date_bin('5 minutes', h.ts, origin), h.tag_name, avg(h.value), stddev_samp(h.value), min(h.value), max(h.value),
           percentile_cont(0.1) WITHIN GROUP (ORDER BY h.value), percentile_cont(0.9) WITHIN GROUP (ORDER BY h.value), count(*)
    FROM public.influx_hist h WHERE h.ts >= lo5 AND h.ts < hi5 GROUP BY 1, 2;
    GET DIAGNOSTICS n = ROW_COUNT; out := out || jsonb_build_object('features_5m', n);
  END IF;

  IF public.tl_kind('tech_ind_1m_mv') = 'table' THEN
    SELECT array_agg(DISTINCT x.tag_name) INTO tags FROM (
      SELECT t.tag_name FROM public.tech_ind_1m_mv t WHERE t.bucket >= lo1 AND t.bucket < hi1
      UNION SELECT a.tag_name FROM public.influx_agg_1m a WHERE a.bucket >= lo1 AND a.bucket < hi1) x;
    DELETE FROM public.tech_ind_1m_mv WHERE bucket >= lo1 AND bucket < hi1;
    INSERT INTO public.tech_ind_1m_mv AS t (bucket, tag_name, avg, sma_10, sma_60, bb_top, bb_bot, slope_60)
    SELECT w.bucket, w.tag_name, w.avg, w.sma_10, w.sma_60, w.bb_top, w.bb_bot, w.slope_60
    FROM (
      SELECT x.bucket, g.tag_name, x.avg,
             avg(x.avg) OVER w10 AS sma_10,
             avg(x.avg) OVER w60 AS sma_60,
             x.avg + 2 * stddev_samp(x.avg) OVER w20 AS bb_top,
             x.avg - 2 * stddev_samp(x.avg) OVER w20 AS bb_bot,
             x.avg - lag(x.avg, 60) OVER (PARTITION BY g.tag_name ORDER BY x.bucket) AS slope_60
      FROM unnest(COALESCE(tags, '{}'::text[])) AS g(tag_name)
      CROSS JOIN LATERAL (
        (SELECT a.bucket, a.avg FROM public.influx_agg_1m a WHERE a.tag_name = g.tag_name AND a.bucket < lo1 ORDER BY a.bucket DESC LIMIT 60)
        UNION ALL
        (SELECT a.bucket, a.avg FROM public.influx_agg_1m a WHERE a.tag_name = g.tag_name AND a.bucket >= lo1 AND a.bucket < hi1)
        UNION ALL
        (SELECT a.bucket, a.avg FROM public.influx_agg_1m a WHERE a.tag_name = g.tag_name AND a.bucket >= hi1 ORDER BY a.bucket LIMIT 60)
      ) x
      WINDOW w10 AS (PARTITION BY g.tag_name ORDER BY x.bucket ROWS BETWEEN 9 PRECEDING AND CURRENT ROW),
             w20 AS (PARTITION BY g.tag_name ORDER BY x.bucket ROWS BETWEEN 19 PRECEDING AND CURRENT ROW),
             w60 AS (PARTITION BY g.tag_name ORDER BY x.bucket ROWS BETWEEN 59 PRECEDING AND CURRENT ROW)
    ) w
    WHERE w.bucket >= lo1
    ON CONFLICT (tag_name, bucket) DO UPDATE SET avg = EXCLUDED.avg, sma_10 = EXCLUDED.sma_10, sma_60 = EXCLUDED.sma_60,
      bb_top = EXCLUDED.bb_top, bb_bot = EXCLUDED.bb_bot, slope_60 = EXCLUDED.slope_60;
    GET DIAGNOSTICS n = ROW_COUNT; out := out || jsonb_build_object('tech_ind_1m_mv', n);
  END IF;
  RETURN out;
END
$fn$;

-- Removes every table-kind derived row outside [p_lo, p_hi) (raw rows gone after a TRUNCATE or a purge).
CREATE OR REPLACE FUNCTION public.tl_clear_outside(p_lo timestamptz, p_hi timestamptz) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE r record;
BEGIN
  PERFORM pg_advisory_xact_lock(7604401923);
  FOR r IN SELECT relation FROM public.tl_derived WHERE kind = 'table' LOOP
    IF p_lo IS NULL THEN
      EXECUTE format('DELETE FROM public.%I', r.relation);
    ELSE
      EXECUTE format('DELETE FROM public.%I WHERE bucket < $1 OR bucket >= $2', r.relation) USING p_lo, p_hi;
    END IF;
  END LOOP;
END
$fn$;
`;

const INVALIDATION_TRIGGERS = /* sql */ `
CREATE OR REPLACE FUNCTION public.tl_log_invalidation() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO public.tl_invalidation (lo, hi) VALUES ('-infinity', 'infinity');
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO public.tl_invalidation (lo, hi) SELECT min(ts), max(ts) FROM tl_new HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO public.tl_invalidation (lo, hi) SELECT min(ts), max(ts) FROM tl_old HAVING count(*) > 0;
  ELSE
    INSERT INTO public.tl_invalidation (lo, hi)
    SELECT min(ts), max(ts) FROM (SELECT ts FROM tl_old UNION ALL SELECT ts FROM tl_new) u HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS tl_inv_insert ON public.influx_hist;
DROP TRIGGER IF EXISTS tl_inv_update ON public.influx_hist;
DROP TRIGGER IF EXISTS tl_inv_delete ON public.influx_hist;
DROP TRIGGER IF EXISTS tl_inv_truncate ON public.influx_hist;
CREATE TRIGGER tl_inv_insert AFTER INSERT ON public.influx_hist REFERENCING NEW TABLE AS tl_new
  FOR EACH STATEMENT EXECUTE FUNCTION public.tl_log_invalidation();
CREATE TRIGGER tl_inv_update AFTER UPDATE ON public.influx_hist REFERENCING OLD TABLE AS tl_old NEW TABLE AS tl_new
  FOR EACH STATEMENT EXECUTE FUNCTION public.tl_log_invalidation();
CREATE TRIGGER tl_inv_delete AFTER DELETE ON public.influx_hist REFERENCING OLD TABLE AS tl_old
  FOR EACH STATEMENT EXECUTE FUNCTION public.tl_log_invalidation();
CREATE TRIGGER tl_inv_truncate AFTER TRUNCATE ON public.influx_hist
  FOR EACH STATEMENT EXECUTE FUNCTION public.tl_log_invalidation();
`;

async function createDerived(ctx: MigrationContext): Promise<void> {
  const c = ctx.client;
  const logger = log('telemetry');
  await c.query(REFRESH_FN);
  const timescale = await isHypertable(c, 'influx_hist');
  const kinds: Partial<Record<DerivedRelation, DerivedKind>> = {};
  for (const rel of DERIVED_RELATIONS) {
    const have = await existingKind(c, rel);
    if (have) {
      kinds[rel] = have;
      continue;
    }
    if (rel === 'influx_latest') {
      await c.query(LATEST_VIEW);
      kinds[rel] = 'view';
    } else if (rel === 'comm_success_1h') {
      await c.query(COMM_VIEW);
      kinds[rel] = 'view';
    } else if (timescale && rel in CAGG_WIDTH) {
      const err = await attempt(c, 'tl_cagg', () => c.query(caggSql(rel, CAGG_WIDTH[rel])).then(() => undefined));
      if (err) {
        logger.warn({ relation: rel, err: err.message }, 'continuous aggregate not created: a table refreshed by the console instead');
        await c.query(TABLE_DDL[rel as keyof typeof TABLE_DDL]);
        kinds[rel] = 'table';
      } else kinds[rel] = 'cagg';
    } else if (timescale && rel === 'features_5m') {
      const err = await attempt(c, 'tl_toolkit', async () => {
        await c.query('CREATE EXTENSION IF NOT EXISTS timescaledb_toolkit');
        await c.query(FEATURES_CAGG);
      });
      if (err) {
        logger.info({ err: err.message }, 'timescaledb_toolkit not usable: features_5m is a table refreshed by the console (exact percentiles)');
        await c.query(TABLE_DDL.features_5m);
        kinds[rel] = 'table';
      } else kinds[rel] = 'cagg';
    } else {
      await c.query(TABLE_DDL[rel as keyof typeof TABLE_DDL]);
      kinds[rel] = 'table';
    }
  }
  for (const [rel, kind] of Object.entries(kinds))
    await c.query('INSERT INTO public.tl_derived (relation, kind) VALUES ($1, $2) ON CONFLICT (relation) DO UPDATE SET kind = EXCLUDED.kind', [rel, kind]);
  if (timescale) {
    for (const [rel, [start, end, every]] of Object.entries(CAGG_POLICIES)) {
      if (kinds[rel as DerivedRelation] !== 'cagg') continue;
      const err = await attempt(c, 'tl_policy', () =>
        c
          .query(
            `SELECT add_continuous_aggregate_policy('public.${rel}', start_offset => INTERVAL '${start}', end_offset => INTERVAL '${end}', schedule_interval => INTERVAL '${every}', if_not_exists => true)`,
          )
          .then(() => undefined),
      );
      if (err) logger.warn({ relation: rel, err: err.message }, 'refresh policy not added: run `linedeck telemetry refresh` after loading data');
    }
  } else {
    await c.query(INVALIDATION_TRIGGERS);
  }
  // Rows that were there before us (a plant database) are aggregated by the first refresh.
  const any = await c.query('SELECT 1 FROM public.influx_hist LIMIT 1');
  if (any.rowCount && Object.values(kinds).includes('table')) await c.query(`INSERT INTO public.tl_invalidation (lo, hi) VALUES ('-infinity', 'infinity')`);
}

export const telemetryMigrations: Migration[] = [
  {
    name: '202611230200_telemetry_source',
    group: 'telemetry',
    up: async (ctx) => {
      await ctx.client.query(SOURCE_SQL);
      if (ctx.timescaleAvailable) {
        const err = await attempt(ctx.client, 'tl_timescale', () => timescaleSource(ctx.client));
        if (err) log('telemetry').warn({ err: err.message }, 'timescaledb is available but could not be used (is it in shared_preload_libraries?): plain PostgreSQL mode');
      }
    },
  },
  {
    name: '202611230210_telemetry_derived',
    group: 'telemetry',
    up: createDerived,
  },
  {
    // the first start seeds the newest demo days and leaves the older ones to the background (demo.ts): what is
    // left survives a restart here (one row while a backfill is pending, none otherwise)
    name: '202612090100_telemetry_demo_backfill',
    group: 'telemetry',
    sql: `CREATE TABLE IF NOT EXISTS public.tl_demo_backfill (
      id int PRIMARY KEY CHECK (id = 1),
      anchor timestamptz NOT NULL,
      from_ts timestamptz NOT NULL,
      done_from timestamptz NOT NULL CHECK (done_from >= from_ts AND done_from <= anchor)
    )`,
  },
];

export const telemetryHooks: EnsureHook[] = [];
