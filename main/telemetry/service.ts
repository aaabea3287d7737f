/**
 * The telemetry service of a running station: the query layer (queries.ts) behind TTL caches, with the design's
 * behaviour under trouble (§B7, §B12, §B13):
 * - TTL caches: metrics (KPI, trend, tech, overlays) 30 s, features 60 s, snapshot (latest table) 0 s, comm heatmap
 *   and tag list 5 min (§28.5); at most 100 entries (least recently used go first); concurrent identical requests
 *   share one query (the design's async lock).
 * - After an error a cached value is served with `stale: true` and a notice (an expired entry too: that is what it
 *   is kept for, up to an hour); with nothing cached the standard message is returned as an ApiError
 *   (timeout → `timeout`, connection → `unavailable`).
 * - A lost connection marks the database down: requests are answered from the cache at once while a probe retries
 *   with backoff 1-2-4-8 s (8 s thereafter); the first successful probe ends it (`db_recover`), no restart needed.
 * - Log events (log('telemetry'), field `event`): dash_load_ok, range_change_ok, snapshot_refresh, overlay_toggle,
 *   qc_badge_eval, comm_load_ok, db_fail, db_recover, payload_bloat (> 300 KB), with {range, tag, view, rowcount,
 *   dur_ms, cache_hit}.
 * Writes (QC rules, expectations) are validated, audited (writeAudit in the same transaction) and clear the caches.
 */
import type pg from 'pg';
import { ApiError, type SessionUser } from '../api/kit';
import { because, type ReasonDetails } from '../api/reasons';
import { writeAudit } from '../audit/audit';
import { describePgError, isUnavailable, withTransaction, type Databases } from '../db/pools';
import { log } from '../log';
import * as Q from './queries';
import { refreshTelemetry, isTimescale, derivedKinds, type RefreshResult } from './refresh';
import { BUCKET_RELATION, WINDOW_SECONDS, bucketForSeconds, bucketForWindow, pgTimestampToIso, TAG_PATTERN } from './rules';
import type {
  AnomalyRow,
  BucketName,
  CommResult,
  Expectation,
  FeatureRow,
  KpiResult,
  LatestRow,
  NoticeCode,
  PredictionRow,
  QcRule,
  Served,
  ServedMeta,
  TagInfo,
  TechRow,
  TelemetryStatus,
  TrendRow,
  WindowName,
} from './types';

/** The design's standard messages (§6 "DSN/타임아웃/빈 데이터 메시지 표준화"). */
export const MESSAGES = {
  DB_TIMEOUT: 'The telemetry database did not answer in time.',
  DB_CONN: 'Cannot reach the telemetry database',
  NO_ROWS: 'No data in the selected range.',
  SCHEMA_DRIFT: 'The telemetry tables are missing or different: run `linedeck migrate`.',
} as const;

export interface TtlConfig {
  metricsMs: number;
  featuresMs: number;
  snapshotMs: number;
  commMs: number;
  tagsMs: number;
  /** how long an expired entry is kept to be served stale */
  maxStaleMs: number;
  maxEntries: number;
}
export const DEFAULT_TTL: TtlConfig = { metricsMs: 30_000, featuresMs: 60_000, snapshotMs: 0, commMs: 300_000, tagsMs: 300_000, maxStaleMs: 3_600_000, maxEntries: 100 };
export const BACKOFF_MS = [1000, 2000, 4000, 8000];
const PAYLOAD_BLOAT_BYTES = 300 * 1024;

interface Entry {
  value: unknown;
  at: number;
  expires: number;
}

/** A TTL cache with LRU eviction; expired entries stay (for stale answers) until maxStaleMs. */
export class TtlCache {
  private map = new Map<string, Entry>();
  constructor(private maxEntries: number, private maxStaleMs: number) {}
  get(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (Date.now() - e.at > this.maxStaleMs) {
      this.map.delete(key);
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, e); // most recently used last
    return e;
  }
  set(key: string, value: unknown, ttlMs: number): Entry {
    const now = Date.now();
    const e = { value, at: now, expires: now + ttlMs };
    this.map.delete(key);
    this.map.set(key, e);
    this.prune();
    return e;
  }
  prune(): void {
    const now = Date.now();
    for (const [k, e] of this.map) if (now - e.at > this.maxStaleMs) this.map.delete(k);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }
  clear(): void {
    this.map.clear();
  }
  get size(): number {
    return this.map.size;
  }
}

/** Marks the database down after a connection error and probes it with backoff until it answers. */
export class DbGuard {
  private downSince: number | null = null;
  private reason = '';
  private attempt = 0;
  private nextAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  constructor(
    private probe: () => Promise<void>,
    private backoff: number[],
    private onEvent: (event: 'db_fail' | 'db_recover', fields: Record<string, unknown>) => void,
  ) {}
  get down(): boolean {
    return this.downSince !== null;
  }
  get why(): string {
    return this.reason;
  }
  retryInMs(): number {
    return Math.max(0, this.nextAt - Date.now());
  }
  fail(reason: string): void {
    if (this.down || this.disposed) return;
    this.downSince = Date.now();
    this.reason = reason;
    this.attempt = 0;
    this.onEvent('db_fail', { reason });
    this.schedule();
  }
  private schedule(): void {
    if (this.disposed) return;
    const d = this.backoff[Math.min(this.attempt, this.backoff.length - 1)];
    this.nextAt = Date.now() + d;
    this.timer = setTimeout(() => void this.run(), d);
    this.timer.unref?.();
  }
  private async run(): Promise<void> {
    try {
      await this.probe();
      if (this.disposed) return;
      this.onEvent('db_recover', { down_ms: Date.now() - (this.downSince ?? Date.now()), attempts: this.attempt + 1 });
      this.downSince = null;
      this.reason = '';
    } catch (e) {
      this.attempt++;
      this.reason = describePgError(e);
      this.schedule();
    }
  }
  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

function classify(e: unknown): { code: NoticeCode; kind: 'timeout' | 'unavailable' | null; reason: string } {
  const code = (e as { code?: string })?.code;
  const msg = (e as Error)?.message ?? '';
  if (code === '57014' || /Query read timeout|statement timeout/i.test(msg)) return { code: 'DB_TIMEOUT', kind: 'timeout', reason: describePgError(e) };
  if (isUnavailable(e)) return { code: 'DB_CONN', kind: 'unavailable', reason: describePgError(e) };
  if (code === '42P01' || code === '42703' || code === '42883') return { code: 'SCHEMA_DRIFT', kind: null, reason: describePgError(e) };
  return { code: 'DB_CONN', kind: null, reason: describePgError(e) };
}

export interface TrendArgs {
  tag: string;
  window?: WindowName;
  bucket?: BucketName;
  from?: string;
  to?: string;
  now?: string;
}

export interface ResolvedRange {
  from: string;
  to: string;
  toInclusive: boolean;
  bucket: BucketName;
  window: WindowName | null;
}

/** A window (now−W ≤ bucket ≤ now) or an explicit [from, to) range; the bucket from §B8 unless given. */
export function resolveRange(a: TrendArgs, fixedBucket?: BucketName): ResolvedRange {
  if (a.window) {
    const nowMs = a.now ? Date.parse(a.now) : Date.now();
    const to = a.now ?? new Date(nowMs).toISOString();
    const from = new Date(nowMs - WINDOW_SECONDS[a.window] * 1000).toISOString();
    return { from, to, toInclusive: true, bucket: fixedBucket ?? a.bucket ?? bucketForWindow(a.window), window: a.window };
  }
  if (!a.from || !a.to) throw new ApiError('validation', 'give a window, or both from and to', because('window_required'));
  const span = (Date.parse(a.to) - Date.parse(a.from)) / 1000;
  if (!(span > 0)) throw new ApiError('validation', `from (${a.from}) must be before to (${a.to})`, because('window_order', { from: a.from, to: a.to }));
  return { from: a.from, to: a.to, toInclusive: false, bucket: fixedBucket ?? a.bucket ?? bucketForSeconds(span), window: null };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of the writable tables

export type QcRuleInput = Omit<QcRule, 'meta'> & { meta?: Record<string, unknown> | null };

/** min < max; the bounds nest: min_val ≤ crit_min ≤ warn_min < warn_max ≤ crit_max ≤ max_val (NULL bounds skipped). */
export function validateQcRule(r: QcRuleInput): string[] {
  const errs: string[] = [];
  const lower: [string, number | null][] = [
    ['min_val', r.min_val],
    ['crit_min', r.crit_min],
    ['warn_min', r.warn_min],
  ];
  const upper: [string, number | null][] = [
    ['warn_max', r.warn_max],
    ['crit_max', r.crit_max],
    ['max_val', r.max_val],
  ];
  const set = (xs: [string, number | null][]) => xs.filter((x): x is [string, number] => x[1] !== null && x[1] !== undefined);
  const lo = set(lower);
  const hi = set(upper);
  for (let i = 1; i < lo.length; i++) if (lo[i][1] < lo[i - 1][1]) errs.push(`${lo[i][0]} (${lo[i][1]}) must not be below ${lo[i - 1][0]} (${lo[i - 1][1]}): warn limits lie inside crit limits inside the hard limits`);
  for (let i = 1; i < hi.length; i++) if (hi[i][1] < hi[i - 1][1]) errs.push(`${hi[i][0]} (${hi[i][1]}) must not be below ${hi[i - 1][0]} (${hi[i - 1][1]}): warn limits lie inside crit limits inside the hard limits`);
  for (const [ln, lv] of lo) for (const [hn, hv] of hi) if (!(lv < hv)) errs.push(`${ln} (${lv}) must be below ${hn} (${hv})`);
  if (r.allow_negative === false) for (const [n, v] of [...lo, ...hi]) if (v < 0) errs.push(`${n} is negative (${v}) but allow_negative is false`);
  const positive: (keyof QcRuleInput)[] = ['max_step', 'roc_max_per_min', 'spike_zscore'];
  for (const k of positive) {
    const v = r[k] as number | null;
    if (v !== null && v !== undefined && !(v > 0)) errs.push(`${k} must be greater than 0`);
  }
  if (r.max_gap_seconds !== null && r.max_gap_seconds !== undefined && !(Number.isInteger(r.max_gap_seconds) && r.max_gap_seconds > 0))
    errs.push('max_gap_seconds must be a whole number of seconds greater than 0');
  if (r.deadband_pct !== null && r.deadband_pct !== undefined && !(r.deadband_pct >= 0 && r.deadband_pct <= 100)) errs.push('deadband_pct must be between 0 and 100');
  return [...new Set(errs)];
}

export interface ExpectationInput {
  tag_name: string;
  exp_per_min: number;
  slo_warn: number;
  slo_crit: number;
}
export function validateExpectation(e: ExpectationInput): string[] {
  const errs: string[] = [];
  if (!(Number.isInteger(e.exp_per_min) && e.exp_per_min >= 1 && e.exp_per_min <= 60_000)) errs.push('exp_per_min must be a whole number between 1 and 60000');
  for (const k of ['slo_warn', 'slo_crit'] as const) if (!(e[k] > 0 && e[k] <= 1)) errs.push(`${k} must be above 0 and at most 1`);
  if (e.slo_crit > e.slo_warn) errs.push(`slo_crit (${e.slo_crit}) must not be above slo_warn (${e.slo_warn})`);
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------

export class TelemetryService {
  readonly cache: TtlCache;
  private inflight = new Map<string, Promise<{ value: unknown; at: number }>>();
  private guard: DbGuard;
  private logger = log('telemetry');
  private refreshing: Promise<unknown> = Promise.resolve();
  private ttl: TtlConfig;

  constructor(
    private dbs: Databases,
    opts: { ttl?: Partial<TtlConfig>; backoffMs?: number[] } = {},
  ) {
    this.ttl = { ...DEFAULT_TTL, ...opts.ttl };
    this.cache = new TtlCache(this.ttl.maxEntries, this.ttl.maxStaleMs);
    this.guard = new DbGuard(
      async () => {
        await this.read.query('SELECT 1');
      },
      opts.backoffMs ?? BACKOFF_MS,
      (event, fields) => (event === 'db_fail' ? this.logger.warn({ event, ...fields }, event) : this.logger.info({ event, ...fields }, event)),
    );
  }

  get read(): pg.Pool {
    return this.dbs.pool('telemetry', 'read');
  }
  get job(): pg.Pool {
    return this.dbs.pool('telemetry', 'job');
  }
  get databaseDown(): boolean {
    return this.guard.down;
  }

  /**
   * The cached read path: fresh entry → it; else one shared query; on failure the last good value, stale.
   * `event` is logged on success with the design's common fields.
   */
  private async served<T extends object>(
    key: string,
    ttlMs: number,
    fields: { event: string; range?: string; tag?: string; view: string },
    fetch: () => Promise<T>,
    rowcount: (v: T) => number,
  ): Promise<Served<T>> {
    const t0 = performance.now();
    const hit = this.cache.get(key);
    const done = (value: T, at: number, meta: Partial<ServedMeta>): Served<T> => {
      const rc = rowcount(value);
      const out = { ...value, stale: false, servedAt: new Date(at).toISOString(), cacheHit: false, ...meta } as Served<T>;
      if (!out.notice && rc === 0) out.notice = { code: 'NO_ROWS', message: MESSAGES.NO_ROWS };
      this.logger.info({ ...fields, rowcount: rc, dur_ms: Math.round(performance.now() - t0), cache_hit: out.cacheHit, stale: out.stale }, fields.event);
      return out;
    };
    if (hit && hit.expires > Date.now()) return done(hit.value as T, hit.at, { cacheHit: true });
    const staleOr = (code: NoticeCode, message: string, kind: 'timeout' | 'unavailable' | 'internal', details: ReasonDetails): Served<T> => {
      if (hit) return done(hit.value as T, hit.at, { stale: true, cacheHit: true, notice: { code, message: `${message} Showing data from ${new Date(hit.at).toISOString()}.` } });
      throw new ApiError(kind, message, details);
    };
    if (this.guard.down) {
      const secs = Math.ceil(this.guard.retryInMs() / 1000);
      return staleOr('DB_CONN', `${MESSAGES.DB_CONN} (${this.guard.why}); retrying in ${secs} s.`, 'unavailable', because('telemetry_db_down', { retryInS: secs }));
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = (async () => {
        const value = await fetch();
        const json = JSON.stringify(value);
        if (json.length > PAYLOAD_BLOAT_BYTES) this.logger.warn({ ...fields, event: 'payload_bloat', bytes: json.length }, 'payload_bloat');
        const e = this.cache.set(key, value, ttlMs);
        return { value, at: e.at };
      })().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    try {
      const r = await p;
      return done(r.value as T, r.at, {});
    } catch (e) {
      if (e instanceof ApiError) throw e;
      const c = classify(e);
      if (c.code === 'DB_CONN' && c.kind === 'unavailable') this.guard.fail(c.reason);
      else this.logger.warn({ ...fields, event: 'db_fail', code: c.code, reason: c.reason }, 'db_fail');
      if (c.code === 'DB_TIMEOUT') return staleOr('DB_TIMEOUT', MESSAGES.DB_TIMEOUT, 'timeout', because('telemetry_db_timeout'));
      if (c.code === 'SCHEMA_DRIFT') return staleOr('SCHEMA_DRIFT', `${MESSAGES.SCHEMA_DRIFT} (${c.reason})`, 'internal', because('telemetry_schema'));
      if (c.kind === 'unavailable') return staleOr('DB_CONN', `${MESSAGES.DB_CONN} (${c.reason}); retrying in ${Math.ceil(this.guard.retryInMs() / 1000)} s.`, 'unavailable', because('telemetry_db_down', { retryInS: Math.ceil(this.guard.retryInMs() / 1000) }));
      throw e;
    }
  }

  private modeP: Promise<'timescaledb' | 'postgres'> | undefined;
  /** How the aggregates are kept here (asked once). */
  mode(): Promise<'timescaledb' | 'postgres'> {
    this.modeP ??= isTimescale(this.job).then(
      (t) => (t ? 'timescaledb' : 'postgres'),
      (e) => {
        this.modeP = undefined;
        throw e;
      },
    );
    return this.modeP;
  }

  clearCaches(): void {
    this.cache.clear();
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  async kpi(a: { window: WindowName; now?: string }): Promise<Served<KpiResult>> {
    const bucket = bucketForWindow(a.window);
    return this.served(
      `kpi|${a.window}|${a.now ?? ''}`,
      this.ttl.metricsMs,
      { event: 'dash_load_ok', range: a.window, view: BUCKET_RELATION[bucket] },
      () => Q.kpi(this.read, { window: a.window, now: a.now ?? new Date().toISOString() }),
      (v) => v.tiles.filter((t) => t.count > 0).length,
    );
  }

  async latest(a: { now?: string } = {}): Promise<Served<{ rows: LatestRow[] }>> {
    const r = await this.served(
      `latest|${a.now ?? ''}`,
      this.ttl.snapshotMs,
      { event: 'snapshot_refresh', view: 'influx_latest' },
      async () => ({ rows: await Q.latest(this.read, { now: a.now ?? new Date().toISOString() }) }),
      (v) => v.rows.length,
    );
    if (!r.cacheHit || r.stale)
      this.logger.info({ event: 'qc_badge_eval', view: 'influx_qc_rule', rowcount: r.rows.length, alarms: r.rows.filter((x) => x.alarm > 0).length }, 'qc_badge_eval');
    return r;
  }

  async trend(a: TrendArgs): Promise<Served<{ rows: TrendRow[]; bucket: BucketName; from: string; to: string }>> {
    const rr = resolveRange(a);
    return this.served(
      `trend|${a.tag}|${rr.bucket}|${a.window ?? ''}|${a.window ? (a.now ?? '') : `${rr.from}|${rr.to}`}`,
      this.ttl.metricsMs,
      { event: 'range_change_ok', range: a.window ?? `${rr.from}/${rr.to}`, tag: a.tag, view: BUCKET_RELATION[rr.bucket] },
      async () => {
        await Q.assertKnownTag(this.read, a.tag);
        return { rows: await Q.trend(this.read, { tag: a.tag, bucket: rr.bucket, from: rr.from, to: rr.to, toInclusive: rr.toInclusive }), bucket: rr.bucket, from: rr.from, to: rr.to };
      },
      (v) => v.rows.length,
    );
  }

  async tech(a: Omit<TrendArgs, 'bucket'>): Promise<Served<{ rows: TechRow[]; from: string; to: string }>> {
    const rr = resolveRange(a, '1m');
    return this.served(
      `tech|${a.tag}|${a.window ?? ''}|${a.window ? (a.now ?? '') : `${rr.from}|${rr.to}`}`,
      this.ttl.metricsMs,
      { event: 'overlay_toggle', range: a.window ?? `${rr.from}/${rr.to}`, tag: a.tag, view: 'tech_ind_1m_mv' },
      async () => {
        await Q.assertKnownTag(this.read, a.tag);
        return { rows: await Q.tech(this.read, { tag: a.tag, from: rr.from, to: rr.to, toInclusive: rr.toInclusive }), from: rr.from, to: rr.to };
      },
      (v) => v.rows.length,
    );
  }

  async features(a: Omit<TrendArgs, 'bucket' | 'tag'> & { tag?: string }): Promise<Served<{ rows: FeatureRow[]; from: string; to: string }>> {
    const rr = resolveRange({ ...a, tag: a.tag ?? '' }, '1m');
    return this.served(
      `features|${a.tag ?? '*'}|${a.window ?? ''}|${a.window ? (a.now ?? '') : `${rr.from}|${rr.to}`}`,
      this.ttl.featuresMs,
      { event: 'range_change_ok', range: a.window ?? `${rr.from}/${rr.to}`, tag: a.tag, view: 'features_5m' },
      async () => ({ rows: await Q.features(this.read, { tag: a.tag, from: rr.from, to: rr.to, toInclusive: rr.toInclusive }), from: rr.from, to: rr.to }),
      (v) => v.rows.length,
    );
  }

  async overlays(a: Omit<TrendArgs, 'bucket'>): Promise<Served<{ predictions: PredictionRow[]; anomalies: AnomalyRow[]; from: string; to: string }>> {
    const rr = resolveRange(a, '1m');
    return this.served(
      `overlays|${a.tag}|${a.window ?? ''}|${a.window ? (a.now ?? '') : `${rr.from}|${rr.to}`}`,
      this.ttl.metricsMs,
      { event: 'overlay_toggle', range: a.window ?? `${rr.from}/${rr.to}`, tag: a.tag, view: 'predictions' },
      async () => ({ ...(await Q.overlays(this.read, { tag: a.tag, from: rr.from, to: rr.to, toInclusive: rr.toInclusive })), from: rr.from, to: rr.to }),
      (v) => v.predictions.length + v.anomalies.length,
    );
  }

  async comm(a: { tag: string; startDate?: string; now?: string; tz?: Q.CommZone }): Promise<Served<CommResult>> {
    const now = a.now ?? new Date().toISOString();
    const tz = a.tz ?? 'UTC';
    const startDate = a.startDate ?? defaultCommStart(now, tz);
    return this.served(
      `comm|${a.tag}|${startDate}|${tz}|${a.now ?? ''}`,
      a.now ? this.ttl.commMs : Math.min(this.ttl.commMs, msToNextHour()),
      { event: 'comm_load_ok', range: startDate, tag: a.tag, view: 'comm_success_1h' },
      async () => {
        await Q.assertKnownTag(this.read, a.tag);
        return Q.comm(this.read, { tag: a.tag, startDate, now, tz });
      },
      (v) => v.cells.filter((c) => (c.recv_msgs ?? 0) > 0).length,
    );
  }

  async tags(): Promise<Served<{ tags: TagInfo[] }>> {
    return this.served('tags', this.ttl.tagsMs, { event: 'range_change_ok', view: 'influx_latest' }, async () => ({ tags: await Q.tags(this.read) }), (v) => v.tags.length);
  }

  async status(): Promise<TelemetryStatus> {
    const q = this.read;
    const [ts, kinds, s] = await Promise.all([
      isTimescale(q),
      derivedKinds(q),
      Q.refreshState(q),
    ]);
    const r = s[0];
    const iso = (v: string | null) => (v ? pgTimestampToIso(v) : null);
    return {
      mode: ts ? 'timescaledb' : 'postgres',
      relations: Object.entries(kinds).map(([relation, kind]) => ({ relation, kind })),
      pendingInvalidations: r.pending,
      newestSample: iso(r.newest),
      newest1m: iso(r.newest1m),
      lastRefresh: r.lr_at ? { at: iso(r.lr_at)!, value: r.lr } : null,
    };
  }

  // ---- refresh -----------------------------------------------------------------------------------------------

  /** One refresh at a time in this process (the database serialises chunks across processes). */
  async refresh(
    a: { from?: string; to?: string; tablesOnly?: boolean } = {},
    o: { signal?: AbortSignal; progress?: (f: number | null, m?: string) => void; quiet?: boolean } = {},
  ): Promise<RefreshResult> {
    const run = this.refreshing.catch(() => undefined).then(() => refreshTelemetry(this.job, { from: a.from, to: a.to, tablesOnly: a.tablesOnly, signal: o.signal, progress: o.progress }));
    this.refreshing = run;
    const r = await run;
    const wrote = Object.values(r.refreshed).some((n) => n > 0);
    if (!o.quiet || wrote) this.logger.info({ event: 'aggregates_refreshed', ...r }, 'aggregates_refreshed');
    if (!o.quiet) this.clearCaches();
    return r;
  }

  // ---- writes ------------------------------------------------------------------------------------------------

  async listQc(): Promise<QcRule[]> {
    return Q.listQcRules(this.read);
  }

  async saveQc(input: QcRuleInput, user: SessionUser | undefined): Promise<QcRule> {
    if (!TAG_PATTERN.test(input.tag_name)) throw new ApiError('validation', `tag name ${JSON.stringify(input.tag_name)} is not valid (letters, digits, _ . : / -; at most 100)`, because('tag_name_invalid', { tag: input.tag_name }));
    const errs = validateQcRule(input);
    if (errs.length) throw new ApiError('validation', errs.join('; '), { rule: errs, ...because('qc_rule_invalid', { problems: errs.join('; ') }) });
    const row = { ...input, meta: input.meta ?? {} };
    const saved = await withTransaction(this.read, async (c) => {
      const before = await Q.qcRuleForUpdate(c, input.tag_name);
      const out = await Q.upsertQcRule(c, row);
      await writeAudit(c, user, { action: 'telemetry.qc.save', table: 'influx_qc_rule', operation: before ? 'UPDATE' : 'INSERT', target: input.tag_name, before, after: out });
      return out;
    });
    this.clearCaches();
    return saved;
  }

  async deleteQc(tag: string, user: SessionUser | undefined): Promise<{ deleted: true }> {
    await withTransaction(this.read, async (c) => {
      const before = await Q.deleteQcRule(c, tag);
      if (!before) throw new ApiError('not_found', `no QC rule for ${tag}`, because('qc_rule_not_found', { tag }));
      await writeAudit(c, user, { action: 'telemetry.qc.delete', table: 'influx_qc_rule', operation: 'DELETE', target: tag, before });
    });
    this.clearCaches();
    return { deleted: true };
  }

  async listExpectations(): Promise<Expectation[]> {
    return Q.listExpectations(this.read);
  }

  async saveExpectation(input: ExpectationInput, user: SessionUser | undefined): Promise<Expectation> {
    if (!TAG_PATTERN.test(input.tag_name)) throw new ApiError('validation', `tag name ${JSON.stringify(input.tag_name)} is not valid (letters, digits, _ . : / -; at most 100)`, because('tag_name_invalid', { tag: input.tag_name }));
    const errs = validateExpectation(input);
    if (errs.length) throw new ApiError('validation', errs.join('; '), { expectation: errs, ...because('expectation_invalid', { problems: errs.join('; ') }) });
    const saved = await withTransaction(this.read, async (c) => {
      const before = await Q.expectationForUpdate(c, input.tag_name);
      await Q.upsertExpectation(c, input);
      const after = (await Q.listExpectations(c)).find((x) => x.tag_name === input.tag_name)!;
      await writeAudit(c, user, { action: 'telemetry.expectation.save', table: 'ingest_expectation', operation: before ? 'UPDATE' : 'INSERT', target: input.tag_name, before, after });
      return after;
    });
    this.clearCaches();
    return saved;
  }

  async deleteExpectation(tag: string, user: SessionUser | undefined): Promise<{ deleted: true }> {
    await withTransaction(this.read, async (c) => {
      const before = await Q.deleteExpectation(c, tag);
      if (!before) throw new ApiError('not_found', `no ingest expectation for ${tag}`, because('expectation_not_found', { tag }));
      await writeAudit(c, user, { action: 'telemetry.expectation.delete', table: 'ingest_expectation', operation: 'DELETE', target: tag, before });
    });
    this.clearCaches();
    return { deleted: true };
  }

  dispose(): void {
    this.guard.dispose();
  }
}

/** The design's default heatmap start: today (UTC) − 29 days. */
export function defaultCommStart(nowIso: string, tz: Q.CommZone = 'UTC'): string {
  // the zone's calendar day of now (Seoul is UTC+9 all year), then 29 days back
  const d = new Date(Date.parse(nowIso) + (tz === 'Asia/Seoul' ? 9 * 3_600_000 : 0));
  d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() - 29 * 86_400_000).toISOString().slice(0, 10);
}

function msToNextHour(): number {
  const now = Date.now();
  return Math.max(1000, Math.ceil((now + 1) / 3_600_000) * 3_600_000 - now);
}

// ---------------------------------------------------------------------------------------------------------------
// The scheduler

export interface SchedulerJob {
  name: string;
  everyMs: number;
  /** refresh the last `windowMs` (like a policy's start_offset); absent = the invalidation log */
  windowMs?: number;
}

/**
 * Plain PostgreSQL: the invalidation log every tick, and the recent buckets on the design's policy offsets (2 h every
 * minute, 1 day every 10 minutes, 7 days every hour; the 730-day daily pass is left to the invalidation log).
 * TimescaleDB: its own policies refresh the continuous aggregates; the scheduler keeps the console's tables
 * (tech_ind_1m_mv, and features_5m without the toolkit) on the 1-minute policy's window.
 */
export const PLAIN_JOBS: SchedulerJob[] = [
  { name: 'invalidations', everyMs: 10_000 },
  { name: 'recent-2h', everyMs: 60_000, windowMs: 2 * 3_600_000 },
  { name: 'recent-1d', everyMs: 600_000, windowMs: 86_400_000 },
  { name: 'recent-7d', everyMs: 3_600_000, windowMs: 7 * 86_400_000 },
];
export const TIMESCALE_JOBS: SchedulerJob[] = [{ name: 'tables-2h', everyMs: 60_000, windowMs: 2 * 3_600_000 }];

/** Starts the refresh scheduler over the station's service; returns its stopper (the module registers it). */
export function startTelemetryScheduler(svc: TelemetryService, opts: { tickMs?: number; jobs?: SchedulerJob[] } = {}): () => Promise<void> {
  const logger = log('telemetry');
  const tickMs = opts.tickMs ?? 10_000;
  let jobs: SchedulerJob[] | undefined = opts.jobs;
  let timescale = false;
  const lastRun = new Map<string, number>();
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = async () => {
    if (running || stopped) return;
    running = (async () => {
      try {
        timescale = (await svc.mode()) === 'timescaledb';
        jobs ??= timescale ? TIMESCALE_JOBS : PLAIN_JOBS;
        const now = Date.now();
        for (const j of jobs) {
          if (stopped) break;
          if (now - (lastRun.get(j.name) ?? -Infinity) < j.everyMs) continue;
          lastRun.set(j.name, now);
          const t0 = performance.now();
          const r = j.windowMs
            ? await svc.refresh({ from: new Date(now - j.windowMs).toISOString(), to: new Date(now + 1).toISOString(), tablesOnly: timescale }, { quiet: true })
            : await svc.refresh({}, { quiet: true });
          logger.debug({ event: 'scheduled_refresh', job: j.name, dur_ms: Math.round(performance.now() - t0), refreshed: r.refreshed }, 'scheduled_refresh');
        }
      } catch (e) {
        logger.warn({ event: 'scheduled_refresh_failed', err: describePgError(e) }, 'scheduled refresh failed; next tick retries');
      } finally {
        running = undefined;
      }
    })();
    await running;
  };

  void tick();
  const timer = setInterval(() => void tick(), tickMs);
  timer.unref?.();
  const stop = async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
  return stop;
}
