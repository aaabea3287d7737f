/**
 * The derived relations and every query of the telemetry screens against references computed from the raw rows
 * with the design's own SQL (reference.ts), on a fixture with gaps, a dead sensor, spikes, negative values, a
 * disabled QC rule, a degenerate rule and a tag without expectations — after the first refresh, after late /
 * deleted / corrected rows, after a TRUNCATE, and after an explicit range refresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../testing/db';
import { FIXTURE_TAGS, fixtureRows, insertRows, loadFixture } from './testing/fixture';
import * as Q from './queries';
import { refreshTelemetry } from './refresh';
import { refAgg, refComm, refFeatures, refKpi, refLatest, refTech } from './testing/reference';
import { pgTimestampToIso } from './rules';
import { WINDOWS, type BucketName } from './types';

const TIME_KEYS = new Set(['bucket', 'ts', 'bucket_utc', 'start_ts_utc', 'end_ts_utc']);

/** Exact equality, floats within 1e-9 (relative above 1), times compared as instants. */
function same(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

function expectRows(actual: object[], expected: object[], keys: string[], label: string): void {
  expect(actual.length, `${label}: row count`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as Record<string, unknown>;
    const e = expected[i] as Record<string, unknown>;
    for (const k of keys) {
      const av = TIME_KEYS.has(k) && typeof a[k] === 'string' ? Date.parse(a[k] as string) : a[k];
      const ev = TIME_KEYS.has(k) && typeof e[k] === 'string' ? Date.parse(e[k] as string) : e[k];
      if (!same(av, ev)) expect.fail(`${label}: row ${i} (${String(e.bucket ?? e.bucket_utc ?? e.tag_name)}) ${k}: got ${String(a[k])}, expected ${String(e[k])}`);
    }
  }
}

const AGG_KEYS = ['bucket', 'tag_name', 'n', 'avg', 'sum', 'min', 'max', 'last', 'first', 'diff'];
const TECH_KEYS = ['bucket', 'tag_name', 'avg', 'sma_10', 'sma_60', 'bb_top', 'bb_bot', 'slope_60'];
const RELATION: Record<BucketName, string> = { '1m': 'influx_agg_1m', '10m': 'influx_agg_10m', '1h': 'influx_agg_1h', '1d': 'influx_agg_1d' };

async function checkDerivedTables(db: TestDb, label: string): Promise<void> {
  const table = async (rel: string) =>
    (await Q.sql<Record<string, unknown>>(db.pool, `SELECT * FROM public.${rel} ORDER BY tag_name, bucket`)).map((r) => ({ ...r, bucket: pgTimestampToIso(r.bucket as string) }));
  for (const b of ['1m', '10m', '1h', '1d'] as BucketName[]) {
    const got = await table(RELATION[b]);
    expectRows(got, await refAgg(db.pool, b), AGG_KEYS, `${label} ${RELATION[b]}`);
  }
  const feats = await table('features_5m');
  expectRows(feats, await refFeatures(db.pool), ['bucket', 'tag_name', 'mean_5m', 'std_5m', 'min_5m', 'max_5m', 'p10_5m', 'p90_5m', 'n_5m'], `${label} features_5m`);
  const tech = await table('tech_ind_1m_mv');
  expectRows(tech, await refTech(db.pool), TECH_KEYS, `${label} tech_ind_1m_mv`);
  const latest = await Q.sql<{ tag_name: string; value: number; ts: string }>(db.pool, 'SELECT tag_name, value, ts FROM public.influx_latest ORDER BY tag_name');
  expectRows(latest.map((r) => ({ ...r, ts: pgTimestampToIso(r.ts) })), await refLatest(db.pool), ['tag_name', 'value', 'ts'], `${label} influx_latest`);
}

const KPI_NOWS = [
  '2025-03-02T12:00:00Z', // on a day and hour boundary
  '2025-03-02T04:30:25.5Z', // T200 dead, mid-bucket
  '2025-03-04T23:59:59.999999Z', // the last instant with data
  '2025-03-01T00:00:30Z', // 30 s into the data: one bucket
  '2025-03-06T10:00:00Z', // after the data: short windows are empty
];

describe('telemetry aggregates and queries equal the raw-row reference', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb({ prefix: 'tl' });
    await loadFixture(db.pool);
    const r = await refreshTelemetry(db.pool);
    expect(r.mode).toBe('postgres');
    expect(r.refreshed.influx_agg_1m).toBeGreaterThan(0);
  });
  afterAll(async () => db?.drop());

  it('keeps every derived table equal to the reference after the first refresh', async () => {
    await checkDerivedTables(db, 'initial');
    const pending = await Q.sql<{ n: number }>(db.pool, 'SELECT count(*)::bigint AS n FROM public.tl_invalidation');
    expect(pending[0].n).toBe(0);
  });

  it('trend: from <= bucket < to for every bucket width, aligned and unaligned ranges', async () => {
    const ranges: [string, string][] = [
      ['2025-03-01T00:00:00Z', '2025-03-05T00:00:00Z'],
      ['2025-03-01T10:03:30Z', '2025-03-02T11:17:00.5Z'],
      ['2025-03-02T01:00:00+09:00', '2025-03-02T09:00:00+09:00'],
      ['2025-03-02T01:59:59Z', '2025-03-02T07:00:00Z'], // T200's dead hours
    ];
    for (const tag of FIXTURE_TAGS)
      for (const bucket of ['1m', '10m', '1h', '1d'] as BucketName[]) {
        const ref = await refAgg(db.pool, bucket, tag);
        for (const [from, to] of ranges) {
          const got = await Q.trend(db.pool, { tag, bucket, from, to });
          const exp = ref.filter((r) => Date.parse(r.bucket) >= Date.parse(from) && Date.parse(r.bucket) < Date.parse(to));
          expectRows(got, exp, AGG_KEYS, `trend ${tag} ${bucket} ${from}..${to}`);
          for (const r of got) expect(r.bucket).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        }
      }
    // the answer from the raw rows (the bench's baseline) is the same too
    const raw = await Q.trendFromRaw(db.pool, { tag: 'T100', bucket: '10m', from: '2025-03-01T10:03:30Z', to: '2025-03-02T11:17:00Z' });
    expectRows(raw, await Q.trend(db.pool, { tag: 'T100', bucket: '10m', from: '2025-03-01T10:03:30Z', to: '2025-03-02T11:17:00Z' }), AGG_KEYS, 'trendFromRaw');
  });

  it('tech: the first rows of a range equal the full-history view (look-back)', async () => {
    const ranges: [string, string][] = [
      ['2025-03-01T00:00:00Z', '2025-03-01T03:00:00Z'], // start of history: NULL slopes
      ['2025-03-01T13:00:00Z', '2025-03-01T14:30:00Z'], // across T100's gap
      ['2025-03-02T06:30:00Z', '2025-03-02T08:00:00Z'], // right after T200's dead hours
      ['2025-03-02T05:00:00Z', '2025-03-03T05:00:00Z'], // T400's start, sparse
    ];
    for (const tag of FIXTURE_TAGS)
      for (const [from, to] of ranges) {
        const got = await Q.tech(db.pool, { tag, from, to });
        expectRows(got, await refTech(db.pool, tag, from, to), TECH_KEYS, `tech ${tag} ${from}..${to}`);
      }
    const t = await Q.tech(db.pool, { tag: 'T100', from: '2025-03-01T13:00:00Z', to: '2025-03-01T14:30:00Z' });
    expect(t[0].slope_60).not.toBeNull(); // computed with the 60 rows before the range
  });

  it('kpi: every window at several instants', async () => {
    for (const now of KPI_NOWS)
      for (const window of WINDOWS) {
        const got = await Q.kpi(db.pool, { window, now });
        const exp = await refKpi(db.pool, window, now);
        expect(got.tiles.map((t) => t.tag_name)).toEqual(exp.map((t) => t.tag_name));
        expectRows(got.tiles, exp, ['tag_name', 'value', 'delta_pct', 'gauge_pct', 'status_level', 'range_label', 'count', 'min', 'max', 'first', 'last'], `kpi ${window} @ ${now}`);
      }
  });

  it('kpi: the tile details the reference does not cover', async () => {
    const r = await Q.kpi(db.pool, { window: '24h', now: '2025-03-02T12:00:00Z' });
    expect(r.bucket).toBe('1m');
    const t100 = r.tiles.find((t) => t.tag_name === 'T100')!;
    // ts is the sample that gave the value: inside the newest bucket, with its microseconds
    expect(t100.ts).toMatch(/^2025-03-02T12:00:5\d\.\d+Z$/);
    expect(t100.bucket).toBe('2025-03-02T12:00:00Z');
    expect(t100.range_label).toBe('0.0 ~ 200.0');
    expect(t100.ts_s).toBe(`2025-03-02 21:00:${t100.ts!.slice(17, 19)}`);
    // T300's rule is disabled: the window's range, level 0 even outside the rule's limits
    const t300 = r.tiles.find((t) => t.tag_name === 'T300')!;
    expect(t300.status_level).toBe(0);
    expect(t300.range_label).not.toBe('-20.0 ~ 20.0');
    // T400's rule has min = max: the window's range for the gauge, but the hard limits still judge
    const t400 = r.tiles.find((t) => t.tag_name === 'T400')!;
    expect(t400.status_level).toBe(2);
    const empty = await Q.kpi(db.pool, { window: '1m', now: '2025-03-06T10:00:00Z' });
    expect(empty.tiles.every((t) => t.value === null && t.count === 0 && t.gauge_pct === null && t.delta_pct === 0)).toBe(true);
  });

  it('comm: 30 × 24 cells and outages, with 0 % hours and no data after now', async () => {
    const cases: [string, string, string][] = [
      ['T200', '2025-02-20', '2025-03-04T13:30:00Z'], // dead hours, flaky day 3, the hour of now has no data
      ['T200', '2025-03-01', '2025-03-10T00:00:00Z'], // after the data: 0 % hours form an outage to the end of data cells
      ['T100', '2025-03-01', '2025-03-03T00:00:00Z'],
      ['T300', '2025-02-28', '2025-03-05T00:00:00Z'],
      ['T400', '2025-03-01', '2025-03-04T17:59:59Z'], // 12 of 60 a minute expected: exactly at the 0.2 SLO is no outage
    ];
    for (const [tag, start, now] of cases) {
      const got = await Q.comm(db.pool, { tag, startDate: start, now });
      const ref = await refComm(db.pool, tag, start, now);
      expect(got.cells).toHaveLength(720);
      expectRows(got.cells, ref.cells, ['bucket_utc', 'success_rate', 'recv_msgs', 'exp_msgs', 'missing_msgs'], `comm ${tag} ${start} @ ${now}`);
      expectRows(got.outages, ref.outages, ['start_ts_utc', 'end_ts_utc', 'hours'], `outages ${tag} ${start} @ ${now}`);
    }
    const dead = await Q.comm(db.pool, { tag: 'T200', startDate: '2025-03-01', now: '2025-03-05T00:00:00Z' });
    expect(dead.has_expectation).toBe(false);
    expect(dead.outages.some((o) => o.start_ts_utc === '2025-03-02T02:00:00Z' && o.end_ts_utc === '2025-03-02T07:00:00Z' && o.hours === 5)).toBe(true);
    expect(dead.cells.find((c) => c.bucket_utc === '2025-03-02T03:00:00Z')).toMatchObject({ success_rate: 0, recv_msgs: 0, exp_msgs: 60, missing_msgs: 60 }); // T200 has no expectation: 1 a minute
    expect(dead.cells.find((c) => c.bucket_utc === '2025-03-05T00:00:00Z')).toMatchObject({ success_rate: null, recv_msgs: null });
  });

  it('comm in Asia/Seoul: a day is a Seoul day, starting at 15:00 UTC the day before', async () => {
    const utc = await Q.comm(db.pool, { tag: 'T200', startDate: '2025-03-01', now: '2025-03-05T00:00:00Z' });
    const seoul = await Q.comm(db.pool, { tag: 'T200', startDate: '2025-03-01', now: '2025-03-05T00:00:00Z', tz: 'Asia/Seoul' });
    expect(seoul.cells).toHaveLength(720);
    // the first cell is 2025-03-01 00:00 KST = 2025-02-28T15:00Z; the 10th is 09:00 KST = 00:00Z, the UTC day's first hour
    expect(Date.parse(seoul.cells[0].bucket_utc)).toBe(Date.parse('2025-02-28T15:00:00Z'));
    expect(Date.parse(seoul.cells[8].bucket_utc)).toBe(Date.parse('2025-02-28T23:00:00Z'));
    expect(Date.parse(seoul.cells[9].bucket_utc)).toBe(Date.parse('2025-03-01T00:00:00Z'));
    expect(Date.parse(seoul.cells[24].bucket_utc)).toBe(Date.parse('2025-03-01T15:00:00Z')); // the second Seoul day
    expect(Date.parse(seoul.cells.at(-1)!.bucket_utc)).toBe(Date.parse('2025-03-30T14:00:00Z')); // 2025-03-30 23:00 KST
    // the same hours hold the same numbers whichever zone the grid was counted in
    const byUtc = new Map(utc.cells.map((c) => [Date.parse(c.bucket_utc), c]));
    for (const c of seoul.cells.slice(9)) expect(c).toEqual(byUtc.get(Date.parse(c.bucket_utc)));
    expect(seoul.outages.some((o) => o.start_ts_utc === '2025-03-02T02:00:00Z' && o.hours === 5)).toBe(true);
  });

  it('latest: the snapshot with comm state and alarm level', async () => {
    const rows = await Q.latest(db.pool, { now: '2025-03-05T00:00:20Z' });
    const ref = await refLatest(db.pool);
    expectRows(rows, ref, ['tag_name', 'value', 'ts'], 'latest');
    const t100 = rows.find((r) => r.tag_name === 'T100')!;
    expect(t100.expected_interval_s).toBe(10);
    expect(t100.comm).toBe('ok'); // ≤ max_gap_seconds 30
    const later = await Q.latest(db.pool, { now: '2025-03-05T00:02:00Z' });
    expect(later.find((r) => r.tag_name === 'T100')!.comm).toBe('late');
    expect(later.find((r) => r.tag_name === 'T400')!.comm).toBe('ok'); // max_gap 900 s
    const much = await Q.latest(db.pool, { now: '2025-03-07T00:00:00Z' });
    expect(much.every((r) => r.comm === 'lost')).toBe(true);
  });

  it('follows late, deleted and corrected rows through the invalidation log', async () => {
    const late = fixtureRows()
      .filter((r) => r.tag_name === 'T400')
      .map((r) => ({ ...r, ts: r.ts.replace('2025-03-0', '2025-02-2'), value: r.value * 2 })); // a backfill a week earlier
    await insertRows(db.pool, late.slice(0, 300));
    await db.pool.query(`DELETE FROM public.influx_hist WHERE tag_name = 'T100' AND ts >= '2025-03-02T10:00:00Z' AND ts < '2025-03-02T10:45:00Z'`);
    await db.pool.query(`UPDATE public.influx_hist SET value = -value WHERE tag_name = 'T300' AND ts >= '2025-03-03T00:00:00Z' AND ts < '2025-03-03T00:30:00Z'`);
    await db.pool.query(`INSERT INTO public.influx_hist (ts, tag_name, value) VALUES ('2025-03-04T23:59:59.5Z', 'T999', 1.5), ('2025-03-01T00:00:00Z', 'T999', -2.5)`);
    const r = await refreshTelemetry(db.pool);
    expect(r.full).toBe(false);
    expect(r.ranges.length).toBe(2); // the backfill a week earlier, and March (merged)
    await checkDerivedTables(db, 'incremental');
    expect((await Q.sql<{ n: number }>(db.pool, 'SELECT count(*)::bigint AS n FROM public.tl_invalidation'))[0].n).toBe(0);
    for (const now of KPI_NOWS.slice(0, 3)) {
      const got = await Q.kpi(db.pool, { window: '48h', now });
      expectRows(got.tiles, await refKpi(db.pool, '48h', now), ['tag_name', 'value', 'delta_pct', 'gauge_pct', 'status_level', 'range_label', 'count', 'min', 'max', 'first', 'last'], `kpi after changes @ ${now}`);
    }
  });

  it('rebuilds everything after a TRUNCATE, and an explicit range repairs changes the log never saw', async () => {
    await db.pool.query('TRUNCATE public.influx_hist');
    await insertRows(
      db.pool,
      fixtureRows().filter((r) => r.ts >= '2025-03-02T12' && r.ts < '2025-03-03T06'),
    );
    const r = await refreshTelemetry(db.pool);
    expect(r.full).toBe(true);
    await checkDerivedTables(db, 'after truncate');

    await db.pool.query('ALTER TABLE public.influx_hist DISABLE TRIGGER USER');
    await db.pool.query(`UPDATE public.influx_hist SET value = value + 1000 WHERE ts >= '2025-03-02T20:00:00Z' AND ts < '2025-03-02T20:20:00Z'`);
    await db.pool.query('ALTER TABLE public.influx_hist ENABLE TRIGGER USER');
    const nothing = await refreshTelemetry(db.pool);
    expect(nothing.ranges).toEqual([]);
    const ranged = await refreshTelemetry(db.pool, { from: '2025-03-02T20:05:00+00:00', to: '2025-03-02T20:15:00+00:00' });
    expect(ranged.refreshed.influx_agg_1m).toBeGreaterThan(0);
    // the range touched 20:05..20:15; the 20:00..20:05 and 20:15..20:20 minutes stay as they were (stale) …
    const stale = await Q.trend(db.pool, { tag: 'T100', bucket: '1m', from: '2025-03-02T20:00:00Z', to: '2025-03-02T20:01:00Z' });
    const ref1m = (await refAgg(db.pool, '1m', 'T100')).find((x) => x.bucket === '2025-03-02T20:00:00.000Z')!;
    expect(stale[0].avg).not.toBeCloseTo(ref1m.avg, 3);
    // … until a range covering them is refreshed
    await refreshTelemetry(db.pool, { from: '2025-03-02T20:00:00Z', to: '2025-03-02T20:20:00Z' });
    await checkDerivedTables(db, 'after range refresh');
  });

  it('empties the derived tables when the raw table is emptied', async () => {
    await db.pool.query('TRUNCATE public.influx_hist');
    const r = await refreshTelemetry(db.pool);
    expect(r.full).toBe(true);
    for (const rel of ['influx_agg_1m', 'influx_agg_10m', 'influx_agg_1h', 'influx_agg_1d', 'features_5m', 'tech_ind_1m_mv']) {
      const n = await Q.sql<{ n: number }>(db.pool, `SELECT count(*)::bigint AS n FROM public.${rel}`);
      expect(n[0].n, rel).toBe(0);
    }
  });
});
