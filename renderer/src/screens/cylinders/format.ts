/**
 * Pure helpers of the Cylinders workspace: filter state ⇄ URL ⇄ API input, status tones, sorting, paging,
 * the bulk paste of cylinder numbers, export bytes. No React, no i18n: tested in format.test.ts.
 */
import type { ExportResult, ListSort, SummaryRow } from '../../../../main/api/types';

/** The single-value column filters (the §4.3 columns) and their URL parameter names. */
export const COLUMN_FILTERS = [
  { key: 'gas', param: 'gas', option: 'gases' },
  { key: 'capacity', param: 'cap', option: 'capacities' },
  { key: 'valve', param: 'valve', option: 'valves' },
  { key: 'cylinderSpec', param: 'spec', option: 'cylinderSpecs' },
  { key: 'enduser', param: 'eu', option: 'endusers' },
  { key: 'location', param: 'loc', option: 'locations' },
] as const;
export type ColumnFilterKey = (typeof COLUMN_FILTERS)[number]['key'];

/**
 * What the filter bar holds. `undefined` = no filter; `''` is a real value (a cylinder with no gas name or no
 * location yet), sent as `['']` (the contract drops only a lone empty string).
 */
export interface UiFilters {
  gas?: string;
  capacity?: string;
  valve?: string;
  cylinderSpec?: string;
  enduser?: string;
  location?: string;
  status: string[];
  availableOnly: boolean;
  /** a summary row's cylinder type (drill-down) */
  typeKey?: string;
}

export const EMPTY_FILTERS: UiFilters = { status: [], availableOnly: false };

export function filtersFromParams(p: URLSearchParams): UiFilters {
  const f: UiFilters = { status: p.getAll('st'), availableOnly: p.get('avail') === '1' };
  for (const c of COLUMN_FILTERS) if (p.has(c.param)) f[c.key] = p.get(c.param) ?? '';
  const type = p.get('type');
  if (type && /^[0-9a-f]{32}$/.test(type)) f.typeKey = type;
  return f;
}

/** Writes the filters into `p` (other parameters kept), removing what is unset. */
export function writeFilterParams(f: UiFilters, p: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const out = new URLSearchParams(p);
  for (const c of COLUMN_FILTERS) {
    out.delete(c.param);
    const v = f[c.key];
    if (v !== undefined) out.set(c.param, v);
  }
  out.delete('st');
  for (const s of f.status) out.append('st', s);
  out.delete('avail');
  if (f.availableOnly) out.set('avail', '1');
  out.delete('type');
  if (f.typeKey) out.set('type', f.typeKey);
  return out;
}

/**
 * The query of a HashRouter URL as it is *now*. Handlers start from this, not from the rendered search params:
 * react-router commits navigations in a transition, so two quick changes (pick a gas, then tick "available only")
 * would otherwise build the second on a URL without the first.
 */
export function paramsFromHash(hash: string): URLSearchParams {
  const i = hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
}
export const liveParams = (): URLSearchParams => paramsFromHash(window.location.hash);

export function sameFilters(a: UiFilters, b: UiFilters): boolean {
  return writeFilterParams(a).toString() === writeFilterParams(b).toString();
}

export interface ApiFilters {
  gas?: string[];
  capacity?: string[];
  valve?: string[];
  cylinderSpec?: string[];
  enduser?: string[];
  location?: string[];
  status?: string[];
  availableOnly?: boolean;
  typeKey?: string[];
}

/** The `cylinders.summary` / `cylinders.list` filter input. */
export function toApiFilters(f: UiFilters): ApiFilters {
  const out: ApiFilters = {};
  for (const c of COLUMN_FILTERS) {
    const v = f[c.key];
    if (v !== undefined) out[c.key] = [v];
  }
  if (f.status.length) out.status = [...f.status];
  if (f.availableOnly) out.availableOnly = true;
  if (f.typeKey) out.typeKey = [f.typeKey];
  return out;
}

export function activeFilterCount(f: UiFilters): number {
  return COLUMN_FILTERS.filter((c) => f[c.key] !== undefined).length + (f.status.length ? 1 : 0) + (f.availableOnly ? 1 : 0) + (f.typeKey ? 1 : 0);
}

/** Drill-down: the cylinders behind one summary row (its type, status and location). */
export function drillFilters(r: Pick<SummaryRow, 'cylinderTypeKey' | 'status' | 'location'>): UiFilters {
  return { status: [r.status], availableOnly: false, typeKey: r.cylinderTypeKey, location: r.location };
}

// ---------------------------------------------------------------------------------------------------------------

/** Status tones (decisions.md, cylinders 5): the two available statuses are green/blue, faults amber, scrap red. */
const TONES: Record<string, string> = {
  보관: 'stock',
  충전: 'fill',
  분석: 'analysis',
  창입: 'inbound',
  출하: 'shipped',
  이상: 'fault',
  폐기: 'scrap',
  기타: 'other',
};
export function statusTone(status: string): string {
  return TONES[status] ?? 'other';
}
export const AVAILABLE_STATUSES = ['보관', '충전'];

const NUM = new Intl.NumberFormat('en-US');
export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : NUM.format(n);
}
export function pct(part: number, whole: number): string {
  if (!whole) return '—';
  return `${((part / whole) * 100).toFixed(1)}%`;
}

// ---------------------------------------------------------------------------------------------------------------

/** List column → `cylinders.list` sort. */
export const LIST_SORT_KEYS: readonly ListSort[] = ['cylinderNo', 'gasName', 'capacity', 'valveSpec', 'cylinderSpec', 'enduser', 'status', 'location', 'moveDate', 'lastEventAt', 'snapshotUpdatedAt'];
export function isListSort(s: string | null): s is ListSort {
  return s !== null && (LIST_SORT_KEYS as readonly string[]).includes(s);
}

/** Pages (of `size` rows) that hold rows start..end. */
export function pagesFor(start: number, end: number, size: number): number[] {
  if (end < start || start < 0) return [];
  const out: number[] = [];
  for (let p = Math.floor(start / size); p <= Math.floor(end / size); p++) out.push(p);
  return out;
}

/** Adds pages to the wanted list, keeping at most `keep` (the newest), so a long scroll does not refetch everything. */
export function wantPages(current: number[], add: number[], keep = 40): number[] {
  const missing = add.filter((p) => !current.includes(p));
  if (!missing.length) return current;
  const next = [...current, ...missing];
  return next.length > keep ? next.slice(next.length - keep) : next;
}

// ---------------------------------------------------------------------------------------------------------------

/** A pasted block of cylinder numbers (one a line, or separated by spaces, commas, semicolons or tabs). */
export function parseCylinderNos(pasted: string): { all: string[]; unique: string[]; duplicates: string[]; tooLong: string[] } {
  const all = pasted
    .split(/[\s,;]+/)
    .map((s) => s.trim().replace(/^["']|["']$/g, ''))
    .filter(Boolean);
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of all) (seen.has(n) ? dup : seen).add(n);
  return { all, unique: [...seen], duplicates: [...dup], tooLong: [...seen].filter((n) => n.length > 20) };
}

/** The structured part of a policy error (main/cylinders/service.ts puts it in `details`). */
export interface PolicyErrorDetails {
  unknown: string[];
  existing: { cylinderNo: string; id: number; enduser: string; isActive: boolean; reason: string | null }[];
  listedTwice: string[];
  problems: string[];
  tooLong: string[];
  existingId: number | null;
  fields: Record<string, string[]>;
}
export function policyErrorDetails(details: unknown): PolicyErrorDetails {
  const d = (details && typeof details === 'object' ? details : {}) as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const fields: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(d)) if (!['unknown', 'existing', 'listedTwice', 'problems', 'tooLong', 'existingId'].includes(k) && Array.isArray(v)) fields[k] = strings(v);
  return {
    unknown: strings(d.unknown),
    existing: Array.isArray(d.existing) ? (d.existing as PolicyErrorDetails['existing']) : [],
    listedTwice: strings(d.listedTwice),
    problems: strings(d.problems),
    tooLong: strings(d.tooLong),
    existingId: typeof d.existingId === 'number' ? d.existingId : null,
    fields,
  };
}

// ---------------------------------------------------------------------------------------------------------------

/** The bytes (or text) of an export, for a Blob. */
export function exportBytes(r: Pick<ExportResult, 'encoding' | 'data'>): Uint8Array<ArrayBuffer> | string {
  if (r.encoding === 'utf8') return r.data;
  const bin = atob(r.data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Asia/Seoul as 'YYYY-MM-DD HH:mm' without dayjs-timezone (which builds an Intl formatter per call: too slow for
 * list cells on every scroll frame). Korea has kept UTC+9 without daylight saving since 1988.
 */
export function kstMinute(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  return new Date(ms + 9 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/** How long ago `then` was at `now`, in the largest whole unit. */
export function age(then: string | null, now: string | number): { n: number; unit: 's' | 'm' | 'h' | 'd' } | null {
  if (!then) return null;
  const ms = (typeof now === 'number' ? now : Date.parse(now)) - Date.parse(then);
  if (!Number.isFinite(ms)) return null;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return { n: s, unit: 's' };
  if (s < 3600) return { n: Math.floor(s / 60), unit: 'm' };
  if (s < 86400) return { n: Math.floor(s / 3600), unit: 'h' };
  return { n: Math.floor(s / 86400), unit: 'd' };
}

/** A default rule's draft as typed in the editor → the procedure input (blank = any = null). */
export interface RuleDraft {
  id?: number;
  gasName: string;
  capacity: string;
  valveSpecCode: string;
  cylinderSpecCode: string;
  defaultEnduser: string;
  isActive: boolean;
}
export function ruleInput(d: RuleDraft) {
  const blank = (s: string) => (s.trim() === '' ? null : s.trim());
  return {
    ...(d.id !== undefined ? { id: d.id } : {}),
    gasName: d.gasName.trim(),
    capacity: blank(d.capacity),
    valveSpecCode: blank(d.valveSpecCode),
    cylinderSpecCode: blank(d.cylinderSpecCode),
    defaultEnduser: d.defaultEnduser.trim(),
    isActive: d.isActive,
  };
}
/** Problems the editor can tell before asking main (main checks again, and checks FCMS). */
export function ruleDraftProblems(d: RuleDraft): ('gas' | 'capacity' | 'enduser')[] {
  const out: ('gas' | 'capacity' | 'enduser')[] = [];
  if (!d.gasName.trim()) out.push('gas');
  if (d.capacity.trim() && !/^\d{1,12}(\.\d{1,6})?$/.test(d.capacity.trim())) out.push('capacity');
  if (!d.defaultEnduser.trim() || d.defaultEnduser.trim().length > 50) out.push('enduser');
  return out;
}
