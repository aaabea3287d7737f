/**
 * The telemetry screens' pure rules (decisions.md "Telemetry" 1-5) over the vocabulary of types.ts: windows →
 * buckets, the KPI tile's delta / gauge / status / range label, and time formatting. No I/O: shared by the service,
 * the contract, the CLI and the tests.
 */
import { BUCKETS, WINDOWS, type BucketName, type QcRule, type WindowName } from './types';

/** Tag names: letters, digits, _ . : / - (at most 100). */
export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/;

/** The zones a communication heatmap's days may be counted in: UTC (the CLI's and the contract's default) or the plant's. */
export const COMM_ZONES = ['UTC', 'Asia/Seoul'] as const;
export type CommZone = (typeof COMM_ZONES)[number];

const MIN = 60;
const HOUR = 3600;
const DAY = 86_400;
/** Window length in seconds. */
export const WINDOW_SECONDS: Record<WindowName, number> = {
  '1m': MIN,
  '5m': 5 * MIN,
  '10m': 10 * MIN,
  '60m': 60 * MIN,
  '12h': 12 * HOUR,
  '24h': 24 * HOUR,
  '48h': 48 * HOUR,
  '7d': 7 * DAY,
  '14d': 14 * DAY,
  '30d': 30 * DAY,
  '3m': 90 * DAY,
  '6m': 180 * DAY,
  '12m': 365 * DAY,
};

export const BUCKET_SECONDS: Record<BucketName, number> = { '1m': MIN, '10m': 10 * MIN, '1h': HOUR, '1d': DAY };
export const BUCKET_RELATION: Record<BucketName, string> = { '1m': 'influx_agg_1m', '10m': 'influx_agg_10m', '1h': 'influx_agg_1h', '1d': 'influx_agg_1d' };
/** PostgreSQL interval text of a bucket width. */
export const BUCKET_INTERVAL: Record<BucketName, string> = { '1m': '1 minute', '10m': '10 minutes', '1h': '1 hour', '1d': '1 day' };

/** Design §B8 / decisions 1: ≤24h → 1m, ≤14d → 10m, ≤90d → 1h, longer → 1d. */
export function bucketForSeconds(seconds: number): BucketName {
  if (seconds <= 24 * HOUR) return '1m';
  if (seconds <= 14 * DAY) return '10m';
  if (seconds <= 90 * DAY) return '1h';
  return '1d';
}
export function bucketForWindow(w: WindowName): BucketName {
  return bucketForSeconds(WINDOW_SECONDS[w]);
}

export function isWindow(s: string): s is WindowName {
  return (WINDOWS as readonly string[]).includes(s);
}
export function isBucket(s: string): s is BucketName {
  return (BUCKETS as readonly string[]).includes(s);
}

/** An ISO 8601 time with a UTC offset or Z (what the CLI and the API accept). */
export const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;
export function isIsoWithOffset(s: string): boolean {
  return ISO_WITH_OFFSET.test(s) && !Number.isNaN(Date.parse(s));
}
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
export function isIsoDate(s: string): boolean {
  return ISO_DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
}

/**
 * PostgreSQL's text form of a timestamptz ("2025-08-15 07:26:07.303478+00", any session time zone) → ISO 8601 UTC
 * with Z, keeping the microseconds ("2025-08-15T07:26:07.303478Z"; no fraction when it is zero).
 */
const UTC_TEXT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:(\.\d*?)0*)?\+00$/;
export function pgTimestampToIso(raw: string): string {
  // fast path: the pools' sessions run in UTC ("… 07:26:07.303478+00")
  const u = UTC_TEXT.exec(raw);
  if (u) return `${u[1]}T${u[2]}${!u[3] || u[3] === '.' ? '' : u[3]}Z`;
  if (raw === 'infinity' || raw === '-infinity') return raw;
  const m = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-]\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/.exec(raw);
  if (!m || m[11]) throw new Error(`unexpected timestamp from PostgreSQL: ${raw}`);
  const [, y, mo, d, h, mi, s, frac, oh, om, os] = m;
  const sign = oh.startsWith('-') ? -1 : 1;
  const offsetSec = sign * (Math.abs(Number(oh)) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0));
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const utc = new Date(local - offsetSec * 1000).toISOString().slice(0, 19);
  const f = (frac ?? '').replace(/0+$/, '');
  return `${utc}${f === '.' ? '' : f}Z`;
}

/** Python's `f"{x:.1f}"` (round half to even on the exact binary value), which the design's range label uses. */
export function pyFixed1(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  if (Object.is(x, -0)) return '-0.0';
  // A tie at one decimal needs x = k + 0.25 or k + 0.75 exactly (x·4 odd); every other case toFixed rounds right.
  const q = x * 4;
  if (Number.isInteger(q) && Math.abs(q) % 2 === 1 && Math.abs(x) < 2 ** 50) {
    const t = x * 10; // exact: a multiple of 0.5
    const lo = Math.floor(t);
    const even = lo % 2 === 0 ? lo : lo + 1;
    const r = even / 10;
    const s = Math.abs(r).toFixed(1);
    return x < 0 ? `-${s}` : s;
  }
  return x.toFixed(1);
}

/** A rule applies unless it is explicitly disabled (`enabled = false`); a NULL `enabled` counts as enabled. */
export function activeRule(rule: QcRule | null | undefined): QcRule | null {
  return rule && rule.enabled !== false ? rule : null;
}

/** Decisions 5: 2 outside the hard limits or the crit bounds, 1 outside the warn bounds, else 0 (strict, NULL ignored). */
export function statusLevel(value: number | null, rule: QcRule | null | undefined): 0 | 1 | 2 | null {
  if (value === null) return null;
  const r = activeRule(rule);
  if (!r) return 0;
  const below = (b: number | null) => b !== null && value < b;
  const above = (b: number | null) => b !== null && value > b;
  if (below(r.min_val) || above(r.max_val) || below(r.crit_min) || above(r.crit_max)) return 2;
  if (below(r.warn_min) || above(r.warn_max)) return 1;
  return 0;
}

/** Decisions 4: the gauge's range — the enabled rule's [min_val, max_val] when min < max, else the window's. */
export function gaugeRange(rule: QcRule | null | undefined, windowMin: number | null, windowMax: number | null): [number, number] | null {
  const r = activeRule(rule);
  if (r && r.min_val !== null && r.max_val !== null && r.min_val < r.max_val) return [r.min_val, r.max_val];
  if (windowMin === null || windowMax === null) return null;
  return [windowMin, windowMax];
}

export function gaugePct(value: number | null, range: [number, number] | null): number | null {
  if (value === null || !range) return null;
  const [lo, hi] = range;
  if (!(hi > lo)) return 0;
  const p = ((value - lo) / (hi - lo)) * 100;
  return Math.min(100, Math.max(0, p));
}

export function rangeLabel(range: [number, number] | null): string | null {
  return range ? `${pyFixed1(range[0])} ~ ${pyFixed1(range[1])}` : null;
}

/** Decisions 3: (last − previous last) / previous last × 100; 0 without a previous bucket or when it is 0. */
export function deltaPct(last: number | null, prevLast: number | null): number {
  if (last === null || prevLast === null || prevLast === 0) return 0;
  return ((last - prevLast) / prevLast) * 100;
}
