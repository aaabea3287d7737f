/**
 * Telemetry speed goals (design §6, §B14, issue 4), measured on 9 tags × 35 days at 10 s (≈ 2.7 M rows) in a
 * throw-away database on `baseUrl`'s server:
 * - trend 30 d at 1 h: p95 ≤ 100 ms; trend 24 h at 1 m: p95 ≤ 50 ms — each against aggregating the raw rows for
 *   the same answer (the ratio is reported, and the answers are checked to be equal);
 * - every KPI tile of a window: ≤ 300 ms (the slowest window's p95).
 * Times are wall-clock at the client (query + transfer), so they are an upper bound of the database's own time.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { migrateDatabase } from '../../main/db/migrate';
import { allHooks, allMigrations } from '../../main/migrations';
import { seedTelemetryDemo } from '../../main/telemetry/demo';
import * as Q from '../../main/telemetry/queries';
import { refreshTelemetry } from '../../main/telemetry/refresh';
import { WINDOWS, type BucketName, type TrendRow } from '../../main/telemetry/types';

export interface BenchGoal {
  goal: string;
  ok: boolean;
  detail: string;
}

function p(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** The server's own execution time of a query (EXPLAIN ANALYZE, no per-node timing). */
async function serverMs(pool: pg.Pool, t: { text: string; values: unknown[] }): Promise<number> {
  const r = await pool.query<{ 'QUERY PLAN': [{ 'Execution Time': number }] }>(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${t.text}`, t.values);
  return r.rows[0]['QUERY PLAN'][0]['Execution Time'];
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

function sameRows(a: TrendRow[], b: TrendRow[]): boolean {
  if (a.length !== b.length) return false;
  const close = (x: number | null, y: number | null) => x === y || (x !== null && y !== null && Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y)));
  return a.every((r, i) => r.bucket === b[i].bucket && r.n === b[i].n && (['avg', 'min', 'max', 'first', 'last'] as const).every((k) => close(r[k], b[i][k])));
}

export async function benchTelemetry(baseUrl: string, log: (s: string) => void, opts: { days?: number; keep?: boolean } = {}): Promise<BenchGoal[]> {
  const days = opts.days ?? 35;
  const name = `ld_bench_tl_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c timezone=UTC' });
  const goals: BenchGoal[] = [];
  try {
    await migrateDatabase(url, ['core', 'telemetry'], allMigrations, allHooks);
    const now = '2025-06-30T12:00:00Z';
    const [seedMs, seeded] = await time(() => seedTelemetryDemo(pool, { days, now, refresh: false }));
    log(`seeded ${seeded.telemetry_rows.toLocaleString('en')} rows (${days} days × 9 tags at 10 s) in ${(seedMs / 1000).toFixed(1)} s`);
    const [fullMs, full] = await time(() => refreshTelemetry(pool));
    log(`full refresh (plain PostgreSQL: all levels, features, indicators) in ${(fullMs / 1000).toFixed(1)} s: ${JSON.stringify(full.refreshed)}`);
    await pool.query('VACUUM ANALYZE');

    // incremental refreshes as the scheduler runs them
    const [recentMs] = await time(() => refreshTelemetry(pool, { from: new Date(Date.parse(now) - 2 * 3_600_000).toISOString(), to: now }));
    await pool.query(`INSERT INTO public.influx_hist (ts, tag_name, value) SELECT $1::timestamptz + interval '1 second', tag_name, 1 FROM public.influx_latest`, [now]);
    const [pendingMs] = await time(() => refreshTelemetry(pool));
    log(`scheduler work: the 2-hour window ${ms(recentMs)}; one 10-second append of 9 tags via the invalidation log ${ms(pendingMs)}`);

    const tags = (await Q.sql<{ tag_name: string }>(pool, 'SELECT tag_name FROM public.influx_latest ORDER BY tag_name')).map((r) => r.tag_name);
    const trendCase = async (label: string, bucket: BucketName, spanMs: number, goalMs: number) => {
      const to = now;
      const from = new Date(Date.parse(now) - spanMs).toISOString();
      const agg: number[] = [];
      const raw: number[] = [];
      const aggDb: number[] = [];
      const rawDb: number[] = [];
      let equal = true;
      for (let round = 0; round < 5; round++)
        for (const tag of tags) {
          const a = { tag, bucket, from, to };
          const [t, r] = await time(() => Q.trend(pool, a));
          agg.push(t);
          aggDb.push(await serverMs(pool, Q.trendQuery(a)));
          if (round === 0) {
            const [t2, r2] = await time(() => Q.trendFromRaw(pool, a));
            raw.push(t2);
            rawDb.push(await serverMs(pool, Q.trendFromRawQuery(a)));
            equal &&= sameRows(r, r2) && r.length > 0;
          }
        }
      const ratio = p(rawDb, 0.95) / p(aggDb, 0.95);
      log(
        `trend ${label}: at the database p50 ${ms(p(aggDb, 0.5))} p95 ${ms(p(aggDb, 0.95))} vs raw rows p50 ${ms(p(rawDb, 0.5))} p95 ${ms(p(rawDb, 0.95))} → ${ratio.toFixed(0)}× ` +
          `(client wall incl. transfer and parsing: p95 ${ms(p(agg, 0.95))} vs ${ms(p(raw, 0.95))}; ${agg.length}/${raw.length} runs); answers ${equal ? 'equal' : 'DIFFER'}`,
      );
      goals.push({
        goal: `trend ${label} p95 ≤ ${goalMs} ms`,
        ok: p(aggDb, 0.95) <= goalMs && p(agg, 0.95) <= goalMs && equal,
        detail: `database p95 ${ms(p(aggDb, 0.95))} (raw rows ${ms(p(rawDb, 0.95))}, ${ratio.toFixed(0)}×), client p95 ${ms(p(agg, 0.95))}${equal ? '' : ', answers differ'}`,
      });
    };
    await trendCase('30 d / 1 h', '1h', 30 * 86_400_000, 100);
    await trendCase('24 h / 1 m', '1m', 86_400_000, 50);

    let worst = { window: '', p95: 0 };
    const lines: string[] = [];
    for (const window of WINDOWS) {
      const runs: number[] = [];
      for (let i = 0; i < 7; i++) runs.push((await time(() => Q.kpi(pool, { window, now })))[0]);
      const p95 = p(runs, 0.95);
      lines.push(`${window} ${ms(p95)}`);
      if (p95 > worst.p95) worst = { window, p95 };
    }
    log(`KPI, all 9 tiles, p95 per window: ${lines.join(', ')}`);
    goals.push({ goal: 'all KPI tiles of a window ≤ 300 ms', ok: worst.p95 <= 300, detail: `slowest window ${worst.window}: p95 ${ms(worst.p95)}` });

    const others: string[] = [];
    for (const [label, fn] of [
      ['latest table', () => Q.latest(pool, { now })],
      ['comm heatmap 30×24', () => Q.comm(pool, { tag: 'D201', startDate: '2025-06-01', now })],
      ['tech 24 h', () => Q.tech(pool, { tag: 'D100', from: '2025-06-29T12:00:00Z', to: now })],
    ] as const) {
      const runs: number[] = [];
      for (let i = 0; i < 7; i++) runs.push((await time(fn as () => Promise<unknown>))[0]);
      others.push(`${label} p95 ${ms(p(runs, 0.95))}`);
    }
    log(others.join('; '));
    return goals;
  } finally {
    await pool.end();
    if (!opts.keep) {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    }
  }
}
