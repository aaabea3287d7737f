/**
 * Bringing the derived relations up to date (migrations.ts explains who keeps what):
 * - continuous aggregates: `CALL refresh_continuous_aggregate` (TimescaleDB re-materializes invalidated buckets only);
 * - materialized views (a plant's own, kept as they are): `REFRESH MATERIALIZED VIEW`;
 * - tables: `tl_refresh(from, to)` per UTC day, ascending, one transaction each (progress and cancellation between
 *   days). Without a range, plain PostgreSQL refreshes what the invalidation log says changed (everything after a
 *   TRUNCATE or on first use); TimescaleDB (no invalidation log on hypertables) refreshes from the tables' newest
 *   bucket, less two hours (the 1-minute policy's start offset).
 *
 * `q` must be a pool or a client outside a transaction (refresh_continuous_aggregate cannot run inside one) and
 * without a short statement timeout (use the job pool).
 */
import { log } from '../log';
import { pgTimestampToIso } from './rules';
import { sql, type Queryable } from './queries';
import type { DerivedKind } from './migrations';

export interface RefreshOptions {
  from?: string;
  to?: string;
  /** leave continuous aggregates and materialized views to TimescaleDB's policies (the scheduler on TimescaleDB) */
  tablesOnly?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number | null, message?: string) => void;
}

export interface RefreshResult {
  mode: 'timescaledb' | 'postgres';
  /** rows written per table-kind relation; buckets in the refreshed window per continuous aggregate */
  refreshed: Record<string, number>;
  ranges: { from: string; to: string }[];
  full: boolean;
  ms: number;
}

const DAY_MS = 86_400_000;
const MERGE_GAP_MS = 3_600_000;

/** Splits [from, to) at the UTC midnights strictly inside it; the ends are kept exactly as given. */
export function dayChunks(from: string, to: string): [string, string][] {
  const out: [string, string][] = [];
  let cur = from;
  const end = Date.parse(to);
  for (let m = (Math.floor(Date.parse(from) / DAY_MS) + 1) * DAY_MS; m < end; m += DAY_MS) {
    const n = new Date(m).toISOString();
    out.push([cur, n]);
    cur = n;
  }
  out.push([cur, to]);
  return out;
}

/** Merges [lo, hi] ranges (inclusive hi, ISO) that overlap or lie within an hour of each other. */
export function mergeRanges(ranges: { lo: string; hi: string }[]): { lo: string; hi: string }[] {
  const sorted = [...ranges].sort((a, b) => Date.parse(a.lo) - Date.parse(b.lo));
  const out: { lo: string; hi: string }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && Date.parse(r.lo) <= Date.parse(last.hi) + MERGE_GAP_MS) {
      if (Date.parse(r.hi) > Date.parse(last.hi) || (Date.parse(r.hi) === Date.parse(last.hi) && r.hi > last.hi)) last.hi = r.hi;
    } else out.push({ ...r });
  }
  return out;
}

export async function derivedKinds(q: Queryable): Promise<Record<string, DerivedKind>> {
  const rows = await sql<{ relation: string; kind: DerivedKind }>(q, 'SELECT relation, kind FROM public.tl_derived');
  return Object.fromEntries(rows.map((r) => [r.relation, r.kind]));
}

export async function isTimescale(q: Queryable): Promise<boolean> {
  const r = await sql<{ ok: boolean }>(
    q,
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
        AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = '_timescaledb_catalog' AND c.relname = 'hypertable')
        AS ok`,
  );
  if (!r[0].ok) return false;
  const h = await sql<{ n: number }>(q, `SELECT count(*)::int AS n FROM timescaledb_information.hypertables WHERE hypertable_schema = 'public' AND hypertable_name = 'influx_hist'`);
  return h[0].n > 0;
}

export async function refreshTelemetry(q: Queryable, opts: RefreshOptions = {}): Promise<RefreshResult> {
  const t0 = performance.now();
  const logger = log('telemetry');
  const kinds = await derivedKinds(q);
  const timescale = await isTimescale(q);
  const refreshed: Record<string, number> = {};
  const add = (counts: Record<string, number>) => {
    for (const [k, v] of Object.entries(counts)) refreshed[k] = (refreshed[k] ?? 0) + Number(v);
  };
  const tables = Object.entries(kinds).filter(([, k]) => k === 'table').map(([r]) => r);
  const caggs = opts.tablesOnly ? [] : ['influx_agg_1m', 'influx_agg_10m', 'influx_agg_1h', 'influx_agg_1d', 'features_5m'].filter((r) => kinds[r] === 'cagg');
  const matviews = opts.tablesOnly ? [] : Object.entries(kinds).filter(([, k]) => k === 'matview').map(([r]) => r);
  if ((opts.from === undefined) !== (opts.to === undefined)) throw new Error('give both from and to, or neither');
  if (opts.from !== undefined && Date.parse(opts.from) >= Date.parse(opts.to!)) throw new Error(`from (${opts.from}) must be before to (${opts.to})`);

  // 1. The table ranges to refresh, [from, to). An invalidation's hi is the last changed ts: exclusive end = hi + 1 µs.
  let ranges: { from: string; to: string }[] = [];
  let full = false;
  let maxInvalidation: number | null = null;
  if (opts.from !== undefined) {
    ranges = [{ from: opts.from, to: opts.to! }];
  } else if (tables.length) {
    const inv = await sql<{ id: number; lo: string; hi: string }>(q, "SELECT id, lo, hi + interval '1 microsecond' AS hi FROM public.tl_invalidation ORDER BY id");
    const hasLog = !timescale;
    if (inv.length) maxInvalidation = inv[inv.length - 1].id;
    full = inv.some((r) => r.lo === '-infinity');
    if (full || !hasLog) {
      // whole UTC days around the raw data: every bucket of every level inside is recomputed, everything outside goes
      const b = await sql<{ lo: string | null; hi: string | null; wm: string | null }>(
        q,
        `SELECT date_bin('1 day', (SELECT min(ts) FROM public.influx_hist), timestamptz '2000-01-03 00:00:00+00') AS lo,
                date_bin('1 day', (SELECT max(ts) FROM public.influx_hist), timestamptz '2000-01-03 00:00:00+00') + interval '1 day' AS hi,
                ${hasLog ? 'NULL::timestamptz' : `(SELECT CASE WHEN bool_or(m IS NULL) THEN NULL ELSE min(m) - interval '2 hours' END FROM (${tables.map((t) => `SELECT max(bucket) AS m FROM public.${t}`).join(' UNION ALL ')}) x)`} AS wm`,
      );
      const { lo, hi, wm } = b[0];
      if (wm === null) full = true;
      if (lo === null || hi === null) {
        if (full) await q.query('SELECT public.tl_clear_outside(NULL, NULL)');
      } else if (full) {
        await q.query('SELECT public.tl_clear_outside($1::timestamptz, $2::timestamptz)', [lo, hi]);
        ranges = [{ from: pgTimestampToIso(lo), to: pgTimestampToIso(hi) }];
      } else {
        ranges = [{ from: pgTimestampToIso(wm!), to: pgTimestampToIso(hi) }];
      }
    } else {
      ranges = mergeRanges(inv.map((r) => ({ lo: pgTimestampToIso(r.lo), hi: pgTimestampToIso(r.hi) }))).map((r) => ({ from: r.lo, to: r.hi }));
    }
  }

  // 2. Continuous aggregates and materialized views.
  for (const c of caggs) {
    opts.signal?.throwIfAborted();
    const width = { influx_agg_1m: '1 minute', influx_agg_10m: '10 minutes', influx_agg_1h: '1 hour', influx_agg_1d: '1 day', features_5m: '5 minutes' }[c]!;
    try {
      if (opts.from !== undefined) {
        const w = await sql<{ lo: string; hi: string }>(
          q,
          `SELECT date_bin($1::interval, $2::timestamptz, timestamptz '2000-01-03 00:00:00+00') AS lo,
                  date_bin($1::interval, $3::timestamptz - interval '1 microsecond', timestamptz '2000-01-03 00:00:00+00') + $1::interval AS hi`,
          [width, opts.from, opts.to],
        );
        await q.query(`CALL refresh_continuous_aggregate('public.${c}', $1::timestamptz, $2::timestamptz)`, [w[0].lo, w[0].hi]);
        const n = await sql<{ n: number }>(q, `SELECT count(*)::bigint AS n FROM public.${c} WHERE bucket >= $1::timestamptz AND bucket < $2::timestamptz`, [w[0].lo, w[0].hi]);
        refreshed[c] = n[0].n;
      } else {
        await q.query(`CALL refresh_continuous_aggregate('public.${c}', NULL, NULL)`);
        refreshed[c] = (await sql<{ n: number }>(q, `SELECT count(*)::bigint AS n FROM public.${c}`))[0].n;
      }
    } catch (e) {
      logger.warn({ event: 'cagg_refresh_failed', relation: c, err: (e as Error).message }, 'continuous aggregate refresh failed');
      throw new Error(`refreshing ${c} failed: ${(e as Error).message}`);
    }
  }
  for (const m of matviews) {
    opts.signal?.throwIfAborted();
    await q.query(`REFRESH MATERIALIZED VIEW public.${m}`);
    refreshed[m] = (await sql<{ n: number }>(q, `SELECT count(*)::bigint AS n FROM public.${m}`))[0].n;
  }

  // 3. Tables, a UTC day at a time.
  for (const t of tables) refreshed[t] ??= 0;
  const chunks = ranges.flatMap((r) => dayChunks(r.from, r.to));
  // a bulk load (a seed, a backfill, a first refresh) leaves the planner without statistics: gather them first
  const bulk = chunks.length > 2;
  if (bulk) await q.query('ANALYZE public.influx_hist');
  for (let i = 0; i < chunks.length; i++) {
    opts.signal?.throwIfAborted();
    const [from, to] = chunks[i];
    const r = await sql<{ counts: Record<string, number> }>(q, 'SELECT public.tl_refresh($1::timestamptz, $2::timestamptz) AS counts', [from, to]);
    add(r[0].counts);
    opts.progress?.((i + 1) / chunks.length, `refreshed ${from.slice(0, 10)}`);
  }
  if (bulk) for (const t of tables) await q.query(`ANALYZE public.${t}`);
  if (maxInvalidation !== null) await q.query('DELETE FROM public.tl_invalidation WHERE id <= $1', [maxInvalidation]);
  const ms = Math.round(performance.now() - t0);
  await q.query(
    `INSERT INTO public.tl_state (key, value, updated_at) VALUES ('last_refresh', $1::jsonb, now())
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [JSON.stringify({ refreshed, ranges, full, ms })],
  );
  return { mode: timescale ? 'timescaledb' : 'postgres', refreshed, ranges, full, ms };
}
