/**
 * The cylinders workspace's SQL: the fragments and named queries the reads, the resync and the editors share
 * (filters → WHERE over the snapshot or the type summary, the summary and list queries, the default-rule winner
 * order, timestamps as ISO text), and the way to the database: the `read` pool (short statement timeout) and the
 * `job` pool, the guard that turns a missing relation into what to do, and one transaction.
 */
import type pg from 'pg';
import { ApiError } from '../api/kit';
import { because } from '../api/reasons';
import type { Databases } from '../db/pools';
import { log } from '../log';
import { missingFcmsNote, missingFcmsTables } from './migrations';
import type { CylinderFilters, ListQuery, ListSort } from './types';

/** A naive UTC `timestamp` column as ISO 8601 with Z (pg would otherwise read it in the process's time zone). */
export const iso = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The default-rule winner order of decisions.md (most specific first, then the design's ORDER BY, then id). */
export const RULE_ORDER = `(d.capacity IS NOT NULL)::int + (d.valve_spec_code IS NOT NULL)::int + (d.cylinder_spec_code IS NOT NULL)::int DESC,
  d.capacity IS NULL, d.valve_spec_code IS NULL, d.cylinder_spec_code IS NULL, d.id`;

export class Where {
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

export function escapeLike(s: string): string {
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
// The database: pools, guard, transaction
// ---------------------------------------------------------------------------------------------------------------

function isUndefinedTable(e: unknown): boolean {
  return (e as { code?: string })?.code === '42P01' || (e as { code?: string })?.code === '42883';
}

/** The cylinders pools with the guard and the transaction every read, resync and policy change goes through. */
export class CylinderDb {
  readonly logger = log('cylinders');
  constructor(private readonly dbs: Databases) {}

  get read(): pg.Pool {
    return this.dbs.pool('cylinders', 'read');
  }
  get job(): pg.Pool {
    return this.dbs.pool('cylinders', 'job');
  }

  /** Runs fn, turning "relation does not exist" into a sentence that says what to do. */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isUndefinedTable(e)) {
        const msg = (e as Error).message;
        if (/cy_cylinder_current|cy_enduser|cy_valve/.test(msg))
          throw new ApiError('unavailable', `the cylinder inventory tables are missing (${msg}): run \`linedeck migrate\``, because('inventory_missing'));
        if (/fcms_cdc|cy_cylinder_computed|cy_resync_all|cy_sync/.test(msg)) {
          const missing = await missingFcmsTables(this.read).catch(() => []);
          throw missing.length
            ? new ApiError('unavailable', missingFcmsNote(missing), because('fcms_missing', { tables: missing.join(', ') }))
            : new ApiError('unavailable', `the FCMS sync is not installed (${msg}): run \`linedeck migrate\``, because('fcms_not_installed'));
        }
      }
      throw e;
    }
  }

  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>, commit = true): Promise<T> {
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
}
