/**
 * Pure pieces of the inspection workbench: the client-side mask from the stored anomaly map, region geometry,
 * history filters → query, chart options (ECharts), formatting. No React, no DOM: tested in logic.test.ts.
 */
import type { EChartsOption } from 'echarts';
import type { DashboardStatsRow, DefectRateDay, DefectTypeShare, InspectionFilter, Region, ThresholdPreview } from '../../../../main/api/types';

// ------------------------------------------------------------------------------------------------ the mask

/** The smallest 8-bit map value (round(score · 255)) that is at or above a [0, 1] threshold. */
export function thresholdByte(threshold: number): number {
  return Math.max(0, Math.min(256, Math.ceil(threshold * 255 - 1e-6)));
}

/**
 * Paints the mask of `score ≥ threshold` from a greyscale map decoded as RGBA (the map value in R) into `out`
 * (RGBA, same size): `color` with `alpha` where on, transparent elsewhere. Returns the number of mask pixels.
 */
export function paintMask(map: Uint8ClampedArray, out: Uint8ClampedArray, threshold: number, color: [number, number, number] = [255, 0, 64], alpha = 170): number {
  const t = thresholdByte(threshold);
  let n = 0;
  for (let i = 0; i < map.length; i += 4) {
    if (map[i] >= t) {
      out[i] = color[0];
      out[i + 1] = color[1];
      out[i + 2] = color[2];
      out[i + 3] = alpha;
      n++;
    } else out[i + 3] = 0;
  }
  return n;
}

/**
 * Like paintMask, but the mask's edge (a mask pixel with a 4-neighbour outside it) is drawn opaque and its inside
 * faint, so the heatmap and the part stay visible under it. Returns the number of mask pixels.
 */
export function paintMaskOutline(map: Uint8ClampedArray, out: Uint8ClampedArray, width: number, threshold: number, color: [number, number, number] = [255, 0, 64], inside = 70, edge = 255): number {
  const t = thresholdByte(threshold);
  const height = map.length / 4 / width;
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && map[(y * width + x) * 4] >= t;
  let n = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (map[i] < t) {
        out[i + 3] = 0;
        continue;
      }
      n++;
      out[i] = color[0];
      out[i + 1] = color[1];
      out[i + 2] = color[2];
      out[i + 3] = on(x - 1, y) && on(x + 1, y) && on(x, y - 1) && on(x, y + 1) ? inside : edge;
    }
  return n;
}

/** Turbo colour map (Mikhailov 2019, Google's polynomial), as the station's artifacts use: 256 × RGB. */
export function turboLut(): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  const c = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    const x2 = x * x;
    const x3 = x2 * x;
    const x4 = x2 * x2;
    const x5 = x4 * x;
    lut[i * 3] = c(0.13572138 + 4.6153926 * x - 42.66032258 * x2 + 132.13108234 * x3 - 152.94239396 * x4 + 59.28637943 * x5);
    lut[i * 3 + 1] = c(0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5);
    lut[i * 3 + 2] = c(0.1066733 + 12.64194608 * x - 60.58204836 * x2 + 110.36276771 * x3 - 89.90310912 * x4 + 27.34824973 * x5);
  }
  return lut;
}

let turbo: Uint8Array | null = null;

/**
 * The heatmap overlay from the 8-bit map: turbo colours, alpha rising with the score (transparent below `floor`,
 * default 0.5 — well inside the normal range, whose boundary maps to 0.85 — full `opacity` at 1), so the part
 * shows through where nothing is wrong.
 */
export function paintHeat(map: Uint8ClampedArray, out: Uint8ClampedArray, opacity: number, floor = 0.5): void {
  turbo ??= turboLut();
  const f = floor * 255;
  for (let i = 0; i < map.length; i += 4) {
    const v = map[i];
    out[i] = turbo[v * 3];
    out[i + 1] = turbo[v * 3 + 1];
    out[i + 2] = turbo[v * 3 + 2];
    const a = v <= f ? 0 : (v - f) / (255 - f);
    out[i + 3] = Math.round(255 * opacity * Math.min(1, 0.25 + 0.75 * a) * (a > 0 ? 1 : 0));
  }
}

/** Mask pixels at a threshold, without painting. */
export function maskCount(map: Uint8ClampedArray, threshold: number): number {
  const t = thresholdByte(threshold);
  let n = 0;
  for (let i = 0; i < map.length; i += 4) if (map[i] >= t) n++;
  return n;
}

/** A region (original-image pixels) as percentages of the picture, for an absolutely placed box. */
export function regionBox(r: Pick<Region, 'x' | 'y' | 'width' | 'height'>, width: number, height: number): { left: string; top: string; width: string; height: string } {
  const pct = (v: number, of: number) => `${Math.max(0, Math.min(100, (v / of) * 100)).toFixed(3)}%`;
  return { left: pct(r.x, width), top: pct(r.y, height), width: pct(r.width, width), height: pct(r.height, height) };
}

// ------------------------------------------------------------------------------------------------ formatting

export function fmtScore(v: number | null | undefined, digits = 3): string {
  return v == null || Number.isNaN(v) ? '—' : v.toFixed(digits);
}
export function fmtPct(v: number | null | undefined, digits = 1): string {
  return v == null || Number.isNaN(v) ? '—' : `${(v * 100).toFixed(digits)}%`;
}
export function fmtMs(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
export function fmtBytes(n: number | null | undefined): string {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Defect type name in the UI language (Korean name first, the English one or the code otherwise). */
export function defectName(d: { defectNameKo?: string | null; defectNameEn?: string | null; defectCode?: string | null } | null | undefined, lang: string): string {
  if (!d) return '—';
  if (lang === 'ko') return d.defectNameKo ?? d.defectNameEn ?? d.defectCode ?? '—';
  return d.defectNameEn ?? d.defectCode ?? d.defectNameKo ?? '—';
}

// ------------------------------------------------------------------------------------------------ history

export interface HistoryFilters {
  productId: string;
  /** Seoul calendar days, YYYY-MM-DD, inclusive */
  from: string;
  to: string;
  verdict: '' | 'defect' | 'normal';
  actionStatus: '' | 'resolved' | 'pending' | 'none';
  inspectorId: string;
  q: string;
}
export const EMPTY_FILTERS: HistoryFilters = { productId: '', from: '', to: '', verdict: '', actionStatus: '', inspectorId: '', q: '' };

/** Seoul midnight of a calendar day as an ISO instant with offset. */
export function seoulDayStart(day: string): string {
  return `${day}T00:00:00+09:00`;
}
export function addSeoulDays(day: string, n: number): string {
  const t = Date.parse(`${day}T00:00:00Z`) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** The form's filters → the procedure's filter (empty fields left out; `to` is inclusive of its day). */
export function filtersToQuery(f: HistoryFilters): InspectionFilter {
  const q: InspectionFilter = {};
  if (f.productId) q.productId = Number(f.productId);
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.from)) q.from = seoulDayStart(f.from);
  if (/^\d{4}-\d{2}-\d{2}$/.test(f.to)) q.to = seoulDayStart(addSeoulDays(f.to, 1));
  if (f.verdict) q.verdict = f.verdict;
  if (f.actionStatus) q.actionStatus = f.actionStatus;
  if (f.inspectorId) q.inspectorId = Number(f.inspectorId);
  if (f.q.trim()) q.q = f.q.trim();
  return q;
}

// ------------------------------------------------------------------------------------------------ charts

const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#f0e442', '#999999'];
const SEVERITY_COLORS = ['#8899aa', '#56b4e9', '#009e73', '#e69f00', '#d55e00', '#c62828'];

function base(dark: boolean) {
  const text = dark ? '#e6edf3' : '#1b232c';
  const grid = dark ? '#2d3a46' : '#e3e8ee';
  return { text, grid };
}

export interface RateLabels {
  total: string;
  defects: string;
  rate: string;
}

/** Inspections and defects per day (bars) with the defect rate (line, right axis). */
export function defectRateOption(days: DefectRateDay[], labels: RateLabels, dark = false): EChartsOption {
  const { text, grid } = base(dark);
  return {
    animation: false,
    textStyle: { fontFamily: 'Noto Sans KR, sans-serif', color: text },
    grid: { left: 48, right: 56, top: 40, bottom: 40 },
    tooltip: { trigger: 'axis' },
    legend: { top: 4, textStyle: { color: text }, data: [labels.total, labels.defects, labels.rate] },
    xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)), axisLabel: { color: text } },
    yAxis: [
      { type: 'value', minInterval: 1, axisLabel: { color: text }, splitLine: { lineStyle: { color: grid } } },
      { type: 'value', min: 0, max: 100, axisLabel: { color: text, formatter: '{value}%' }, splitLine: { show: false } },
    ],
    series: [
      { name: labels.total, type: 'bar', itemStyle: { color: '#56b4e9' }, data: days.map((d) => d.total) },
      { name: labels.defects, type: 'bar', itemStyle: { color: '#d55e00' }, data: days.map((d) => d.defects) },
      {
        name: labels.rate,
        type: 'line',
        yAxisIndex: 1,
        connectNulls: false,
        itemStyle: { color: '#c62828' },
        data: days.map((d) => (d.rate == null ? null : Math.round(d.rate * 1000) / 10)),
      },
    ],
  };
}

/**
 * Over several products the same defect (e.g. hole) is a type per product: merged by code, keeping the highest
 * severity, most frequent first.
 */
export function mergeSharesByCode(shares: DefectTypeShare[]): DefectTypeShare[] {
  const by = new Map<string, DefectTypeShare>();
  for (const s of shares) {
    const k = s.defectCode ?? '';
    const cur = by.get(k);
    if (!cur) by.set(k, { ...s });
    else {
      cur.count += s.count;
      cur.share += s.share;
      cur.severityLevel = Math.max(cur.severityLevel ?? 0, s.severityLevel ?? 0) || null;
    }
  }
  return [...by.values()].sort((a, b) => b.count - a.count || (a.defectCode ?? '~').localeCompare(b.defectCode ?? '~'));
}

/** Defective inspections per defect type (horizontal bars coloured by severity). */
export function defectTypeOption(shares: DefectTypeShare[], lang: string, unclassified: string, dark = false): EChartsOption {
  const { text, grid } = base(dark);
  const rows = [...shares].reverse();
  const name = (s: DefectTypeShare) => (s.defectTypeId == null ? unclassified : lang === 'ko' ? (s.defectNameKo ?? s.defectCode ?? '?') : (s.defectCode ?? s.defectNameKo ?? '?'));
  return {
    animation: false,
    textStyle: { fontFamily: 'Noto Sans KR, sans-serif', color: text },
    grid: { left: 96, right: 56, top: 16, bottom: 32 },
    tooltip: { trigger: 'item' },
    xAxis: { type: 'value', minInterval: 1, axisLabel: { color: text }, splitLine: { lineStyle: { color: grid } } },
    yAxis: { type: 'category', data: rows.map(name), axisLabel: { color: text } },
    series: [
      {
        type: 'bar',
        data: rows.map((s) => ({ value: s.count, itemStyle: { color: SEVERITY_COLORS[s.severityLevel ?? 0] ?? PALETTE[0] } })),
        label: { show: true, position: 'right', color: text, formatter: (p: unknown) => `${(p as { value: number }).value} (${fmtPct(rows[(p as { dataIndex: number }).dataIndex].share, 0)})` },
      },
    ],
  };
}

export interface PreviewLabels {
  normals: string;
  defects: string;
  history: string;
  threshold: string;
}

/** The threshold preview: each image's score as a dot in its group's row, the candidate threshold as a line. */
export function previewOption(p: ThresholdPreview, threshold: number, labels: PreviewLabels, dark = false): EChartsOption {
  const { text, grid } = base(dark);
  const groups = [
    { name: labels.history, items: p.history.items, color: '#0072b2', y: 0 },
    { name: labels.defects, items: p.defects.items, color: '#d55e00', y: 1 },
    { name: labels.normals, items: p.normals.items, color: '#009e73', y: 2 },
  ];
  // a small deterministic vertical jitter so that equal scores stay visible
  const jitter = (i: number) => (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.5;
  return {
    animation: false,
    textStyle: { fontFamily: 'Noto Sans KR, sans-serif', color: text },
    grid: { left: 24, right: 24, top: 52, bottom: 36 },
    legend: { top: 4, textStyle: { color: text }, data: groups.map((g) => g.name) },
    tooltip: { trigger: 'item', formatter: (x: unknown) => { const d = (x as { data: [number, number, string] }).data; return `${d[2]}: ${d[0].toFixed(3)}`; } },
    xAxis: { type: 'value', min: 0, max: 1, axisLine: { onZero: false }, axisLabel: { color: text }, splitLine: { lineStyle: { color: grid } } },
    // one row per group (the legend names them), dots jittered within their row
    yAxis: { type: 'value', min: -0.5, max: 2.5, show: false },
    series: groups.map((g) => ({
      name: g.name,
      type: 'scatter' as const,
      symbolSize: 9,
      itemStyle: { color: g.color, opacity: 0.8 },
      data: g.items.map((it, i) => [it.score, g.y + jitter(i), it.label]),
      markLine:
        g.y === 0
          ? { symbol: 'none', silent: true, lineStyle: { color: '#c62828', width: 2 }, label: { formatter: `${labels.threshold} ${threshold.toFixed(2)}`, color: text }, data: [{ xAxis: threshold }] }
          : undefined,
    })),
  };
}

/** Preview counts at any threshold, from the scores the procedure returned (the slider moves without a call). */
export function judgeAt(p: ThresholdPreview, threshold: number): { falseNg: number; normals: number; caught: number; defects: number; defectsAt: number; changed: number; history: number } {
  const hist = p.history.items;
  return {
    falseNg: p.normals.items.filter((x) => x.score >= threshold).length,
    normals: p.normals.items.length,
    caught: p.defects.items.filter((x) => x.score >= threshold).length,
    defects: p.defects.items.length,
    defectsAt: hist.filter((x) => x.score >= threshold).length,
    changed: hist.filter((x) => Boolean(x.defectDetected) !== x.score >= threshold).length,
    history: hist.length,
  };
}

/** Totals over the dashboard rows (all products). */
export function totals(rows: DashboardStatsRow[]) {
  const sum = (k: keyof DashboardStatsRow) => rows.reduce((s, r) => s + (Number(r[k]) || 0), 0);
  const total = sum('totalInspectionCount');
  const detected = sum('defectDetectedCount');
  return { total, detected, resolved: sum('resolvedCount'), pending: sum('pendingActionCount'), rate: total ? detected / total : null };
}
