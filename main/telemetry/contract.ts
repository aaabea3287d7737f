/** Procedures of the telemetry workspace. Names are `telemetry.<noun>[.<verb>]`; see main/api/kit.ts for proc(). */
import { z } from 'zod';
import { proc, type ProcedureTable } from '../api/kit';
import { COMM_ZONES, TAG_PATTERN, isIsoDate, isIsoWithOffset } from './rules';
import {
  BUCKETS,
  DEFAULT_WINDOW,
  WINDOWS,
  type AnomalyRow,
  type CommResult,
  type Expectation,
  type FeatureRow,
  type KpiResult,
  type LatestRow,
  type PredictionRow,
  type QcRule,
  type Served,
  type TagInfo,
  type TechRow,
  type TelemetryStatus,
  type TrendRow,
} from './types';

const tag = z.string().trim().regex(TAG_PATTERN, 'a tag name: letters, digits, _ . : / - (at most 100)');
const isoTime = z.string().trim().refine(isIsoWithOffset, 'an ISO 8601 time with an offset, e.g. 2025-08-15T00:00:00Z');
const isoDate = z.string().trim().refine(isIsoDate, 'a date YYYY-MM-DD (UTC)');
const windowName = z.enum(WINDOWS);
const bucket = z.enum(BUCKETS);

/** A window (now−W ≤ bucket ≤ now, `now` defaults to the present) or an explicit range (from ≤ bucket < to). */
const range = z
  .object({
    window: windowName.optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    now: isoTime.optional(),
  })
  .refine((v) => (v.window ? !v.from && !v.to : Boolean(v.from && v.to)), { message: 'give either a window, or both from and to', path: ['window'] })
  .refine((v) => !v.from || !v.to || Date.parse(v.from) < Date.parse(v.to), { message: 'from must be before to', path: ['to'] });

const num = z.number().nullable().default(null);
export const qcRuleInput = z.object({
  tag_name: tag,
  min_val: num,
  max_val: num,
  max_step: num,
  max_gap_seconds: z.number().int('max_gap_seconds: whole seconds').nullable().default(null),
  allow_negative: z.boolean().nullable().default(false),
  enabled: z.boolean().default(true),
  meta: z.record(z.string(), z.unknown()).nullable().default({}),
  warn_min: num,
  warn_max: num,
  crit_min: num,
  crit_max: num,
  roc_max_per_min: num,
  spike_zscore: num,
  deadband_pct: num,
});

export const expectationInput = z.object({
  tag_name: tag,
  exp_per_min: z.number().int('exp_per_min: a whole number').min(1).max(60_000).default(1),
  slo_warn: z.number().gt(0).max(1).default(0.98),
  slo_crit: z.number().gt(0).max(1).default(0.95),
});

export const telemetryProcedures = {
  'telemetry.tags': proc<Served<{ tags: TagInfo[] }>>()({ role: 'viewer', input: z.object({}), summary: 'tags with their latest sample, QC rule and expectation' }),
  'telemetry.kpi': proc<Served<KpiResult>>()({
    role: 'viewer',
    input: z.object({ window: windowName.default(DEFAULT_WINDOW), now: isoTime.optional() }),
    summary: 'one KPI tile per tag for a window (value, delta, gauge, status, range label, mini statistics)',
  }),
  'telemetry.latest': proc<Served<{ rows: LatestRow[] }>>()({
    role: 'viewer',
    input: z.object({ now: isoTime.optional() }),
    summary: 'the latest snapshot table: tag, time, value, comm state, alarm level',
  }),
  'telemetry.trend': proc<Served<{ rows: TrendRow[]; bucket: (typeof BUCKETS)[number]; from: string; to: string }>>()({
    role: 'viewer',
    input: range.and(z.object({ tag, bucket: bucket.optional() })),
    summary: 'aggregate rows of one tag (bucket from the window unless given)',
  }),
  'telemetry.tech': proc<Served<{ rows: TechRow[]; from: string; to: string }>>()({
    role: 'viewer',
    input: range.and(z.object({ tag })),
    summary: '1-minute technical indicators of one tag (SMA 10/60, Bollinger 20, slope 60) with look-back',
  }),
  'telemetry.features': proc<Served<{ rows: FeatureRow[]; from: string; to: string }>>()({
    role: 'viewer',
    input: range.and(z.object({ tag: tag.optional() })),
    summary: '5-minute features (mean, std, min, max, p10, p90, n)',
  }),
  'telemetry.predictions': proc<Served<{ predictions: PredictionRow[]; anomalies: AnomalyRow[]; from: string; to: string }>>()({
    role: 'viewer',
    input: range.and(z.object({ tag })),
    summary: 'forecast and anomaly overlays of one tag (empty when the ML service has written none)',
  }),
  'telemetry.comm': proc<Served<CommResult>>()({
    role: 'viewer',
    input: z.object({ tag, startDate: isoDate.optional(), now: isoTime.optional(), tz: z.enum(COMM_ZONES).optional() }),
    summary: '30 × 24 hourly communication success and outages for one tag; days are UTC days unless tz is Asia/Seoul',
  }),
  'telemetry.status': proc<TelemetryStatus>()({ role: 'viewer', input: z.object({}), summary: 'how the aggregates are kept and how fresh they are' }),
  'telemetry.qc.list': proc<{ rules: QcRule[] }>()({ role: 'viewer', input: z.object({}), summary: 'QC rules' }),
  'telemetry.qc.save': proc<QcRule>()({ role: 'manager', input: qcRuleInput, summary: 'create or replace a tag’s QC rule (validated, audited)' }),
  'telemetry.qc.delete': proc<{ deleted: true }>()({ role: 'manager', input: z.object({ tag_name: tag }), summary: 'delete a tag’s QC rule (audited)' }),
  'telemetry.expectations.list': proc<{ expectations: Expectation[] }>()({ role: 'viewer', input: z.object({}), summary: 'ingest expectations (messages a minute, SLOs)' }),
  'telemetry.expectations.save': proc<Expectation>()({ role: 'manager', input: expectationInput, summary: 'create or replace a tag’s ingest expectation (validated, audited)' }),
  'telemetry.expectations.delete': proc<{ deleted: true }>()({ role: 'manager', input: z.object({ tag_name: tag }), summary: 'delete a tag’s ingest expectation (audited)' }),
  'telemetry.refresh': proc<{ jobId: string }>()({
    role: 'manager',
    input: z
      .object({ from: isoTime.optional(), to: isoTime.optional() })
      .refine((v) => Boolean(v.from) === Boolean(v.to), { message: 'give both from and to, or neither', path: ['to'] })
      .refine((v) => !v.from || !v.to || Date.parse(v.from) < Date.parse(v.to), { message: 'from must be before to', path: ['to'] }),
    summary: 'bring the derived aggregates up to date (a job with progress; without a range: what changed)',
  }),
} satisfies ProcedureTable;
