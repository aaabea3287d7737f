/**
 * Demo data for the cylinder inventory: an FCMS CDC source (`fcms_cdc.*`, contracts/fcms_cdc.sql) with specialty
 * gases, valves, cylinder specs, statuses with the real condition codes and Korean holders/locations, plus a few
 * CYNOW policies (EndUser defaults with NULL wildcards, the design's "29 cylinders delivered to LGD only"
 * exception, the design's COS_CGA330 valve group).
 *
 * Deterministic (a seeded PRNG: the same `count` and `seed` give the same rows) and idempotent (every insert is
 * ON CONFLICT DO NOTHING: running it twice adds nothing).
 */
import type pg from 'pg';
import type { Databases } from '../db/pools';
import { createFcmsDemoSchema, ensureCylinderSync } from './migrations';
import { mulberry32 } from '../lib/mulberry32';

/** seeded PRNG (mulberry32) */
export const prng = mulberry32;

function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

function weighted<T>(rnd: () => number, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [v, w] of items) {
    x -= w;
    if (x < 0) return v;
  }
  return items[items.length - 1][0];
}

/** [ITEM_CODE, DISPLAY_NAME, FORMAL_NAME] — one without a display name (FORMAL_NAME is the fallback). */
export const DEMO_ITEMS: [string, string | null, string | null][] = [
  ['G-SIH4', 'SiH4', 'Monosilane'],
  ['G-NH3', 'NH3', 'Ammonia'],
  ['G-WF6', 'WF6', 'Tungsten hexafluoride'],
  ['G-NF3', 'NF3', 'Nitrogen trifluoride'],
  ['G-CF4', 'CF4', 'Tetrafluoromethane'],
  ['G-C4F8', 'C4F8', 'Octafluorocyclobutane'],
  ['G-HBR', 'HBr', 'Hydrogen bromide'],
  ['G-CL2', 'Cl2', 'Chlorine'],
  ['G-N2O', 'N2O', 'Nitrous oxide'],
  ['G-HE', 'He', 'Helium'],
  ['G-AR', 'Ar', 'Argon'],
  ['G-CO2', 'CO2', 'Carbon dioxide'],
  ['G-B2H6', 'B2H6', 'Diborane 10% in H2'],
  ['G-PH3', 'PH3', 'Phosphine'],
  ['G-COS', 'COS', 'Carbonyl sulfide'],
  ['G-XE', null, 'Xe'],
];

export const DEMO_VALVES: [string, string][] = [
  ['V-CGA330-N', 'SUS general Y CGA330 Y NERIKI'],
  ['V-CGA330-H', 'SUS general Y CGA330 Y HAMAI'],
  ['V-CGA350', 'SUS diaphragm CGA350'],
  ['V-CGA580', 'Brass CGA580'],
  ['V-CGA660', 'SUS CGA660'],
  ['V-CGA320', 'Brass CGA320'],
  ['V-CGA326', 'Brass CGA326'],
  ['V-CGA705', 'SUS CGA705'],
  ['V-DISS632', 'DISS 632 (SUS diaphragm)'],
  ['V-DISS634', 'DISS 634'],
  ['V-DISS638', 'DISS 638 "high purity"'],
  ['V-DISS640', 'DISS 640'],
  ['V-DISS720', 'DISS 720'],
  ['V-DISS728', 'DISS 728'],
  ['V-DIN1', 'DIN 477 No.1'],
  ['V-DIN6', 'DIN 477 No.6'],
  ['V-DIN8', 'DIN 477 No.8'],
];

export const DEMO_CYLINDER_SPECS: [string, string][] = [
  ['S-BN47', 'BN 47L 무계목 용기'],
  ['S-YC440', 'YC 440L'],
  ['S-ISO10', 'ISO 10L'],
  ['S-DOT49', 'DOT-3AA 49L'],
  ['S-TON930', "Ton container 930L (KGS 'T')"],
  ['S-AL47', 'Al 47L'],
];

/** Per gas: [capacity text as FCMS stores it, weight], valves, specs. SiH4 has both 47 and 47.0. */
const PROFILES: Record<string, { caps: [string, number][]; valves: string[]; specs: string[]; weight: number }> = {
  'G-SIH4': { caps: [['47', 5], ['47.0', 2], ['440', 1]], valves: ['V-CGA350', 'V-DISS632'], specs: ['S-BN47', 'S-YC440'], weight: 10 },
  'G-NH3': { caps: [['47', 4], ['440', 2], ['930', 1]], valves: ['V-CGA660', 'V-DISS720', 'V-DIN6'], specs: ['S-BN47', 'S-YC440', 'S-TON930'], weight: 10 },
  'G-WF6': { caps: [['10', 2], ['47', 3]], valves: ['V-DISS638'], specs: ['S-ISO10', 'S-BN47'], weight: 6 },
  'G-NF3': { caps: [['47', 5], ['440', 3]], valves: ['V-CGA330-N', 'V-CGA330-H', 'V-DISS640'], specs: ['S-BN47', 'S-YC440'], weight: 12 },
  'G-CF4': { caps: [['47', 3], ['440', 4]], valves: ['V-CGA580', 'V-DIN1'], specs: ['S-BN47', 'S-YC440'], weight: 10 },
  'G-C4F8': { caps: [['47', 4], ['49', 1]], valves: ['V-CGA660', 'V-DISS720'], specs: ['S-BN47', 'S-DOT49'], weight: 5 },
  'G-HBR': { caps: [['47', 1]], valves: ['V-DISS634', 'V-CGA330-H'], specs: ['S-BN47'], weight: 4 },
  'G-CL2': { caps: [['47', 3], ['930', 1]], valves: ['V-CGA660', 'V-DISS728', 'V-DIN8'], specs: ['S-BN47', 'S-TON930'], weight: 5 },
  'G-N2O': { caps: [['47', 3], ['440', 1]], valves: ['V-CGA326', 'V-DISS720'], specs: ['S-BN47', 'S-YC440'], weight: 6 },
  'G-HE': { caps: [['47', 4], ['47.0', 1]], valves: ['V-CGA580', 'V-DIN6'], specs: ['S-BN47', 'S-AL47'], weight: 6 },
  'G-AR': { caps: [['47', 3]], valves: ['V-CGA580', 'V-DIN6'], specs: ['S-BN47'], weight: 6 },
  'G-CO2': { caps: [['47', 2]], valves: ['V-CGA320', 'V-DIN6'], specs: ['S-BN47'], weight: 4 },
  'G-B2H6': { caps: [['10', 1], ['47', 2]], valves: ['V-DISS632', 'V-CGA350'], specs: ['S-ISO10', 'S-BN47'], weight: 3 },
  'G-PH3': { caps: [['10', 1], ['47', 2]], valves: ['V-DISS632', 'V-CGA350'], specs: ['S-ISO10', 'S-BN47'], weight: 3 },
  'G-COS': { caps: [['47', 1]], valves: ['V-CGA330-N', 'V-CGA330-H'], specs: ['S-BN47'], weight: 2 },
  'G-XE': { caps: [['10', 1], ['47', 1]], valves: ['V-CGA580'], specs: ['S-ISO10', 'S-BN47'], weight: 1 },
  // an item code FCMS knows but ma_items does not (gas name '')
  'G-UNKNOWN': { caps: [['47', 1]], valves: ['V-CGA580'], specs: ['S-BN47'], weight: 0.2 },
};

const PREFIX: Record<string, string> = {
  'G-SIH4': 'SI', 'G-NH3': 'NH', 'G-WF6': 'WF', 'G-NF3': 'NF', 'G-CF4': 'CF', 'G-C4F8': 'CB', 'G-HBR': 'HB', 'G-CL2': 'CL',
  'G-N2O': 'NO', 'G-HE': 'HE', 'G-AR': 'AR', 'G-CO2': 'CO', 'G-B2H6': 'BH', 'G-PH3': 'PH', 'G-COS': 'CS', 'G-XE': 'XE', 'G-UNKNOWN': 'ZZ',
};

const STATUS_CODES: [string | null, number][] = [
  ['100', 30], ['102', 5], ['210', 7], ['220', 4], ['420', 5], ['500', 8], ['600', 25], ['190', 2], ['950', 2], ['952', 1],
  ['300', 2], ['700', 1], [null, 2], // null: no status row yet
];
export const CUSTOMER_SITES = ['삼성디스플레이 아산', 'LG디스플레이 파주', 'SK하이닉스 이천', '삼성전자 평택', 'DB하이텍 부천', 'SK하이닉스 청주'];
export const PLANT_PLACES = ['충전동 1층', '충전동 2층', '분석실', '제품창고 A', '제품창고 B', '공병장', "O'Brien 임시보관소"];
const HOLDERS = ['김민수', '이서연', '박지훈', '최유진', '정하늘'];
export const DEPARTMENTS: [string | null, number][] = [['SDC', 5], ['LGD', 2], ['SKH', 2], ['SEC', 1], [null, 1]];

export interface DemoFcmsRows {
  cylinders: { no: string; item: string; capacity: string; valve: string; spec: string; dept: string | null; updated: string }[];
  statuses: { no: string; code: string; place: string; moved: string }[];
}

const BASE_MS = Date.UTC(2026, 0, 1);
function ts(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** The FCMS rows of `count` demo cylinders (pure, deterministic). */
export function generateFcmsRows(count: number, seed = 20261124): DemoFcmsRows {
  const rnd = prng(seed);
  const gases = Object.entries(PROFILES).map(([k, p]) => [k, p.weight] as const);
  const seq: Record<string, number> = {};
  const out: DemoFcmsRows = { cylinders: [], statuses: [] };
  for (let i = 0; i < count; i++) {
    const item = weighted(rnd, gases);
    const p = PROFILES[item];
    seq[item] = (seq[item] ?? 0) + 1;
    const no = `${PREFIX[item]}${String(seq[item]).padStart(6, '0')}`;
    const capacity = weighted(rnd, p.caps);
    const valve = pick(rnd, p.valves);
    const spec = pick(rnd, p.specs);
    const dept = weighted(rnd, DEPARTMENTS);
    const updated = ts(BASE_MS + Math.floor(rnd() * 300 * 86400_000));
    out.cylinders.push({ no, item, capacity, valve, spec, dept, updated });
    const code = weighted(rnd, STATUS_CODES);
    if (code !== null) {
      const place =
        code === '600'
          ? pick(rnd, CUSTOMER_SITES)
          : code === '420'
            ? '분석실'
            : code === '950' || code === '952'
              ? '폐기장'
              : rnd() < 0.15
                ? pick(rnd, HOLDERS)
                : pick(rnd, PLANT_PLACES);
      const moved = ts(BASE_MS + Math.floor(rnd() * 300 * 86400_000));
      out.statuses.push({ no, code, place, moved });
    }
  }
  return out;
}

/** Inserts the FCMS demo rows (schema created if needed). Batched, ON CONFLICT DO NOTHING. */
export async function insertFcmsDemo(client: pg.ClientBase, count: number, seed?: number): Promise<{ cylinders: number; statuses: number }> {
  await createFcmsDemoSchema(client);
  await client.query(
    `insert into fcms_cdc.ma_items select * from unnest($1::text[], $2::text[], $3::text[]) on conflict do nothing`,
    [DEMO_ITEMS.map((x) => x[0]), DEMO_ITEMS.map((x) => x[1]), DEMO_ITEMS.map((x) => x[2])],
  );
  await client.query(`insert into fcms_cdc.ma_valve_specs select * from unnest($1::text[], $2::text[]) on conflict do nothing`, [
    DEMO_VALVES.map((x) => x[0]),
    DEMO_VALVES.map((x) => x[1]),
  ]);
  await client.query(`insert into fcms_cdc.ma_cylinder_specs select * from unnest($1::text[], $2::text[]) on conflict do nothing`, [
    DEMO_CYLINDER_SPECS.map((x) => x[0]),
    DEMO_CYLINDER_SPECS.map((x) => x[1]),
  ]);
  const rows = generateFcmsRows(count, seed);
  let nStatus = 0;
  let nCyl = 0;
  const B = 5000;
  // Statuses first: with the sync triggers installed, each cylinder is then computed once, complete.
  for (let i = 0; i < rows.statuses.length; i += B) {
    const b = rows.statuses.slice(i, i + B);
    const r = await client.query(
      `insert into fcms_cdc.tr_latest_cylinder_statuses ("CYLINDER_NO", "CONDITION_CODE", "POSITION_USER_NAME", "MOVE_DATE")
       select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamp[]) on conflict do nothing`,
      [b.map((x) => x.no), b.map((x) => x.code), b.map((x) => x.place), b.map((x) => x.moved)],
    );
    nStatus += r.rowCount ?? 0;
  }
  for (let i = 0; i < rows.cylinders.length; i += B) {
    const b = rows.cylinders.slice(i, i + B);
    const r = await client.query(
      `insert into fcms_cdc.ma_cylinders ("CYLINDER_NO", "ITEM_CODE", "CAPACITY", "VALVE_SPEC_CODE", "CYLINDER_SPEC_CODE", "USE_DEPARTMENT_CODE", "UPDATE_DATETIME")
       select * from unnest($1::text[], $2::text[], $3::numeric[], $4::text[], $5::text[], $6::text[], $7::timestamp[]) on conflict do nothing`,
      [b.map((x) => x.no), b.map((x) => x.item), b.map((x) => x.capacity), b.map((x) => x.valve), b.map((x) => x.spec), b.map((x) => x.dept), b.map((x) => x.updated)],
    );
    nCyl += r.rowCount ?? 0;
  }
  return { cylinders: nCyl, statuses: nStatus };
}

/** The demo policies (idempotent). */
export async function insertPolicyDemo(client: pg.ClientBase): Promise<{ defaults: number; exceptions: number; valveGroups: number; mappings: number }> {
  const d = await client.query(
    `insert into cy_enduser_default (gas_name, capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active)
     select * from unnest($1::text[], $2::numeric[], $3::text[], $4::text[], $5::text[], $6::boolean[])
     on conflict do nothing`,
    [
      ['CF4', 'NF3', 'NF3', 'NF3', 'SiH4', 'SiH4', 'WF6', 'NH3', 'C4F8', 'Cl2'],
      ['440', null, '47', '47', null, '47', null, null, null, '930'],
      [null, null, null, 'V-CGA330-H', null, 'V-DISS632', null, null, null, null],
      [null, null, null, null, null, null, 'S-ISO10', null, null, null],
      ['SDC', 'SDC', 'LGD', 'SKH', 'SEC', 'SKH', 'SKH', 'LGD', 'SEC', 'SKH'],
      [true, true, true, true, true, true, true, false, true, true],
    ],
  );
  // The design's example: CF4 YC 440L defaults to SDC, but 29 cylinders are delivered to LGD only.
  const ex = await client.query(
    `insert into cy_enduser_exception (cylinder_no, enduser, reason)
     select "CYLINDER_NO", 'LGD', 'LGD 납품 전용 (29병)'
     from fcms_cdc.ma_cylinders where "ITEM_CODE" = 'G-CF4' and "CAPACITY" = 440 and "CYLINDER_SPEC_CODE" = 'S-YC440'
     order by "CYLINDER_NO" limit 29
     on conflict (cylinder_no) do nothing`,
  );
  const ex2 = await client.query(
    `insert into cy_enduser_exception (cylinder_no, enduser, reason, is_active)
     select "CYLINDER_NO", 'SKH', '임시 대여 종료 (비활성)', false
     from fcms_cdc.ma_cylinders where "ITEM_CODE" = 'G-NH3' order by "CYLINDER_NO" limit 3
     on conflict (cylinder_no) do nothing`,
  );
  const g = await client.query(
    `insert into cy_valve_group (group_name, description, is_active) values
       ('COS_CGA330', 'COS CGA330 통합 그룹 (NERIKI/HAMAI)', true),
       ('DISS_SUS', 'DISS 계열 통합 (검토 중, 비활성)', false)
     on conflict (group_name) do nothing`,
  );
  const m = await client.query(
    `insert into cy_valve_group_mapping (valve_spec_code, valve_spec_name, group_id, is_primary, is_active)
     select v.code, v.name, g.id, v.is_primary, true
     from (values ('V-CGA330-N', 'SUS general Y CGA330 Y NERIKI', 'COS_CGA330', true),
                  ('V-CGA330-H', 'SUS general Y CGA330 Y HAMAI', 'COS_CGA330', false),
                  ('V-DISS632', 'DISS 632 (SUS diaphragm)', 'DISS_SUS', true),
                  ('V-DISS634', 'DISS 634', 'DISS_SUS', false)) v(code, name, grp, is_primary)
     join cy_valve_group g on g.group_name = v.grp
     on conflict (valve_spec_code, valve_spec_name) do nothing`,
  );
  return { defaults: d.rowCount ?? 0, exceptions: (ex.rowCount ?? 0) + (ex2.rowCount ?? 0), valveGroups: g.rowCount ?? 0, mappings: m.rowCount ?? 0 };
}

export interface CylinderDemoResult {
  /** rows added this run (0 everywhere on a second run) */
  added: { cylinders: number; statuses: number; defaults: number; exceptions: number; valveGroups: number; mappings: number };
  /** cylinders in the snapshot afterwards */
  snapshot: number;
  notes: string[];
}

/**
 * Fills the FCMS CDC schema with `count` demo cylinders (default 5000) and the demo policies, and makes sure the
 * sync is installed. The client must be on the cylinders database, with migrations applied. The bulk load pauses
 * the per-row FCMS triggers and ends with one set-based resync (the rows are the same, in a fraction of the time).
 * Refuses to touch an FCMS source that holds other (real) data.
 */
export async function seedCylinderDemo(client: pg.ClientBase, opts: { count?: number; seed?: number } = {}): Promise<CylinderDemoResult> {
  const count = opts.count ?? 5000;
  if (!Number.isInteger(count) || count < 1 || count > 2_000_000) throw new Error(`count must be an integer in 1..2000000 (got ${count})`);
  const has = await client.query(`select to_regclass('cy_cylinder_current') as r, to_regclass('fcms_cdc.ma_cylinders') as f`);
  if (!has.rows[0].r) throw new Error('cy_cylinder_current does not exist: run `linedeck migrate` first');
  if (has.rows[0].f) {
    const real = await client.query(
      `select exists (select 1 from fcms_cdc.ma_cylinders) as rows,
              exists (select 1 from fcms_cdc.ma_items where "ITEM_CODE" = any($1::text[])) as demo`,
      [DEMO_ITEMS.map((x) => x[0])],
    );
    if (real.rows[0].rows && !real.rows[0].demo)
      throw new Error('fcms_cdc.ma_cylinders already holds data that is not demo data: the demo seed leaves a real FCMS source alone');
  }
  await createFcmsDemoSchema(client);
  const notes = await ensureCylinderSync(client);
  const rowTriggers = [
    ['fcms_cdc.ma_cylinders', 'trigger_sync_cylinder_current_cylinders'],
    ['fcms_cdc.tr_latest_cylinder_statuses', 'trigger_sync_cylinder_current_status'],
  ];
  await client.query('begin');
  try {
    for (const [t, n] of rowTriggers) await client.query(`alter table ${t} disable trigger ${n}`);
    const fcms = await insertFcmsDemo(client, count, opts.seed);
    for (const [t, n] of rowTriggers) await client.query(`alter table ${t} enable trigger ${n}`);
    await client.query('select cy_resync_all()');
    const pol = await insertPolicyDemo(client);
    await client.query('commit');
    const n = await client.query<{ n: number }>('select count(*)::int as n from cy_cylinder_current');
    return { added: { ...fcms, ...pol }, snapshot: n.rows[0].n, notes };
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  }
}

/** The module's demo seeder (main/cylinders/module.ts). */
export async function cylinderDemoSeeder(dbs: Databases): Promise<Record<string, number>> {
  const c = await dbs.pool('cylinders', 'job').connect();
  try {
    const r = await seedCylinderDemo(c, { count: Number(process.env.LINEDECK_DEMO_CYLINDERS ?? 5000) });
    return {
      cylinders: r.added.cylinders,
      cylinderStatuses: r.added.statuses,
      cylinderPolicies: r.added.defaults + r.added.exceptions + r.added.valveGroups + r.added.mappings,
      cylinderSnapshot: r.snapshot,
    };
  } finally {
    c.release();
  }
}
