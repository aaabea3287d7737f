/**
 * Pure builders for the telemetry screens: chart options, gauge geometry, the comm heatmap model.
 * No React, no ECharts instance: tested in options.test.ts.
 */
import type { EChartsOption } from 'echarts';
import { PLANT_OFFSET_MS, fmtPlantAxis, toPlantAxis } from '../../lib/time';
import type { TrendRow, TechRow, CommCell, PredictionRow, AnomalyRow } from '../../../../main/api/types';

export const SERIES = ['avg', 'min', 'max', 'last', 'first'] as const;
export type SeriesKey = (typeof SERIES)[number];
export const TECH_SERIES = ['avg', 'sma_10', 'sma_60', 'bb_top', 'bb_bot'] as const;
export type TechKey = (typeof TECH_SERIES)[number];

/** Asia/Seoul wall time of a UTC instant (no DST in Korea): 'YYYY-MM-DD HH:mm:ss'. */
export function kst(iso: string | null | undefined, withSeconds = true): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = new Date(t + 9 * 3600_000).toISOString().replace('T', ' ');
  return withSeconds ? s.slice(0, 19) : s.slice(0, 16);
}

export const STATUS_COLORS = ['#1a7f37', '#b26a00', '#c62828'] as const;
export function statusColor(level: number | null | undefined): string {
  return level === null || level === undefined ? '#8899aa' : STATUS_COLORS[Math.max(0, Math.min(2, level))];
}

export function fmtValue(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits);
}

/** Δ% as the tile shows it: sign, one decimal, arrow and tone (neutral at 0). */
export function deltaView(pct: number | null | undefined): { text: string; arrow: '▲' | '▼' | '■'; tone: 'up' | 'down' | 'flat' } {
  const p = pct ?? 0;
  if (Math.abs(p) < 0.05) return { text: '+0.0%', arrow: '■', tone: 'flat' };
  return { text: `${p > 0 ? '+' : ''}${p.toFixed(1)}%`, arrow: p > 0 ? '▲' : '▼', tone: p > 0 ? 'up' : 'down' };
}

/**
 * SVG arc of a 240° gauge for 0..100 %: the track and the value arc as path strings (viewBox 0 0 100 100).
 */
export function gaugeArcs(pct: number | null | undefined): { track: string; value: string; clamped: number } {
  const p = Math.max(0, Math.min(100, pct ?? 0));
  const cx = 50;
  const cy = 54;
  const r = 40;
  const start = 150; // degrees, clockwise from +x
  const sweep = 240;
  const pt = (deg: number) => {
    const a = (deg * Math.PI) / 180;
    return `${(cx + r * Math.cos(a)).toFixed(3)} ${(cy + r * Math.sin(a)).toFixed(3)}`;
  };
  const arc = (from: number, to: number) => `M ${pt(from)} A ${r} ${r} 0 ${to - from > 180 ? 1 : 0} 1 ${pt(to)}`;
  return { track: arc(start, start + sweep), value: p <= 0 ? '' : arc(start, start + (sweep * p) / 100), clamped: p };
}

const SERIES_COLORS: Record<string, string> = { avg: '#0b62c4', min: '#009e73', max: '#d55e00', last: '#cc79a7', first: '#e69f00', sma_10: '#0b62c4', sma_60: '#d55e00', bb_top: '#7f8c8d', bb_bot: '#7f8c8d' };

function baseTimeOption(dark: boolean): EChartsOption {
  const text = dark ? '#e6edf3' : '#1b232c';
  return {
    animation: false,
    // x values are plant-axis numbers (UTC + 9 h, lib/time.ts): with useUTC the ticks and labels are Seoul's
    useUTC: true,
    textStyle: { fontFamily: 'Noto Sans KR, sans-serif', color: text },
    grid: { left: 56, right: 24, top: 36, bottom: 64 },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'cross' },
      formatter: (params: unknown) => {
        // a point is [t, y] from a series' own data, or a dataset row with encode naming its t and y columns
        const ps = params as { axisValue: number; seriesName: string; value: (number | null)[]; encode?: { x?: number[]; y?: number[] }; marker: string }[];
        if (!ps.length) return '';
        const t = ps[0].value[ps[0].encode?.x?.[0] ?? 0] ?? ps[0].axisValue;
        const head = `${fmtPlantAxis(t, true)} KST`;
        return [head, ...ps.map((p) => `${p.marker}${p.seriesName}: ${fmtValue(p.value[p.encode?.y?.[0] ?? 1], 2)}`)].join('<br/>');
      },
    },
    legend: { top: 4, textStyle: { color: text } },
    xAxis: {
      type: 'time',
      axisLabel: {
        color: text,
        formatter: (v: number) => fmtPlantAxis(v).slice(5),
      },
    },
    yAxis: { type: 'value', scale: true, axisLabel: { color: text }, splitLine: { lineStyle: { color: dark ? '#2d3a46' : '#e3e8ee' } } },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 22, bottom: 12 }],
  };
}

/**
 * Bucket rows as one columnar dataset shared by their line series: `t` (epoch ms) plus one column per shown key.
 * ECharts reads columns without a [t, y] array per point: about half the render time of 10 000 buckets × 5 series
 * (npm run bench ui).
 */
function bucketDataset<K extends string>(rows: readonly ({ bucket: string } & Record<K, number | null>)[], keys: readonly K[], visible: Record<K, boolean>) {
  const shown = keys.filter((k) => visible[k]);
  const t = rows.map((r) => toPlantAxis(r.bucket));
  const source: Record<string, (number | null)[]> = { t };
  for (const k of shown) source[k] = rows.map((r) => r[k]);
  return { shown, t, dataset: { dimensions: ['t', ...shown], source } };
}

/** How a series is named in the legend and tooltip: the operator's language (telemetry:series.<key>); the key by default. */
export type SeriesLabel = (key: string) => string;
const asKey: SeriesLabel = (k) => k;

/** A line series over one column of the bucket dataset: `id` is the column, `name` what the operator reads. */
function bucketLine(key: string, label: SeriesLabel) {
  return { id: key, name: label(key), type: 'line' as const, datasetIndex: 0, encode: { x: 't', y: key }, itemStyle: { color: SERIES_COLORS[key] } };
}

export function trendOption(
  rows: TrendRow[],
  visible: Record<SeriesKey, boolean>,
  overlays: { predictions?: PredictionRow[]; anomalies?: AnomalyRow[] } = {},
  dark = false,
  label: SeriesLabel = asKey,
): EChartsOption {
  const { shown, t, dataset } = bucketDataset(rows, SERIES, visible);
  const series: NonNullable<EChartsOption['series']> = shown.map((k) => ({
    ...bucketLine(k, label),
    showSymbol: rows.length < 120,
    // LTTB keeps the average's shape; the envelope series keep each pixel column's extremes (a spike in max or a
    // dip in min must not be sampled away), and min-max costs a fraction of LTTB
    sampling: k === 'avg' ? ('lttb' as const) : ('minmax' as const),
    connectNulls: false,
    lineStyle: { width: k === 'avg' ? 2 : 1 },
  }));
  const preds = overlays.predictions ?? [];
  if (preds.length) {
    const withBand = preds.filter((p) => p.pi_low !== null && p.pi_high !== null);
    series.push({ id: 'forecast', name: label('forecast'), type: 'line', showSymbol: false, lineStyle: { type: 'dashed' }, itemStyle: { color: '#6f42c1' }, data: preds.map((p) => [toPlantAxis(p.ts), p.yhat]) });
    if (withBand.length) {
      // the interval band: a transparent lower line and a filled difference stacked on it
      series.push({ id: 'pi_low', name: 'pi_low', type: 'line', stack: 'band', showSymbol: false, lineStyle: { opacity: 0 }, data: withBand.map((p) => [toPlantAxis(p.ts), p.pi_low]), tooltip: { show: false } });
      series.push({ id: 'interval', name: label('interval'), type: 'line', stack: 'band', showSymbol: false, lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(111,66,193,0.18)' }, data: withBand.map((p) => [toPlantAxis(p.ts), (p.pi_high as number) - (p.pi_low as number)]) });
    }
  }
  const an = overlays.anomalies ?? [];
  if (an.length) {
    const byTs = new Map(rows.map((r, i) => [t[i], r.avg]));
    series.push({ id: 'anomaly', name: label('anomaly'), type: 'scatter', symbolSize: 12, itemStyle: { color: '#c62828' }, data: an.map((a) => [toPlantAxis(a.ts), byTs.get(toPlantAxis(a.ts)) ?? null, a.score]) });
  }
  // the band's transparent lower line is no legend entry
  const legendData = (series as { id: string; name: string }[]).filter((s) => s.id !== 'pi_low').map((s) => s.name);
  const base = baseTimeOption(dark);
  // the zoom slider's data shadow re-draws the first series unsampled: past 5 000 buckets it costs more than the chart
  const dataZoom = rows.length > 5000 ? [{ type: 'inside' as const }, { type: 'slider' as const, height: 22, bottom: 12, showDataShadow: false }] : base.dataZoom;
  return { ...base, dataZoom, legend: { ...(base.legend as object), data: legendData }, dataset, series };
}

export function techOption(rows: TechRow[], visible: Record<TechKey, boolean>, dark = false, label: SeriesLabel = asKey): EChartsOption {
  const { shown, dataset } = bucketDataset(rows, TECH_SERIES, visible);
  const series = shown.map((k) => ({
    ...bucketLine(k, label),
    showSymbol: false,
    sampling: 'lttb' as const,
    lineStyle: { width: k === 'avg' ? 2 : 1, type: (k.startsWith('bb') ? 'dashed' : 'solid') as 'dashed' | 'solid' },
  }));
  return { ...baseTimeOption(dark), dataset, series };
}

/** Okabe–Ito based red→amber→green scale (distinguishable with common colour-vision deficiencies). */
export function commColor(rate: number | null, sloWarn: number, sloCrit: number): string | null {
  if (rate === null) return null;
  if (rate < sloCrit) return rate < sloCrit / 2 ? '#a63603' : '#d55e00';
  if (rate < sloWarn) return '#e69f00';
  return rate >= 0.999 ? '#009e73' : '#56b4a0';
}

export interface HeatCell extends CommCell {
  day: number; // 0..29 (column), Seoul day from start
  hour: number; // 0..23 (row), Seoul hour of bucket
}
/**
 * cells (30 Seoul days × 24 hours from `start` at 00:00 KST, as telemetry.comm with tz 'Asia/Seoul' returns them)
 * → a lookup by [hour][day] and the day labels (MM-DD, Seoul dates).
 */
export function heatmapModel(cells: CommCell[], start: string): { grid: (HeatCell | null)[][]; days: string[] } {
  const t0 = Date.parse(`${start}T00:00:00Z`) - PLANT_OFFSET_MS; // 00:00 KST of start
  const grid: (HeatCell | null)[][] = Array.from({ length: 24 }, () => Array.from({ length: 30 }, () => null));
  for (const c of cells) {
    const t = Date.parse(c.bucket_utc);
    const day = Math.floor((t - t0) / 86_400_000);
    const hour = new Date(t + PLANT_OFFSET_MS).getUTCHours();
    if (day >= 0 && day < 30) grid[hour][day] = { ...c, day, hour };
  }
  const days = Array.from({ length: 30 }, (_, d) => new Date(t0 + PLANT_OFFSET_MS + d * 86_400_000).toISOString().slice(5, 10));
  return { grid, days };
}

/** Shift a calendar date string (YYYY-MM-DD) by whole days. */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
