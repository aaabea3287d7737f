/**
 * The full resync's write path (cy_resync_all, issue #18): one pass over FCMS + policies and the snapshot that writes
 * only what differs. Unchanged snapshot and summary rows keep their tuple (xmin), changed ones are rewritten, vanished
 * ones removed, missing ones added; the result equals the independent reference and the type summary equals a fresh
 * count of the snapshot.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../testing/db';
import { typeSummaryDrift } from './doctor';
import { createFcmsDemoSchema, ensureCylinderSync } from './migrations';
import { baseFixture } from './testing/fixture';
import { expectedRows, readSnapshot, writeFixture, type Fixture } from './testing/reference';

/** Tuple versions of the snapshot rows, by cylinder number. */
async function xmins(db: pg.Pool): Promise<Record<string, string>> {
  const r = await db.query<{ no: string; x: string }>('select cylinder_no as no, xmin::text as x from cy_cylinder_current');
  return Object.fromEntries(r.rows.map((x) => [x.no, x.x]));
}

/** Tuple versions of the type summary rows, by key. */
async function summaryXmins(db: pg.Pool): Promise<Record<string, string>> {
  const r = await db.query<{ k: string; x: string }>(
    `select cylinder_type_key || '|' || dashboard_status || '|' || dashboard_location as k, xmin::text as x from cy_cylinder_type_summary`,
  );
  return Object.fromEntries(r.rows.map((x) => [x.k, x.x]));
}

/** The type summary as stored, and as a fresh count of the snapshot gives it (the first rebuild's min() per key). */
async function summaries(db: pg.Pool): Promise<{ stored: unknown[]; fresh: unknown[] }> {
  const stored = await db.query(
    `select * from (select cylinder_type_key k, dashboard_status s, dashboard_location l, dashboard_gas_name g, dashboard_capacity::text c, valve_spec v,
            dashboard_valve_group_name vg, dashboard_cylinder_spec_name sp, dashboard_enduser e, qty q, available_qty a
     from cy_cylinder_type_summary) x order by k collate "C", s collate "C", l collate "C"`,
  );
  const fresh = await db.query(
    `select * from (select coalesce(cylinder_type_key, '') k, coalesce(dashboard_status, '') s, coalesce(dashboard_location, '') l, min(dashboard_gas_name) g,
            min(dashboard_capacity)::text c, min(coalesce(dashboard_valve_group_name, dashboard_valve_spec_name)) v, min(dashboard_valve_group_name) vg,
            min(dashboard_cylinder_spec_name) sp, min(dashboard_enduser) e, count(*)::int q, (count(*) filter (where is_available))::int a
     from cy_cylinder_current group by 1, 2, 3) x order by k collate "C", s collate "C", l collate "C"`,
  );
  return { stored: stored.rows, fresh: fresh.rows };
}

/** FCMS changes that bypass the sync triggers (a CDC load with triggers off): only a full resync brings them in. */
async function withoutTriggers(db: TestDb, sql: string[]): Promise<void> {
  const c = await db.pool.connect();
  try {
    await c.query('set session_replication_role = replica');
    for (const q of sql) await c.query(q);
  } finally {
    await c.query('reset session_replication_role').catch(() => undefined);
    c.release();
  }
}

describe('full resync: only what differs is written', () => {
  let db: TestDb;
  let fx: Fixture;
  const resync = async () => (await db.pool.query<{ synced: number; changed: number; deleted: number }>('select * from cy_resync_all()')).rows[0];

  beforeAll(async () => {
    db = await createTestDb();
    await createFcmsDemoSchema(db.pool);
    fx = baseFixture();
    await writeFixture(db.pool, fx);
    const c = await db.pool.connect();
    try {
      await ensureCylinderSync(c); // the install's resync builds the snapshot (cold: every row inserted)
    } finally {
      c.release();
    }
  });
  afterAll(async () => db?.drop());

  it('builds the cold snapshot equal to the reference, the summary equal to a fresh count', async () => {
    expect(await readSnapshot(db.pool)).toEqual(expectedRows(fx));
    const s = await summaries(db.pool);
    expect(s.stored.length).toBeGreaterThan(5);
    expect(s.stored).toEqual(s.fresh);
  });

  it('with nothing to change writes no snapshot row and no summary row', async () => {
    const before = await xmins(db.pool);
    const sBefore = await summaryXmins(db.pool);
    expect(await resync()).toEqual({ synced: 16, changed: 0, deleted: 0 });
    expect(await xmins(db.pool)).toEqual(before);
    expect(await summaryXmins(db.pool)).toEqual(sBefore);
  });

  it('rewrites exactly the changed rows, removes the vanished, adds the missing; the rest keep their tuple', async () => {
    await withoutTriggers(db, [
      `update fcms_cdc.ma_cylinders set "USE_DEPARTMENT_CODE" = 'NEW' where "CYLINDER_NO" = 'C03'`,
      `update fcms_cdc.tr_latest_cylinder_statuses set "CONDITION_CODE" = '600', "POSITION_USER_NAME" = '출하지' where "CYLINDER_NO" = 'C08'`,
      `delete from fcms_cdc.ma_cylinders where "CYLINDER_NO" = 'C05'`,
      `insert into fcms_cdc.ma_cylinders values ('C30', 'G-NF3', 440, 'V-H', 'S-YC', 'SDC', '2026-04-01 00:00:00')`,
    ]);
    fx.cylinders.find((c) => c.no === 'C03')!.dept = 'NEW';
    Object.assign(fx.statuses.find((s) => s.no === 'C08')!, { code: '600', place: '출하지' });
    fx.cylinders = fx.cylinders.filter((c) => c.no !== 'C05');
    fx.cylinders.push({ no: 'C30', item: 'G-NF3', capacity: '440', valve: 'V-H', spec: 'S-YC', dept: 'SDC', updated: '2026-04-01 00:00:00' });
    // and a damaged snapshot: a scale-only difference (47 = 47.0, but the row must say 47), a lost row, a stray row
    await db.pool.query(`update cy_cylinder_current set raw_capacity = 47.0 where cylinder_no = 'C01'`);
    await db.pool.query(`delete from cy_cylinder_current where cylinder_no = 'C12'`);
    await db.pool.query(`insert into cy_cylinder_current (cylinder_no, dashboard_status, dashboard_location) values ('Z99', '보관', 'nowhere')`);
    await db.pool.query(`update cy_cylinder_current set snapshot_updated_at = '2000-01-01'`);
    const before = await xmins(db.pool);

    expect(await resync()).toEqual({ synced: 16, changed: 5, deleted: 2 });
    expect(await readSnapshot(db.pool)).toEqual(expectedRows(fx));
    const after = await xmins(db.pool);
    const rewritten = Object.keys(after).filter((no) => after[no] !== before[no]);
    expect(rewritten.sort()).toEqual(['C01', 'C03', 'C08', 'C12', 'C30']);
    const touched = await db.pool.query(`select cylinder_no from cy_cylinder_current where snapshot_updated_at > '2000-01-01' order by 1`);
    expect(touched.rows.map((r) => r.cylinder_no)).toEqual(['C01', 'C03', 'C08', 'C12', 'C30']);
    const s = await summaries(db.pool);
    expect(s.stored).toEqual(s.fresh);
    expect(await typeSummaryDrift(db.pool)).toBe(0);
    // and a second pass finds nothing
    expect(await resync()).toEqual({ synced: 16, changed: 0, deleted: 0 });
  });

  it('repairs a drifted type summary, writing only the rows that differ', async () => {
    const keys = (await db.pool.query<{ k: string }>(`select cylinder_type_key || '|' || dashboard_status || '|' || dashboard_location k from cy_cylinder_type_summary order by 1`)).rows.map(
      (r) => r.k,
    );
    await db.pool.query(`update cy_cylinder_type_summary set qty = qty + 1 where cylinder_type_key || '|' || dashboard_status || '|' || dashboard_location = $1`, [keys[0]]);
    await db.pool.query(`update cy_cylinder_type_summary set dashboard_enduser = 'WRONG' where cylinder_type_key || '|' || dashboard_status || '|' || dashboard_location = $1`, [keys[1]]);
    await db.pool.query(`delete from cy_cylinder_type_summary where cylinder_type_key || '|' || dashboard_status || '|' || dashboard_location = $1`, [keys[2]]);
    await db.pool.query(`insert into cy_cylinder_type_summary values ('stray', '보관', 'nowhere', 'X', 1, 'V', null, 'S', 'E', 3, 3)`);
    expect(await typeSummaryDrift(db.pool)).toBe(4);
    const before = await summaryXmins(db.pool);

    expect(await resync()).toEqual({ synced: 16, changed: 0, deleted: 0 });
    expect(await typeSummaryDrift(db.pool)).toBe(0);
    const s = await summaries(db.pool);
    expect(s.stored).toEqual(s.fresh);
    const after = await summaryXmins(db.pool);
    expect(Object.keys(after).filter((k) => after[k] !== before[k]).sort()).toEqual([keys[0], keys[1], keys[2]].sort());
    expect(after['stray|보관|nowhere']).toBeUndefined();
  });

  it('rebuilds an emptied snapshot (cold) equal to the reference', async () => {
    await db.pool.query('truncate cy_cylinder_current');
    expect(await resync()).toEqual({ synced: 16, changed: 16, deleted: 0 });
    expect(await readSnapshot(db.pool)).toEqual(expectedRows(fx));
    const s = await summaries(db.pool);
    expect(s.stored).toEqual(s.fresh);
  });
});
