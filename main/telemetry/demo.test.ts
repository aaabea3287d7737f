/**
 * The demo seed (idempotent, deterministic, with its events), the `linedeck telemetry …` commands (exact JSON shapes
 * of contracts/cli.md, exit statuses) and the doctor checks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../testing/db';
import { telemetryDoctorChecks } from './doctor';
import { runCli } from '../cli/index';
import { backfillTelemetryDemo, DEMO_TAGS, pendingTelemetryBackfill, seedTelemetryDemo } from './demo';
import { loadFixture } from './testing/fixture';
import * as Q from './queries';
import { refreshTelemetry } from './refresh';

const SEED_NOW = '2025-06-10T08:00:03Z';

async function fingerprint(db: TestDb, from: string, to: string): Promise<{ n: number; md5: string }> {
  const r = await db.pool.query(
    `SELECT count(*)::int AS n, md5(string_agg(tag_name || '@' || ts::text || '=' || value::text, ',' ORDER BY tag_name, ts)) AS md5
     FROM public.influx_hist WHERE ts >= $1 AND ts < $2`,
    [from, to],
  );
  return r.rows[0];
}

describe('telemetry demo seed', () => {
  const dbs: TestDb[] = [];
  afterAll(async () => Promise.all(dbs.map((d) => d.drop())));

  it('seeds the demo tags with their events, idempotently and deterministically', async () => {
    const db = await createTestDb({ prefix: 'tld' });
    dbs.push(db);
    const first = await seedTelemetryDemo(db.pool, { days: 5, now: SEED_NOW });
    const slots = 5 * 8640;
    // every tag every 10 s, less D201's 7 dead hours (the other events lie further back than 5 days)
    expect(first.telemetry_rows).toBe(DEMO_TAGS.length * slots - 7 * 360);
    expect(first).toMatchObject({ qc_rules: 9, expectations: 8 });
    expect(first.anomalies).toBeGreaterThan(1);
    expect(first.predictions).toBe(2 * (7 * 24 + 24 + 1));
    expect(first.refresh!.refreshed.influx_agg_1m).toBe(DEMO_TAGS.length * 5 * 1440 - 7 * 60);
    const fp = await fingerprint(db, '2025-06-01', '2025-06-11');

    const again = await seedTelemetryDemo(db.pool, { days: 5, now: SEED_NOW });
    expect(again).toMatchObject({ telemetry_rows: 0, qc_rules: 0, expectations: 0, predictions: 0, anomalies: 0 });
    expect(await fingerprint(db, '2025-06-01', '2025-06-11')).toEqual(fp);

    // another database, a shorter seed ending at the same instant: the same rows
    const other = await createTestDb({ prefix: 'tld' });
    dbs.push(other);
    await seedTelemetryDemo(other.pool, { days: 1, now: SEED_NOW, refresh: false });
    expect(await fingerprint(other, '2025-06-09T08:00:00Z', '2025-06-10T08:00:00Z')).toEqual(await fingerprint(db, '2025-06-09T08:00:00Z', '2025-06-10T08:00:00Z'));

    // the events: D201 dead for 7 hours → one 7-hour outage; D302 without an expectation; D202's rule disabled
    // (the grid starts after the seeded window's first hours: before them a tag has no messages, i.e. 0 %)
    const d201 = await Q.comm(db.pool, { tag: 'D201', startDate: '2025-06-06', now: '2025-06-10T08:00:00Z' });
    expect(d201.outages).toEqual([{ start_ts_utc: '2025-06-06T09:00:00Z', end_ts_utc: '2025-06-06T16:00:00Z', hours: 7 }]);
    const d302 = await Q.comm(db.pool, { tag: 'D302', startDate: '2025-06-06', now: '2025-06-10T08:00:00Z' });
    expect(d302).toMatchObject({ has_expectation: false, exp_per_min: 1, outages: [] });
    const kpi = await Q.kpi(db.pool, { window: '7d', now: '2025-06-10T08:00:00Z' });
    expect(kpi.tiles.map((t) => t.tag_name)).toEqual(DEMO_TAGS.map((t) => t.tag));
    expect(kpi.tiles.find((t) => t.tag_name === 'D102')!.min).toBeLessThan(0);
    expect(kpi.tiles.find((t) => t.tag_name === 'D301')!.max).toBeGreaterThan(400);
    expect(kpi.tiles.find((t) => t.tag_name === 'D100')!.max).toBeGreaterThan(190); // the crit excursions
    const rules = await Q.listQcRules(db.pool);
    expect(rules.find((r) => r.tag_name === 'D202')!.enabled).toBe(false);
    await expect(seedTelemetryDemo(db.pool, { days: 0 })).rejects.toThrow(/days/);
  }, 180_000);
});

describe('telemetry demo seed, deferred (first start: the newest days now, the rest in the background)', () => {
  const dbs: TestDb[] = [];
  afterAll(async () => Promise.all(dbs.map((d) => d.drop())));

  /** every derived table and the source tables, as one fingerprint per relation */
  async function everything(db: TestDb): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const rel: Record<string, string> = {
      influx_hist: 'SELECT ts, tag_name, value FROM public.influx_hist',
      anomalies: 'SELECT ts, tag_name, score, level, context::text FROM public.anomalies',
      predictions: 'SELECT ts, tag_name, yhat FROM public.predictions',
      influx_agg_1m: 'SELECT bucket, tag_name, n, avg, min, max, first, last FROM public.influx_agg_1m',
      influx_agg_1h: 'SELECT bucket, tag_name, n, avg, min, max, first, last FROM public.influx_agg_1h',
      influx_agg_1d: 'SELECT bucket, tag_name, n, avg, min, max, first, last FROM public.influx_agg_1d',
      features_5m: 'SELECT bucket, tag_name, min_5m, max_5m, p10_5m, p90_5m, n_5m FROM public.features_5m',
      tech_ind_1m_mv: 'SELECT bucket, tag_name, avg, sma_10, sma_60, bb_top, bb_bot, slope_60 FROM public.tech_ind_1m_mv',
    };
    for (const [name, q] of Object.entries(rel)) {
      const r = await db.pool.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS md5 FROM (${q}) x`);
      out[name] = `${r.rows[0].n}:${r.rows[0].md5}`;
    }
    return out;
  }

  it('seeds two days at once and backfills the rest to exactly what a whole seed makes, resuming after a stop', async () => {
    const whole = await createTestDb({ prefix: 'tlb' });
    const deferred = await createTestDb({ prefix: 'tlb' });
    dbs.push(whole, deferred);
    await seedTelemetryDemo(whole.pool, { days: 6, now: SEED_NOW });
    expect(await pendingTelemetryBackfill(whole.pool)).toBeNull();

    const now = await seedTelemetryDemo(deferred.pool, { days: 6, now: SEED_NOW, syncDays: 2 });
    expect(now.deferred_days).toBe(4);
    expect(now.telemetry_rows).toBe(DEMO_TAGS.length * 2 * 8640);
    // the screens' recent days are there at once; D201's dead hours (4 days back) are not yet
    const pending = await pendingTelemetryBackfill(deferred.pool);
    expect(pending!.doneFrom.toISOString()).toBe('2025-06-08T08:00:00.000Z');
    expect(pending!.from.toISOString()).toBe('2025-06-04T08:00:00.000Z');

    // stopped after the first day: the marker says where to go on
    const ctl = new AbortController();
    const fractions: number[] = [];
    await expect(
      backfillTelemetryDemo(deferred.pool, {
        signal: ctl.signal,
        progress: (f) => {
          if (f !== null) fractions.push(f);
          if (f !== null && f > 0) ctl.abort();
        },
      }),
    ).rejects.toThrow();
    expect((await pendingTelemetryBackfill(deferred.pool))!.doneFrom.toISOString()).toBe('2025-06-07T08:00:00.000Z');
    expect(fractions).toEqual([0, 0.25]);

    const rest = await backfillTelemetryDemo(deferred.pool);
    expect(rest).toMatchObject({ days: 3 });
    expect(await pendingTelemetryBackfill(deferred.pool)).toBeNull();
    expect(await backfillTelemetryDemo(deferred.pool)).toBeNull();
    expect(await everything(deferred)).toEqual(await everything(whole));
    // the 5-minute mean and standard deviation are float sums: the order the rows are read in moves the last bits
    const moments = 'SELECT bucket, tag_name, mean_5m, std_5m FROM public.features_5m ORDER BY bucket, tag_name';
    const [a, b] = [(await whole.pool.query(moments)).rows, (await deferred.pool.query(moments)).rows];
    expect(b.length).toBe(a.length);
    const off = a.filter((r, i) => ['mean_5m', 'std_5m'].some((k) => Math.abs(r[k] - b[i][k]) > 1e-12 * Math.max(1, Math.abs(r[k]))));
    expect(off).toEqual([]);
    const d201 = await Q.comm(deferred.pool, { tag: 'D201', startDate: '2025-06-06', now: '2025-06-10T08:00:00Z' });
    expect(d201.outages).toEqual([{ start_ts_utc: '2025-06-06T09:00:00Z', end_ts_utc: '2025-06-06T16:00:00Z', hours: 7 }]);
  }, 240_000);
});

describe('linedeck telemetry (CLI) and doctor', () => {
  let db: TestDb;
  let home: string;
  const prevHome = process.env.LINEDECK_HOME;
  beforeAll(async () => {
    db = await createTestDb({ prefix: 'tlc' });
    await loadFixture(db.pool);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-tlcli-'));
    process.env.LINEDECK_HOME = home;
  });
  afterAll(async () => {
    process.env.LINEDECK_HOME = prevHome;
    fs.rmSync(home, { recursive: true, force: true });
    await db?.drop();
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string; json: any }> {
    let out = '';
    let err = '';
    const code = await runCli(['--json', '--database-url', db.url, ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s) });
    let json: unknown;
    try {
      json = out ? JSON.parse(out) : undefined;
    } catch {
      json = undefined;
    }
    return { code, out, err, json };
  }

  it('doctor: relations present, aggregates behind until refreshed', async () => {
    const before = await telemetryDoctorChecks(db.dbs);
    expect(before.map((c) => c.name)).toEqual(['telemetry.timescaledb', 'telemetry.relations', 'telemetry.freshness']);
    expect(before.find((c) => c.name === 'telemetry.relations')!.ok).toBe(true);
    expect(before.find((c) => c.name === 'telemetry.freshness')).toMatchObject({ ok: false, detail: expect.stringContaining('linedeck telemetry refresh') });
    expect(before[0].detail).toMatch(/plain PostgreSQL mode/);

    const r = await cli('telemetry', 'refresh');
    expect(r.code).toBe(0);
    expect(Object.keys(r.json)).toEqual(['refreshed']);
    expect(r.json.refreshed.influx_agg_1m).toBeGreaterThan(0);
    expect((await telemetryDoctorChecks(db.dbs)).every((c) => c.ok)).toBe(true);
    expect(r.out.trim().split('\n')).toHaveLength(1); // exactly one JSON document
  });

  it('trend, tech, kpi and comm print exactly the documented shapes', async () => {
    const trend = await cli('telemetry', 'trend', '--tag', 'T100', '--bucket', '1h', '--from', '2025-03-01T00:00:00Z', '--to', '2025-03-02T00:00:00+00:00');
    expect(trend.code).toBe(0);
    expect(Object.keys(trend.json)).toEqual(['rows']);
    expect(trend.json.rows).toHaveLength(24);
    expect(Object.keys(trend.json.rows[0])).toEqual(['bucket', 'n', 'avg', 'min', 'max', 'first', 'last']);
    expect(trend.json.rows[0].bucket).toBe('2025-03-01T00:00:00Z');
    const direct = await Q.trend(db.pool, { tag: 'T100', bucket: '1h', from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' });
    expect(trend.json.rows).toEqual(direct.map((x) => ({ bucket: x.bucket, n: x.n, avg: x.avg, min: x.min, max: x.max, first: x.first, last: x.last })));

    const tech = await cli('telemetry', 'tech', '--tag', 'T100', '--from', '2025-03-01T09:00:00+09:00', '--to', '2025-03-01T01:00:00Z');
    expect(tech.code).toBe(0);
    expect(tech.json.rows).toHaveLength(60);
    expect(Object.keys(tech.json.rows[0])).toEqual(['bucket', 'avg', 'sma_10', 'sma_60', 'bb_top', 'bb_bot', 'slope_60']);

    const kpi = await cli('telemetry', 'kpi', '--window', '24h', '--now', '2025-03-02T12:00:00Z');
    expect(kpi.code).toBe(0);
    expect(Object.keys(kpi.json)).toEqual(['bucket', 'tiles']);
    expect(kpi.json.bucket).toBe('1m');
    expect(kpi.json.tiles).toHaveLength(4);
    expect(Object.keys(kpi.json.tiles[0])).toEqual(['tag_name', 'value', 'delta_pct', 'gauge_pct', 'status_level', 'range_label', 'count', 'min', 'max', 'first', 'last', 'ts']);
    expect(kpi.json.tiles[0].ts).toMatch(/Z$/);

    const comm = await cli('telemetry', 'comm', '--tag', 'T200', '--start', '2025-03-01', '--now', '2025-03-05T00:00:00Z');
    expect(comm.code).toBe(0);
    expect(Object.keys(comm.json)).toEqual(['cells', 'outages']);
    expect(comm.json.cells).toHaveLength(720);
    expect(Object.keys(comm.json.cells[0])).toEqual(['bucket_utc', 'success_rate', 'recv_msgs', 'exp_msgs', 'missing_msgs']);
    expect(comm.json.outages[0]).toEqual({ start_ts_utc: '2025-03-02T02:00:00Z', end_ts_utc: '2025-03-02T07:00:00Z', hours: 5 });
    expect(comm.json.cells.at(-1)).toEqual({ bucket_utc: '2025-03-30T23:00:00Z', success_rate: null, recv_msgs: null, exp_msgs: 60, missing_msgs: null });

    const ranged = await cli('telemetry', 'refresh', '--from', '2025-03-01T00:00:00Z', '--to', '2025-03-01T01:00:00Z');
    expect(ranged.json.refreshed.influx_agg_1m).toBe(60 * 3); // T100, T200, T300 have samples every minute of that hour
  });

  it('bad arguments exit 2 with a usage line; a missing schema names the fix', async () => {
    for (const args of [
      ['telemetry', 'kpi', '--window', '2h'],
      ['telemetry', 'kpi', '--now', 'yesterday'],
      ['telemetry', 'trend', '--tag', 'T100', '--from', '2025-03-01T00:00:00', '--to', '2025-03-02T00:00:00Z'],
      ['telemetry', 'trend', '--tag', 'T100', '--bucket', '5m', '--from', '2025-03-01T00:00:00Z', '--to', '2025-03-02T00:00:00Z'],
      ['telemetry', 'trend', '--tag', 'T100', '--from', '2025-03-02T00:00:00Z', '--to', '2025-03-01T00:00:00Z'],
      ['telemetry', 'trend', '--tag', 'NOPE', '--from', '2025-03-01T00:00:00Z', '--to', '2025-03-02T00:00:00Z'],
      ['telemetry', 'trend', '--from', '2025-03-01T00:00:00Z', '--to', '2025-03-02T00:00:00Z'],
      ['telemetry', 'comm', '--tag', 'T100', '--start', '2025-02-30'],
      ['telemetry', 'refresh', '--from', '2025-03-01T00:00:00Z'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out, args.join(' ')).toBe('');
      expect(r.err.trim().length, args.join(' ')).toBeGreaterThan(0);
    }
    const unknown = await cli('telemetry', 'comm', '--tag', 'NOPE', '--start', '2025-03-01');
    expect(unknown.err).toMatch(/unknown tag NOPE \(known: T100, T200, T300, T400\)/);

    const bare = await createTestDb({ prefix: 'tlc', migrate: false });
    try {
      let err = '';
      const code = await runCli(['--json', '--database-url', bare.url, 'telemetry', 'kpi'], { stdout: () => undefined, stderr: (s) => (err += s) });
      expect(code).toBe(1);
      expect(err).toMatch(/run `linedeck migrate`/);
    } finally {
      await bare.drop();
    }
  });

  it('refresh after new rows updates what kpi prints', async () => {
    await db.pool.query(`INSERT INTO public.influx_hist (ts, tag_name, value) VALUES ('2025-03-05T00:00:30Z', 'T100', 7.5)`);
    const stale = await cli('telemetry', 'kpi', '--window', '1m', '--now', '2025-03-05T00:00:40Z');
    expect(stale.json.tiles.find((t: { tag_name: string }) => t.tag_name === 'T100').value).toBeNull();
    await refreshTelemetry(db.pool);
    const fresh = await cli('telemetry', 'kpi', '--window', '1m', '--now', '2025-03-05T00:00:40Z');
    expect(fresh.json.tiles.find((t: { tag_name: string }) => t.tag_name === 'T100')).toMatchObject({ value: 7.5, count: 1, status_level: 2, range_label: '0.0 ~ 200.0', ts: '2025-03-05T00:00:30Z' }); // below crit_min 120
  });
});
