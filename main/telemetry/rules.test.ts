/** Pure rules of the telemetry screens (no database). */
import { describe, expect, it } from 'vitest';
import { dayChunks, mergeRanges } from './refresh';
import { bucketForWindow, deltaPct, gaugePct, gaugeRange, isIsoDate, isIsoWithOffset, pgTimestampToIso, pyFixed1, rangeLabel, statusLevel } from './rules';
import { WINDOWS, type QcRule } from './types';
import { commState } from './queries';
import { TtlCache, defaultCommStart, resolveRange, validateExpectation, validateQcRule, type QcRuleInput } from './service';

const rule = (r: Partial<QcRule>): QcRule => ({
  tag_name: 'X',
  min_val: null,
  max_val: null,
  max_step: null,
  max_gap_seconds: null,
  allow_negative: null,
  enabled: true,
  meta: null,
  warn_min: null,
  warn_max: null,
  crit_min: null,
  crit_max: null,
  roc_max_per_min: null,
  spike_zscore: null,
  deadband_pct: null,
  ...r,
});

describe('telemetry rules', () => {
  it('maps the 13 windows to buckets (decisions 1)', () => {
    expect(Object.fromEntries(WINDOWS.map((w) => [w, bucketForWindow(w)]))).toEqual({
      '1m': '1m', '5m': '1m', '10m': '1m', '60m': '1m', '12h': '1m', '24h': '1m',
      '48h': '10m', '7d': '10m', '14d': '10m',
      '30d': '1h', '3m': '1h',
      '6m': '1d', '12m': '1d',
    });
  });

  it('formats the range label like Python f"{x:.1f}" (round half to even)', () => {
    // expected strings printed by CPython 3
    const cases: [number, string][] = [
      [0.25, '0.2'], [0.75, '0.8'], [1.25, '1.2'], [-0.25, '-0.2'], [-0.75, '-0.8'], [2.5, '2.5'], [0.05, '0.1'], [-0.05, '-0.1'],
      [-0.04, '-0.0'], [0.15, '0.1'], [0.35, '0.3'], [1e-9, '0.0'], [199.95, '199.9'], [20000.0, '20000.0'], [-20.0, '-20.0'],
      [12.25, '12.2'], [12.35, '12.3'], [0.45, '0.5'], [1234567.25, '1234567.2'], [-1234567.75, '-1234567.8'], [0.0, '0.0'],
      [-0.0, '-0.0'], [3.14159, '3.1'], [2.675, '2.7'], [1.05, '1.1'],
    ];
    for (const [x, s] of cases) expect(pyFixed1(x), String(x)).toBe(s);
    expect(rangeLabel([0, 200])).toBe('0.0 ~ 200.0');
  });

  it('status level: hard and crit → 2, warn → 1, strict, NULL bounds ignored, disabled = no rule (decisions 5)', () => {
    const r = rule({ min_val: 0, max_val: 200, warn_min: 20, warn_max: 180, crit_min: 10, crit_max: 190 });
    expect(statusLevel(100, r)).toBe(0);
    expect(statusLevel(180, r)).toBe(0);
    expect(statusLevel(180.0001, r)).toBe(1);
    expect(statusLevel(19.9, r)).toBe(1);
    expect(statusLevel(190.5, r)).toBe(2);
    expect(statusLevel(9, r)).toBe(2);
    expect(statusLevel(-1, rule({ min_val: 0 }))).toBe(2);
    expect(statusLevel(201, rule({ max_val: 200, enabled: false }))).toBe(0);
    expect(statusLevel(201, rule({ max_val: 200, enabled: null }))).toBe(2);
    expect(statusLevel(5, null)).toBe(0);
    expect(statusLevel(null, r)).toBeNull();
  });

  it('gauge: QC range when min < max, else the window; clamped; 0 for zero width (decisions 4)', () => {
    expect(gaugePct(150, gaugeRange(rule({ min_val: 0, max_val: 200 }), 100, 160))).toBe(75);
    expect(gaugePct(250, gaugeRange(rule({ min_val: 0, max_val: 200 }), 100, 260))).toBe(100);
    expect(gaugePct(150, gaugeRange(rule({ min_val: 50, max_val: 50 }), 100, 200))).toBe(50);
    expect(gaugePct(150, gaugeRange(rule({ min_val: 0, max_val: 200, enabled: false }), 100, 200))).toBe(50);
    expect(gaugePct(7, gaugeRange(null, 7, 7))).toBe(0);
    expect(gaugeRange(null, null, null)).toBeNull();
  });

  it('delta: against the previous bucket, 0 without one or when it is 0 (decisions 3)', () => {
    expect(deltaPct(110, 100)).toBeCloseTo(10, 12);
    expect(deltaPct(-5, -10)).toBeCloseTo(-50, 12);
    expect(deltaPct(110, 0)).toBe(0);
    expect(deltaPct(110, null)).toBe(0);
  });

  it('times: ISO in with an offset, PostgreSQL text out as UTC with Z and microseconds', () => {
    expect(isIsoWithOffset('2025-08-15T00:00:00Z')).toBe(true);
    expect(isIsoWithOffset('2025-08-15T09:00:00.123456+09:00')).toBe(true);
    expect(isIsoWithOffset('2025-08-15T00:00:00')).toBe(false);
    expect(isIsoWithOffset('yesterday')).toBe(false);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(pgTimestampToIso('2025-08-15 07:26:07.303478+00')).toBe('2025-08-15T07:26:07.303478Z');
    expect(pgTimestampToIso('2025-08-15 16:26:07.5+09')).toBe('2025-08-15T07:26:07.5Z');
    expect(pgTimestampToIso('2025-08-15 00:00:00+05:30')).toBe('2025-08-14T18:30:00Z');
  });

  it('comm state from the age of the latest sample', () => {
    expect(commState(25, 10, null)).toBe('ok');
    expect(commState(31, 10, null)).toBe('late');
    expect(commState(301, 10, null)).toBe('lost');
    expect(commState(100, 10, 120)).toBe('ok');
  });

  it('ranges: windows are inclusive, explicit ranges half-open; the bucket follows §B8', () => {
    expect(resolveRange({ tag: 'A', window: '7d', now: '2025-03-08T00:00:00.000Z' })).toEqual({ from: '2025-03-01T00:00:00.000Z', to: '2025-03-08T00:00:00.000Z', toInclusive: true, bucket: '10m', window: '7d' });
    expect(resolveRange({ tag: 'A', from: '2025-03-01T00:00:00Z', to: '2025-03-31T00:00:00Z' }).bucket).toBe('1h');
    expect(() => resolveRange({ tag: 'A', from: '2025-03-02T00:00:00Z', to: '2025-03-01T00:00:00Z' })).toThrow(/before/);
    expect(defaultCommStart('2025-03-30T15:00:00Z')).toBe('2025-03-01');
    expect(dayChunks('2025-03-01T10:00:00Z', '2025-03-03T05:00:00.5Z')).toEqual([
      ['2025-03-01T10:00:00Z', '2025-03-02T00:00:00.000Z'],
      ['2025-03-02T00:00:00.000Z', '2025-03-03T00:00:00.000Z'],
      ['2025-03-03T00:00:00.000Z', '2025-03-03T05:00:00.5Z'],
    ]);
    expect(dayChunks('2025-03-01T10:00:00Z', '2025-03-01T11:00:00Z')).toEqual([['2025-03-01T10:00:00Z', '2025-03-01T11:00:00Z']]);
    expect(mergeRanges([{ lo: '2025-03-01T10:00:00Z', hi: '2025-03-01T10:00:10Z' }, { lo: '2025-03-01T00:00:00Z', hi: '2025-03-01T01:00:00Z' }, { lo: '2025-03-01T10:00:20Z', hi: '2025-03-01T10:00:30Z' }])).toEqual([
      { lo: '2025-03-01T00:00:00Z', hi: '2025-03-01T01:00:00Z' },
      { lo: '2025-03-01T10:00:00Z', hi: '2025-03-01T10:00:30Z' },
    ]);
  });

  it('validates QC rules: min < max, warn inside crit inside hard limits', () => {
    const base: QcRuleInput = { ...rule({}), meta: {}, allow_negative: false };
    expect(validateQcRule({ ...base, min_val: 0, max_val: 200, warn_min: 20, warn_max: 180, crit_min: 10, crit_max: 190 })).toEqual([]);
    expect(validateQcRule({ ...base, min_val: 200, max_val: 200 })).toEqual(['min_val (200) must be below max_val (200)']);
    expect(validateQcRule({ ...base, min_val: 0, max_val: 200, warn_max: 195, crit_max: 190 }).join()).toMatch(/crit_max \(190\) must not be below warn_max \(195\)/);
    expect(validateQcRule({ ...base, min_val: 0, max_val: 200, crit_min: -5 }).join()).toMatch(/crit_min \(-5\) must not be below min_val/);
    expect(validateQcRule({ ...base, min_val: -5, max_val: 5 }).join()).toMatch(/allow_negative is false/);
    expect(validateQcRule({ ...base, min_val: -5, max_val: 5, allow_negative: true })).toEqual([]);
    expect(validateQcRule({ ...base, warn_min: 50, warn_max: 40 }).join()).toMatch(/warn_min \(50\) must be below warn_max \(40\)/);
    expect(validateQcRule({ ...base, max_step: 0, deadband_pct: 120 }).length).toBe(2);
    expect(validateExpectation({ tag_name: 'A', exp_per_min: 6, slo_warn: 0.98, slo_crit: 0.95 })).toEqual([]);
    expect(validateExpectation({ tag_name: 'A', exp_per_min: 6, slo_warn: 0.9, slo_crit: 0.95 }).join()).toMatch(/slo_crit/);
  });

  it('TTL cache: fresh vs expired entries, LRU bound, stale horizon', async () => {
    const c = new TtlCache(2, 50);
    c.set('a', 1, 0);
    c.set('b', 2, 10_000);
    expect(c.get('a')!.expires).toBeLessThanOrEqual(Date.now());
    c.get('a'); // a is now the most recently used
    c.set('c', 3, 10_000);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.value).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(c.get('a')).toBeUndefined();
  });
});
