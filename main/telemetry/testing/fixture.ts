/**
 * A small, deterministic telemetry fixture for the tests (not the demo): four tags over four days with everything
 * that makes aggregation go wrong — arrival jitter with microseconds, gaps, a sensor dead for hours, spikes,
 * negative values, a disabled QC rule, a degenerate rule (min = max), a tag without an ingest_expectation, a tag
 * that starts late and samples sparsely.
 */
import type pg from 'pg';
import { mulberry32 } from '../../lib/mulberry32';

export const FIXTURE_START = Date.parse('2025-03-01T00:00:00Z');
export const FIXTURE_END = Date.parse('2025-03-05T00:00:00Z');
export const FIXTURE_TAGS = ['T100', 'T200', 'T300', 'T400'] as const;

/** seeded PRNG (mulberry32) */
export const prng = mulberry32;

/** ISO with microseconds from ms since epoch + extra µs. */
export function isoMicro(ms: number, micro = 0): string {
  const base = new Date(ms).toISOString(); // ...ss.mmmZ
  return `${base.slice(0, 23)}${String(micro).padStart(3, '0')}Z`;
}

export interface FixtureRow {
  ts: string;
  tag_name: string;
  value: number;
}

export function fixtureRows(): FixtureRow[] {
  const rnd = prng(20250301);
  const rows: FixtureRow[] = [];
  const H = 3_600_000;
  for (let t = FIXTURE_START; t < FIXTURE_END; t += 10_000) {
    const hours = (t - FIXTURE_START) / H;
    // T100: every 10 s, jitter up to 0.9 s with µs, daily wave crossing warn/crit, a 17-minute gap on day 1
    {
      const jitter = Math.floor(rnd() * 900);
      const micro = Math.floor(rnd() * 1000);
      const inGap = t >= Date.parse('2025-03-01T13:05:00Z') && t < Date.parse('2025-03-01T13:22:00Z');
      if (!inGap && rnd() > 0.01) rows.push({ ts: isoMicro(t + jitter, micro), tag_name: 'T100', value: 150 + 35 * Math.sin((2 * Math.PI * hours) / 24) + (rnd() - 0.5) * 6 });
    }
    // T200: every 10 s, dead 02:00–07:00 on day 2, spikes, 10 % lost on day 3 (below the 95 % SLO)
    {
      const dead = t >= Date.parse('2025-03-02T02:00:00Z') && t < Date.parse('2025-03-02T07:00:00Z');
      const flaky = t >= Date.parse('2025-03-03T00:00:00Z') && t < Date.parse('2025-03-04T00:00:00Z') && rnd() < 0.1;
      const spike = rnd() < 0.001 ? 8 : 1;
      if (!dead && !flaky) rows.push({ ts: isoMicro(t + 123), tag_name: 'T200', value: (9000 + 1200 * Math.sin((2 * Math.PI * hours) / 7)) * spike + rnd() * 50 });
    }
    // T300: every 30 s, negative at times, 20-minute gaps now and then
    if (t % 30_000 === 0) {
      const gap = Math.floor(hours) % 11 === 5 && (t / 60_000) % 60 < 20;
      if (!gap) rows.push({ ts: isoMicro(t + 7000), tag_name: 'T300', value: -5 + 12 * Math.sin((2 * Math.PI * hours) / 9) + (rnd() - 0.5) * 3 });
    }
    // T400: starts on day 2 at 05:17, one sample every ~5 minutes
    if (t >= Date.parse('2025-03-02T05:17:00Z') && t % 300_000 === 20_000) rows.push({ ts: isoMicro(t + Math.floor(rnd() * 40_000)), tag_name: 'T400', value: 40 + rnd() * 20 });
  }
  return rows;
}

export async function insertRows(q: pg.Pool | pg.ClientBase, rows: FixtureRow[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < rows.length; i += 20_000) {
    const part = rows.slice(i, i + 20_000);
    const r = await q.query(
      'INSERT INTO public.influx_hist (ts, tag_name, value) SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::float8[]) ON CONFLICT DO NOTHING',
      [part.map((r) => r.ts), part.map((r) => r.tag_name), part.map((r) => r.value)],
    );
    n += r.rowCount ?? 0;
  }
  return n;
}

/** The fixture's QC rules (T300's disabled, T400's degenerate: min = max) and expectations (T200 has none). */
export async function insertFixtureRules(q: pg.Pool | pg.ClientBase): Promise<void> {
  await q.query(`
    INSERT INTO public.influx_qc_rule (tag_name, min_val, max_val, warn_min, warn_max, crit_min, crit_max, max_gap_seconds, allow_negative, enabled) VALUES
      ('T100', 0, 200, 125, 175, 120, 182, 30, false, true),
      ('T200', 0, 20000, NULL, 10000, NULL, 15000, 60, false, true),
      ('T300', -20, 20, -10, 10, -15, 15, 90, true, false),
      ('T400', 50, 50, NULL, NULL, NULL, NULL, 900, false, true);
    INSERT INTO public.ingest_expectation (tag_name, exp_per_min, slo_warn, slo_crit) VALUES
      ('T100', 6, 0.98, 0.95), ('T300', 2, 0.99, 0.97), ('T400', 1, 0.5, 0.2);`);
}

export async function loadFixture(q: pg.Pool | pg.ClientBase): Promise<number> {
  await insertFixtureRules(q);
  return insertRows(q, fixtureRows());
}
