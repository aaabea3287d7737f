/**
 * The cylinder inventory service: everything the Cylinders screens and the CLI ask of `cy_cylinder_current` and the
 * CYNOW policies. Reads use the cylinders `read` pool (short statement timeout); resyncs, exports and policy
 * changes the `job` pool. Every policy change runs in one transaction with its audit row and with the re-applied
 * snapshot rows (the policy triggers of migrations.ts do that inside the same statement).
 */
import type pg from 'pg';
import { ApiError, type SessionUser } from '../api/kit';
import { writeAudit } from '../audit/audit';
import type { Databases } from '../db/pools';
import { log } from '../log';
import { missingFcmsNote, missingFcmsTables, syncInstallState } from './migrations';

// ---------------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------------

export interface CylinderFilters {
  gas?: string[];
  status?: string[];
  enduser?: string[];
  location?: string[];
  /** numbers as text; compared as numbers (47 matches 47 and 47.0) */
  capacity?: string[];
  /** valve group name, or the dashboard valve name of an ungrouped valve */
  valve?: string[];
  cylinderSpec?: string[];
  availableOnly?: boolean;
  typeKey?: string[];
}

export interface SummaryRow {
  cylinderTypeKey: string;
  gasName: string;
  /** numeric text exactly as stored (47 and 47.0 are different cylinder types) */
  capacity: string | null;
  /** the valve group, or the (standardized) dashboard valve name when the valve is in no active group */
  valveSpec: string;
  valveGroup: string | null;
  cylinderSpec: string;
  enduser: string;
  status: string;
  location: string;
  qty: number;
  availableQty: number;
}

export interface SummaryResult {
  rows: SummaryRow[];
  totals: { qty: number; availableQty: number; types: number; rows: number };
}

export const LIST_SORTS = [
  'cylinderNo',
  'gasName',
  'capacity',
  'valveSpec',
  'cylinderSpec',
  'enduser',
  'status',
  'location',
  'moveDate',
  'lastEventAt',
  'snapshotUpdatedAt',
] as const;
export type ListSort = (typeof LIST_SORTS)[number];

/** Columns the summary can be sorted by (the screen's sortable columns; the export follows the same order). */
export const SUMMARY_SORTS = ['gasName', 'capacity', 'valveSpec', 'cylinderSpec', 'enduser', 'status', 'location', 'qty', 'availableQty'] as const;
export type SummarySort = (typeof SUMMARY_SORTS)[number];
export interface SummaryQuery extends CylinderFilters {
  sort?: SummarySort;
  dir?: 'asc' | 'desc';
}

export interface ListQuery extends CylinderFilters {
  /** cylinder number prefix */
  search?: string;
  sort?: ListSort;
  dir?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

export interface CylinderRow {
  cylinderNo: string;
  cylinderTypeKey: string;
  gasName: string;
  capacity: string | null;
  valveSpec: string;
  valveSpecName: string;
  valveGroup: string | null;
  cylinderSpec: string;
  enduser: string;
  status: string;
  statusCategory: string;
  isAvailable: boolean;
  location: string;
  usagePlace: string;
  conditionCode: string;
  moveDate: string | null;
  lastEventAt: string | null;
  snapshotUpdatedAt: string | null;
}

export interface ListResult {
  rows: CylinderRow[];
  total: number;
  offset: number;
  limit: number;
}

export interface FieldComparison {
  field: string;
  label: string;
  raw: string | null;
  dashboard: string | null;
  differs: boolean;
  /** why the dashboard value is what it is */
  reason: string;
}

export interface DefaultRuleRow {
  id: number;
  gasName: string;
  capacity: string | null;
  valveSpecCode: string | null;
  valveSpecName: string | null;
  cylinderSpecCode: string | null;
  cylinderSpecName: string | null;
  defaultEnduser: string;
  isActive: boolean;
  /** non-NULL match columns besides the gas (0..3): the more, the more specific */
  specificity: number;
  /** cylinders whose EndUser this rule decides now (no active exception, most specific matching rule) */
  decides: number;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface ExceptionRow {
  id: number;
  cylinderNo: string;
  enduser: string;
  reason: string | null;
  isActive: boolean;
  /** the cylinder's gas and what the default rules would give without this exception */
  gasName: string | null;
  capacity: string | null;
  ruleEnduser: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface MappingRow {
  id: number;
  groupId: number;
  valveSpecCode: string;
  valveSpecName: string;
  isPrimary: boolean;
  isActive: boolean;
  /** the valve's name in FCMS now (null when the code is unknown); a mapping only matches when they are equal */
  fcmsName: string | null;
  cylinders: number;
}

export interface ValveGroupRow {
  id: number;
  groupName: string;
  description: string | null;
  isActive: boolean;
  primaryValveName: string | null;
  cylinders: number;
  mappings: MappingRow[];
  createdAt: string | null;
  updatedAt: string | null;
}

export interface ValveSpecOption {
  code: string;
  name: string;
  cylinders: number;
  /** the mapping that holds this valve, if any */
  mappingId: number | null;
  groupId: number | null;
}

export interface PolicyEffect {
  /** cylinders whose dashboard row (EndUser, valve name/group, type) changed */
  changed: number;
  /** EndUser moves, e.g. 29 cylinders SDC → LGD */
  moves: { from: string; to: string; qty: number }[];
  /** up to 20 of the changed cylinder numbers */
  sample: string[];
}

export interface DefaultRuleInput {
  id?: number;
  gasName: string;
  capacity?: string | null;
  valveSpecCode?: string | null;
  cylinderSpecCode?: string | null;
  defaultEnduser: string;
  isActive?: boolean;
}

export type DefaultChange = { op: 'save'; rule: DefaultRuleInput } | { op: 'delete'; id: number };

export interface SyncResult {
  synced: number;
  changed: number;
  deleted: number;
  ms: number;
}

export interface Freshness {
  total: number;
  updatedLastHour: number;
  lastUpdate: string | null;
  now: string;
  byEnduser: { enduser: string; qty: number; availableQty: number; lastUpdate: string | null }[];
  source: { fcmsMissing: string[]; fcmsCylinders: number | null; syncInstalled: boolean; missingTriggers: string[]; note: string | null };
}

export interface FilterOptions {
  gases: string[];
  capacities: string[];
  valves: string[];
  cylinderSpecs: string[];
  /** FCMS cylinder specs (code and name) for the EndUser default-rule editor; [] without the FCMS source */
  cylinderSpecCodes: { code: string; name: string }[];
  endusers: string[];
  statuses: string[];
  locations: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// SQL helpers
// ---------------------------------------------------------------------------------------------------------------

/** A naive UTC `timestamp` column as ISO 8601 with Z (pg would otherwise read it in the process's time zone). */
const iso = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Status names in the order the screens show them (decisions.md, cylinders 5). */
export const STATUS_ORDER = ['보관', '충전', '분석', '창입', '출하', '이상', '폐기', '기타'] as const;

/** The default-rule winner order of decisions.md (most specific first, then the design's ORDER BY, then id). */
export const RULE_ORDER = `(d.capacity IS NOT NULL)::int + (d.valve_spec_code IS NOT NULL)::int + (d.cylinder_spec_code IS NOT NULL)::int DESC,
  d.capacity IS NULL, d.valve_spec_code IS NULL, d.cylinder_spec_code IS NULL, d.id`;

class Where {
  readonly parts: string[] = [];
  constructor(readonly args: unknown[] = []) {}
  arg(v: unknown): string {
    this.args.push(v);
    return `$${this.args.length}`;
  }
  add(sql: string): void {
    this.parts.push(sql);
  }
  get sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

const VALVE_EXPR = 'COALESCE(dashboard_valve_group_name, dashboard_valve_spec_name)';

/** WHERE for the filters, over cy_cylinder_current (`snapshot`) or cy_cylinder_type_summary (`summary`). */
function filterWhere(f: CylinderFilters, w = new Where(), over: 'snapshot' | 'summary' = 'snapshot'): Where {
  // one value: plain equality, so an index on (column, cylinder_no) can also give the sort order
  const list = (vals: string[] | undefined, expr: string, cast = 'text[]') => {
    if (!vals || !vals.length) return;
    if (vals.length === 1) w.add(`${expr} = ${w.arg(vals[0])}::${cast.replace('[]', '')}`);
    else w.add(`${expr} = ANY(${w.arg(vals)}::${cast})`);
  };
  list(f.gas, 'dashboard_gas_name');
  list(f.status, 'dashboard_status');
  list(f.enduser, 'dashboard_enduser');
  list(f.location, 'dashboard_location');
  list(f.capacity, 'dashboard_capacity', 'numeric[]');
  list(f.valve, over === 'summary' ? 'valve_spec' : VALVE_EXPR);
  list(f.cylinderSpec, 'dashboard_cylinder_spec_name');
  list(f.typeKey, 'cylinder_type_key');
  // availability follows the status (보관/충전), so a summary row is all available or none
  if (f.availableOnly) w.add(over === 'summary' ? 'available_qty > 0' : 'is_available');
  return w;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const SORT_SQL: Record<ListSort, string> = {
  cylinderNo: 'cylinder_no',
  gasName: 'dashboard_gas_name',
  capacity: 'dashboard_capacity',
  valveSpec: VALVE_EXPR,
  cylinderSpec: 'dashboard_cylinder_spec_name',
  enduser: 'dashboard_enduser',
  status: 'dashboard_status',
  location: 'dashboard_location',
  moveDate: 'move_date',
  lastEventAt: 'last_event_at',
  snapshotUpdatedAt: 'snapshot_updated_at',
};

const ROW_SQL = `cylinder_no AS "cylinderNo", cylinder_type_key AS "cylinderTypeKey", dashboard_gas_name AS "gasName",
  dashboard_capacity::text AS capacity, ${VALVE_EXPR} AS "valveSpec", dashboard_valve_spec_name AS "valveSpecName",
  dashboard_valve_group_name AS "valveGroup", dashboard_cylinder_spec_name AS "cylinderSpec", dashboard_enduser AS enduser,
  dashboard_status AS status, status_category AS "statusCategory", is_available AS "isAvailable", dashboard_location AS location,
  dashboard_usage_place AS "usagePlace", condition_code AS "conditionCode", ${iso('move_date')} AS "moveDate",
  ${iso('last_event_at')} AS "lastEventAt", ${iso('snapshot_updated_at')} AS "snapshotUpdatedAt"`;

function isUndefinedTable(e: unknown): boolean {
  return (e as { code?: string })?.code === '42P01' || (e as { code?: string })?.code === '42883';
}

/** Validates a capacity given as text: a plain non-negative decimal number (kept as typed: 47.0 stays 47.0). */
function parseCapacity(v: string | null | undefined, what = 'capacity'): string | null {
  if (v === undefined || v === null) return null;
  const s = String(v).trim();
  if (s === '') return null;
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(s)) throw new ApiError('validation', `${what} must be a number like 47 or 47.0 (got "${v}")`);
  return s;
}

function cleanText(v: string | null | undefined, what: string, max: number, required: boolean): string | null {
  const s = (v ?? '').trim();
  if (!s) {
    if (required) throw new ApiError('validation', `${what} is required`);
    return null;
  }
  if (s.length > max) throw new ApiError('validation', `${what} is longer than ${max} characters`);
  return s;
}

function describeRule(r: { gasName: string; capacity: string | null; valveSpecCode: string | null; cylinderSpecCode: string | null }): string {
  return `${r.gasName} / capacity ${r.capacity ?? 'any'} / valve ${r.valveSpecCode ?? 'any'} / cylinder spec ${r.cylinderSpecCode ?? 'any'}`;
}

/** The summary query (cy_cylinder_type_summary holds the §4.3 grouping: type key + status + location). */
export function summaryQuery(f: CylinderFilters): { text: string; values: unknown[] } {
  const w = filterWhere(f, new Where(), 'summary');
  return {
    text: `SELECT cylinder_type_key AS "cylinderTypeKey", dashboard_gas_name AS "gasName", dashboard_capacity::text AS capacity,
                valve_spec AS "valveSpec", dashboard_valve_group_name AS "valveGroup",
                dashboard_cylinder_spec_name AS "cylinderSpec", dashboard_enduser AS enduser, dashboard_status AS status,
                dashboard_location AS location, qty, available_qty AS "availableQty"
         FROM cy_cylinder_type_summary ${w.sql}`,
    values: w.args,
  };
}

/** The list page query and its total (from the type summary unless a cylinder-number prefix is given). */
export function listQueries(q: ListQuery): { rows: { text: string; values: unknown[] }; count: { text: string; values: unknown[] }; offset: number; limit: number } {
  const w = filterWhere(q);
  const search = q.search?.trim();
  if (search) w.add(`cylinder_no LIKE ${w.arg(`${escapeLike(search)}%`)}`);
  const sort = SORT_SQL[q.sort ?? 'cylinderNo'];
  const dir = q.dir === 'desc' ? 'DESC' : 'ASC';
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), 500_000);
  const offset = Math.max(Math.trunc(q.offset ?? 0), 0);
  const order = sort === 'cylinder_no' ? `cylinder_no ${dir}` : `${sort} ${dir} NULLS LAST, cylinder_no ${dir}`;
  const sw = filterWhere(q, new Where(), 'summary');
  const count = search
    ? { text: `SELECT count(*)::int AS n FROM cy_cylinder_current ${w.sql}`, values: [...w.args] }
    : { text: `SELECT COALESCE(sum(${q.availableOnly ? 'available_qty' : 'qty'}), 0)::int AS n FROM cy_cylinder_type_summary ${sw.sql}`, values: sw.args };
  return {
    // Deferred join: the page is chosen on the narrow sort columns (often an index-only scan), and only its rows
    // are read in full and formatted.
    rows: {
      text: `SELECT ${ROW_SQL} FROM cy_cylinder_current
             JOIN (SELECT cylinder_no FROM cy_cylinder_current ${w.sql} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}) page USING (cylinder_no)
             ORDER BY ${order}`,
      values: w.args,
    },
    count,
    offset,
    limit,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------------------------

export class CylinderService {
  private readonly logger = log('cylinders');
  constructor(private readonly dbs: Databases) {}

  private get read(): pg.Pool {
    return this.dbs.pool('cylinders', 'read');
  }
  private get job(): pg.Pool {
    return this.dbs.pool('cylinders', 'job');
  }

  /** Runs fn, turning "relation does not exist" into a sentence that says what to do. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isUndefinedTable(e)) {
        const msg = (e as Error).message;
        if (/cy_cylinder_current|cy_enduser|cy_valve/.test(msg))
          throw new ApiError('unavailable', `the cylinder inventory tables are missing (${msg}): run \`linedeck migrate\``);
        if (/fcms_cdc|cy_cylinder_computed|cy_resync_all|cy_sync/.test(msg)) {
          const missing = await missingFcmsTables(this.read).catch(() => []);
          throw new ApiError('unavailable', missing.length ? missingFcmsNote(missing) : `the FCMS sync is not installed (${msg}): run \`linedeck migrate\``);
        }
      }
      throw e;
    }
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>, commit = true): Promise<T> {
    return this.guard(async () => {
      const c = await this.job.connect();
      try {
        await c.query('begin');
        const out = await fn(c);
        await c.query(commit ? 'commit' : 'rollback');
        return out;
      } catch (e) {
        await c.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    });
  }

  // ----- sync ----------------------------------------------------------------------------------------------------

  /** Full, set-based resync (cy_resync_all). Cancellable: an aborted signal cancels the statement on the server. */
  async fullSync(opts: { signal?: AbortSignal; onProgress?: (fraction: number | null, message: string) => void } = {}): Promise<SyncResult> {
    return this.guard(async () => {
      const missing = await missingFcmsTables(this.job);
      if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing));
      const c = await this.job.connect();
      const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
      const onAbort = () => void this.job.query('select pg_cancel_backend($1)', [pid]).catch(() => undefined);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        if (opts.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
        opts.onProgress?.(null, 'recomputing every cylinder from FCMS and the policies');
        const t0 = performance.now();
        const r = await c.query<{ synced: number; changed: number; deleted: number }>('select synced, changed, deleted from cy_resync_all()');
        const ms = Math.round(performance.now() - t0);
        const out = { ...r.rows[0], ms };
        this.logger.info(out, 'cylinders.resync');
        opts.onProgress?.(1, `${out.synced} cylinders, ${out.changed} rows written, ${out.deleted} removed`);
        return out;
      } catch (e) {
        if (opts.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
        throw e;
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
        c.release();
      }
    });
  }

  // ----- reads ---------------------------------------------------------------------------------------------------

  /** Inventory by cylinder type (design §4.3) with the filters, plus totals. */
  async summary(f: SummaryQuery = {}, opts: { long?: boolean } = {}): Promise<SummaryResult> {
    return this.guard(async () => {
      const pool = opts.long ? this.job : this.read;
      const r = await pool.query<SummaryRow>(summaryQuery(f));
      const rows = sortSummary(r.rows.sort(compareSummary), f.sort, f.dir ?? 'asc');
      const totals = { qty: 0, availableQty: 0, types: 0, rows: rows.length };
      const types = new Set<string>();
      for (const x of rows) {
        totals.qty += x.qty;
        totals.availableQty += x.availableQty;
        types.add(x.cylinderTypeKey);
      }
      totals.types = types.size;
      return { rows, totals };
    });
  }

  /** Individual cylinders: filters, cylinder-number prefix, sort, page; with the total of matching rows. */
  async list(q: ListQuery = {}, opts: { long?: boolean } = {}): Promise<ListResult> {
    return this.guard(async () => {
      const pool = opts.long ? this.job : this.read;
      const { rows: rowsSql, count, offset, limit } = listQueries(q);
      const [rows, total] = await Promise.all([pool.query<CylinderRow>(rowsSql), pool.query<{ n: number }>(count)]);
      return { rows: rows.rows, total: total.rows[0].n, offset, limit };
    });
  }

  /** Distinct values for the filter pickers. */
  async filters(): Promise<FilterOptions> {
    return this.guard(async () => {
      const r = await this.read.query<{
        g: string;
        c: string | null;
        v: string;
        s: string;
        e: string;
        st: string;
        l: string;
      }>(
        `SELECT dashboard_gas_name g, dashboard_capacity::text c, valve_spec v, dashboard_cylinder_spec_name s,
                dashboard_enduser e, dashboard_status st, dashboard_location l
         FROM cy_cylinder_type_summary GROUP BY 1, 2, 3, 4, 5, 6, 7`,
      );
      const uniq = (k: keyof (typeof r.rows)[number]) => [...new Set(r.rows.map((x) => x[k]).filter((x): x is string => x !== null))].sort(compareText);
      const statuses = uniq('st').sort((a, b) => statusRank(a) - statusRank(b));
      const capacities = uniq('c').sort((a, b) => Number(a) - Number(b) || compareText(a, b));
      const cylinderSpecCodes = (await missingFcmsTables(this.read)).length
        ? []
        : (
            await this.read.query<{ code: string; name: string }>(
              `SELECT "CYLINDER_SPEC_CODE" AS code, COALESCE("NAME", '') AS name FROM fcms_cdc.ma_cylinder_specs ORDER BY 1`,
            )
          ).rows;
      return { gases: uniq('g'), capacities, valves: uniq('v'), cylinderSpecs: uniq('s'), cylinderSpecCodes, endusers: uniq('e'), statuses, locations: uniq('l') };
    });
  }

  /** Snapshot freshness (design §8) and the state of the FCMS source. */
  async freshness(): Promise<Freshness> {
    return this.guard(async () => {
      const pool = this.read;
      const [tot, by, missing] = await Promise.all([
        pool.query<{ total: number; hour: number; last: string | null; now: string }>(
          `SELECT count(*)::int AS total,
                  (count(*) FILTER (WHERE snapshot_updated_at > (now() AT TIME ZONE 'UTC') - interval '1 hour'))::int AS hour,
                  ${iso('max(snapshot_updated_at)')} AS last, ${iso("now() AT TIME ZONE 'UTC'")} AS now
           FROM cy_cylinder_current`,
        ),
        pool.query<{ enduser: string; qty: number; availableQty: number; lastUpdate: string | null }>(
          `SELECT dashboard_enduser AS enduser, count(*)::int AS qty, (count(*) FILTER (WHERE is_available))::int AS "availableQty",
                  ${iso('max(snapshot_updated_at)')} AS "lastUpdate"
           FROM cy_cylinder_current GROUP BY dashboard_enduser ORDER BY count(*) DESC, dashboard_enduser`,
        ),
        missingFcmsTables(pool),
      ]);
      let fcmsCylinders: number | null = null;
      let state = { current: false, missingTriggers: [] as string[], version: null as string | null };
      if (!missing.length) {
        fcmsCylinders = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM fcms_cdc.ma_cylinders')).rows[0].n;
        state = await syncInstallState(pool);
      }
      const t = tot.rows[0];
      const syncInstalled = !missing.length && state.version !== null && state.missingTriggers.length === 0;
      return {
        total: t.total,
        updatedLastHour: t.hour,
        lastUpdate: t.last,
        now: t.now,
        byEnduser: by.rows,
        source: {
          fcmsMissing: missing,
          fcmsCylinders,
          syncInstalled,
          missingTriggers: state.missingTriggers,
          note: missing.length ? missingFcmsNote(missing) : !syncInstalled ? 'the FCMS sync triggers are not installed: run `linedeck migrate`' : null,
        },
      };
    });
  }

  /**
   * One cylinder: FCMS raw values beside the dashboard values, and which exception, default rule or valve group
   * decided each difference. `inSync` says whether the stored snapshot row equals what the rules give now.
   */
  async detail(cylinderNo: string) {
    return this.guard(async () => {
      const no = cylinderNo.trim();
      const pool = this.read;
      const missing = await missingFcmsTables(pool);
      if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing));
      const snapCols = `cylinder_no, raw_gas_name, raw_capacity::text AS raw_capacity, raw_valve_spec_code, raw_valve_spec_name,
        raw_cylinder_spec_code, raw_cylinder_spec_name, raw_usage_place, raw_location, raw_condition_code, raw_position_user_name,
        dashboard_gas_name, dashboard_capacity::text AS dashboard_capacity, dashboard_valve_spec_code, dashboard_valve_spec_name,
        dashboard_valve_group_name, dashboard_cylinder_spec_code, dashboard_cylinder_spec_name, dashboard_usage_place,
        dashboard_location, dashboard_status, dashboard_enduser, cylinder_type_key, cylinder_type_key_raw, condition_code,
        ${iso('move_date')} AS move_date, ${iso('pressure_due_date')} AS pressure_due_date, ${iso('last_event_at')} AS last_event_at,
        ${iso('source_updated_at')} AS source_updated_at, status_category, is_available`;
      const [snap, comp, fcms] = await Promise.all([
        pool.query(`SELECT ${snapCols}, ${iso('snapshot_updated_at')} AS snapshot_updated_at FROM cy_cylinder_current WHERE cylinder_no = $1`, [no]),
        pool.query(
          `SELECT ${snapCols}, enduser_source, exception_id, enduser_rule_id, valve_group_id, valve_mapping_id, primary_mapping_id
           FROM cy_cylinder_computed WHERE cylinder_no = $1`,
          [no],
        ),
        pool.query(
          `SELECT c."CYLINDER_NO" AS "cylinderNo", c."ITEM_CODE" AS "itemCode", i."ITEM_CODE" IS NOT NULL AS "itemKnown",
                  i."DISPLAY_NAME" AS "displayName", i."FORMAL_NAME" AS "formalName", c."CAPACITY"::text AS capacity,
                  c."VALVE_SPEC_CODE" AS "valveSpecCode", vs."NAME" AS "valveSpecName", c."CYLINDER_SPEC_CODE" AS "cylinderSpecCode",
                  cs."NAME" AS "cylinderSpecName", c."USE_DEPARTMENT_CODE" AS "useDepartmentCode",
                  ${iso('c."UPDATE_DATETIME"')} AS "updateDatetime",
                  ls."CYLINDER_NO" IS NOT NULL AS "hasStatus", ls."CONDITION_CODE" AS "conditionCode",
                  ls."POSITION_USER_NAME" AS "positionUserName", ${iso('ls."MOVE_DATE"')} AS "moveDate"
           FROM fcms_cdc.ma_cylinders c
           LEFT JOIN fcms_cdc.ma_items i ON i."ITEM_CODE" = c."ITEM_CODE"
           LEFT JOIN fcms_cdc.ma_valve_specs vs ON vs."VALVE_SPEC_CODE" = c."VALVE_SPEC_CODE"
           LEFT JOIN fcms_cdc.ma_cylinder_specs cs ON cs."CYLINDER_SPEC_CODE" = c."CYLINDER_SPEC_CODE"
           LEFT JOIN fcms_cdc.tr_latest_cylinder_statuses ls ON ls."CYLINDER_NO" = c."CYLINDER_NO"
           WHERE c."CYLINDER_NO" = $1`,
          [no],
        ),
      ]);
      if (!snap.rowCount && !comp.rowCount) throw new ApiError('not_found', `cylinder ${no} is neither in FCMS nor in the snapshot`);
      const s = snap.rows[0] ?? null;
      const c = comp.rows[0] ?? null;
      const snapshotKeys = Object.keys(c ?? s).filter((k) => !['enduser_source', 'exception_id', 'enduser_rule_id', 'valve_group_id', 'valve_mapping_id', 'primary_mapping_id', 'snapshot_updated_at'].includes(k));
      const inSync = Boolean(s && c && snapshotKeys.every((k) => s[k] === c[k]));
      const staleColumns = s && c ? snapshotKeys.filter((k) => s[k] !== c[k]) : [];
      const row = c ?? s;

      // EndUser: the exception (active or not), every rule that matches the FCMS values, the winner.
      const [exc, rules, mapping] = await Promise.all([
        pool.query(
          `SELECT id, enduser, reason, is_active AS "isActive", ${iso('updated_at')} AS "updatedAt" FROM cy_enduser_exception WHERE cylinder_no = $1`,
          [no],
        ),
        pool.query(
          `SELECT d.id, d.gas_name AS "gasName", d.capacity::text AS capacity, d.valve_spec_code AS "valveSpecCode",
                  d.cylinder_spec_code AS "cylinderSpecCode", d.default_enduser AS "defaultEnduser", d.is_active AS "isActive",
                  ((d.capacity IS NOT NULL)::int + (d.valve_spec_code IS NOT NULL)::int + (d.cylinder_spec_code IS NOT NULL)::int) AS specificity
           FROM cy_enduser_default d
           WHERE d.gas_name = $1 AND (d.capacity IS NULL OR d.capacity = $2::numeric)
             AND (d.valve_spec_code IS NULL OR d.valve_spec_code = $3) AND (d.cylinder_spec_code IS NULL OR d.cylinder_spec_code = $4)
           ORDER BY d.is_active DESC, ${RULE_ORDER}`,
          [row.raw_gas_name, row.raw_capacity, row.raw_valve_spec_code, row.raw_cylinder_spec_code],
        ),
        pool.query(
          `SELECT m.id, m.group_id AS "groupId", g.group_name AS "groupName", g.is_active AS "groupActive", m.is_active AS "isActive",
                  m.is_primary AS "isPrimary",
                  (SELECT json_build_object('id', p.id, 'valveSpecCode', p.valve_spec_code, 'valveSpecName', p.valve_spec_name)
                   FROM cy_valve_group_mapping p WHERE p.group_id = m.group_id AND p.is_primary AND p.is_active) AS "primary"
           FROM cy_valve_group_mapping m JOIN cy_valve_group g ON g.id = m.group_id
           WHERE m.valve_spec_code = $1 AND m.valve_spec_name = $2`,
          [row.raw_valve_spec_code, row.raw_valve_spec_name],
        ),
      ]);
      const exception = exc.rows[0] ?? null;
      const activeRules = rules.rows.filter((r) => r.isActive);
      const winner = c ? (c.enduser_source === 'default' ? activeRules.find((r) => r.id === c.enduser_rule_id) : undefined) : activeRules[0];
      const source: 'exception' | 'default' | 'fallback' = c ? c.enduser_source : exception?.isActive ? 'exception' : winner ? 'default' : 'fallback';
      const enduserReason =
        source === 'exception'
          ? `exception #${exception.id} for this cylinder → ${exception.enduser}${exception.reason ? ` (${exception.reason})` : ''}; it beats every default rule`
          : source === 'default'
            ? `default rule #${winner!.id} (${describeRule(winner!)}) → ${winner!.defaultEnduser}: the most specific of ${activeRules.length} matching active rule(s)`
            : `no active exception and no active default rule matches ${row.raw_gas_name || '(no gas name)'}: the final default 'SDC'`;
      const m = mapping.rows[0] ?? null;
      const grouped = Boolean(m && m.isActive && m.groupActive);
      const valveReason = !m
        ? 'the valve is in no valve group: the FCMS name is shown'
        : !m.isActive
          ? `mapping #${m.id} into group ${m.groupName} is inactive: the FCMS name is shown`
          : !m.groupActive
            ? `valve group ${m.groupName} is inactive: the FCMS name is shown`
            : m.primary
              ? `valve group ${m.groupName} (mapping #${m.id}): shown as the group's primary valve "${m.primary.valveSpecName}" (mapping #${m.primary.id})`
              : `valve group ${m.groupName} (mapping #${m.id}) has no active primary valve: the FCMS name is shown`;
      const statusReason = `condition code ${row.raw_condition_code === '' ? '(none: no status row yet)' : row.raw_condition_code} → ${row.dashboard_status} (${row.is_available ? '가용: 보관/충전' : '비가용'})`;
      const f = (field: string, label: string, raw: string | null, dash: string | null, reason: string): FieldComparison => ({
        field,
        label,
        raw,
        dashboard: dash,
        differs: raw !== dash,
        reason,
      });
      const fields: FieldComparison[] = [
        f('gas', 'Gas', row.raw_gas_name, row.dashboard_gas_name, fcms.rows[0]?.itemKnown === false ? `item code ${fcms.rows[0].itemCode} has no ma_items row: gas name ''` : fcms.rows[0]?.displayName == null && fcms.rows[0]?.formalName != null ? 'DISPLAY_NAME is empty: FORMAL_NAME is used' : 'FCMS DISPLAY_NAME'),
        f('capacity', 'Capacity', row.raw_capacity, row.dashboard_capacity, 'as stored in FCMS (numeric text kept: 47 and 47.0 are different types)'),
        f('valve', 'Valve', row.raw_valve_spec_name, row.dashboard_valve_spec_name, valveReason),
        f('valveGroup', 'Valve group', null, row.dashboard_valve_group_name, grouped ? `active mapping #${m!.id} in active group ${m!.groupName}` : 'no active group'),
        f('cylinderSpec', 'Cylinder spec', row.raw_cylinder_spec_name, row.dashboard_cylinder_spec_name, 'as in FCMS'),
        f('enduser', 'EndUser', row.raw_usage_place, row.dashboard_enduser, enduserReason),
        f('status', 'Status', row.raw_condition_code, row.dashboard_status, statusReason),
        f('location', 'Location', row.raw_location, row.dashboard_location, 'FCMS POSITION_USER_NAME'),
      ];
      const keyInput = `${row.dashboard_gas_name}|${row.dashboard_capacity ?? ''}|${row.dashboard_valve_group_name ?? row.dashboard_valve_spec_name ?? ''}|${row.dashboard_cylinder_spec_name}|${row.dashboard_enduser}`;
      const rawKeyInput = `${row.raw_gas_name}|${row.raw_capacity ?? ''}|${row.raw_valve_spec_name}|${row.raw_cylinder_spec_name}|`;
      return {
        cylinderNo: no,
        inFcms: Boolean(c),
        inSnapshot: Boolean(s),
        inSync,
        staleColumns,
        snapshot: s,
        computed: c ? Object.fromEntries(snapshotKeys.map((k) => [k, c[k]])) : null,
        fcms: fcms.rows[0] ?? null,
        fields,
        enduser: {
          value: row.dashboard_enduser as string,
          source,
          exception,
          rule: winner ?? null,
          candidates: rules.rows.map((r) => ({ ...r, winner: source === 'default' && winner?.id === r.id })),
        },
        valve: { rawName: row.raw_valve_spec_name, dashboardName: row.dashboard_valve_spec_name, group: row.dashboard_valve_group_name, mapping: m, grouped },
        typeKey: { key: row.cylinder_type_key, input: keyInput, rawKey: row.cylinder_type_key_raw, rawInput: rawKeyInput },
      };
    });
  }

  // ----- policy effect -------------------------------------------------------------------------------------------

  /**
   * Runs `change` inside the transaction of `c` and reports which snapshot rows it changed, among the candidates
   * selected by `candidates` (a WHERE over cy_cylinder_current with $1.. args).
   */
  private async withEffect<T>(c: pg.PoolClient, candidates: { where: string; args: unknown[] }, change: () => Promise<T>): Promise<{ result: T; effect: PolicyEffect }> {
    await c.query(
      `CREATE TEMP TABLE IF NOT EXISTS cy_effect_before (cylinder_no text PRIMARY KEY, enduser text, type_key text, valve text, valve_group text) ON COMMIT DROP`,
    );
    await c.query('TRUNCATE cy_effect_before');
    await c.query(
      `INSERT INTO cy_effect_before
       SELECT cylinder_no, dashboard_enduser, cylinder_type_key, dashboard_valve_spec_name, dashboard_valve_group_name
       FROM cy_cylinder_current WHERE ${candidates.where}`,
      candidates.args,
    );
    const result = await change();
    const diff = await c.query<{ from: string; to: string; qty: number; sample: string[]; changed: number }>(
      `SELECT b.enduser AS "from", cur.dashboard_enduser AS "to", count(*)::int AS qty,
              (array_agg(b.cylinder_no ORDER BY b.cylinder_no))[1:20] AS sample
       FROM cy_effect_before b JOIN cy_cylinder_current cur USING (cylinder_no)
       WHERE (cur.cylinder_type_key, cur.dashboard_valve_spec_name, cur.dashboard_valve_group_name) IS DISTINCT FROM (b.type_key, b.valve, b.valve_group)
       GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
    );
    const moves = diff.rows.filter((r) => r.from !== r.to).map((r) => ({ from: r.from, to: r.to, qty: r.qty }));
    const changed = diff.rows.reduce((s, r) => s + r.qty, 0);
    const sample = diff.rows
      .flatMap((r) => r.sample)
      .sort()
      .slice(0, 20);
    return { result, effect: { changed, moves, sample } };
  }

  // ----- EndUser default rules -------------------------------------------------------------------------------------

  async listDefaults(): Promise<DefaultRuleRow[]> {
    return this.guard(async () => {
      const pool = this.read;
      const hasFcms = (await missingFcmsTables(pool)).length === 0;
      const r = await pool.query<DefaultRuleRow>(
        `WITH keys AS (
           SELECT raw_gas_name g, raw_capacity c, raw_valve_spec_code v, raw_cylinder_spec_code s, count(*)::int n
           FROM cy_cylinder_current cur
           WHERE NOT EXISTS (SELECT 1 FROM cy_enduser_exception e WHERE e.cylinder_no = cur.cylinder_no AND e.is_active)
           GROUP BY 1, 2, 3, 4
         ), won AS (
           SELECT w.id, sum(k.n)::int n FROM keys k
           CROSS JOIN LATERAL (
             SELECT d.id FROM cy_enduser_default d
             WHERE d.is_active AND d.gas_name = k.g AND (d.capacity IS NULL OR d.capacity = k.c)
               AND (d.valve_spec_code IS NULL OR d.valve_spec_code = k.v) AND (d.cylinder_spec_code IS NULL OR d.cylinder_spec_code = k.s)
             ORDER BY ${RULE_ORDER} LIMIT 1) w
           GROUP BY w.id
         )
         SELECT d.id, d.gas_name AS "gasName", d.capacity::text AS capacity, d.valve_spec_code AS "valveSpecCode",
                ${hasFcms ? '(SELECT vs."NAME" FROM fcms_cdc.ma_valve_specs vs WHERE vs."VALVE_SPEC_CODE" = d.valve_spec_code)' : 'NULL'} AS "valveSpecName",
                d.cylinder_spec_code AS "cylinderSpecCode",
                ${hasFcms ? '(SELECT cs."NAME" FROM fcms_cdc.ma_cylinder_specs cs WHERE cs."CYLINDER_SPEC_CODE" = d.cylinder_spec_code)' : 'NULL'} AS "cylinderSpecName",
                d.default_enduser AS "defaultEnduser", COALESCE(d.is_active, false) AS "isActive",
                ((d.capacity IS NOT NULL)::int + (d.valve_spec_code IS NOT NULL)::int + (d.cylinder_spec_code IS NOT NULL)::int) AS specificity,
                COALESCE(won.n, 0) AS decides, ${iso('d.created_at')} AS "createdAt", ${iso('d.updated_at')} AS "updatedAt"
         FROM cy_enduser_default d LEFT JOIN won ON won.id = d.id
         ORDER BY d.gas_name, ${RULE_ORDER}`,
      );
      return r.rows;
    });
  }

  private async validateDefault(c: pg.ClientBase, input: DefaultRuleInput) {
    const rule = {
      id: input.id,
      gasName: cleanText(input.gasName, 'gas name', 100, true)!,
      capacity: parseCapacity(input.capacity),
      valveSpecCode: cleanText(input.valveSpecCode, 'valve spec code', 50, false),
      cylinderSpecCode: cleanText(input.cylinderSpecCode, 'cylinder spec code', 50, false),
      defaultEnduser: cleanText(input.defaultEnduser, 'EndUser', 50, true)!,
      isActive: input.isActive ?? true,
    };
    const missing = await missingFcmsTables(c);
    if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing));
    const known = await c.query<{ gas: boolean; valve: boolean; spec: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM fcms_cdc.ma_items WHERE COALESCE("DISPLAY_NAME", "FORMAL_NAME", '') = $1) AS gas,
              ($2::text IS NULL OR EXISTS (SELECT 1 FROM fcms_cdc.ma_valve_specs WHERE "VALVE_SPEC_CODE" = $2)) AS valve,
              ($3::text IS NULL OR EXISTS (SELECT 1 FROM fcms_cdc.ma_cylinder_specs WHERE "CYLINDER_SPEC_CODE" = $3)) AS spec`,
      [rule.gasName, rule.valveSpecCode, rule.cylinderSpecCode],
    );
    const problems: string[] = [];
    if (!known.rows[0].gas) problems.push(`gas "${rule.gasName}" is not a gas name in FCMS (ma_items DISPLAY_NAME, else FORMAL_NAME)`);
    if (!known.rows[0].valve) problems.push(`valve spec code "${rule.valveSpecCode}" is not in FCMS (ma_valve_specs)`);
    if (!known.rows[0].spec) problems.push(`cylinder spec code "${rule.cylinderSpecCode}" is not in FCMS (ma_cylinder_specs)`);
    if (problems.length) throw new ApiError('validation', problems.join('; '), { problems });
    const dup = await c.query<{ id: number; default_enduser: string; is_active: boolean }>(
      `SELECT id, default_enduser, is_active FROM cy_enduser_default
       WHERE gas_name = $1 AND capacity IS NOT DISTINCT FROM $2::numeric AND valve_spec_code IS NOT DISTINCT FROM $3
         AND cylinder_spec_code IS NOT DISTINCT FROM $4 AND ($5::int IS NULL OR id <> $5)`,
      [rule.gasName, rule.capacity, rule.valveSpecCode, rule.cylinderSpecCode, rule.id ?? null],
    );
    if (dup.rowCount) {
      const d = dup.rows[0];
      throw new ApiError(
        'conflict',
        `a rule for ${describeRule(rule)} already exists: #${d.id} → ${d.default_enduser} (${d.is_active ? 'active' : 'inactive'}); edit that rule instead`,
        { existingId: d.id },
      );
    }
    return rule;
  }

  private async applyDefault(c: pg.PoolClient, change: DefaultChange, user: SessionUser | undefined, audit: boolean) {
    let before: Record<string, unknown> | null = null;
    if (change.op === 'delete' || change.rule.id !== undefined) {
      const id = change.op === 'delete' ? change.id : change.rule.id!;
      const b = await c.query('SELECT id, gas_name, capacity::text AS capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active FROM cy_enduser_default WHERE id = $1 FOR UPDATE', [id]);
      if (!b.rowCount) throw new ApiError('not_found', `default rule #${id} does not exist`);
      before = b.rows[0];
    }
    const rule = change.op === 'save' ? await this.validateDefault(c, change.rule) : null;
    const gases = [before?.gas_name, rule?.gasName].filter((x): x is string => typeof x === 'string');
    const { result, effect } = await this.withEffect(c, { where: 'raw_gas_name = ANY($1::text[])', args: [gases] }, async () => {
      if (change.op === 'delete') {
        await c.query('DELETE FROM cy_enduser_default WHERE id = $1', [change.id]);
        return null;
      }
      const args = [rule!.gasName, rule!.capacity, rule!.valveSpecCode, rule!.cylinderSpecCode, rule!.defaultEnduser, rule!.isActive];
      const r = rule!.id
        ? await c.query(
            `UPDATE cy_enduser_default SET gas_name = $1, capacity = $2::numeric, valve_spec_code = $3, cylinder_spec_code = $4,
               default_enduser = $5, is_active = $6, updated_at = (now() AT TIME ZONE 'UTC') WHERE id = $7
             RETURNING id, gas_name, capacity::text AS capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active`,
            [...args, rule!.id],
          )
        : await c.query(
            `INSERT INTO cy_enduser_default (gas_name, capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active)
             VALUES ($1, $2::numeric, $3, $4, $5, $6)
             RETURNING id, gas_name, capacity::text AS capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active`,
            args,
          );
      return r.rows[0] as Record<string, unknown>;
    });
    if (audit) {
      const id = change.op === 'delete' ? change.id : (result as { id: number }).id;
      await writeAudit(c, user, {
        action: `cylinders.default.${change.op === 'delete' ? 'delete' : before ? 'update' : 'create'}`,
        table: 'cy_enduser_default',
        operation: change.op === 'delete' ? 'DELETE' : before ? 'UPDATE' : 'INSERT',
        target: String(id),
        before: before ?? undefined,
        after: result ? { ...result, effect } : undefined,
      });
    }
    return { id: change.op === 'delete' ? change.id : (result as { id: number }).id, effect };
  }

  /** How many cylinders a default-rule change would move, and between which EndUsers; nothing is saved. */
  async previewDefault(change: DefaultChange): Promise<PolicyEffect> {
    return this.tx(async (c) => (await this.applyDefault(c, change, undefined, false)).effect, false);
  }

  async saveDefault(user: SessionUser | undefined, rule: DefaultRuleInput): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx((c) => this.applyDefault(c, { op: 'save', rule }, user, true));
  }

  async deleteDefault(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx((c) => this.applyDefault(c, { op: 'delete', id }, user, true));
  }

  // ----- EndUser exceptions ----------------------------------------------------------------------------------------

  async listExceptions(q: { search?: string; activeOnly?: boolean } = {}): Promise<ExceptionRow[]> {
    return this.guard(async () => {
      const w = new Where();
      if (q.search?.trim()) {
        const p = w.arg(`%${escapeLike(q.search.trim())}%`);
        w.add(`(e.cylinder_no ILIKE ${p} OR e.enduser ILIKE ${p} OR e.reason ILIKE ${p})`);
      }
      if (q.activeOnly) w.add('e.is_active');
      const r = await this.read.query<ExceptionRow>(
        `SELECT e.id, e.cylinder_no AS "cylinderNo", e.enduser, e.reason, COALESCE(e.is_active, false) AS "isActive",
                cur.raw_gas_name AS "gasName", cur.raw_capacity::text AS capacity,
                CASE WHEN cur.cylinder_no IS NULL THEN NULL ELSE COALESCE((
                  SELECT d.default_enduser FROM cy_enduser_default d
                  WHERE d.is_active AND d.gas_name = cur.raw_gas_name AND (d.capacity IS NULL OR d.capacity = cur.raw_capacity)
                    AND (d.valve_spec_code IS NULL OR d.valve_spec_code = cur.raw_valve_spec_code)
                    AND (d.cylinder_spec_code IS NULL OR d.cylinder_spec_code = cur.raw_cylinder_spec_code)
                  ORDER BY ${RULE_ORDER} LIMIT 1), 'SDC') END AS "ruleEnduser",
                ${iso('e.created_at')} AS "createdAt", ${iso('e.updated_at')} AS "updatedAt"
         FROM cy_enduser_exception e LEFT JOIN cy_cylinder_current cur ON cur.cylinder_no = e.cylinder_no
         ${w.sql}
         ORDER BY e.cylinder_no`,
        w.args,
      );
      return r.rows;
    });
  }

  /**
   * Creates one exception per cylinder number (bulk). Refused as a whole, with every reason listed, when a number
   * is not in FCMS, is listed twice, or already has an exception.
   */
  async createExceptions(
    user: SessionUser | undefined,
    input: { cylinderNos: string[]; enduser: string; reason?: string | null; isActive?: boolean },
  ): Promise<{ created: number; ids: number[]; effect: PolicyEffect }> {
    const enduser = cleanText(input.enduser, 'EndUser', 50, true)!;
    const reason = cleanText(input.reason ?? null, 'reason', 2000, false);
    const nos = input.cylinderNos.map((s) => s.trim()).filter(Boolean);
    if (!nos.length) throw new ApiError('validation', 'give at least one cylinder number');
    if (nos.length > 10_000) throw new ApiError('validation', `at most 10000 cylinder numbers at once (got ${nos.length})`);
    const tooLong = nos.filter((n) => n.length > 20);
    if (tooLong.length) throw new ApiError('validation', `cylinder numbers are at most 20 characters: ${tooLong.slice(0, 20).join(', ')}`, { tooLong });
    const seen = new Set<string>();
    const listedTwice = [...new Set(nos.filter((n) => (seen.has(n) ? true : (seen.add(n), false))))];
    const unique = [...seen];
    return this.tx(async (c) => {
      const missing = await missingFcmsTables(c);
      if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing));
      const unknown = (
        await c.query<{ no: string }>(
          `SELECT no FROM unnest($1::text[]) WITH ORDINALITY u(no, i)
           WHERE NOT EXISTS (SELECT 1 FROM fcms_cdc.ma_cylinders c WHERE c."CYLINDER_NO" = u.no) ORDER BY i`,
          [unique],
        )
      ).rows.map((r) => r.no);
      const existing = (
        await c.query<{ cylinderNo: string; id: number; enduser: string; isActive: boolean; reason: string | null }>(
          `SELECT cylinder_no AS "cylinderNo", id, enduser, COALESCE(is_active, false) AS "isActive", reason
           FROM cy_enduser_exception WHERE cylinder_no = ANY($1::text[]) ORDER BY cylinder_no`,
          [unique],
        )
      ).rows;
      if (unknown.length || existing.length || listedTwice.length) {
        const parts: string[] = [];
        if (unknown.length) parts.push(`${unknown.length} cylinder number(s) are not in FCMS: ${unknown.slice(0, 30).join(', ')}${unknown.length > 30 ? ', …' : ''}`);
        if (existing.length)
          parts.push(
            `${existing.length} already have an exception: ${existing
              .slice(0, 10)
              .map((e) => `${e.cylinderNo} (#${e.id} → ${e.enduser}, ${e.isActive ? 'active' : 'inactive'}${e.reason ? `, "${e.reason}"` : ''})`)
              .join(', ')}${existing.length > 10 ? ', …' : ''}; edit those instead`,
          );
        if (listedTwice.length) parts.push(`listed twice: ${listedTwice.join(', ')}`);
        throw new ApiError('validation', `nothing saved: ${parts.join('; ')}`, { unknown, existing, listedTwice });
      }
      const { result, effect } = await this.withEffect(c, { where: 'cylinder_no = ANY($1::text[])', args: [unique] }, async () =>
        c.query<{ id: number }>(
          `INSERT INTO cy_enduser_exception (cylinder_no, enduser, reason, is_active)
           SELECT no, $2, $3, $4 FROM unnest($1::text[]) WITH ORDINALITY u(no, i) ORDER BY i RETURNING id`,
          [unique, enduser, reason, input.isActive ?? true],
        ),
      );
      const ids = result.rows.map((r) => r.id);
      await writeAudit(c, user, {
        action: 'cylinders.exception.create',
        table: 'cy_enduser_exception',
        operation: 'INSERT',
        target: unique.length === 1 ? unique[0] : `${unique.length} cylinders`,
        after: { ids, cylinderNos: unique, enduser, reason, isActive: input.isActive ?? true, effect },
      });
      return { created: ids.length, ids, effect };
    });
  }

  async updateException(
    user: SessionUser | undefined,
    input: { id: number; enduser?: string; reason?: string | null; isActive?: boolean },
  ): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx(async (c) => {
      const b = await c.query('SELECT id, cylinder_no, enduser, reason, is_active FROM cy_enduser_exception WHERE id = $1 FOR UPDATE', [input.id]);
      if (!b.rowCount) throw new ApiError('not_found', `exception #${input.id} does not exist`);
      const before = b.rows[0];
      const enduser = input.enduser !== undefined ? cleanText(input.enduser, 'EndUser', 50, true) : before.enduser;
      const reason = input.reason !== undefined ? cleanText(input.reason, 'reason', 2000, false) : before.reason;
      const isActive = input.isActive ?? before.is_active;
      const { result, effect } = await this.withEffect(c, { where: 'cylinder_no = $1', args: [before.cylinder_no] }, async () =>
        c.query(
          `UPDATE cy_enduser_exception SET enduser = $2, reason = $3, is_active = $4, updated_at = (now() AT TIME ZONE 'UTC')
           WHERE id = $1 RETURNING id, cylinder_no, enduser, reason, is_active`,
          [input.id, enduser, reason, isActive],
        ),
      );
      await writeAudit(c, user, {
        action: 'cylinders.exception.update',
        table: 'cy_enduser_exception',
        operation: 'UPDATE',
        target: before.cylinder_no,
        before,
        after: { ...result.rows[0], effect },
      });
      return { id: input.id, effect };
    });
  }

  async deleteExceptions(user: SessionUser | undefined, ids: number[]): Promise<{ deleted: number; effect: PolicyEffect }> {
    if (!ids.length) throw new ApiError('validation', 'give at least one exception id');
    return this.tx(async (c) => {
      const b = await c.query('SELECT id, cylinder_no, enduser, reason, is_active FROM cy_enduser_exception WHERE id = ANY($1::int[]) FOR UPDATE', [ids]);
      const found = new Set(b.rows.map((r) => r.id));
      const absent = ids.filter((i) => !found.has(i));
      if (absent.length) throw new ApiError('not_found', `exception(s) ${absent.map((i) => `#${i}`).join(', ')} do not exist`);
      const { effect } = await this.withEffect(c, { where: 'cylinder_no = ANY($1::text[])', args: [b.rows.map((r) => r.cylinder_no)] }, () =>
        c.query('DELETE FROM cy_enduser_exception WHERE id = ANY($1::int[])', [ids]),
      );
      await writeAudit(c, user, {
        action: 'cylinders.exception.delete',
        table: 'cy_enduser_exception',
        operation: 'DELETE',
        target: b.rows.length === 1 ? b.rows[0].cylinder_no : `${b.rows.length} cylinders`,
        before: b.rows,
        after: { effect },
      });
      return { deleted: b.rows.length, effect };
    });
  }

  // ----- valve groups ----------------------------------------------------------------------------------------------

  async listValveGroups(): Promise<{ groups: ValveGroupRow[]; valveSpecs: ValveSpecOption[] }> {
    return this.guard(async () => {
      const pool = this.read;
      const hasFcms = (await missingFcmsTables(pool)).length === 0;
      const counts = await pool.query<{ code: string; name: string; n: number }>(
        `SELECT raw_valve_spec_code code, raw_valve_spec_name name, count(*)::int n FROM cy_cylinder_current
         WHERE raw_valve_spec_code IS NOT NULL GROUP BY 1, 2`,
      );
      const countOf = new Map(counts.rows.map((r) => [`${r.code}\u0000${r.name}`, r.n]));
      const groups = await pool.query<Omit<ValveGroupRow, 'mappings' | 'cylinders' | 'primaryValveName'>>(
        `SELECT id, group_name AS "groupName", description, COALESCE(is_active, false) AS "isActive",
                ${iso('created_at')} AS "createdAt", ${iso('updated_at')} AS "updatedAt"
         FROM cy_valve_group ORDER BY group_name`,
      );
      const maps = await pool.query<Omit<MappingRow, 'cylinders'>>(
        `SELECT m.id, m.group_id AS "groupId", m.valve_spec_code AS "valveSpecCode", m.valve_spec_name AS "valveSpecName",
                COALESCE(m.is_primary, false) AS "isPrimary", COALESCE(m.is_active, false) AS "isActive",
                ${hasFcms ? `(SELECT COALESCE(vs."NAME", '') FROM fcms_cdc.ma_valve_specs vs WHERE vs."VALVE_SPEC_CODE" = m.valve_spec_code)` : 'NULL'} AS "fcmsName"
         FROM cy_valve_group_mapping m ORDER BY m.group_id, m.is_primary DESC, m.valve_spec_code, m.valve_spec_name`,
      );
      const mappings: MappingRow[] = maps.rows.map((m) => ({ ...m, cylinders: countOf.get(`${m.valveSpecCode}\u0000${m.valveSpecName}`) ?? 0 }));
      const out: ValveGroupRow[] = groups.rows.map((g) => {
        const ms = mappings.filter((m) => m.groupId === g.id);
        return {
          ...g,
          mappings: ms,
          primaryValveName: ms.find((m) => m.isPrimary && m.isActive)?.valveSpecName ?? null,
          cylinders: ms.filter((m) => m.isActive).reduce((s, m) => s + m.cylinders, 0),
        };
      });
      let valveSpecs: ValveSpecOption[] = [];
      if (hasFcms) {
        const vs = await pool.query<{ code: string; name: string }>(
          `SELECT "VALVE_SPEC_CODE" AS code, COALESCE("NAME", '') AS name FROM fcms_cdc.ma_valve_specs ORDER BY 1`,
        );
        valveSpecs = vs.rows.map((v) => {
          const m = mappings.find((x) => x.valveSpecCode === v.code && x.valveSpecName === v.name);
          return { code: v.code, name: v.name, cylinders: countOf.get(`${v.code}\u0000${v.name}`) ?? 0, mappingId: m?.id ?? null, groupId: m?.groupId ?? null };
        });
      }
      return { groups: out, valveSpecs };
    });
  }

  /** Candidates for a valve change: cylinders whose FCMS valve code is in the touched groups or the given codes. */
  private valveCandidates(groupIds: number[], codes: string[]) {
    return {
      where: `raw_valve_spec_code IN (SELECT valve_spec_code FROM cy_valve_group_mapping WHERE group_id = ANY($1::int[]) UNION SELECT unnest($2::text[]))`,
      args: [groupIds, codes],
    };
  }

  async saveValveGroup(
    user: SessionUser | undefined,
    input: { id?: number; groupName: string; description?: string | null; isActive?: boolean },
  ): Promise<{ id: number; effect: PolicyEffect }> {
    const groupName = cleanText(input.groupName, 'group name', 100, true)!;
    const description = cleanText(input.description ?? null, 'description', 2000, false);
    return this.tx(async (c) => {
      let before: Record<string, unknown> | null = null;
      if (input.id !== undefined) {
        const b = await c.query('SELECT id, group_name, description, is_active FROM cy_valve_group WHERE id = $1 FOR UPDATE', [input.id]);
        if (!b.rowCount) throw new ApiError('not_found', `valve group #${input.id} does not exist`);
        before = b.rows[0];
      }
      const dup = await c.query('SELECT id, is_active FROM cy_valve_group WHERE group_name = $1 AND ($2::int IS NULL OR id <> $2)', [groupName, input.id ?? null]);
      if (dup.rowCount)
        throw new ApiError('conflict', `a valve group named "${groupName}" already exists (#${dup.rows[0].id}, ${dup.rows[0].is_active ? 'active' : 'inactive'})`, {
          existingId: dup.rows[0].id,
        });
      const isActive = input.isActive ?? (before ? (before.is_active as boolean) : true);
      const { result, effect } = await this.withEffect(c, this.valveCandidates(input.id !== undefined ? [input.id] : [], []), async () =>
        input.id !== undefined
          ? c.query(
              `UPDATE cy_valve_group SET group_name = $2, description = $3, is_active = $4, updated_at = (now() AT TIME ZONE 'UTC')
               WHERE id = $1 RETURNING id, group_name, description, is_active`,
              [input.id, groupName, description, isActive],
            )
          : c.query('INSERT INTO cy_valve_group (group_name, description, is_active) VALUES ($1, $2, $3) RETURNING id, group_name, description, is_active', [
              groupName,
              description,
              isActive,
            ]),
      );
      const row = result.rows[0];
      await writeAudit(c, user, {
        action: `cylinders.valve_group.${before ? 'update' : 'create'}`,
        table: 'cy_valve_group',
        operation: before ? 'UPDATE' : 'INSERT',
        target: groupName,
        before: before ?? undefined,
        after: { ...row, effect },
      });
      return { id: row.id as number, effect };
    });
  }

  /** Deletes a group and its mappings. */
  async deleteValveGroup(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx(async (c) => {
      const b = await c.query('SELECT id, group_name, description, is_active FROM cy_valve_group WHERE id = $1 FOR UPDATE', [id]);
      if (!b.rowCount) throw new ApiError('not_found', `valve group #${id} does not exist`);
      const maps = await c.query('SELECT id, valve_spec_code, valve_spec_name, is_primary, is_active FROM cy_valve_group_mapping WHERE group_id = $1', [id]);
      const { effect } = await this.withEffect(c, this.valveCandidates([id], []), async () => {
        await c.query('DELETE FROM cy_valve_group_mapping WHERE group_id = $1', [id]);
        await c.query('DELETE FROM cy_valve_group WHERE id = $1', [id]);
      });
      await writeAudit(c, user, {
        action: 'cylinders.valve_group.delete',
        table: 'cy_valve_group',
        operation: 'DELETE',
        target: b.rows[0].group_name,
        before: { ...b.rows[0], mappings: maps.rows },
        after: { effect },
      });
      return { id, effect };
    });
  }

  /**
   * Maps an FCMS valve into a group. The mapping matches FCMS by code and name (design §1.2), so the name is the
   * valve's FCMS name; when `isPrimary`, the group's previous primary valve stops being primary.
   */
  async saveMapping(
    user: SessionUser | undefined,
    input: { id?: number; groupId: number; valveSpecCode: string; valveSpecName?: string | null; isPrimary?: boolean; isActive?: boolean },
  ): Promise<{ id: number; effect: PolicyEffect }> {
    const code = cleanText(input.valveSpecCode, 'valve spec code', 50, true)!;
    return this.tx(async (c) => {
      const missing = await missingFcmsTables(c);
      if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing));
      const g = await c.query('SELECT id, group_name FROM cy_valve_group WHERE id = $1', [input.groupId]);
      if (!g.rowCount) throw new ApiError('not_found', `valve group #${input.groupId} does not exist`);
      const vs = await c.query<{ name: string }>(`SELECT COALESCE("NAME", '') AS name FROM fcms_cdc.ma_valve_specs WHERE "VALVE_SPEC_CODE" = $1`, [code]);
      if (!vs.rowCount) throw new ApiError('validation', `valve spec code "${code}" is not in FCMS (ma_valve_specs)`);
      const fcmsName = vs.rows[0].name;
      const name = input.valveSpecName == null || input.valveSpecName.trim() === '' ? fcmsName : input.valveSpecName.trim();
      if (name !== fcmsName)
        throw new ApiError('validation', `valve ${code} is named "${fcmsName}" in FCMS, not "${name}": a mapping matches code and name, so it would never apply`);
      let before: Record<string, unknown> | null = null;
      if (input.id !== undefined) {
        const b = await c.query('SELECT id, group_id, valve_spec_code, valve_spec_name, is_primary, is_active FROM cy_valve_group_mapping WHERE id = $1 FOR UPDATE', [
          input.id,
        ]);
        if (!b.rowCount) throw new ApiError('not_found', `valve mapping #${input.id} does not exist`);
        before = b.rows[0];
      }
      const dup = await c.query(
        `SELECT m.id, g.group_name FROM cy_valve_group_mapping m JOIN cy_valve_group g ON g.id = m.group_id
         WHERE m.valve_spec_code = $1 AND m.valve_spec_name = $2 AND ($3::int IS NULL OR m.id <> $3)`,
        [code, name, input.id ?? null],
      );
      if (dup.rowCount)
        throw new ApiError('conflict', `valve ${code} "${name}" is already in group ${dup.rows[0].group_name} (mapping #${dup.rows[0].id}); a valve belongs to one group`, {
          existingId: dup.rows[0].id,
        });
      const isPrimary = input.isPrimary ?? (before ? (before.is_primary as boolean) : false);
      const isActive = input.isActive ?? (before ? (before.is_active as boolean) : true);
      const groups = [input.groupId, ...(before ? [before.group_id as number] : [])];
      const codes = [code, ...(before ? [before.valve_spec_code as string] : [])];
      const { result, effect } = await this.withEffect(c, this.valveCandidates(groups, codes), async () => {
        if (isPrimary && isActive)
          await c.query(
            `UPDATE cy_valve_group_mapping SET is_primary = false, updated_at = (now() AT TIME ZONE 'UTC')
             WHERE group_id = $1 AND is_primary AND is_active AND ($2::int IS NULL OR id <> $2)`,
            [input.groupId, input.id ?? null],
          );
        return input.id !== undefined
          ? c.query(
              `UPDATE cy_valve_group_mapping SET group_id = $2, valve_spec_code = $3, valve_spec_name = $4, is_primary = $5, is_active = $6,
                 updated_at = (now() AT TIME ZONE 'UTC')
               WHERE id = $1 RETURNING id, group_id, valve_spec_code, valve_spec_name, is_primary, is_active`,
              [input.id, input.groupId, code, name, isPrimary, isActive],
            )
          : c.query(
              `INSERT INTO cy_valve_group_mapping (group_id, valve_spec_code, valve_spec_name, is_primary, is_active)
               VALUES ($1, $2, $3, $4, $5) RETURNING id, group_id, valve_spec_code, valve_spec_name, is_primary, is_active`,
              [input.groupId, code, name, isPrimary, isActive],
            );
      });
      const row = result.rows[0];
      await writeAudit(c, user, {
        action: `cylinders.valve_mapping.${before ? 'update' : 'create'}`,
        table: 'cy_valve_group_mapping',
        operation: before ? 'UPDATE' : 'INSERT',
        target: `${g.rows[0].group_name}: ${code}`,
        before: before ?? undefined,
        after: { ...row, effect },
      });
      return { id: row.id as number, effect };
    });
  }

  async deleteMapping(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx(async (c) => {
      const b = await c.query('SELECT id, group_id, valve_spec_code, valve_spec_name, is_primary, is_active FROM cy_valve_group_mapping WHERE id = $1 FOR UPDATE', [id]);
      if (!b.rowCount) throw new ApiError('not_found', `valve mapping #${id} does not exist`);
      const before = b.rows[0];
      const { effect } = await this.withEffect(c, this.valveCandidates([before.group_id], [before.valve_spec_code]), () =>
        c.query('DELETE FROM cy_valve_group_mapping WHERE id = $1', [id]),
      );
      await writeAudit(c, user, {
        action: 'cylinders.valve_mapping.delete',
        table: 'cy_valve_group_mapping',
        operation: 'DELETE',
        target: before.valve_spec_code,
        before,
        after: { effect },
      });
      return { id, effect };
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function statusRank(s: string): number {
  const i = (STATUS_ORDER as readonly string[]).indexOf(s);
  return i < 0 ? STATUS_ORDER.length : i;
}

/**
 * Summary rows by one column, stable (ties keep the incoming §4.3 order): capacity as a number (then as text,
 * none last), status in screen order, quantities numerically. Without a key the rows come back as they are.
 */
export function sortSummary(rows: SummaryRow[], key: SummarySort | undefined | null, dir: 'asc' | 'desc'): SummaryRow[] {
  if (!key) return rows;
  const sign = dir === 'asc' ? 1 : -1;
  const cmp = (a: SummaryRow, b: SummaryRow): number => {
    switch (key) {
      case 'qty':
      case 'availableQty':
        return a[key] - b[key];
      case 'capacity':
        if (a.capacity === null || b.capacity === null) return (a.capacity === null ? 1 : 0) - (b.capacity === null ? 1 : 0);
        return Number(a.capacity) - Number(b.capacity) || compareText(a.capacity, b.capacity);
      case 'status':
        return statusRank(a.status) - statusRank(b.status);
      default:
        return compareText(a[key], b[key]);
    }
  };
  return rows
    .map((r, i) => [r, i] as const)
    .sort((x, y) => sign * cmp(x[0], y[0]) || x[1] - y[1])
    .map(([r]) => r);
}

/** gas, capacity (as a number, then as text), valve, spec, EndUser, status (screen order), location. */
export function compareSummary(a: SummaryRow, b: SummaryRow): number {
  return (
    compareText(a.gasName, b.gasName) ||
    (a.capacity === null ? 1 : 0) - (b.capacity === null ? 1 : 0) ||
    Number(a.capacity ?? 0) - Number(b.capacity ?? 0) ||
    compareText(a.capacity ?? '', b.capacity ?? '') ||
    compareText(a.valveSpec, b.valveSpec) ||
    compareText(a.cylinderSpec, b.cylinderSpec) ||
    compareText(a.enduser, b.enduser) ||
    statusRank(a.status) - statusRank(b.status) ||
    compareText(a.location, b.location) ||
    compareText(a.cylinderTypeKey, b.cylinderTypeKey)
  );
}
