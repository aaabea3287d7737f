/**
 * An independent reference of the snapshot rules (decisions.md, "Cylinder inventory"), written from the rules and
 * not from the SQL: the tests build an FCMS fixture, compute the expected `cy_cylinder_current` rows here (md5 with
 * node:crypto, capacity text exactly as the fixture stores it) and compare them with what the database holds.
 * Also the helpers that write such a fixture into a database.
 */
import crypto from 'node:crypto';
import type pg from 'pg';

export interface FxItem {
  code: string;
  display: string | null;
  formal: string | null;
}
export interface FxCylinder {
  no: string;
  item: string | null;
  /** canonical numeric text, as PostgreSQL prints it back (47 and 47.0 differ) */
  capacity: string | null;
  valve: string | null;
  spec: string | null;
  dept: string | null;
  updated: string | null;
}
export interface FxStatus {
  no: string;
  code: string | null;
  place: string | null;
  moved: string | null;
}
export interface FxDefault {
  id: number;
  gas: string;
  capacity: string | null;
  valve: string | null;
  spec: string | null;
  enduser: string;
  active: boolean;
}
export interface FxException {
  id: number;
  no: string;
  enduser: string;
  active: boolean;
}
export interface FxGroup {
  id: number;
  name: string;
  active: boolean;
}
export interface FxMapping {
  id: number;
  code: string;
  name: string;
  group: number;
  primary: boolean;
  active: boolean;
}

export interface Fixture {
  items: FxItem[];
  valves: { code: string; name: string | null }[];
  specs: { code: string; name: string | null }[];
  cylinders: FxCylinder[];
  statuses: FxStatus[];
  defaults: FxDefault[];
  exceptions: FxException[];
  groups: FxGroup[];
  mappings: FxMapping[];
}

/** One snapshot row as the tests read it back (capacity as text, timestamps as 'YYYY-MM-DD HH24:MI:SS'). */
export interface ExpectedRow {
  cylinder_no: string;
  raw_gas_name: string;
  raw_capacity: string | null;
  raw_valve_spec_code: string | null;
  raw_valve_spec_name: string;
  raw_cylinder_spec_code: string | null;
  raw_cylinder_spec_name: string;
  raw_usage_place: string;
  raw_location: string;
  raw_condition_code: string;
  raw_position_user_name: string;
  dashboard_gas_name: string;
  dashboard_capacity: string | null;
  dashboard_valve_spec_code: string | null;
  dashboard_valve_spec_name: string;
  dashboard_valve_group_name: string | null;
  dashboard_cylinder_spec_code: string | null;
  dashboard_cylinder_spec_name: string;
  dashboard_usage_place: string;
  dashboard_location: string;
  dashboard_status: string;
  dashboard_enduser: string;
  cylinder_type_key: string;
  cylinder_type_key_raw: string;
  condition_code: string;
  move_date: string | null;
  pressure_due_date: string | null;
  last_event_at: string | null;
  source_updated_at: string | null;
  status_category: string;
  is_available: boolean;
}

const md5 = (s: string) => crypto.createHash('md5').update(s, 'utf8').digest('hex');

/** Numeric equality on decimal text: 47 = 47.0 = 047.00. */
function numEq(a: string, b: string): boolean {
  const norm = (s: string) => {
    let [i, f = ''] = s.split('.');
    i = i.replace(/^0+(?=\d)/, '');
    f = f.replace(/0+$/, '');
    return f ? `${i}.${f}` : i;
  };
  return norm(a) === norm(b);
}

const STATUS: Record<string, string> = {
  '100': '보관',
  '102': '보관',
  '210': '충전',
  '220': '충전',
  '420': '분석',
  '500': '창입',
  '600': '출하',
  '190': '이상',
  '950': '폐기',
  '952': '폐기',
};

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b; // same fixed-width format: text order is time order
}

export function expectedRows(fx: Fixture): ExpectedRow[] {
  return fx.cylinders
    .map((c): ExpectedRow => {
      const item = fx.items.find((i) => i.code === c.item);
      const gas = item ? (item.display ?? item.formal ?? '') : '';
      const valve = fx.valves.find((v) => v.code === c.valve);
      const valveName = valve?.name ?? '';
      const spec = fx.specs.find((s) => s.code === c.spec);
      const specName = spec?.name ?? '';
      const st = fx.statuses.find((s) => s.no === c.no);
      const cond = st?.code ?? '';
      const place = st?.place ?? '';
      const status = STATUS[cond] ?? '기타';
      const available = status === '보관' || status === '충전';

      // EndUser: active exception; else the most specific active matching rule (ties: capacity, valve, spec, id); else SDC
      const exc = fx.exceptions.find((e) => e.no === c.no && e.active);
      const matching = fx.defaults.filter(
        (d) =>
          d.active &&
          d.gas === gas &&
          (d.capacity === null || (c.capacity !== null && numEq(d.capacity, c.capacity))) &&
          (d.valve === null || d.valve === c.valve) &&
          (d.spec === null || d.spec === c.spec),
      );
      const score = (d: FxDefault) => [d.capacity, d.valve, d.spec].filter((x) => x !== null).length;
      matching.sort(
        (a, b) =>
          score(b) - score(a) ||
          Number(a.capacity === null) - Number(b.capacity === null) ||
          Number(a.valve === null) - Number(b.valve === null) ||
          Number(a.spec === null) - Number(b.spec === null) ||
          a.id - b.id,
      );
      const enduser = exc ? exc.enduser : matching.length ? matching[0].enduser : 'SDC';

      // Valve group: an active mapping of (code, FCMS name) in an active group; dashboard name = its active primary
      const mapping = c.valve === null ? undefined : fx.mappings.find((m) => m.active && m.code === c.valve && m.name === valveName);
      const group = mapping ? fx.groups.find((g) => g.id === mapping.group && g.active) : undefined;
      const primary = group ? fx.mappings.find((m) => m.group === group.id && m.primary && m.active) : undefined;
      const dashValve = group ? (primary?.name ?? valveName) : valveName;

      const cap = c.capacity ?? '';
      return {
        cylinder_no: c.no,
        raw_gas_name: gas,
        raw_capacity: c.capacity,
        raw_valve_spec_code: c.valve,
        raw_valve_spec_name: valveName,
        raw_cylinder_spec_code: c.spec,
        raw_cylinder_spec_name: specName,
        raw_usage_place: c.dept ?? '',
        raw_location: place,
        raw_condition_code: cond,
        raw_position_user_name: place,
        dashboard_gas_name: gas,
        dashboard_capacity: c.capacity,
        dashboard_valve_spec_code: c.valve,
        dashboard_valve_spec_name: dashValve,
        dashboard_valve_group_name: group?.name ?? null,
        dashboard_cylinder_spec_code: c.spec,
        dashboard_cylinder_spec_name: specName,
        dashboard_usage_place: c.dept ?? '',
        dashboard_location: place,
        dashboard_status: status,
        dashboard_enduser: enduser,
        cylinder_type_key: md5(`${gas}|${cap}|${group?.name ?? dashValve}|${specName}|${enduser}`),
        cylinder_type_key_raw: md5(`${gas}|${cap}|${valveName}|${specName}|`),
        condition_code: cond,
        move_date: st?.moved ?? null,
        pressure_due_date: null,
        last_event_at: later(st?.moved ?? null, c.updated),
        source_updated_at: c.updated,
        status_category: available ? '가용' : '비가용',
        is_available: available,
      };
    })
    .sort((a, b) => (a.cylinder_no < b.cylinder_no ? -1 : 1));
}

const TS = (col: string) => `to_char(${col}, 'YYYY-MM-DD HH24:MI:SS') AS ${col}`;

/** The snapshot as ExpectedRow[] (sorted by cylinder number). */
export async function readSnapshot(db: pg.Pool | pg.ClientBase, table = 'cy_cylinder_current'): Promise<ExpectedRow[]> {
  const r = await db.query<ExpectedRow>(
    `SELECT cylinder_no, raw_gas_name, raw_capacity::text AS raw_capacity, raw_valve_spec_code, raw_valve_spec_name,
            raw_cylinder_spec_code, raw_cylinder_spec_name, raw_usage_place, raw_location, raw_condition_code, raw_position_user_name,
            dashboard_gas_name, dashboard_capacity::text AS dashboard_capacity, dashboard_valve_spec_code, dashboard_valve_spec_name,
            dashboard_valve_group_name, dashboard_cylinder_spec_code, dashboard_cylinder_spec_name, dashboard_usage_place,
            dashboard_location, dashboard_status, dashboard_enduser, cylinder_type_key, cylinder_type_key_raw, condition_code,
            ${TS('move_date')}, ${TS('pressure_due_date')}, ${TS('last_event_at')}, ${TS('source_updated_at')},
            status_category, is_available
     FROM ${table} ORDER BY cylinder_no COLLATE "C"`,
  );
  return r.rows;
}

/** Writes the fixture into fcms_cdc.* and the policy tables (ids as given). */
export async function writeFixture(db: pg.Pool | pg.ClientBase, fx: Fixture): Promise<void> {
  for (const i of fx.items) await db.query('INSERT INTO fcms_cdc.ma_items VALUES ($1, $2, $3)', [i.code, i.display, i.formal]);
  for (const v of fx.valves) await db.query('INSERT INTO fcms_cdc.ma_valve_specs VALUES ($1, $2)', [v.code, v.name]);
  for (const s of fx.specs) await db.query('INSERT INTO fcms_cdc.ma_cylinder_specs VALUES ($1, $2)', [s.code, s.name]);
  for (const s of fx.statuses) await db.query('INSERT INTO fcms_cdc.tr_latest_cylinder_statuses VALUES ($1, $2, $3, $4)', [s.no, s.code, s.place, s.moved]);
  for (const c of fx.cylinders)
    await db.query('INSERT INTO fcms_cdc.ma_cylinders VALUES ($1, $2, $3::numeric, $4, $5, $6, $7)', [c.no, c.item, c.capacity, c.valve, c.spec, c.dept, c.updated]);
  for (const g of fx.groups) await db.query('INSERT INTO cy_valve_group (id, group_name, is_active) VALUES ($1, $2, $3)', [g.id, g.name, g.active]);
  for (const m of fx.mappings)
    await db.query('INSERT INTO cy_valve_group_mapping (id, valve_spec_code, valve_spec_name, group_id, is_primary, is_active) VALUES ($1, $2, $3, $4, $5, $6)', [
      m.id,
      m.code,
      m.name,
      m.group,
      m.primary,
      m.active,
    ]);
  for (const d of fx.defaults)
    await db.query(
      'INSERT INTO cy_enduser_default (id, gas_name, capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active) VALUES ($1, $2, $3::numeric, $4, $5, $6, $7)',
      [d.id, d.gas, d.capacity, d.valve, d.spec, d.enduser, d.active],
    );
  for (const e of fx.exceptions)
    await db.query('INSERT INTO cy_enduser_exception (id, cylinder_no, enduser, is_active) VALUES ($1, $2, $3, $4)', [e.id, e.no, e.enduser, e.active]);
  for (const t of ['cy_valve_group', 'cy_valve_group_mapping', 'cy_enduser_default', 'cy_enduser_exception'])
    await db.query(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), 1000)`);
}
