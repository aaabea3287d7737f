/**
 * The cylinder inventory service: everything the Cylinders screens and the CLI ask of `cy_cylinder_current` and the
 * CYNOW policies, behind one facade. The reads (summary, list, detail, freshness, filters, the exports' rows) are
 * here; the full resync is sync.ts, the policy editors policies.ts, the shared SQL and the pools queries.ts. Reads
 * use the cylinders `read` pool (short statement timeout); resyncs, exports and policy changes the `job` pool.
 * Every policy change runs in one transaction with its audit row and with the re-applied snapshot rows (the policy
 * triggers of migrations.ts do that inside the same statement).
 */
import type pg from 'pg';
import { ApiError, type SessionUser } from '../api/kit';
import { because } from '../api/reasons';
import type { Databases } from '../db/pools';
import { missingFcmsNote, missingFcmsTables, syncInstallState } from './migrations';
import { CylinderPolicies, describeRule } from './policies';
import { CylinderDb, RULE_ORDER, iso, listQueries, summaryQuery } from './queries';
import { runFullSync, type SyncOptions } from './sync';
import {
  STATUS_ORDER,
  type CylinderRow,
  type DefaultChange,
  type DefaultRuleInput,
  type DefaultRuleRow,
  type ExceptionQuery,
  type ExceptionRow,
  type ExceptionsInput,
  type ExceptionUpdate,
  type FieldComparison,
  type FilterOptions,
  type Freshness,
  type ListQuery,
  type ListResult,
  type MappingInput,
  type PolicyEffect,
  type SummaryQuery,
  type SummaryResult,
  type SummaryRow,
  type SummarySort,
  type SyncResult,
  type ValveGroupInput,
  type ValveGroupRow,
  type ValveSpecOption,
} from './types';

export class CylinderService {
  private readonly db: CylinderDb;
  private readonly policies: CylinderPolicies;
  constructor(dbs: Databases) {
    this.db = new CylinderDb(dbs);
    this.policies = new CylinderPolicies(this.db);
  }

  private get read(): pg.Pool {
    return this.db.read;
  }
  private get job(): pg.Pool {
    return this.db.job;
  }
  private guard<T>(fn: () => Promise<T>): Promise<T> {
    return this.db.guard(fn);
  }

  // ----- sync (sync.ts) ------------------------------------------------------------------------------------------

  /** Full, set-based resync (cy_resync_all). Cancellable: an aborted signal cancels the statement on the server. */
  fullSync(opts: SyncOptions = {}): Promise<SyncResult> {
    return runFullSync(this.db, opts);
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
      if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing), because('fcms_missing', { tables: missing.join(', ') }));
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
      if (!snap.rowCount && !comp.rowCount) throw new ApiError('not_found', `cylinder ${no} is neither in FCMS nor in the snapshot`, because('cylinder_not_found', { cylinderNo: no }));
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
      type Why = FieldComparison['why'];
      const why = (key: string, params: Why['params'] = {}): Why => ({ key, params });
      const rule = (r: { gasName: string; capacity: string | null; valveSpecCode: string | null; cylinderSpecCode: string | null }) => ({
        gas: r.gasName,
        capacity: r.capacity ?? '*',
        valve: r.valveSpecCode ?? '*',
        spec: r.cylinderSpecCode ?? '*',
      });
      const [enduserReason, enduserWhy]: [string, Why] =
        source === 'exception'
          ? [
              `exception #${exception.id} for this cylinder → ${exception.enduser}${exception.reason ? ` (${exception.reason})` : ''}; it beats every default rule`,
              why(exception.reason ? 'enduser.exceptionWithReason' : 'enduser.exception', { id: exception.id, enduser: exception.enduser, reason: exception.reason ?? '' }),
            ]
          : source === 'default'
            ? [
                `default rule #${winner!.id} (${describeRule(winner!)}) → ${winner!.defaultEnduser}: the most specific of ${activeRules.length} matching active rule(s)`,
                why('enduser.default', { id: winner!.id, ...rule(winner!), enduser: winner!.defaultEnduser, n: activeRules.length }),
              ]
            : [`no active exception and no active default rule matches ${row.raw_gas_name || '(no gas name)'}: the final default 'SDC'`, why('enduser.fallback', { gas: row.raw_gas_name || '—' })];
      const m = mapping.rows[0] ?? null;
      const grouped = Boolean(m && m.isActive && m.groupActive);
      const [valveReason, valveWhy]: [string, Why] = !m
        ? ['the valve is in no valve group: the FCMS name is shown', why('valve.noGroup')]
        : !m.isActive
          ? [`mapping #${m.id} into group ${m.groupName} is inactive: the FCMS name is shown`, why('valve.mappingInactive', { id: m.id, group: m.groupName })]
          : !m.groupActive
            ? [`valve group ${m.groupName} is inactive: the FCMS name is shown`, why('valve.groupInactive', { group: m.groupName })]
            : m.primary
              ? [
                  `valve group ${m.groupName} (mapping #${m.id}): shown as the group's primary valve "${m.primary.valveSpecName}" (mapping #${m.primary.id})`,
                  why('valve.primary', { group: m.groupName, id: m.id, primary: m.primary.valveSpecName, primaryId: m.primary.id }),
                ]
              : [`valve group ${m.groupName} (mapping #${m.id}) has no active primary valve: the FCMS name is shown`, why('valve.noPrimary', { group: m.groupName, id: m.id })];
      const statusReason = `condition code ${row.raw_condition_code === '' ? '(none: no status row yet)' : row.raw_condition_code} → ${row.dashboard_status} (${row.is_available ? '가용: 보관/충전' : '비가용'})`;
      const statusWhy =
        row.raw_condition_code === ''
          ? why(row.is_available ? 'status.noRowAvailable' : 'status.noRow', { status: row.dashboard_status })
          : why(row.is_available ? 'status.codeAvailable' : 'status.code', { code: row.raw_condition_code, status: row.dashboard_status });
      const f = (field: string, label: string, raw: string | null, dash: string | null, [reason, w]: [string, Why]): FieldComparison => ({
        field,
        label,
        raw,
        dashboard: dash,
        differs: raw !== dash,
        reason,
        why: w,
      });
      const gasReason: [string, Why] =
        fcms.rows[0]?.itemKnown === false
          ? [`item code ${fcms.rows[0].itemCode} has no ma_items row: gas name ''`, why('gas.noItem', { itemCode: fcms.rows[0].itemCode })]
          : fcms.rows[0]?.displayName == null && fcms.rows[0]?.formalName != null
            ? ['DISPLAY_NAME is empty: FORMAL_NAME is used', why('gas.formalName')]
            : ['FCMS DISPLAY_NAME', why('gas.displayName')];
      const fields: FieldComparison[] = [
        f('gas', 'Gas', row.raw_gas_name, row.dashboard_gas_name, gasReason),
        f('capacity', 'Capacity', row.raw_capacity, row.dashboard_capacity, ['as stored in FCMS (numeric text kept: 47 and 47.0 are different types)', why('capacity.asStored')]),
        f('valve', 'Valve', row.raw_valve_spec_name, row.dashboard_valve_spec_name, [valveReason, valveWhy]),
        f(
          'valveGroup',
          'Valve group',
          null,
          row.dashboard_valve_group_name,
          grouped ? [`active mapping #${m!.id} in active group ${m!.groupName}`, why('valveGroup.active', { id: m!.id, group: m!.groupName })] : ['no active group', why('valveGroup.none')],
        ),
        f('cylinderSpec', 'Cylinder spec', row.raw_cylinder_spec_name, row.dashboard_cylinder_spec_name, ['as in FCMS', why('cylinderSpec.asIs')]),
        f('enduser', 'EndUser', row.raw_usage_place, row.dashboard_enduser, [enduserReason, enduserWhy]),
        f('status', 'Status', row.raw_condition_code, row.dashboard_status, [statusReason, statusWhy]),
        f('location', 'Location', row.raw_location, row.dashboard_location, ['FCMS POSITION_USER_NAME', why('location.asIs')]),
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

  // ----- policy editors (policies.ts) ----------------------------------------------------------------------------

  listDefaults(): Promise<DefaultRuleRow[]> {
    return this.policies.listDefaults();
  }
  /** How many cylinders a default-rule change would move, and between which EndUsers; nothing is saved. */
  previewDefault(change: DefaultChange): Promise<PolicyEffect> {
    return this.policies.previewDefault(change);
  }
  saveDefault(user: SessionUser | undefined, rule: DefaultRuleInput): Promise<{ id: number; effect: PolicyEffect }> {
    return this.policies.saveDefault(user, rule);
  }
  deleteDefault(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.policies.deleteDefault(user, id);
  }

  listExceptions(q: ExceptionQuery = {}): Promise<ExceptionRow[]> {
    return this.policies.listExceptions(q);
  }
  /** Bulk-creates exceptions; refused as a whole when a number is unknown, listed twice or already excepted. */
  createExceptions(user: SessionUser | undefined, input: ExceptionsInput): Promise<{ created: number; ids: number[]; effect: PolicyEffect }> {
    return this.policies.createExceptions(user, input);
  }
  updateException(user: SessionUser | undefined, input: ExceptionUpdate): Promise<{ id: number; effect: PolicyEffect }> {
    return this.policies.updateException(user, input);
  }
  deleteExceptions(user: SessionUser | undefined, ids: number[]): Promise<{ deleted: number; effect: PolicyEffect }> {
    return this.policies.deleteExceptions(user, ids);
  }

  listValveGroups(): Promise<{ groups: ValveGroupRow[]; valveSpecs: ValveSpecOption[] }> {
    return this.policies.listValveGroups();
  }
  saveValveGroup(user: SessionUser | undefined, input: ValveGroupInput): Promise<{ id: number; effect: PolicyEffect }> {
    return this.policies.saveValveGroup(user, input);
  }
  /** Deletes a group and its mappings. */
  deleteValveGroup(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.policies.deleteValveGroup(user, id);
  }
  /** Maps an FCMS valve into a group (code and the valve's FCMS name; isPrimary: the group's representative). */
  saveMapping(user: SessionUser | undefined, input: MappingInput): Promise<{ id: number; effect: PolicyEffect }> {
    return this.policies.saveMapping(user, input);
  }
  deleteMapping(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.policies.deleteMapping(user, id);
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
