/**
 * The snapshot rules against an independent reference (testing/reference.ts) on a real PostgreSQL: after migrate +
 * full sync, after CDC changes on the FCMS tables (no manual sync), after policy changes; and the per-row path and
 * the set-based path give identical rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../testing/db';
import { migrateAll } from '../migrations';
import { createFcmsDemoSchema, ensureCylinderSync, missingFcmsTables, syncInstallState, SYNC_VERSION } from './migrations';
import { baseFixture } from './testing/fixture';
import { typeSummaryDrift } from './doctor';
import { expectedRows, readSnapshot, writeFixture, type Fixture } from './testing/reference';

async function ensure(db: TestDb): Promise<string[]> {
  const c = await db.pool.connect();
  try {
    return await ensureCylinderSync(c);
  } finally {
    c.release();
  }
}

describe('cylinder snapshot: hook and full sync', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => db?.drop());

  it('names the missing FCMS tables and what to do', async () => {
    const r = await migrateAll(db.dbs);
    const note = r.notes.find((n) => n.includes('fcms_cdc.ma_cylinders'));
    expect(note).toMatch(/fcms_cdc\.ma_cylinders, fcms_cdc\.tr_latest_cylinder_statuses, fcms_cdc\.ma_items, fcms_cdc\.ma_valve_specs, fcms_cdc\.ma_cylinder_specs are missing/);
    expect(note).toMatch(/run `linedeck demo seed` for demo data or point the cylinders source at the FCMS CDC database/);
    // the design's tables exist anyway
    const t = await db.pool.query(
      `select count(*)::int n from pg_tables where tablename in ('cy_enduser_default','cy_enduser_exception','cy_valve_group','cy_valve_group_mapping','cy_cylinder_current')`,
    );
    expect(t.rows[0].n).toBe(5);
    await db.pool.query('create schema fcms_cdc; create table fcms_cdc.ma_items ("ITEM_CODE" varchar(50) primary key)');
    expect(await missingFcmsTables(db.pool)).toEqual([
      'fcms_cdc.ma_cylinders',
      'fcms_cdc.tr_latest_cylinder_statuses',
      'fcms_cdc.ma_valve_specs',
      'fcms_cdc.ma_cylinder_specs',
    ]);
    await db.pool.query('drop schema fcms_cdc cascade');
  });

  it('installs the sync on existing FCMS data and the full sync equals the reference', async () => {
    const fx = baseFixture();
    await createFcmsDemoSchema(db.pool);
    await writeFixture(db.pool, fx); // no triggers yet: the install's full resync builds the snapshot
    const notes = await ensure(db);
    expect(notes.join()).toMatch(/installed the FCMS sync triggers .*snapshot holds 16 cylinders \(16 rows written, 0 removed\)/);
    expect(await readSnapshot(db.pool)).toEqual(expectedRows(fx));
    expect(await typeSummaryDrift(db.pool)).toBe(0);
    const again = await db.pool.query('select * from cy_resync_all()');
    expect(again.rows[0]).toEqual({ synced: 16, changed: 0, deleted: 0 });
    // idempotent: a second migrate changes nothing and says nothing
    expect(await ensure(db)).toEqual([]);
    const st = await syncInstallState(db.pool);
    expect(st).toMatchObject({ version: SYNC_VERSION, current: true, missingTriggers: [] });
  });

  it('spot checks of the rules (independent of the reference)', async () => {
    const rows = Object.fromEntries((await readSnapshot(db.pool)).map((r) => [r.cylinder_no, r]));
    expect(rows.C01.dashboard_enduser).toBe('LGD-EX'); // active exception beats every rule
    expect(rows.C02.dashboard_enduser).toBe('SKH'); // inactive exception ignored; 47.0 matches the rule for 47
    expect(rows.C02.raw_capacity).toBe('47.0');
    expect(rows.C02.raw_valve_spec_name).toBe('SUS general Y CGA330 Y HAMAI'); // raw never rewritten
    expect(rows.C02.dashboard_valve_spec_name).toBe('SUS general Y CGA330 Y NERIKI'); // the group's primary
    expect(rows.C02.dashboard_valve_group_name).toBe('COS_CGA330');
    expect(rows.C03.dashboard_enduser).toBe('CAP'); // capacity rule before valve rule at equal specificity
    expect(rows.C04.dashboard_enduser).toBe('VS'); // two columns beat one
    expect(rows.C05.dashboard_enduser).toBe('VLV'); // valve before spec; the inactive 10+V-H rule ignored
    expect(rows.C06.raw_gas_name).toBe('');
    expect(rows.C06.dashboard_enduser).toBe('SDC');
    expect(rows.C07).toMatchObject({ raw_gas_name: 'Xenon', condition_code: '', dashboard_status: '기타', move_date: null, dashboard_enduser: 'XEU' });
    expect(rows.C07.dashboard_valve_group_name).toBeNull(); // group DISS_ALL is inactive
    expect(rows.C09.dashboard_enduser).toBe('SEC'); // rule 47.0 matches capacity 47.0 …
    expect(rows.C14.dashboard_enduser).toBe('SEC'); // … and 47
    expect(rows.C10).toMatchObject({ raw_capacity: null, dashboard_valve_group_name: 'NO_PRIMARY', dashboard_valve_spec_name: 'DISS 634' });
    expect(rows.C12.dashboard_enduser).toBe('KOR');
    expect(rows.C12.dashboard_valve_group_name).toBeNull(); // mapping name differs from the FCMS name
    expect(rows.C13.dashboard_valve_group_name).toBeNull(); // inactive mapping
    expect(rows.C16.raw_capacity).toBe('47.00');
    expect(rows.C16.cylinder_type_key).not.toBe(rows.C01.cylinder_type_key);
    // the md5 formula over PostgreSQL's numeric text
    const k = await db.pool.query(`select md5('NF3|47.0|COS_CGA330|BN 47L 무계목|SKH') k`);
    expect(rows.C02.cylinder_type_key).toBe(k.rows[0].k);
    expect(rows.C01.last_event_at).toBe('2026-03-05 09:00:00');
    expect(rows.C02.last_event_at).toBe('2026-03-02 10:00:00');
    expect(rows.C05.last_event_at).toBe('2026-01-01 00:00:00');
    expect(rows.C13.last_event_at).toBe('2026-03-13 10:00:00');
    expect(rows.X99).toBeUndefined();
  });
});

describe('cylinder snapshot: CDC and policy changes, no manual sync', () => {
  let db: TestDb;
  let fx: Fixture;
  const check = async () => {
    expect(await readSnapshot(db.pool)).toEqual(expectedRows(fx));
    expect(await typeSummaryDrift(db.pool)).toBe(0); // the §4.3 summary kept in step by its trigger
  };

  beforeAll(async () => {
    db = await createTestDb();
    await createFcmsDemoSchema(db.pool);
    await ensure(db); // triggers first: every fixture row then goes through the CDC and policy triggers
    fx = baseFixture();
    await writeFixture(db.pool, fx);
  });
  afterAll(async () => db?.drop());

  it('builds the snapshot row by row from CDC inserts', async () => {
    await check();
  });

  it('follows inserts, updates and deletes on ma_cylinders', async () => {
    await db.pool.query(`insert into fcms_cdc.ma_cylinders values ('C20', 'G-NF3', 47.0, 'V-H', 'S-YC', 'SDC', '2026-04-01 00:00:00')`);
    fx.cylinders.push({ no: 'C20', item: 'G-NF3', capacity: '47.0', valve: 'V-H', spec: 'S-YC', dept: 'SDC', updated: '2026-04-01 00:00:00' });
    await check();
    await db.pool.query(`update fcms_cdc.ma_cylinders set "CAPACITY" = 47.0, "UPDATE_DATETIME" = '2026-04-02 00:00:00' where "CYLINDER_NO" = 'C01'`);
    Object.assign(fx.cylinders.find((c) => c.no === 'C01')!, { capacity: '47.0', updated: '2026-04-02 00:00:00' });
    await check();
    await db.pool.query(`update fcms_cdc.ma_cylinders set "VALVE_SPEC_CODE" = 'V-D634' where "CYLINDER_NO" = 'C03'`);
    fx.cylinders.find((c) => c.no === 'C03')!.valve = 'V-D634';
    await check();
    await db.pool.query(`delete from fcms_cdc.ma_cylinders where "CYLINDER_NO" = 'C05'`);
    fx.cylinders = fx.cylinders.filter((c) => c.no !== 'C05');
    await check();
    // renumbered cylinder (primary key update)
    await db.pool.query(`update fcms_cdc.ma_cylinders set "CYLINDER_NO" = 'X99' where "CYLINDER_NO" = 'C06'`);
    fx.cylinders.find((c) => c.no === 'C06')!.no = 'X99';
    await check();
  });

  it('follows the status table (insert for a cylinder without status, update, delete, truncate)', async () => {
    await db.pool.query(`insert into fcms_cdc.tr_latest_cylinder_statuses values ('C07', '600', 'SK하이닉스 이천', '2026-05-01 00:00:00')`);
    fx.statuses.push({ no: 'C07', code: '600', place: 'SK하이닉스 이천', moved: '2026-05-01 00:00:00' });
    await check();
    await db.pool.query(`update fcms_cdc.tr_latest_cylinder_statuses set "CONDITION_CODE" = '220', "MOVE_DATE" = '2026-05-02 00:00:00' where "CYLINDER_NO" in ('C01', 'C02')`);
    for (const s of fx.statuses.filter((x) => x.no === 'C01' || x.no === 'C02')) Object.assign(s, { code: '220', moved: '2026-05-02 00:00:00' });
    await check();
    await db.pool.query(`delete from fcms_cdc.tr_latest_cylinder_statuses where "CYLINDER_NO" = 'C04'`);
    fx.statuses = fx.statuses.filter((s) => s.no !== 'C04');
    await check();
    const saved = (await db.pool.query('select * from fcms_cdc.tr_latest_cylinder_statuses')).rows;
    await db.pool.query('truncate fcms_cdc.tr_latest_cylinder_statuses');
    const keep = fx.statuses;
    fx.statuses = [];
    await check();
    for (const s of saved)
      await db.pool.query('insert into fcms_cdc.tr_latest_cylinder_statuses values ($1, $2, $3, $4)', [s.CYLINDER_NO, s.CONDITION_CODE, s.POSITION_USER_NAME, s.MOVE_DATE]);
    fx.statuses = keep;
    await check();
  });

  it('follows the lookup tables (gas renamed, valve renamed, spec added)', async () => {
    await db.pool.query(`update fcms_cdc.ma_items set "DISPLAY_NAME" = NULL where "ITEM_CODE" = 'G-SIH4'`);
    fx.items.find((i) => i.code === 'G-SIH4')!.display = null;
    await check();
    await db.pool.query(`insert into fcms_cdc.ma_items values ('G-NOPE', 'Mystery', NULL)`);
    fx.items.push({ code: 'G-NOPE', display: 'Mystery', formal: null });
    await check();
    // FCMS renames the HAMAI valve: the (code, name) mapping no longer matches, raw keeps the new FCMS name
    await db.pool.query(`update fcms_cdc.ma_valve_specs set "NAME" = 'HAMAI new name' where "VALVE_SPEC_CODE" = 'V-H'`);
    fx.valves.find((v) => v.code === 'V-H')!.name = 'HAMAI new name';
    await check();
    await db.pool.query(`insert into fcms_cdc.ma_cylinder_specs values ('S-GHOST', '유령 사양')`);
    fx.specs.push({ code: 'S-GHOST', name: '유령 사양' });
    await check();
    await db.pool.query(`delete from fcms_cdc.ma_items where "ITEM_CODE" = 'G-XE'`);
    fx.items = fx.items.filter((i) => i.code !== 'G-XE');
    await check();
  });

  it('re-applies default rules in the same transaction', async () => {
    const c = await db.pool.connect();
    try {
      await c.query('begin');
      await c.query(`insert into cy_enduser_default (id, gas_name, capacity, valve_spec_code, cylinder_spec_code, default_enduser) values (20, 'NF3', 47, 'V-N', 'S-BN47', 'FULL')`);
      fx.defaults.push({ id: 20, gas: 'NF3', capacity: '47', valve: 'V-N', spec: 'S-BN47', enduser: 'FULL', active: true });
      // visible inside the transaction already
      expect(await readSnapshot(c)).toEqual(expectedRows(fx));
      await c.query('commit');
    } finally {
      c.release();
    }
    await check();
    await db.pool.query(`update cy_enduser_default set is_active = false where id in (2, 4)`);
    for (const d of fx.defaults.filter((x) => x.id === 2 || x.id === 4)) d.active = false;
    await check();
    await db.pool.query(`update cy_enduser_default set capacity = 440 where id = 3`);
    fx.defaults.find((d) => d.id === 3)!.capacity = '440';
    await check();
    await db.pool.query(`delete from cy_enduser_default where id = 1`);
    fx.defaults = fx.defaults.filter((d) => d.id !== 1);
    await check();
    await db.pool.query(`update cy_enduser_default set gas_name = 'Monosilane' where id = 9`); // follows the renamed gas
    fx.defaults.find((d) => d.id === 9)!.gas = 'Monosilane';
    await check();
  });

  it('re-applies exceptions', async () => {
    await db.pool.query(`insert into cy_enduser_exception (cylinder_no, enduser, reason) values ('C03', 'LGD', 'LGD 납품 전용'), ('C13', 'LGD', NULL)`);
    const ids = (await db.pool.query(`select id, cylinder_no from cy_enduser_exception where cylinder_no in ('C03','C13')`)).rows;
    for (const r of ids) fx.exceptions.push({ id: r.id, no: r.cylinder_no, enduser: 'LGD', active: true });
    await check();
    await db.pool.query(`update cy_enduser_exception set is_active = true where cylinder_no = 'C02'`);
    fx.exceptions.find((e) => e.no === 'C02')!.active = true;
    await check();
    await db.pool.query(`delete from cy_enduser_exception where cylinder_no = 'C01'`);
    fx.exceptions = fx.exceptions.filter((e) => e.no !== 'C01');
    await check();
  });

  it('re-applies valve groups and mappings', async () => {
    // the new HAMAI name mapped again; then the primary moves to it
    await db.pool.query(`insert into cy_valve_group_mapping (id, valve_spec_code, valve_spec_name, group_id) values (20, 'V-H', 'HAMAI new name', 1)`);
    fx.mappings.push({ id: 20, code: 'V-H', name: 'HAMAI new name', group: 1, primary: false, active: true });
    await check();
    await db.pool.query(`update cy_valve_group_mapping set is_primary = false where id = 1`);
    await db.pool.query(`update cy_valve_group_mapping set is_primary = true where id = 20`);
    fx.mappings.find((m) => m.id === 1)!.primary = false;
    fx.mappings.find((m) => m.id === 20)!.primary = true;
    await check();
    await db.pool.query(`update cy_valve_group set group_name = 'CGA330_ALL' where id = 1`);
    fx.groups.find((g) => g.id === 1)!.name = 'CGA330_ALL';
    await check();
    await db.pool.query(`update cy_valve_group set is_active = true where id = 2`);
    fx.groups.find((g) => g.id === 2)!.active = true;
    await check();
    await db.pool.query(`update cy_valve_group_mapping set is_active = true where id = 7`); // NO_PRIMARY gets its primary
    fx.mappings.find((m) => m.id === 7)!.active = true;
    await check();
    await db.pool.query(`delete from cy_valve_group_mapping where id = 20`);
    fx.mappings = fx.mappings.filter((m) => m.id !== 20);
    await check();
    await db.pool.query(`update cy_valve_group set is_active = false where id = 1`);
    fx.groups.find((g) => g.id === 1)!.active = false;
    await check();
  });

  it('the per-row path and the set-based path give identical rows', async () => {
    const perRow = await readSnapshot(db.pool);
    const r = await db.pool.query('select * from cy_resync_all()');
    expect(r.rows[0]).toEqual({ synced: perRow.length, changed: 0, deleted: 0 });
    await db.pool.query('truncate cy_cylinder_current');
    await db.pool.query('select cy_resync_all()');
    expect(await readSnapshot(db.pool)).toEqual(perRow);
    await db.pool.query('truncate cy_cylinder_current');
    await db.pool.query(`select cy_sync_cylinder("CYLINDER_NO") from fcms_cdc.ma_cylinders`);
    expect(await readSnapshot(db.pool)).toEqual(perRow);
    expect(perRow).toEqual(expectedRows(fx));
  });

  it('the type summary follows single-row changes and detects drift', async () => {
    const n = (await db.pool.query('select count(*)::int n from cy_cylinder_type_summary')).rows[0].n;
    expect(n).toBeGreaterThan(5);
    await db.pool.query(`update cy_cylinder_type_summary set qty = qty + 1 where ctid = (select min(ctid) from cy_cylinder_type_summary)`);
    expect(await typeSummaryDrift(db.pool)).toBe(1);
    await db.pool.query('select cy_resync_all()');
    expect(await typeSummaryDrift(db.pool)).toBe(0);
  });

  it('writes only rows that changed (snapshot_updated_at = when the row last changed)', async () => {
    await db.pool.query(`update cy_cylinder_current set snapshot_updated_at = '2000-01-01'`);
    await db.pool.query(`update fcms_cdc.ma_cylinders set "USE_DEPARTMENT_CODE" = "USE_DEPARTMENT_CODE"`); // no-op CDC update
    await db.pool.query(`update fcms_cdc.tr_latest_cylinder_statuses set "POSITION_USER_NAME" = '이동됨' where "CYLINDER_NO" = 'C15'`);
    const touched = await db.pool.query(`select cylinder_no from cy_cylinder_current where snapshot_updated_at > '2000-01-01'`);
    expect(touched.rows.map((x) => x.cylinder_no)).toEqual(['C15']);
  });
});
