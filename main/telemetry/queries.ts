/**
 * The telemetry query layer: plain functions over a pg Pool or client, reading the derived relations (the same
 * names and columns on TimescaleDB and on plain PostgreSQL, see migrations.ts). No caching here (service.ts adds
 * it for the screens); the CLI and the tests call these directly.
 *
 * Times go in as ISO 8601 strings and are handed to PostgreSQL as they are (microseconds kept); times come out as
 * ISO 8601 UTC with Z (rules.ts pgTimestampToIso).
 */
import pg from 'pg';
import { ApiError } from '../api/kit';
import { because, listParam } from '../api/reasons';
import {
  type CommZone,
  BUCKET_INTERVAL,
  BUCKET_RELATION,
  WINDOW_SECONDS,
  bucketForWindow,
  deltaPct,
  gaugePct,
  gaugeRange,
  pgTimestampToIso,
  pyFixed1,
  rangeLabel,
  statusLevel,
  activeRule,
} from './rules';
import type {
  AnomalyRow,
  BucketName,
  CommCell,
  CommResult,
  CommState,
  Expectation,
  FeatureRow,
  KpiResult,
  KpiTile,
  LatestRow,
  Outage,
  PredictionRow,
  QcRule,
  TagInfo,
  TechRow,
  TrendRow,
  WindowName,
} from './types';

export interface Queryable {
  query: pg.Pool['query'];
}

/** Row limit of one trend / tech / features answer (a 30-day 1-minute trend is 43 200 rows). */
export const MAX_ROWS = 100_000;

const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;
const INT8 = 20;
/** timestamptz as PostgreSQL's text (turned into ISO by the caller, microseconds kept); int8 as a number. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === TIMESTAMPTZ || oid === TIMESTAMP) return (v: string) => v;
    if (oid === INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export async function sql<R extends pg.QueryResultRow>(q: Queryable, text: string, values: unknown[] = []): Promise<R[]> {
  const r = await q.query<R>({ text, values, types: TYPES });
  return r.rows;
}

const iso = (v: string | null): string | null => (v === null ? null : pgTimestampToIso(v));

// ---------------------------------------------------------------------------------------------------------------
// Trend (design §10, decisions 2: explicit from/to hold from <= bucket < to; a window holds now-W <= bucket <= now)

export interface RangeQuery {
  tag: string;
  from: string;
  to: string;
  /** window semantics: bucket <= to (else bucket < to) */
  toInclusive?: boolean;
}

function tooMany(what: string, n: number): never {
  throw new ApiError('validation', `${what} has more than ${MAX_ROWS} rows (${n}+): choose a shorter range or a coarser bucket`, because('too_many_rows', { max: MAX_ROWS, count: n }));
}

/** The trend query: SQL and parameters (the bench also EXPLAINs it). */
export function trendQuery(a: RangeQuery & { bucket: BucketName }): { text: string; values: unknown[] } {
  return {
    text: `SELECT bucket, tag_name, n, avg, min, max, first, last, sum, diff FROM public.${BUCKET_RELATION[a.bucket]}
     WHERE tag_name = $1 AND bucket >= $2::timestamptz AND bucket ${a.toInclusive ? '<=' : '<'} $3::timestamptz
     ORDER BY bucket LIMIT ${MAX_ROWS + 1}`,
    values: [a.tag, a.from, a.to],
  };
}

export async function trend(q: Queryable, a: RangeQuery & { bucket: BucketName }): Promise<TrendRow[]> {
  const t = trendQuery(a);
  const rows = await sql<TrendRow>(q, t.text, t.values);
  if (rows.length > MAX_ROWS) tooMany(`the ${a.bucket} trend of ${a.tag}`, rows.length);
  for (const r of rows) r.bucket = pgTimestampToIso(r.bucket);
  return rows;
}

/** The same answer as trend(), aggregated from the raw rows (the bench's baseline; the tests' reference is separate). */
export function trendFromRawQuery(a: RangeQuery & { bucket: BucketName }): { text: string; values: unknown[] } {
  return {
    text: `SELECT b AS bucket, $1::text AS tag_name, n, s / n AS avg, mn AS min, mx AS max, v[1] AS first, v[cardinality(v)] AS last, s AS sum, v[cardinality(v)] - v[1] AS diff
     FROM (SELECT date_bin($4::interval, ts, timestamptz '2000-01-03 00:00:00+00') AS b, count(*) AS n, sum(value) AS s, min(value) AS mn, max(value) AS mx,
                  array_agg(value ORDER BY ts) AS v
           FROM public.influx_hist
           WHERE tag_name = $1 AND ts >= date_bin($4::interval, $2::timestamptz, timestamptz '2000-01-03 00:00:00+00')
             AND ts < date_bin($4::interval, $3::timestamptz, timestamptz '2000-01-03 00:00:00+00') + $4::interval
           GROUP BY 1) x
     WHERE b >= $2::timestamptz AND b ${a.toInclusive ? '<=' : '<'} $3::timestamptz ORDER BY b`,
    values: [a.tag, a.from, a.to, BUCKET_INTERVAL[a.bucket]],
  };
}

export async function trendFromRaw(q: Queryable, a: RangeQuery & { bucket: BucketName }): Promise<TrendRow[]> {
  const t = trendFromRawQuery(a);
  const rows = await sql<TrendRow>(q, t.text, t.values);
  for (const r of rows) r.bucket = pgTimestampToIso(r.bucket);
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Tech indicators (design §11, decisions 6): computed from influx_agg_1m with the 60 rows before the range

export async function tech(q: Queryable, a: RangeQuery): Promise<TechRow[]> {
  const rows = await sql<TechRow>(
    q,
    `WITH x AS (
       (SELECT bucket, avg FROM public.influx_agg_1m WHERE tag_name = $1 AND bucket < $2::timestamptz ORDER BY bucket DESC LIMIT 60)
       UNION ALL
       (SELECT bucket, avg FROM public.influx_agg_1m WHERE tag_name = $1 AND bucket >= $2::timestamptz AND bucket ${a.toInclusive ? '<=' : '<'} $3::timestamptz
        ORDER BY bucket LIMIT ${MAX_ROWS + 1})
     ), w AS (
       SELECT bucket, avg,
              avg(avg) OVER w10 AS sma_10,
              avg(avg) OVER w60 AS sma_60,
              avg + 2 * stddev_samp(avg) OVER w20 AS bb_top,
              avg - 2 * stddev_samp(avg) OVER w20 AS bb_bot,
              avg - lag(avg, 60) OVER (ORDER BY bucket) AS slope_60
       FROM x
       WINDOW w10 AS (ORDER BY bucket ROWS BETWEEN 9 PRECEDING AND CURRENT ROW),
              w20 AS (ORDER BY bucket ROWS BETWEEN 19 PRECEDING AND CURRENT ROW),
              w60 AS (ORDER BY bucket ROWS BETWEEN 59 PRECEDING AND CURRENT ROW)
     )
     SELECT bucket, $1::text AS tag_name, avg, sma_10, sma_60, bb_top, bb_bot, slope_60 FROM w WHERE bucket >= $2::timestamptz ORDER BY bucket`,
    [a.tag, a.from, a.to],
  );
  if (rows.length > MAX_ROWS) tooMany(`the 1-minute indicators of ${a.tag}`, rows.length);
  for (const r of rows) r.bucket = pgTimestampToIso(r.bucket);
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Features (design A.7 / B9)

export async function features(q: Queryable, a: { tag?: string; from: string; to: string; toInclusive?: boolean }): Promise<FeatureRow[]> {
  const rows = await sql<FeatureRow>(
    q,
    `SELECT bucket, tag_name, mean_5m, std_5m, min_5m, max_5m, p10_5m, p90_5m, n_5m FROM public.features_5m
     WHERE ($1::text IS NULL OR tag_name = $1) AND bucket >= $2::timestamptz AND bucket ${a.toInclusive ? '<=' : '<'} $3::timestamptz
     ORDER BY bucket, tag_name LIMIT ${MAX_ROWS + 1}`,
    [a.tag ?? null, a.from, a.to],
  );
  if (rows.length > MAX_ROWS) tooMany('the 5-minute features', rows.length);
  for (const r of rows) r.bucket = pgTimestampToIso(r.bucket);
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// QC rules and expectations (reads)

const QC_COLUMNS =
  'tag_name, min_val, max_val, max_step, max_gap_seconds, allow_negative, enabled, meta, warn_min, warn_max, crit_min, crit_max, roc_max_per_min, spike_zscore, deadband_pct';
export const QC_FIELDS = QC_COLUMNS.split(', ') as (keyof QcRule)[];

export async function listQcRules(q: Queryable): Promise<QcRule[]> {
  return sql<QcRule>(q, `SELECT ${QC_COLUMNS} FROM public.influx_qc_rule ORDER BY tag_name`);
}

/** The tag's QC rule, locked for a change in the caller's transaction (undefined when it has none). */
export async function qcRuleForUpdate(c: Queryable, tag: string): Promise<QcRule | undefined> {
  const cols = QC_FIELDS;
  return (await sql<QcRule>(c, `SELECT ${cols.join(', ')} FROM public.influx_qc_rule WHERE tag_name = $1 FOR UPDATE`, [tag]))[0];
}

/** Creates or replaces a tag's QC rule (meta as JSON); the stored row. */
export async function upsertQcRule(c: Queryable, row: Omit<QcRule, 'meta'> & { meta: Record<string, unknown> }): Promise<QcRule> {
  const cols = QC_FIELDS;
  const values = cols.map((k) => (k === 'meta' ? JSON.stringify(row.meta) : (row as Record<string, unknown>)[k] ?? null));
  return (
    await sql<QcRule>(
      c,
      `INSERT INTO public.influx_qc_rule (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})
           ON CONFLICT (tag_name) DO UPDATE SET ${cols.filter((k) => k !== 'tag_name').map((k) => `${k} = EXCLUDED.${k}`).join(', ')}
           RETURNING ${cols.join(', ')}`,
      values,
    )
  )[0];
}

/** Deletes a tag's QC rule; the deleted row (undefined when there was none). */
export async function deleteQcRule(c: Queryable, tag: string): Promise<QcRule | undefined> {
  return (await sql<QcRule>(c, `DELETE FROM public.influx_qc_rule WHERE tag_name = $1 RETURNING ${QC_FIELDS.join(', ')}`, [tag]))[0];
}

export async function listExpectations(q: Queryable): Promise<Expectation[]> {
  const rows = await sql<{ tag_name: string; exp_per_min: number; slo_warn: string; slo_crit: string; updated_at: string | null }>(
    q,
    'SELECT tag_name, exp_per_min, slo_warn, slo_crit, updated_at FROM public.ingest_expectation ORDER BY tag_name',
  );
  return rows.map((r) => ({ ...r, slo_warn: Number(r.slo_warn), slo_crit: Number(r.slo_crit), updated_at: iso(r.updated_at) }));
}

/** The tag's expectation row as stored, locked for a change in the caller's transaction (undefined when none). */
export async function expectationForUpdate(c: Queryable, tag: string): Promise<pg.QueryResultRow | undefined> {
  return (await sql(c, 'SELECT tag_name, exp_per_min, slo_warn, slo_crit FROM public.ingest_expectation WHERE tag_name = $1 FOR UPDATE', [tag]))[0];
}

/** Creates or replaces a tag's ingest expectation (the SLOs as numeric text), stamped now. */
export async function upsertExpectation(c: Queryable, e: { tag_name: string; exp_per_min: number; slo_warn: number; slo_crit: number }): Promise<void> {
  await c.query(
    `INSERT INTO public.ingest_expectation (tag_name, exp_per_min, slo_warn, slo_crit, updated_at) VALUES ($1, $2, $3::numeric, $4::numeric, now())
         ON CONFLICT (tag_name) DO UPDATE SET exp_per_min = EXCLUDED.exp_per_min, slo_warn = EXCLUDED.slo_warn, slo_crit = EXCLUDED.slo_crit, updated_at = now()`,
    [e.tag_name, e.exp_per_min, String(e.slo_warn), String(e.slo_crit)],
  );
}

/** Deletes a tag's ingest expectation; the deleted row as stored (undefined when there was none). */
export async function deleteExpectation(c: Queryable, tag: string): Promise<pg.QueryResultRow | undefined> {
  return (await sql(c, 'DELETE FROM public.ingest_expectation WHERE tag_name = $1 RETURNING tag_name, exp_per_min, slo_warn, slo_crit', [tag]))[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Tags

export async function tags(q: Queryable): Promise<TagInfo[]> {
  const [latest, rules, exps] = await Promise.all([
    sql<{ tag_name: string; value: number; ts: string }>(q, 'SELECT tag_name, value, ts FROM public.influx_latest'),
    listQcRules(q),
    listExpectations(q),
  ]);
  const names = new Set([...latest.map((r) => r.tag_name), ...rules.map((r) => r.tag_name), ...exps.map((r) => r.tag_name)]);
  return [...names].sort().map((tag_name) => {
    const l = latest.find((r) => r.tag_name === tag_name);
    return {
      tag_name,
      latest_ts: l ? pgTimestampToIso(l.ts) : null,
      latest_value: l?.value ?? null,
      rule: rules.find((r) => r.tag_name === tag_name) ?? null,
      expectation: exps.find((r) => r.tag_name === tag_name) ?? null,
    };
  });
}

/** Throws not_found for a tag that has no data, no QC rule and no expectation. */
export async function assertKnownTag(q: Queryable, tag: string): Promise<void> {
  const r = await sql<{ known: boolean }>(
    q,
    `SELECT EXISTS (SELECT 1 FROM public.influx_hist WHERE tag_name = $1)
         OR EXISTS (SELECT 1 FROM public.influx_qc_rule WHERE tag_name = $1)
         OR EXISTS (SELECT 1 FROM public.ingest_expectation WHERE tag_name = $1) AS known`,
    [tag],
  );
  if (r[0].known) return;
  const known = (await sql<{ tag_name: string }>(q, 'SELECT tag_name FROM public.influx_latest ORDER BY tag_name')).map((x) => x.tag_name);
  throw new ApiError('not_found', `unknown tag ${tag}${known.length ? ` (known: ${known.join(', ')})` : ' (no telemetry data yet)'}`, because('unknown_tag', { tag, known: known.length ? listParam(known, 20) : '-' }));
}

// ---------------------------------------------------------------------------------------------------------------
// KPI tiles (design §4, §5, §7; decisions 3-5)

/** "2025-08-15 16:26:07" in Asia/Seoul (UTC+9, no daylight saving) from an ISO UTC time. */
export function seoul(isoUtc: string | null): string {
  if (!isoUtc) return '';
  const d = new Date(Date.parse(isoUtc) + 9 * 3600_000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export async function kpi(q: Queryable, a: { window: WindowName; now: string }): Promise<KpiResult> {
  const bucket = bucketForWindow(a.window);
  const rel = BUCKET_RELATION[bucket];
  const rows = await sql<{
    tag_name: string;
    now: string;
    count: number | null;
    min: number | null;
    max: number | null;
    first: number | null;
    lasts: number[] | null;
    newest: string | null;
    ts: string | null;
    rule: QcRule | null;
  }>(
    q,
    `WITH w AS (
       SELECT a.tag_name, a.bucket, a.n, a.min, a.max, a.first, a.last FROM public.${rel} a
       WHERE a.bucket >= $1::timestamptz - $2::double precision * interval '1 second' AND a.bucket <= $1::timestamptz
     ), g AS (
       SELECT tag_name, sum(n)::bigint AS count, min(min) AS min, max(max) AS max,
              (array_agg(first ORDER BY bucket))[1] AS first,
              (array_agg(last ORDER BY bucket DESC))[1:2] AS lasts,
              max(bucket) AS newest
       FROM w GROUP BY tag_name
     )
     SELECT t.tag_name, $1::timestamptz AS now, g.count, g.min, g.max, g.first, g.lasts, g.newest,
            (SELECT h.ts FROM public.influx_hist h WHERE h.tag_name = t.tag_name AND h.ts >= g.newest AND h.ts < g.newest + $3::interval
              ORDER BY h.ts DESC LIMIT 1) AS ts,
            to_jsonb(r.*) AS rule
     FROM public.influx_latest t LEFT JOIN g ON g.tag_name = t.tag_name LEFT JOIN public.influx_qc_rule r ON r.tag_name = t.tag_name
     ORDER BY t.tag_name`,
    [a.now, WINDOW_SECONDS[a.window], BUCKET_INTERVAL[bucket]],
  );
  const now = rows.length ? pgTimestampToIso(rows[0].now) : new Date(Date.parse(a.now)).toISOString();
  const tiles = rows.map((r): KpiTile => {
    const value = r.lasts?.[0] ?? null;
    const prev = r.lasts && r.lasts.length > 1 ? r.lasts[1] : null;
    const range = gaugeRange(r.rule, r.min, r.max);
    const d = deltaPct(value, prev);
    const ts = iso(r.ts);
    return {
      tag_name: r.tag_name,
      value,
      delta_pct: d,
      gauge_pct: gaugePct(value, range),
      status_level: statusLevel(value, r.rule),
      range_label: rangeLabel(range),
      count: r.count ?? 0,
      min: r.min,
      max: r.max,
      first: r.first,
      last: value,
      ts,
      bucket: iso(r.newest),
      value_s: value === null ? '-' : pyFixed1(value),
      delta_s: `${d >= 0 ? '+' : ''}${pyFixed1(d)}%`,
      ts_s: seoul(ts),
    };
  });
  return { window: a.window, bucket, now, tiles };
}

// ---------------------------------------------------------------------------------------------------------------
// Latest snapshot table (design §2: TAG | Time Stamp | Value | Comm. | Alarm.)

/**
 * Comm: `ok` while the latest sample is younger than the tag's allowed gap (the enabled rule's max_gap_seconds,
 * else three expected intervals), `late` up to ten allowed gaps, then `lost`.
 */
export function commState(ageS: number, expectedIntervalS: number, maxGapS: number | null): CommState {
  const allowed = maxGapS && maxGapS > 0 ? maxGapS : 3 * expectedIntervalS;
  if (ageS <= allowed) return 'ok';
  if (ageS <= 10 * allowed) return 'late';
  return 'lost';
}

export async function latest(q: Queryable, a: { now: string }): Promise<LatestRow[]> {
  const rows = await sql<{ tag_name: string; value: number; ts: string; age_s: number; exp_per_min: number | null; rule: QcRule | null }>(
    q,
    `SELECT l.tag_name, l.value, l.ts, extract(epoch FROM ($1::timestamptz - l.ts))::double precision AS age_s, e.exp_per_min, to_jsonb(r.*) AS rule
     FROM public.influx_latest l
     LEFT JOIN public.ingest_expectation e ON e.tag_name = l.tag_name
     LEFT JOIN public.influx_qc_rule r ON r.tag_name = l.tag_name
     ORDER BY l.tag_name`,
    [a.now],
  );
  return rows.map((r) => {
    const interval = 60 / Math.max(1, r.exp_per_min ?? 1);
    const rule = activeRule(r.rule);
    const ts = pgTimestampToIso(r.ts);
    return {
      tag_name: r.tag_name,
      ts,
      value: r.value,
      age_s: r.age_s,
      expected_interval_s: interval,
      comm: commState(r.age_s, interval, rule?.max_gap_seconds ?? null),
      alarm: statusLevel(r.value, r.rule) ?? 0,
      ts_s: seoul(ts),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Communication success (design §28, decisions 7)

export type { CommZone };

/**
 * 30 × 24 hours from `startDate` (YYYY-MM-DD) at midnight in `tz` (UTC unless given; the screens ask for Asia/Seoul, so
 * a day is a Seoul day: 2025-03-01 starts at 2025-02-28T15:00Z). Buckets stay whole UTC hours (Seoul is UTC+9, no DST,
 * so a Seoul hour is a UTC hour). A cell holds data once its hour has ended at `now`.
 */
export async function comm(q: Queryable, a: { tag: string; startDate: string; now: string; tz?: CommZone }): Promise<CommResult> {
  const rows = await sql<{
    bucket: string;
    has_data: boolean;
    recv: number;
    exp: number;
    exp_per_min: number;
    slo_warn: string;
    slo_crit: string;
    has_exp: boolean;
    bad: boolean;
    last_seen_min: string | null;
    now: string;
  }>(
    q,
    `WITH x AS (
       SELECT COALESCE(e.exp_per_min, 1) AS exp_per_min, COALESCE(e.exp_per_min, 1)::bigint * 60 AS exp,
              COALESCE(e.slo_warn, 0.98) AS slo_warn, COALESCE(e.slo_crit, 0.95) AS slo_crit, e.tag_name IS NOT NULL AS has_exp
       FROM (SELECT 1) one LEFT JOIN public.ingest_expectation e ON e.tag_name = $1
     ), grid AS (
       SELECT g AS bucket, g + interval '1 hour' <= $3::timestamptz AS has_data
       FROM generate_series($2::date::timestamp AT TIME ZONE $4::text, ($2::date::timestamp AT TIME ZONE $4::text) + interval '719 hours', interval '1 hour') g
     )
     SELECT g.bucket, g.has_data, COALESCE(h.n, 0)::bigint AS recv, x.exp, x.exp_per_min, x.slo_warn::text, x.slo_crit::text, x.has_exp,
            g.has_data AND LEAST(1.0, COALESCE(h.n, 0)::numeric / NULLIF(x.exp, 0)) < x.slo_crit AS bad,
            CASE WHEN g.has_data THEN
              (SELECT max(m.bucket) FROM public.influx_agg_1m m
                WHERE m.tag_name = $1 AND m.bucket >= g.bucket AND m.bucket < g.bucket + interval '1 hour' AND m.n > 0)
            END AS last_seen_min,
            $3::timestamptz AS now
     FROM grid g CROSS JOIN x LEFT JOIN public.influx_agg_1h h ON h.tag_name = $1 AND h.bucket = g.bucket
     ORDER BY g.bucket`,
    [a.tag, a.startDate, a.now, a.tz ?? 'UTC'],
  );
  const cells: CommCell[] = rows.map((r) => ({
    bucket_utc: pgTimestampToIso(r.bucket),
    success_rate: r.has_data ? (r.exp > 0 ? Math.min(1, r.recv / r.exp) : null) : null,
    recv_msgs: r.has_data ? r.recv : null,
    exp_msgs: r.exp,
    missing_msgs: r.has_data ? Math.max(0, r.exp - r.recv) : null,
    last_seen_min: iso(r.last_seen_min),
  }));
  const outages: Outage[] = [];
  let start = -1;
  const HOUR = 3600_000;
  rows.forEach((r, i) => {
    if (r.bad && start < 0) start = i;
    const endsRun = start >= 0 && (!r.bad || i === rows.length - 1);
    if (endsRun) {
      const last = r.bad ? i : i - 1;
      const s = cells[start].bucket_utc;
      outages.push({ start_ts_utc: s, end_ts_utc: new Date(Date.parse(cells[last].bucket_utc) + HOUR).toISOString().replace('.000Z', 'Z'), hours: last - start + 1 });
      start = -1;
    }
  });
  const x = rows[0];
  return {
    tag_name: a.tag,
    start: a.startDate,
    now: pgTimestampToIso(x.now),
    exp_per_min: x.exp_per_min,
    slo_warn: Number(x.slo_warn),
    slo_crit: Number(x.slo_crit),
    has_expectation: x.has_exp,
    cells,
    outages,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Predictions and anomalies (design §12: overlays for the trend)

export async function overlays(q: Queryable, a: RangeQuery): Promise<{ predictions: PredictionRow[]; anomalies: AnomalyRow[] }> {
  const op = a.toInclusive ? '<=' : '<';
  const [p, an] = await Promise.all([
    sql<PredictionRow>(
      q,
      `SELECT ts, tag_name, horizon::text AS horizon, yhat, pi_low, pi_high, model_id, version FROM public.predictions
       WHERE tag_name = $1 AND ts >= $2::timestamptz AND ts ${op} $3::timestamptz ORDER BY ts, horizon, model_id, version LIMIT ${MAX_ROWS}`,
      [a.tag, a.from, a.to],
    ),
    sql<AnomalyRow>(
      q,
      `SELECT ts, tag_name, score, level, context FROM public.anomalies
       WHERE tag_name = $1 AND ts >= $2::timestamptz AND ts ${op} $3::timestamptz ORDER BY ts LIMIT ${MAX_ROWS}`,
      [a.tag, a.from, a.to],
    ),
  ]);
  for (const r of p) r.ts = pgTimestampToIso(r.ts);
  for (const r of an) r.ts = pgTimestampToIso(r.ts);
  return { predictions: p, anomalies: an };
}

/** now − W .. now for a window, as ISO strings computed by PostgreSQL (microseconds kept). */
export async function windowRange(q: Queryable, w: WindowName, now: string): Promise<{ from: string; to: string }> {
  const r = await sql<{ f: string; t: string }>(q, `SELECT $1::timestamptz - $2::double precision * interval '1 second' AS f, $1::timestamptz AS t`, [now, WINDOW_SECONDS[w]]);
  return { from: pgTimestampToIso(r[0].f), to: pgTimestampToIso(r[0].t) };
}

// ---------------------------------------------------------------------------------------------------------------
// Status (telemetry.status: how the derived relations are kept and how fresh they are)

export interface RefreshStateRow {
  pending: number;
  newest: string | null;
  newest1m: string | null;
  lr_at: string | null;
  lr: unknown;
}

/** Pending invalidations, the newest sample, the newest 1-minute bucket and the last refresh (times as PostgreSQL's text). */
export async function refreshState(q: Queryable): Promise<RefreshStateRow[]> {
  return sql<RefreshStateRow>(
    q,
    `SELECT (SELECT count(*)::bigint FROM public.tl_invalidation) AS pending,
                (SELECT max(ts) FROM public.influx_latest) AS newest,
                (SELECT max(bucket) FROM public.influx_agg_1m WHERE bucket >= (SELECT max(ts) FROM public.influx_latest) - interval '1 day') AS newest1m,
                (SELECT updated_at FROM public.tl_state WHERE key = 'last_refresh') AS lr_at,
                (SELECT value FROM public.tl_state WHERE key = 'last_refresh') AS lr`,
  );
}
