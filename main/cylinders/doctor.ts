/**
 * `linedeck doctor` checks of the cylinder inventory: the FCMS CDC tables are there, the sync triggers are
 * installed (this version), and the snapshot is not stale — every FCMS cylinder has its row and every row equals
 * what FCMS and the policies give now (a drift check over the same computation the sync uses).
 */
import type { Databases } from '../db/pools';
import { describePgError } from '../db/pools';
import type { Check } from '../domain';
import { missingFcmsNote, missingFcmsTables, SNAPSHOT_COLUMNS, syncInstallState } from './migrations';


const CMP = [...SNAPSHOT_COLUMNS.filter((c) => c !== 'cylinder_no'), 'raw_capacity::text', 'dashboard_capacity::text'];

/** Snapshot vs. FCMS + policies: cylinders without a row, rows without a cylinder, rows that differ. */
export async function snapshotDrift(pool: import('pg').Pool | import('pg').ClientBase): Promise<{ fcms: number; snapshot: number; missing: number; orphaned: number; differ: number; sample: string[] }> {
  const r = await pool.query<{ fcms: number; snapshot: number; missing: number; orphaned: number; differ: number; sample: string[] | null }>(
    `SELECT (count(*) FILTER (WHERE v.cylinder_no IS NOT NULL))::int AS fcms,
            (count(*) FILTER (WHERE s.cylinder_no IS NOT NULL))::int AS snapshot,
            (count(*) FILTER (WHERE s.cylinder_no IS NULL))::int AS missing,
            (count(*) FILTER (WHERE v.cylinder_no IS NULL))::int AS orphaned,
            (count(*) FILTER (WHERE v.cylinder_no IS NOT NULL AND s.cylinder_no IS NOT NULL
               AND (${CMP.map((c) => `s.${c}`).join(', ')}) IS DISTINCT FROM (${CMP.map((c) => `v.${c}`).join(', ')})))::int AS differ,
            (array_agg(COALESCE(v.cylinder_no, s.cylinder_no) ORDER BY COALESCE(v.cylinder_no, s.cylinder_no)) FILTER (
               WHERE v.cylinder_no IS NULL OR s.cylinder_no IS NULL
                  OR (${CMP.map((c) => `s.${c}`).join(', ')}) IS DISTINCT FROM (${CMP.map((c) => `v.${c}`).join(', ')})))[1:10] AS sample
     FROM (SELECT ${SNAPSHOT_COLUMNS.join(', ')} FROM cy_cylinder_computed) v
     FULL JOIN cy_cylinder_current s ON s.cylinder_no = v.cylinder_no`,
  );
  const x = r.rows[0];
  return { ...x, sample: x.sample ?? [] };
}

/** Rows of cy_cylinder_type_summary that differ from counting the snapshot now (0 when in step). */
export async function typeSummaryDrift(pool: import('pg').Pool | import('pg').ClientBase): Promise<number> {
  const agg = `SELECT COALESCE(cylinder_type_key, '') k, COALESCE(dashboard_status, '') s, COALESCE(dashboard_location, '') l,
      min(dashboard_gas_name) g, min(dashboard_capacity)::text c, min(COALESCE(dashboard_valve_group_name, dashboard_valve_spec_name)) v,
      min(dashboard_valve_group_name) vg, min(dashboard_cylinder_spec_name) sp, min(dashboard_enduser) e,
      count(*)::int q, (count(*) FILTER (WHERE is_available))::int a
    FROM cy_cylinder_current GROUP BY 1, 2, 3`;
  const sum = `SELECT cylinder_type_key, dashboard_status, dashboard_location, dashboard_gas_name, dashboard_capacity::text, valve_spec,
      dashboard_valve_group_name, dashboard_cylinder_spec_name, dashboard_enduser, qty, available_qty FROM cy_cylinder_type_summary`;
  const r = await pool.query<{ n: number }>(`SELECT count(DISTINCT (k, s, l))::int AS n FROM ((${agg} EXCEPT ${sum}) UNION ALL (${sum} EXCEPT ${agg})) x`);
  return r.rows[0].n;
}

export async function cylindersDoctorChecks(dbs: Databases): Promise<Check[]> {
  const pool = dbs.pool('cylinders', 'job');
  const checks: Check[] = [];
  try {
    const t = await pool.query(`SELECT to_regclass('cy_cylinder_current') AS r`);
    if (!t.rows[0].r) return [{ name: 'cylinders.tables', ok: false, detail: 'cy_cylinder_current is missing: run `linedeck migrate`' }];
    const missing = await missingFcmsTables(pool);
    checks.push({ name: 'cylinders.fcms_tables', ok: missing.length === 0, detail: missing.length ? missingFcmsNote(missing) : 'fcms_cdc: all 5 CDC tables present' });
    if (missing.length) return checks;
    const st = await syncInstallState(pool);
    const installed = st.version !== null && st.missingTriggers.length === 0;
    checks.push({
      name: 'cylinders.sync_triggers',
      ok: installed && st.current,
      detail: !installed
        ? `sync not installed${st.missingTriggers.length ? ` (missing: ${st.missingTriggers.slice(0, 5).join(', ')}${st.missingTriggers.length > 5 ? ', …' : ''})` : ''}: run \`linedeck migrate\``
        : st.current
          ? `installed (version ${st.version}); the snapshot follows FCMS and policy changes`
          : `installed version ${st.version} is older than this console's: run \`linedeck migrate\``,
    });
    const d = await snapshotDrift(pool);
    const last = await pool.query<{ last: string | null; age_s: number | null; fcms_last: string | null }>(
      `SELECT to_char(max(snapshot_updated_at), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last,
              extract(epoch FROM (now() AT TIME ZONE 'UTC') - max(snapshot_updated_at))::int AS age_s,
              (SELECT to_char(max("UPDATE_DATETIME"), 'YYYY-MM-DD"T"HH24:MI:SS') FROM fcms_cdc.ma_cylinders) AS fcms_last
       FROM cy_cylinder_current`,
    );
    const l = last.rows[0];
    const summaryDrift = await typeSummaryDrift(pool);
    const stale = d.missing + d.orphaned + d.differ + summaryDrift;
    const age = l.age_s === null ? 'never updated' : `last change ${l.last} (${formatAge(l.age_s)} ago)`;
    checks.push({
      name: 'cylinders.snapshot',
      ok: stale === 0,
      detail:
        stale === 0
          ? `${d.snapshot} cylinders, in step with FCMS (${d.fcms}) and the policies; ${age}`
          : `snapshot stale: ${d.missing} FCMS cylinder(s) without a row, ${d.orphaned} row(s) without an FCMS cylinder, ${d.differ} row(s) differ from FCMS + policies${d.sample.length ? ` (e.g. ${d.sample.join(', ')})` : ''}${summaryDrift ? `, ${summaryDrift} type-summary row(s) out of step` : ''}; ${age}, newest FCMS UPDATE_DATETIME ${l.fcms_last ?? '-'}: run \`linedeck cylinders sync\``,
    });
  } catch (e) {
    checks.push({ name: 'cylinders.check', ok: false, detail: describePgError(e) });
  }
  return checks;
}

function formatAge(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}
