/**
 * Reference answers for the tests, computed straight from the raw influx_hist rows with the design's own SQL
 * (§27.3.1 aggregates, §12.1 tech MV, §28 heatmap and outages) as decisions.md corrects it — deliberately written
 * differently from the production path (DISTINCT ON for first/last, one full-history window pass for the
 * indicators, the KPI rules in SQL) so that the two can disagree.
 */
import type pg from 'pg';

const ORIGIN = "timestamptz '2000-01-03 00:00:00+00'";
const WIDTH: Record<string, string> = { '1m': '1 minute', '5m': '5 minutes', '10m': '10 minutes', '1h': '1 hour', '1d': '1 day' };
const WINDOW_SECONDS: Record<string, number> = {
  '1m': 60, '5m': 300, '10m': 600, '60m': 3600, '12h': 43200, '24h': 86400, '48h': 172800, '7d': 604800, '14d': 1209600, '30d': 2592000,
  '3m': 7776000, '6m': 15552000, '12m': 31536000,
};
export function refBucketForWindow(w: string): string {
  const s = WINDOW_SECONDS[w];
  return s <= 86400 ? '1m' : s <= 14 * 86400 ? '10m' : s <= 90 * 86400 ? '1h' : '1d';
}

const TYPES = {
  getTypeParser: ((oid: number) => {
    if (oid === 1184) return (v: string) => new Date(v.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString();
    if (oid === 20 || oid === 21 || oid === 23) return (v: string) => Number(v);
    if (oid === 1700) return (v: string) => Number(v);
    if (oid === 701 || oid === 700) return (v: string) => Number(v);
    if (oid === 16) return (v: string) => v === 't';
    return (v: string) => v;
  }) as pg.CustomTypesConfig['getTypeParser'],
};
async function rows<T>(q: pg.Pool, text: string, values: unknown[] = []): Promise<T[]> {
  return (await q.query({ text, values, types: TYPES })).rows as T[];
}

/** Aggregate of one bucket width over raw rows (the design's CAGG definition, time_bucket = date_bin at the origin). */
export function refAggSql(bucket: string, where = 'TRUE'): string {
  // first/last with window functions over the rows ordered by time (the production path uses ordered array_agg)
  return `
    WITH r AS (
      SELECT date_bin('${WIDTH[bucket]}', ts, ${ORIGIN}) AS b, tag_name, ts, value,
             first_value(value) OVER p AS fv, last_value(value) OVER p AS lv
      FROM public.influx_hist WHERE ${where}
      WINDOW p AS (PARTITION BY tag_name, date_bin('${WIDTH[bucket]}', ts, ${ORIGIN}) ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
    SELECT b AS bucket, tag_name, count(*) AS n, avg(value) AS avg, sum(value) AS sum, min(value) AS min, max(value) AS max,
           min(lv) AS last, min(fv) AS first, min(lv) - min(fv) AS diff
    FROM r GROUP BY tag_name, b`;
}

export interface RefAgg {
  bucket: string;
  tag_name: string;
  n: number;
  avg: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  first: number;
  diff: number;
}

export async function refAgg(q: pg.Pool, bucket: string, tag?: string): Promise<RefAgg[]> {
  return rows<RefAgg>(q, `SELECT * FROM (${refAggSql(bucket, tag ? 'tag_name = $1' : 'TRUE')}) x ORDER BY tag_name, bucket`, tag ? [tag] : []);
}

export async function refFeatures(q: pg.Pool): Promise<Record<string, unknown>[]> {
  return rows(
    q,
    `SELECT date_bin('5 minutes', ts, ${ORIGIN}) AS bucket, tag_name, avg(value) AS mean_5m, stddev_samp(value) AS std_5m, min(value) AS min_5m, max(value) AS max_5m,
            percentile_cont(0.1) WITHIN GROUP (ORDER BY value) AS p10_5m, percentile_cont(0.9) WITHIN GROUP (ORDER BY value) AS p90_5m, count(*) AS n_5m
     FROM public.influx_hist GROUP BY 1, 2 ORDER BY tag_name, bucket`,
  );
}

/** The design's tech_ind_1m_mv over the whole history (§12.1 (4)), optionally cut to [from, to). */
export async function refTech(q: pg.Pool, tag?: string, from?: string, to?: string): Promise<Record<string, unknown>[]> {
  return rows(
    q,
    `WITH a AS (${refAggSql('1m', '($1::text IS NULL OR tag_name = $1)')}),
     mv AS (
       SELECT bucket, tag_name, avg,
              avg(avg) OVER w10 AS sma_10,
              avg(avg) OVER w60 AS sma_60,
              avg + 2*stddev_samp(avg) OVER w20 AS bb_top,
              avg - 2*stddev_samp(avg) OVER w20 AS bb_bot,
              (avg - lag(avg, 60) OVER (PARTITION BY tag_name ORDER BY bucket)) AS slope_60
       FROM a
       WINDOW
         w10 AS (PARTITION BY tag_name ORDER BY bucket ROWS BETWEEN 9  PRECEDING AND CURRENT ROW),
         w20 AS (PARTITION BY tag_name ORDER BY bucket ROWS BETWEEN 19 PRECEDING AND CURRENT ROW),
         w60 AS (PARTITION BY tag_name ORDER BY bucket ROWS BETWEEN 59 PRECEDING AND CURRENT ROW))
     SELECT * FROM mv WHERE ($2::timestamptz IS NULL OR bucket >= $2) AND ($3::timestamptz IS NULL OR bucket < $3) ORDER BY tag_name, bucket`,
    [tag ?? null, from ?? null, to ?? null],
  );
}

export interface RefTile {
  tag_name: string;
  value: number | null;
  delta_pct: number;
  gauge_pct: number | null;
  status_level: number | null;
  range_label: string | null;
  count: number;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
}

/** KPI tiles per decisions 3-5, all in SQL over the raw rows. */
export async function refKpi(q: pg.Pool, window: string, now: string): Promise<RefTile[]> {
  const bucket = refBucketForWindow(window);
  return rows<RefTile>(
    q,
    // rows of the buckets now−W ≤ bucket ≤ now lie in [now−W, now + width): scan only those
    `WITH a AS (${refAggSql(bucket, `ts >= $1::timestamptz - $2 * interval '1 second' AND ts < $1::timestamptz + interval '${WIDTH[bucket]}'`)}),
     w AS (SELECT * FROM a WHERE bucket >= $1::timestamptz - $2 * interval '1 second' AND bucket <= $1::timestamptz),
     ranked AS (SELECT w.*, row_number() OVER (PARTITION BY tag_name ORDER BY bucket DESC) AS rn_desc,
                       row_number() OVER (PARTITION BY tag_name ORDER BY bucket) AS rn_asc FROM w),
     g AS (SELECT tag_name, sum(n) AS count, min(min) AS wmin, max(max) AS wmax,
                  max(CASE WHEN rn_asc = 1 THEN first END) AS first,
                  max(CASE WHEN rn_desc = 1 THEN last END) AS value,
                  max(CASE WHEN rn_desc = 2 THEN last END) AS prev
           FROM ranked GROUP BY tag_name),
     tags AS (SELECT DISTINCT tag_name FROM public.influx_hist),
     t AS (
       SELECT tags.tag_name, g.count, g.wmin, g.wmax, g.first, g.value, g.prev,
              (r.tag_name IS NOT NULL AND r.enabled IS DISTINCT FROM false) AS active,
              r.min_val, r.max_val, r.warn_min, r.warn_max, r.crit_min, r.crit_max
       FROM tags LEFT JOIN g USING (tag_name) LEFT JOIN public.influx_qc_rule r USING (tag_name)),
     rng AS (
       SELECT t.*,
              CASE WHEN active AND min_val < max_val THEN min_val ELSE wmin END AS lo,
              CASE WHEN active AND min_val < max_val THEN max_val ELSE wmax END AS hi
       FROM t)
     SELECT tag_name, value,
            CASE WHEN prev IS NULL OR prev = 0 OR value IS NULL THEN 0 ELSE (value - prev) / prev * 100 END AS delta_pct,
            CASE WHEN value IS NULL OR lo IS NULL THEN NULL WHEN hi <= lo THEN 0 ELSE LEAST(100, GREATEST(0, (value - lo) / (hi - lo) * 100)) END AS gauge_pct,
            CASE WHEN value IS NULL THEN NULL
                 WHEN active AND (value < min_val OR value > max_val OR value < crit_min OR value > crit_max) THEN 2
                 WHEN active AND (value < warn_min OR value > warn_max) THEN 1 ELSE 0 END AS status_level,
            CASE WHEN lo IS NULL THEN NULL ELSE to_char(round(lo::numeric, 1), 'FM9999999990.0') || ' ~ ' || to_char(round(hi::numeric, 1), 'FM9999999990.0') END AS range_label,
            COALESCE(count, 0) AS count, wmin AS min, wmax AS max, first, value AS last
     FROM rng ORDER BY tag_name`,
    [now, WINDOW_SECONDS[window]],
  );
}

export interface RefCell {
  bucket_utc: string;
  success_rate: number | null;
  recv_msgs: number | null;
  exp_msgs: number;
  missing_msgs: number | null;
  bad: boolean;
}

/** The §28.2 heatmap with decisions 7: 0 % for hours without messages, no data for hours not ended at `now`. */
export async function refComm(q: pg.Pool, tag: string, start: string, now: string): Promise<{ cells: RefCell[]; outages: { start_ts_utc: string; end_ts_utc: string; hours: number }[] }> {
  const cells = await rows<RefCell>(
    q,
    `WITH days AS (SELECT gs::date AS d FROM generate_series($1::date, ($1::date + INTERVAL '29 days'), '1 day') gs),
     hours AS (SELECT generate_series(0, 23) AS h),
     grid AS (SELECT ((d + make_time(h, 0, 0)) AT TIME ZONE 'UTC') AS bucket FROM days CROSS JOIN hours),
     cnt AS (SELECT date_bin('1 hour', ts, ${ORIGIN}) AS bucket, count(*) AS n FROM public.influx_hist WHERE tag_name = $2 GROUP BY 1),
     e AS (SELECT COALESCE((SELECT exp_per_min FROM public.ingest_expectation WHERE tag_name = $2), 1) * 60 AS exp,
                  COALESCE((SELECT slo_crit FROM public.ingest_expectation WHERE tag_name = $2), 0.95) AS crit)
     SELECT g.bucket AS bucket_utc,
            CASE WHEN g.bucket + interval '1 hour' <= $3::timestamptz THEN LEAST(1.0, COALESCE(c.n, 0)::numeric / e.exp) END AS success_rate,
            CASE WHEN g.bucket + interval '1 hour' <= $3::timestamptz THEN COALESCE(c.n, 0) END AS recv_msgs,
            e.exp AS exp_msgs,
            CASE WHEN g.bucket + interval '1 hour' <= $3::timestamptz THEN GREATEST(0, e.exp - COALESCE(c.n, 0)) END AS missing_msgs,
            COALESCE(g.bucket + interval '1 hour' <= $3::timestamptz AND LEAST(1.0, COALESCE(c.n, 0)::numeric / e.exp) < e.crit, false) AS bad
     FROM grid g CROSS JOIN e LEFT JOIN cnt c ON c.bucket = g.bucket ORDER BY g.bucket`,
    [start, tag, now],
  );
  const outages = await rows<{ start_ts_utc: string; end_ts_utc: string; hours: number }>(
    q,
    `WITH s AS (SELECT b, row_number() OVER (ORDER BY b) AS rn FROM unnest($1::timestamptz[]) AS b),
     grp AS (SELECT b, b - rn * interval '1 hour' AS gid FROM s)
     SELECT min(b) AS start_ts_utc, max(b) + interval '1 hour' AS end_ts_utc, count(*)::int AS hours FROM grp GROUP BY gid ORDER BY 1`,
    [cells.filter((c) => c.bad).map((c) => c.bucket_utc)],
  );
  return { cells, outages };
}

export async function refLatest(q: pg.Pool): Promise<{ tag_name: string; value: number; ts: string }[]> {
  return rows(q, 'SELECT DISTINCT ON (tag_name) tag_name, value, ts FROM public.influx_hist ORDER BY tag_name, ts DESC');
}
