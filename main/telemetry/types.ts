/**
 * The telemetry workspace's wire types: what its procedures return (contract.ts) and what the renderer sees through
 * main/api/types.ts, with the fixed vocabulary of windows and buckets. Types and small constant lists only: the
 * rules over them are rules.ts, the queries queries.ts.
 */

/** The design's 13 window options (§2, §10): 1m 5m 10m 60m are minutes; 3m 6m 12m are months (90/180/365 days). */
export const WINDOWS = ['1m', '5m', '10m', '60m', '12h', '24h', '48h', '7d', '14d', '30d', '3m', '6m', '12m'] as const;
export type WindowName = (typeof WINDOWS)[number];
export const DEFAULT_WINDOW: WindowName = '5m';

export const BUCKETS = ['1m', '10m', '1h', '1d'] as const;
export type BucketName = (typeof BUCKETS)[number];

export interface QcRule {
  tag_name: string;
  min_val: number | null;
  max_val: number | null;
  max_step: number | null;
  max_gap_seconds: number | null;
  allow_negative: boolean | null;
  enabled: boolean | null;
  meta: Record<string, unknown> | null;
  warn_min: number | null;
  warn_max: number | null;
  crit_min: number | null;
  crit_max: number | null;
  roc_max_per_min: number | null;
  spike_zscore: number | null;
  deadband_pct: number | null;
}

export interface TrendRow {
  bucket: string;
  tag_name: string;
  n: number;
  avg: number | null;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
  sum: number | null;
  diff: number | null;
}

export interface TechRow {
  bucket: string;
  tag_name: string;
  avg: number | null;
  sma_10: number | null;
  sma_60: number | null;
  bb_top: number | null;
  bb_bot: number | null;
  slope_60: number | null;
}

export interface FeatureRow {
  bucket: string;
  tag_name: string;
  mean_5m: number | null;
  std_5m: number | null;
  min_5m: number | null;
  max_5m: number | null;
  p10_5m: number | null;
  p90_5m: number | null;
  n_5m: number;
}

export interface Expectation {
  tag_name: string;
  exp_per_min: number;
  slo_warn: number;
  slo_crit: number;
  updated_at: string | null;
}

export interface TagInfo {
  tag_name: string;
  latest_ts: string | null;
  latest_value: number | null;
  rule: QcRule | null;
  expectation: Expectation | null;
}

export interface KpiTile {
  tag_name: string;
  /** `last` of the newest bucket in the window */
  value: number | null;
  delta_pct: number;
  gauge_pct: number | null;
  status_level: 0 | 1 | 2 | null;
  range_label: string | null;
  count: number;
  min: number | null;
  max: number | null;
  first: number | null;
  last: number | null;
  /** time of the sample that gave `value` */
  ts: string | null;
  /** start of the newest bucket in the window */
  bucket: string | null;
  /** the design's widget contract (§5): formatted for the tile, times in Asia/Seoul */
  value_s: string;
  delta_s: string;
  ts_s: string;
}

export interface KpiResult {
  window: WindowName;
  bucket: BucketName;
  now: string;
  tiles: KpiTile[];
}

export type CommState = 'ok' | 'late' | 'lost';

export interface LatestRow {
  tag_name: string;
  ts: string;
  value: number;
  age_s: number;
  /** expected seconds between samples (60 / exp_per_min; 60 without an expectation) */
  expected_interval_s: number;
  comm: CommState;
  /** status level of the latest value against the tag's enabled QC rule (decisions 5) */
  alarm: 0 | 1 | 2;
  ts_s: string;
}

export interface CommCell {
  bucket_utc: string;
  /** null = no data (the hour has not ended at `now`) */
  success_rate: number | null;
  recv_msgs: number | null;
  exp_msgs: number;
  missing_msgs: number | null;
  /** the last minute with a message in the hour */
  last_seen_min: string | null;
}

export interface Outage {
  start_ts_utc: string;
  end_ts_utc: string;
  hours: number;
}

export interface CommResult {
  tag_name: string;
  start: string;
  now: string;
  exp_per_min: number;
  slo_warn: number;
  slo_crit: number;
  /** false when the tag has no ingest_expectation row (the table's defaults apply) */
  has_expectation: boolean;
  cells: CommCell[];
  outages: Outage[];
}

export interface PredictionRow {
  ts: string;
  tag_name: string;
  horizon: string;
  yhat: number;
  pi_low: number | null;
  pi_high: number | null;
  model_id: string;
  version: string;
}

export interface AnomalyRow {
  ts: string;
  tag_name: string;
  score: number;
  level: string;
  context: unknown;
}

// ----- answers of the service (cached, possibly stale) ------------------------------------------------------------

export type NoticeCode = 'DB_TIMEOUT' | 'DB_CONN' | 'NO_ROWS' | 'SCHEMA_DRIFT' | 'PAYLOAD_BLOAT';
export interface Notice {
  code: NoticeCode;
  message: string;
}
export interface ServedMeta {
  /** true when the database failed and this is the last good answer */
  stale: boolean;
  /** when this answer was read from the database (ISO, UTC) */
  servedAt: string;
  cacheHit: boolean;
  notice?: Notice;
}
export type Served<T> = T & ServedMeta;

export interface TelemetryStatus {
  mode: 'timescaledb' | 'postgres';
  relations: { relation: string; kind: string }[];
  pendingInvalidations: number;
  newestSample: string | null;
  newest1m: string | null;
  lastRefresh: { at: string; value: unknown } | null;
}

declare module '../api/events' {
  interface ApiEvents {
    /** new telemetry rows arrived (simulator or ingest), so dashboards may refresh */
    'telemetry.appended': { tags: string[]; lastTs: string };
  }
}
