/**
 * Telemetry demo data: the design's nine tags (D100…D302, §10) sampled every 10 s like the plant's Node-RED feed.
 *
 * Values are a pure function of (tag, time) computed in SQL (daily cycle + slower wave + deterministic hash noise,
 * sub-second arrival jitter), so the bulk seed (one INSERT … SELECT over generate_series) and the live simulator
 * (simulator.ts) produce the same series, re-seeding is idempotent (ON CONFLICT DO NOTHING on identical rows) and
 * deterministic. Events, placed relative to the seeded window's end so every demo shows them:
 * - a 25-minute network drop on every tag (12 days before the end);
 * - D201 dead for 7 hours (4 days before the end) → a red run on the comm heatmap and an outage;
 * - D200 flaky for a whole day (10 % of messages lost, 9 days before the end) → 24 hours below the 95 % SLO;
 * - D301 spikes (×6, above its crit limit), recorded as anomalies;
 * - D100 crosses its warn and crit limits in a 40-minute excursion every third day;
 * - D102 goes negative every night (allow_negative), D202's QC rule is disabled (its values pass max_val unflagged),
 *   D302 has no ingest_expectation (the defaults apply).
 */
import pg from 'pg';
import type { Databases } from '../db/pools';
import { isTimescale, refreshTelemetry, type RefreshResult } from './refresh';
import type { TelemetryService } from './service';
import type { QcRule } from './types';
import type { JobControl } from '../jobs/jobs';
import { jobMessage } from '../jobs/message';

export interface DemoTag {
  tag: string;
  base: number;
  /** daily cycle amplitude */
  amp: number;
  /** seconds of the slower wave */
  period: number;
  phase: number;
  noise: number;
  rule: Partial<QcRule> & { min_val: number; max_val: number };
  /** messages a minute expected; null = no ingest_expectation row */
  expPerMin: number | null;
}

export const DEMO_TAGS: DemoTag[] = [
  { tag: 'D100', base: 150, amp: 18, period: 5400, phase: 0.3, noise: 2, expPerMin: 6, rule: { min_val: 0, max_val: 200, warn_max: 180, crit_max: 190, max_step: 25, max_gap_seconds: 30 } },
  { tag: 'D101', base: 100, amp: 30, period: 7200, phase: 1.1, noise: 3, expPerMin: 6, rule: { min_val: 0, max_val: 200, warn_min: 30, warn_max: 170, crit_min: 20, crit_max: 180, max_gap_seconds: 30 } },
  { tag: 'D102', base: 2, amp: 7, period: 3600, phase: 2.0, noise: 1.5, expPerMin: 6, rule: { min_val: -20, max_val: 40, warn_min: -8, warn_max: 10, crit_min: -15, crit_max: 15, allow_negative: true, max_gap_seconds: 30 } },
  { tag: 'D200', base: 12000, amp: 2500, period: 10800, phase: 0.7, noise: 150, expPerMin: 6, rule: { min_val: 0, max_val: 20000, warn_max: 16000, crit_max: 18500, max_gap_seconds: 30 } },
  { tag: 'D201', base: 8000, amp: 1500, period: 9000, phase: 2.6, noise: 120, expPerMin: 6, rule: { min_val: 0, max_val: 20000, warn_min: 2000, crit_min: 1000, max_gap_seconds: 30 } },
  { tag: 'D202', base: 70, amp: 25, period: 4800, phase: 4.0, noise: 3, expPerMin: 6, rule: { min_val: 0, max_val: 100, warn_max: 85, crit_max: 95, enabled: false } },
  { tag: 'D300', base: 500, amp: 250, period: 6000, phase: 5.1, noise: 12, expPerMin: 6, rule: { min_val: 0, max_val: 1000, warn_min: 100, warn_max: 900, crit_min: 50, crit_max: 950, max_gap_seconds: 30 } },
  { tag: 'D301', base: 80, amp: 10, period: 2400, phase: 0.9, noise: 2, expPerMin: 6, rule: { min_val: 0, max_val: 500, crit_max: 400, spike_zscore: 4, max_gap_seconds: 30 } },
  { tag: 'D302', base: 45, amp: 15, period: 8400, phase: 3.3, noise: 1, expPerMin: null, rule: { min_val: 0, max_val: 100, warn_max: 80, crit_max: 90, max_gap_seconds: 120 } },
];

const lit = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

/** VALUES list of the tags' parameters: (k, tag, base, amp, period, phase, noise). */
function paramsSql(tags: DemoTag[]): string {
  return tags.map((t, k) => `(${k + 1}, '${t.tag}', ${[t.base, t.amp, t.period, t.phase, t.noise].map((v) => `${lit(v)}::float8`).join(', ')})`).join(',\n      ');
}

/** Three 32-bit hash rounds of an integer (pure bigint arithmetic: the same on every server). */
const hash = (x: string) => `((((${x}) >> 16) # (${x})) * 73244475) % 4294967296`;

/**
 * SELECT (ts, tag_name, value) for `slots` (a FROM item giving `slot timestamptz`, 10-second grid) × the demo
 * tags, with the events relative to `$end`. Used by the seed ($1 start, $2 end) and the simulator.
 */
export function demoRowsSql(slots: string, tags: DemoTag[] = DEMO_TAGS): string {
  // float8 epoch (date_part): extract() would give numeric, several times slower over millions of rows
  const h0 = `((floor(t.e / 10)::bigint * 2654435761 + p.k * 40503) % 4294967296)`;
  return /* sql */ `
    WITH p(k, tag, base, amp, period, phase, noise) AS (VALUES
      ${paramsSql(tags)})
    SELECT s.slot + (floor(u.u3 * 900) * interval '1 millisecond') AS ts, p.tag AS tag_name,
           round(((
             p.base
             + p.amp * sin(2 * pi() * (t.e / 86400.0) + p.phase)
             + 0.3 * p.amp * sin(2 * pi() * t.e / p.period)
             + p.noise * (2 * u.u1 - 1)
             + CASE WHEN p.tag = 'D100' AND (floor(t.e / 86400)::bigint % 3) = 0
                         AND floor(t.e)::bigint % 86400 BETWEEN 14400 AND 16799 THEN 45 ELSE 0 END
           ) * CASE WHEN p.tag = 'D301' AND u.u2 < 0.0006 THEN 6 ELSE 1 END) * 1000) / 1000 AS value
    FROM ${slots}
    CROSS JOIN LATERAL (SELECT date_part('epoch', s.slot) AS e) t
    CROSS JOIN p
    CROSS JOIN LATERAL (SELECT ${hash(h0)} AS h1) a
    CROSS JOIN LATERAL (SELECT ${hash('a.h1')} AS h2) b
    CROSS JOIN LATERAL (SELECT ${hash('b.h2')} AS h3) c
    CROSS JOIN LATERAL (SELECT a.h1::float8 / 4294967296 AS u1, b.h2::float8 / 4294967296 AS u2, c.h3::float8 / 4294967296 AS u3) u
    WHERE NOT (s.slot >= $2::timestamptz - interval '12 days' + interval '3 hours 10 minutes'
               AND s.slot < $2::timestamptz - interval '12 days' + interval '3 hours 35 minutes')
      AND NOT (p.tag = 'D201' AND s.slot >= $2::timestamptz - interval '4 days' + interval '1 hour'
               AND s.slot < $2::timestamptz - interval '4 days' + interval '8 hours')
      AND NOT (p.tag = 'D200' AND s.slot >= $2::timestamptz - interval '9 days' AND s.slot < $2::timestamptz - interval '8 days' AND u.u3 < 0.1)`;
}

/**
 * One INSERT … SELECT of the history in [from, to), its events placed relative to `anchor` (the seeded window's
 * end). On plain PostgreSQL the invalidation trigger would copy every new row into its transition table (a third of
 * the time for millions of rows): inside the transaction it is switched off (SHARE ROW EXCLUSIVE: readers go on,
 * concurrent writers wait) and the seeded range is logged once instead.
 */
async function bulkInsert(client: pg.ClientBase | pg.Pool, from: Date, to: Date, anchor: Date): Promise<pg.QueryResult> {
  const c = client instanceof pg.Pool ? await client.connect() : client;
  try {
    await c.query('BEGIN');
    const trig = await c.query(`SELECT 1 FROM pg_trigger WHERE tgrelid = 'public.influx_hist'::regclass AND tgname = 'tl_inv_insert' AND tgenabled <> 'D'`);
    let bypass = false;
    if (trig.rowCount) {
      await c.query('SAVEPOINT tl_seed');
      try {
        await c.query('ALTER TABLE public.influx_hist DISABLE TRIGGER tl_inv_insert');
        bypass = true;
      } catch {
        await c.query('ROLLBACK TO SAVEPOINT tl_seed'); // not the table's owner: the trigger logs the rows itself
      }
    }
    const rows = await c.query(
      `INSERT INTO public.influx_hist (ts, tag_name, value, qc, meta)
       SELECT r.ts, r.tag_name, r.value, 0, '{"src":"demo"}'::jsonb FROM (
         ${demoRowsSql(`generate_series($1::timestamptz, $3::timestamptz - interval '10 seconds', interval '10 seconds') AS s(slot)`)}
       ) r
       ON CONFLICT (ts, tag_name) DO NOTHING`,
      [from, anchor, to],
    );
    if (bypass) {
      await c.query('ALTER TABLE public.influx_hist ENABLE TRIGGER tl_inv_insert');
      if (rows.rowCount) await c.query('INSERT INTO public.tl_invalidation (lo, hi) VALUES ($1, $2)', [from, to]);
    }
    await c.query('COMMIT');
    return rows;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    if (c !== client) (c as pg.PoolClient).release();
  }
}

/** The anomalies of [from, to): D301's spikes and D201's dead hours (placed relative to `anchor`). */
async function insertAnomalies(client: pg.ClientBase | pg.Pool, from: Date, to: Date, anchor: Date): Promise<number> {
  const r = await client.query(
    `INSERT INTO public.anomalies (ts, tag_name, score, level, context)
     SELECT ts, tag_name, round((value / 80.0)::numeric, 2)::double precision, 'high', jsonb_build_object('kind', 'spike', 'value', value)
     FROM public.influx_hist WHERE tag_name = 'D301' AND ts >= $1 AND ts < $3 AND value > 400
     UNION ALL
     SELECT $2::timestamptz - interval '4 days' + interval '1 hour', 'D201', 1.0, 'comm', jsonb_build_object('kind', 'dead_sensor', 'hours', 7)
     WHERE $2::timestamptz - interval '4 days' + interval '1 hour' >= $1 AND $2::timestamptz - interval '4 days' + interval '1 hour' < $3
     ON CONFLICT DO NOTHING`,
    [from, anchor, to],
  );
  return r.rowCount ?? 0;
}

export interface SeedTelemetryOptions {
  /** days of history (default 35) */
  days?: number;
  /** end of the seeded window (default: now); rows lie on the 10-second grid before it */
  now?: Date | string;
  /** refresh the derived relations afterwards (default true) */
  refresh?: boolean;
  /**
   * seed only the newest `syncDays` days now and record the rest for backfillTelemetryDemo (the first start:
   * the screens open on the recent days while the older ones fill in the background). Default: all now.
   */
  syncDays?: number;
  onProgress?: (message: string, fraction?: number) => void;
}

export interface SeedTelemetryResult {
  telemetry_rows: number;
  qc_rules: number;
  expectations: number;
  predictions: number;
  anomalies: number;
  /** days left to backfillTelemetryDemo (0 when everything was seeded now) */
  deferred_days: number;
  refresh?: RefreshResult;
}

const DAY_MS = 86_400_000;

/**
 * Bulk-generates the demo history in SQL. `client` must be outside a transaction (the refresh of continuous
 * aggregates cannot run inside one) and without a short statement timeout.
 */
export async function seedTelemetryDemo(client: pg.ClientBase | pg.Pool, opts: SeedTelemetryOptions = {}): Promise<SeedTelemetryResult> {
  const days = opts.days ?? 35;
  if (!Number.isFinite(days) || days <= 0 || days > 400) throw new Error(`days must be between 1 and 400 (got ${days})`);
  const syncDays = opts.syncDays ?? days;
  if (!Number.isFinite(syncDays) || syncDays <= 0) throw new Error(`syncDays must be positive (got ${syncDays})`);
  const now = opts.now === undefined ? new Date() : new Date(opts.now);
  if (Number.isNaN(now.getTime())) throw new Error(`now is not a time: ${String(opts.now)}`);
  const endIso = now.toISOString();
  const bounds = await client.query<{ start: Date; end: Date }>(
    `SELECT date_bin('10 seconds', $1::timestamptz, timestamptz '2000-01-03 00:00:00+00') - $2::double precision * interval '1 day' AS start,
            date_bin('10 seconds', $1::timestamptz, timestamptz '2000-01-03 00:00:00+00') AS end`,
    [endIso, days],
  );
  const { start, end } = bounds.rows[0];
  const deferred = syncDays < days;
  const from = deferred ? new Date(end.getTime() - syncDays * DAY_MS) : start;
  const shown = deferred ? syncDays : days;
  opts.onProgress?.(`텔레메트리: ${shown}일 × 태그 ${DEMO_TAGS.length}개, 10초 간격 생성 중 (telemetry: generating ${shown} days × ${DEMO_TAGS.length} tags at 10 s)`, 0);
  const rows = await bulkInsert(client, from, end, end);
  if (deferred) {
    // what is left, for the background (kept until it is done: a station stopped half-way goes on at its next start)
    await client.query(
      `INSERT INTO public.tl_demo_backfill (id, anchor, from_ts, done_from) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING`,
      [end, start, from],
    );
  }
  opts.onProgress?.('텔레메트리: 규칙과 예측 (telemetry: rules and forecasts)', 0.6);
  let qc = 0;
  for (const t of DEMO_TAGS) {
    const r = { allow_negative: false, enabled: true, ...t.rule };
    const res = await client.query(
      `INSERT INTO public.influx_qc_rule (tag_name, min_val, max_val, max_step, max_gap_seconds, allow_negative, enabled, meta, warn_min, warn_max, crit_min, crit_max, roc_max_per_min, spike_zscore, deadband_pct)
       VALUES ($1, $2, $3, $4, $5, $6, $7, '{"src":"demo"}'::jsonb, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (tag_name) DO NOTHING`,
      [t.tag, r.min_val, r.max_val, r.max_step ?? null, r.max_gap_seconds ?? null, r.allow_negative, r.enabled, r.warn_min ?? null, r.warn_max ?? null, r.crit_min ?? null, r.crit_max ?? null, r.roc_max_per_min ?? null, r.spike_zscore ?? null, r.deadband_pct ?? null],
    );
    qc += res.rowCount ?? 0;
  }
  let exp = 0;
  for (const t of DEMO_TAGS) {
    if (t.expPerMin === null) continue;
    const res = await client.query('INSERT INTO public.ingest_expectation (tag_name, exp_per_min) VALUES ($1, $2) ON CONFLICT (tag_name) DO NOTHING', [t.tag, t.expPerMin]);
    exp += res.rowCount ?? 0;
  }

  // Forecast overlay for D100 and D200: hourly, noise-free seasonal model, 1 h horizon, the last 7 days and the next day.
  const pred = await client.query(
    `WITH p(tag, base, amp, period, phase, noise) AS (VALUES ${DEMO_TAGS.filter((t) => t.tag === 'D100' || t.tag === 'D200')
      .map((t) => `('${t.tag}', ${lit(t.base)}, ${lit(t.amp)}, ${lit(t.period)}, ${lit(t.phase)}, ${lit(t.noise)})`)
      .join(', ')})
     INSERT INTO public.predictions (ts, tag_name, horizon, yhat, pi_low, pi_high, model_id, version, features)
     SELECT g, p.tag, interval '1 hour', y, y - 4 * p.noise, y + 4 * p.noise, 'demo-seasonal', '1', '{"src":"demo"}'::jsonb
     FROM p CROSS JOIN generate_series(date_bin('1 hour', $1::timestamptz, timestamptz '2000-01-03 00:00:00+00') - interval '7 days',
                                       date_bin('1 hour', $1::timestamptz, timestamptz '2000-01-03 00:00:00+00') + interval '24 hours', interval '1 hour') g
     CROSS JOIN LATERAL (SELECT round((p.base + p.amp * sin(2 * pi() * (extract(epoch FROM g) / 86400.0) + p.phase)
                                      + 0.3 * p.amp * sin(2 * pi() * extract(epoch FROM g) / p.period))::numeric, 3)::double precision AS y) v
     ON CONFLICT DO NOTHING`,
    [end],
  );
  const anomalies = await insertAnomalies(client, from, end, end);
  const out: SeedTelemetryResult = {
    telemetry_rows: rows.rowCount ?? 0,
    qc_rules: qc,
    expectations: exp,
    predictions: pred.rowCount ?? 0,
    anomalies,
    deferred_days: deferred ? days - syncDays : 0,
  };
  if (opts.refresh !== false) {
    opts.onProgress?.('텔레메트리: 집계 갱신 중 (telemetry: refreshing aggregates)', 0.7);
    out.refresh = await refreshTelemetry(client);
  }
  opts.onProgress?.('텔레메트리: 완료 (telemetry: done)', 1);
  return out;
}

/** What seedTelemetryDemo left for later (`syncDays`), if anything: days done and to do. */
export async function pendingTelemetryBackfill(client: pg.ClientBase | pg.Pool): Promise<{ anchor: Date; from: Date; doneFrom: Date } | null> {
  const r = await client.query<{ anchor: Date; from_ts: Date; done_from: Date }>('SELECT anchor, from_ts, done_from FROM public.tl_demo_backfill WHERE id = 1');
  if (!r.rowCount) return null;
  const { anchor, from_ts, done_from } = r.rows[0];
  return { anchor, from: from_ts, doneFrom: done_from };
}

/**
 * Fills in the older days that seedTelemetryDemo left (`syncDays`), newest day first, one day per transaction:
 * rows, anomalies, the marker moved back, then the aggregates of that day refreshed, so the screens' older days
 * fill in as it goes. The same rows as seeding it all at once (the values are a function of tag and time, the
 * events are placed relative to the same anchor). Cancellable between days; resumes where it stopped.
 */
export async function backfillTelemetryDemo(client: pg.ClientBase | pg.Pool, ctl: Partial<JobControl> = {}): Promise<{ telemetry_rows: number; anomalies: number; days: number } | null> {
  const p = await pendingTelemetryBackfill(client);
  if (!p) return null;
  const total = Math.max(1, Math.round((p.doneFrom.getTime() - p.from.getTime()) / DAY_MS));
  let doneFrom = p.doneFrom;
  let rows = 0;
  let anomalies = 0;
  let day = 0;
  // plain PostgreSQL: the invalidation log names the new day; TimescaleDB keeps none for the console's tables
  const timescale = await isTimescale(client);
  ctl.progress?.(0, jobMessage('demoBackfill', { i: 0, n: total }));
  while (doneFrom.getTime() > p.from.getTime()) {
    ctl.signal?.throwIfAborted();
    const lo = new Date(Math.max(p.from.getTime(), doneFrom.getTime() - DAY_MS));
    rows += (await bulkInsert(client, lo, doneFrom, p.anchor)).rowCount ?? 0;
    anomalies += await insertAnomalies(client, lo, doneFrom, p.anchor);
    await client.query('UPDATE public.tl_demo_backfill SET done_from = $1 WHERE id = 1', [lo]);
    await refreshTelemetry(client, timescale ? { from: lo.toISOString(), to: doneFrom.toISOString(), signal: ctl.signal } : { signal: ctl.signal });
    doneFrom = lo;
    day++;
    ctl.progress?.(Math.min(1, day / total), jobMessage('demoBackfill', { i: day, n: total }));
  }
  await client.query('DELETE FROM public.tl_demo_backfill WHERE id = 1');
  return { telemetry_rows: rows, anomalies, days: day };
}

/** Days seeded at once when the seeder may leave the rest to the background (the first start). */
export const DEMO_TELEMETRY_SYNC_DAYS = 2;

/**
 * The module's demo seeder (main/telemetry/module.ts): 35 days ending now (LINEDECK_DEMO_TELEMETRY_DAYS shortens it
 * for tests that need only the live part), aggregates refreshed, the screens' caches emptied. With `defer` only the
 * newest two days now; the module's backfill does the rest.
 */
export async function telemetryDemoSeeder(
  dbs: Databases,
  svc: TelemetryService,
  opts: { now?: Date; onProgress?: (message: string, fraction?: number) => void; days?: number; defer?: boolean } = {},
): Promise<Record<string, number>> {
  const r = await seedTelemetryDemo(dbs.pool('telemetry', 'job'), {
    days: opts.days ?? demoTelemetryDays(),
    now: opts.now,
    onProgress: opts.onProgress,
    syncDays: opts.defer ? DEMO_TELEMETRY_SYNC_DAYS : undefined,
  });
  svc.clearCaches();
  return {
    telemetry_rows: r.telemetry_rows,
    telemetry_qc_rules: r.qc_rules,
    telemetry_expectations: r.expectations,
    telemetry_predictions: r.predictions,
    telemetry_anomalies: r.anomalies,
    ...(r.deferred_days ? { telemetry_deferred_days: r.deferred_days } : {}),
  };
}

/** LINEDECK_DEMO_TELEMETRY_DAYS shortens the telemetry history for tests that need only the live part (default 35). */
function demoTelemetryDays(): number {
  const v = Number(process.env.LINEDECK_DEMO_TELEMETRY_DAYS ?? 35);
  return Number.isInteger(v) && v >= 1 && v <= 400 ? v : 35;
}
