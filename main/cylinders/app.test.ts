/** The cylinders procedures through the dispatcher, the CLI module, the doctor checks and the demo seed. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionUser } from '../api/kit';
import { sortSummary } from './service';
import type { SummaryResult, SummaryRow } from './types';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { runCliInProcess } from '../testing/cli';
import { createTestDb, type TestDb } from '../testing/db';
import { cylindersDoctorChecks, snapshotDrift } from './doctor';
import { generateFcmsRows, seedCylinderDemo } from './demo';
import { createFcmsDemoSchema, ensureCylinderSync } from './migrations';
import { baseFixture } from './testing/fixture';
import { writeFixture } from './testing/reference';

const viewer: SessionUser = { userId: 3, username: 'viewer1', fullName: null, role: 'viewer' };
const manager: SessionUser = { userId: 2, username: 'manager1', fullName: null, role: 'manager' };

async function fixtureDb(): Promise<TestDb> {
  const db = await createTestDb();
  await createFcmsDemoSchema(db.pool);
  await writeFixture(db.pool, baseFixture());
  const c = await db.pool.connect();
  await ensureCylinderSync(c);
  c.release();
  return db;
}

describe('cylinders procedures', () => {
  let db: TestDb;
  let app: App;
  const call = (name: string, input: unknown, user: SessionUser) => app.call(name, input, { transport: 'cli', user });
  beforeAll(async () => {
    db = await fixtureDb();
    app = createApp({ dbs: db.dbs, paths: stationPaths(fs.mkdtempSync(path.join(os.tmpdir(), 'ld-cyl-'))) });
  });
  afterAll(async () => {
    await app?.dispose();
    await db?.drop();
  });

  it('viewers read, managers change, inputs are validated', async () => {
    const s = await call('cylinders.summary', { gas: 'NF3', capacity: '47' }, viewer);
    expect(s).toMatchObject({ ok: true, value: { totals: { qty: 4 } } });
    const bad = await call('cylinders.summary', { capacity: 'abc' }, viewer);
    expect(bad).toMatchObject({ ok: false, error: { kind: 'validation', message: expect.stringContaining('capacity must be a number like 47 or 47.0') } });
    const denied = await call('cylinders.defaults.save', { gasName: 'NF3', defaultEnduser: 'X' }, viewer);
    expect(denied).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await call('cylinders.defaults.list', {}, viewer)).toMatchObject({ ok: true });
    const list = await call('cylinders.list', { search: 'C0', sort: 'capacity', dir: 'desc', limit: 2 }, viewer);
    expect(list).toMatchObject({ ok: true, value: { total: 9, rows: [{ capacity: '440' }, { capacity: '440' }] } });
    const ex = await call('cylinders.exceptions.save', { cylinderNos: ['NOPE'], enduser: 'LGD' }, manager);
    expect(ex).toMatchObject({ ok: false, error: { kind: 'validation', message: 'nothing saved: 1 cylinder number(s) are not in FCMS: NOPE' } });
    const det = await call('cylinders.detail', { cylinderNo: 'C02' }, viewer);
    expect(det).toMatchObject({ ok: true, value: { enduser: { source: 'default', value: 'SKH' } } });
    expect(await call('cylinders.freshness', {}, viewer)).toMatchObject({ ok: true, value: { total: 16 } });
    expect(await call('cylinders.filters', {}, viewer)).toMatchObject({ ok: true });
    expect(await call('cylinders.valveGroups.list', {}, viewer)).toMatchObject({ ok: true });
  });

  it('filters: a lone empty string is no filter, an empty string in an array selects the empty value; spec codes for the editors', async () => {
    const value = (r: unknown) => (r as { ok: true; value: any }).value;
    const all = value(await call('cylinders.summary', {}, viewer));
    expect(value(await call('cylinders.summary', { gas: '' }, viewer)).totals.qty).toBe(all.totals.qty);
    const noGas = value(await call('cylinders.summary', { gas: [''] }, viewer));
    expect(noGas.totals.qty).toBeGreaterThan(0);
    expect(noGas.rows.every((r: { gasName: string }) => r.gasName === '')).toBe(true);
    const noPlace = value(await call('cylinders.list', { location: [''] }, viewer));
    expect(noPlace.rows.map((r: { cylinderNo: string }) => r.cylinderNo)).toContain('C07');
    expect(noPlace.rows.every((r: { location: string }) => r.location === '')).toBe(true);
    expect(noPlace.total).toBe(noPlace.rows.length);
    const opts = value(await call('cylinders.filters', {}, viewer));
    expect(opts.cylinderSpecCodes).toContainEqual({ code: 'S-BN47', name: expect.any(String) });
  });

  it('sync runs as a job with progress events', async () => {
    const events: { state: string }[] = [];
    const off = app.services.bus.on('job.progress', (e) => {
      if (e.kind === 'cylinders.sync') events.push(e);
    });
    expect(await call('cylinders.sync', {}, viewer)).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    const r = await call('cylinders.sync', { wait: true }, manager);
    off();
    expect(r).toMatchObject({ ok: true, value: { jobId: expect.any(String), result: { synced: 16, changed: 0, deleted: 0 } } });
    expect(events.at(-1)).toMatchObject({ state: 'completed', result: { synced: 16 } });
  });

  it('exports CSV (BOM, quoting) and XLSX with the filters', async () => {
    const csv = await call('cylinders.export', { what: 'list', format: 'csv', filters: { search: 'C12' } }, viewer);
    expect(csv.ok).toBe(true);
    const v = (csv as { value: { data: string; rows: number; filename: string; encoding: string } }).value;
    expect(v).toMatchObject({ rows: 1, encoding: 'utf8' });
    expect(v.filename).toMatch(/^cylinders-list-\d{14}\.csv$/);
    expect(v.data.startsWith('\uFEFF용기번호 (Cylinder no),')).toBe(true);
    expect(v.data).toContain('C12,"육불화텅스텐 ""WF6""",47,');
    const xl = await call('cylinders.export', { what: 'summary', format: 'xlsx', filters: { gas: 'NF3' } }, viewer);
    const xv = (xl as { value: { data: string; rows: number; encoding: string } }).value;
    expect(xv.encoding).toBe('base64');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(xv.data, 'base64') as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Summary')!;
    expect(ws.rowCount).toBe(xv.rows + 1);
    const caps = new Set<string>();
    ws.eachRow((row, i) => {
      if (i > 1) caps.add(String(row.getCell(2).value));
    });
    expect(caps).toEqual(new Set(['10', '47', '47.0', '47.00', '440']));
    let total = 0;
    ws.eachRow((row, i) => {
      if (i > 1) total += row.getCell(8).value as number;
    });
    expect(total).toBe(7);
  });

  it('sorts the summary by a column in main, and the export follows the same order', async () => {
    const q = (await call('cylinders.summary', { sort: 'qty', dir: 'desc' }, viewer)) as { ok: true; value: SummaryResult };
    const qty = q.value.rows.map((r) => r.qty);
    expect(qty).toEqual([...qty].sort((a, b) => b - a));
    const plain = (await call('cylinders.summary', {}, viewer)) as { ok: true; value: SummaryResult };
    expect(q.value.rows.length).toBe(plain.value.rows.length);
    expect(q.value.totals).toEqual(plain.value.totals);
    // an unknown column is refused with the field named
    expect(await call('cylinders.summary', { sort: 'bogus' }, viewer)).toMatchObject({ ok: false, error: { kind: 'validation' } });
    const csv = await call('cylinders.export', { what: 'summary', format: 'csv', filters: {}, summarySort: { key: 'qty', dir: 'desc' } }, viewer);
    // fields split outside quotes (names hold commas and quotes)
    const fields = (line: string) => line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
    const lines = (csv as { value: { data: string } }).value.data.trim().split(/\r?\n/).slice(1);
    expect(lines.length).toBe(q.value.rows.length);
    // the quantity column of the CSV, row by row, is the sorted screen's
    const qtyCol = fields((csv as { value: { data: string } }).value.data.split(/\r?\n/)[0]).findIndex((h) => h.startsWith('수량'));
    expect(qtyCol).toBeGreaterThan(-1);
    expect(lines.map((l) => Number(fields(l)[qtyCol]))).toEqual(qty);
  });
});

describe('sortSummary', () => {
  const row = (o: Partial<SummaryRow>): SummaryRow => ({
    cylinderTypeKey: '0'.repeat(32),
    gasName: 'NF3',
    capacity: '47',
    valveSpec: 'V',
    valveGroup: null,
    cylinderSpec: 'BN 47L',
    enduser: 'SDC',
    status: '보관',
    location: 'A',
    qty: 1,
    availableQty: 1,
    ...o,
  });
  it('sorts by a column, stable, capacity as a number (none last), status in screen order', () => {
    const rows = [row({ capacity: '440', qty: 5, status: '출하' }), row({ capacity: '47.0', qty: 9, status: '보관' }), row({ capacity: '47', qty: 5, status: '충전' }), row({ capacity: null, qty: 1 })];
    expect(sortSummary(rows, 'capacity', 'asc').map((r) => r.capacity)).toEqual(['47', '47.0', '440', null]);
    expect(sortSummary(rows, 'qty', 'desc').map((r) => r.qty)).toEqual([9, 5, 5, 1]);
    // ties keep the incoming order
    expect(sortSummary(rows, 'qty', 'desc').slice(1, 3).map((r) => r.capacity)).toEqual(['440', '47']);
    expect(sortSummary(rows, 'status', 'asc').map((r) => r.status)).toEqual(['보관', '보관', '충전', '출하']);
    expect(sortSummary(rows, undefined, 'asc')).toBe(rows);
  });
});

function cli(db: TestDb, args: string[]) {
  return runCliInProcess(['--database-url', db.url, ...args]);
}

describe('cylinders CLI, doctor and demo', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await fixtureDb();
  });
  afterAll(async () => db?.drop());

  it('`cylinders sync` and `cylinders summary` print the contract JSON', async () => {
    const s = await cli(db, ['--json', 'cylinders', 'sync']);
    expect(s.code).toBe(0);
    const j = JSON.parse(s.stdout);
    expect(j).toMatchObject({ synced: 16, changed: 0 });
    expect(typeof j.ms).toBe('number');
    const r = await cli(db, ['--json', 'cylinders', 'summary', '--gas', 'NF3', '--status', '보관']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows;
    expect(rows).toHaveLength(2);
    for (const row of rows)
      expect(Object.keys(row)).toEqual(['cylinder_type_key', 'gas_name', 'capacity', 'valve_spec', 'cylinder_spec', 'enduser', 'status', 'location', 'qty', 'available_qty']);
    expect(rows.map((x: { capacity: string; enduser: string }) => [x.capacity, x.enduser])).toEqual([
      ['47', 'LGD-EX'],
      ['47.0', 'SKH'],
    ]);
    const a = await cli(db, ['--json', 'cylinders', 'summary', '--available', '--enduser', 'SEC', '--location', '충전동']);
    expect(JSON.parse(a.stdout).rows).toMatchObject([{ gas_name: 'SiH4', qty: 1, available_qty: 1, valve_spec: 'COS_CGA330' }]);
    const bad = await cli(db, ['--json', 'cylinders', 'summary', '--capacity', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--capacity must be a number/);
  });

  it('doctor: all fine, then a stale snapshot is named with the fix', async () => {
    const ok = await cylindersDoctorChecks(db.dbs);
    expect(ok.map((c) => [c.name, c.ok])).toEqual([
      ['cylinders.fcms_tables', true],
      ['cylinders.sync_triggers', true],
      ['cylinders.snapshot', true],
    ]);
    await db.pool.query(`update cy_cylinder_current set dashboard_enduser = 'XX' where cylinder_no = 'C03'`);
    await db.pool.query(`alter table fcms_cdc.ma_cylinders disable trigger trigger_sync_cylinder_current_cylinders`);
    await db.pool.query(`insert into fcms_cdc.ma_cylinders values ('C30', 'G-NF3', 47, null, null, null, null)`);
    const bad = await cylindersDoctorChecks(db.dbs);
    expect(bad.find((c) => c.name === 'cylinders.sync_triggers')).toMatchObject({ ok: false, detail: expect.stringContaining('trigger_sync_cylinder_current_cylinders on fcms_cdc.ma_cylinders') });
    const snap = bad.find((c) => c.name === 'cylinders.snapshot')!;
    expect(snap.ok).toBe(false);
    expect(snap.detail).toMatch(/snapshot stale: 1 FCMS cylinder\(s\) without a row, 0 row\(s\) without an FCMS cylinder, 1 row\(s\) differ .*\(e\.g\. C03, C30\).*run `linedeck cylinders sync`/);
    await db.pool.query(`alter table fcms_cdc.ma_cylinders enable trigger trigger_sync_cylinder_current_cylinders`);
    const s = await cli(db, ['--json', 'cylinders', 'sync']);
    expect(JSON.parse(s.stdout)).toMatchObject({ synced: 17, changed: 2 });
    expect(await snapshotDrift(db.pool)).toMatchObject({ missing: 0, orphaned: 0, differ: 0 });
  });

  it('doctor and CLI on a database without FCMS tables', async () => {
    const empty = await createTestDb();
    try {
      const checks = await cylindersDoctorChecks(empty.dbs);
      expect(checks).toEqual([{ name: 'cylinders.fcms_tables', ok: false, detail: expect.stringContaining('fcms_cdc.ma_cylinders, ') }]);
      const r = await cli(empty, ['--json', 'cylinders', 'sync']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/are missing: .*run `linedeck demo seed` for demo data or point the cylinders source at the FCMS CDC database/);
    } finally {
      await empty.drop();
    }
  });

  it('demo seed: deterministic, idempotent, ≥ 5000 cylinders, snapshot in step', async () => {
    const a = generateFcmsRows(300, 42);
    expect(generateFcmsRows(300, 42)).toEqual(a);
    expect(generateFcmsRows(300, 43)).not.toEqual(a);
    const demo = await createTestDb();
    try {
      const c = await demo.pool.connect();
      try {
        const first = await seedCylinderDemo(c);
        expect(first.added.cylinders).toBe(5000);
        expect(first.snapshot).toBe(5000);
        expect(first.added.exceptions).toBe(32);
        const second = await seedCylinderDemo(c);
        expect(second.added).toEqual({ cylinders: 0, statuses: 0, defaults: 0, exceptions: 0, valveGroups: 0, mappings: 0 });
        expect(second.snapshot).toBe(5000);
      } finally {
        c.release();
      }
      expect(await snapshotDrift(demo.pool)).toMatchObject({ fcms: 5000, missing: 0, orphaned: 0, differ: 0 });
      const caps = await demo.pool.query(`select distinct raw_capacity::text c from cy_cylinder_current where raw_gas_name = 'SiH4'`);
      expect(caps.rows.map((r) => r.c)).toEqual(expect.arrayContaining(['47', '47.0']));
      const lgd = await demo.pool.query(`select count(*)::int n from cy_cylinder_current where raw_gas_name = 'CF4' and raw_capacity = 440 and dashboard_enduser = 'LGD'`);
      expect(lgd.rows[0].n).toBe(29);
      const gases = await demo.pool.query(`select distinct raw_gas_name g from cy_cylinder_current`);
      expect(gases.rows.map((r) => r.g)).toEqual(expect.arrayContaining(['SiH4', 'NH3', 'WF6', 'NF3', 'CF4', 'C4F8', 'HBr', 'Cl2', 'N2O', 'He', 'Ar', 'CO2', 'B2H6', 'PH3', 'Xe', '']));
      // a real FCMS source is left alone
      await demo.pool.query(`delete from fcms_cdc.ma_items where "ITEM_CODE" like 'G-%'`);
      const c2 = await demo.pool.connect();
      await expect(seedCylinderDemo(c2)).rejects.toThrow(/leaves a real FCMS source alone/);
      c2.release();
    } finally {
      await demo.drop();
    }
  });
});
