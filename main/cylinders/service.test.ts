/** CylinderService on the hand-built fixture: reads, detail explanations, policy changes with their refusals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionUser } from '../api/kit';
import { createTestDb, type TestDb } from '../testing/db';
import { createFcmsDemoSchema, ensureCylinderSync } from './migrations';
import { CylinderService } from './service';
import type { SummaryRow } from './types';
import { baseFixture } from './testing/fixture';
import { expectedRows, writeFixture, type ExpectedRow } from './testing/reference';

const manager: SessionUser = { userId: 7, username: 'manager1', fullName: null, role: 'manager' };

async function setup(): Promise<{ db: TestDb; svc: CylinderService }> {
  const db = await createTestDb();
  await createFcmsDemoSchema(db.pool);
  await writeFixture(db.pool, baseFixture());
  const c = await db.pool.connect();
  await ensureCylinderSync(c);
  c.release();
  return { db, svc: new CylinderService(db.dbs) };
}

/** The summary computed in TS from the reference rows (design §4.3 grouping). */
function referenceSummary(rows: ExpectedRow[]): Omit<SummaryRow, 'valveGroup'>[] {
  const m = new Map<string, Omit<SummaryRow, 'valveGroup'>>();
  for (const r of rows) {
    const k = [r.cylinder_type_key, r.dashboard_status, r.dashboard_location].join('\u0000');
    const e = m.get(k) ?? {
      cylinderTypeKey: r.cylinder_type_key,
      gasName: r.dashboard_gas_name,
      capacity: r.dashboard_capacity,
      valveSpec: r.dashboard_valve_group_name ?? r.dashboard_valve_spec_name,
      cylinderSpec: r.dashboard_cylinder_spec_name,
      enduser: r.dashboard_enduser,
      status: r.dashboard_status,
      location: r.dashboard_location,
      qty: 0,
      availableQty: 0,
    };
    e.qty++;
    if (r.is_available) e.availableQty++;
    m.set(k, e);
  }
  return [...m.values()];
}
const byKey = (a: { cylinderTypeKey: string; status: string; location: string }, b: typeof a) =>
  `${a.cylinderTypeKey}${a.status}${a.location}` < `${b.cylinderTypeKey}${b.status}${b.location}` ? -1 : 1;

describe('CylinderService reads', () => {
  let db: TestDb;
  let svc: CylinderService;
  beforeAll(async () => ({ db, svc } = await setup()));
  afterAll(async () => db?.drop());

  it('summary groups by type, status and location and equals the reference aggregation', async () => {
    const s = await svc.summary();
    const ref = referenceSummary(expectedRows(baseFixture()));
    expect(s.rows.map(({ valveGroup: _v, ...r }) => r).sort(byKey)).toEqual(ref.sort(byKey));
    expect(s.totals).toEqual({ qty: 16, availableQty: 5, types: new Set(ref.map((r) => r.cylinderTypeKey)).size, rows: ref.length });
    const c02 = s.rows.find((r) => r.capacity === '47.0' && r.gasName === 'NF3')!;
    expect(c02).toMatchObject({ valveSpec: 'COS_CGA330', valveGroup: 'COS_CGA330', cylinderSpec: 'BN 47L 무계목', enduser: 'SKH', status: '보관', qty: 1, availableQty: 1 });
  });

  it('summary filters: gas, capacity as a number, valve group, status, EndUser, availability', async () => {
    const nf3 = await svc.summary({ gas: ['NF3'] });
    expect(nf3.totals.qty).toBe(7);
    expect(new Set(nf3.rows.map((r) => r.gasName))).toEqual(new Set(['NF3']));
    const cap = await svc.summary({ capacity: ['47'] });
    expect(new Set(cap.rows.map((r) => r.capacity))).toEqual(new Set(['47', '47.0', '47.00']));
    expect(cap.totals.qty).toBe(11);
    const grp = await svc.summary({ valve: ['COS_CGA330'] });
    expect(grp.totals.qty).toBe(8);
    const avail = await svc.summary({ availableOnly: true });
    expect(avail.rows.every((r) => r.qty === r.availableQty && ['보관', '충전'].includes(r.status))).toBe(true);
    expect(avail.totals.qty).toBe(5);
    const combo = await svc.summary({ gas: ['NF3'], status: ['보관'], enduser: ['SKH'] });
    expect(combo.totals.qty).toBe(1);
    const loc = await svc.summary({ location: ["O'Brien 창고"] });
    expect(loc.rows).toHaveLength(1);
    expect(loc.rows[0].gasName).toBe('');
  });

  it('list: prefix search, sort, paging, total, type key', async () => {
    const r = await svc.list({ search: 'C1', sort: 'cylinderNo', dir: 'desc', offset: 1, limit: 3 });
    expect(r.total).toBe(7);
    expect(r.rows.map((x) => x.cylinderNo)).toEqual(['C15', 'C14', 'C13']);
    expect(r.rows[0]).toMatchObject({ gasName: 'SiH4', capacity: '47', valveSpec: 'COS_CGA330', valveSpecName: 'SUS general Y CGA330 Y NERIKI', enduser: 'SEC', status: '보관', isAvailable: true, moveDate: '2026-01-09T00:00:00.000Z' });
    expect((await svc.list({ search: '%' })).total).toBe(0);
    expect((await svc.list({ search: 'c0' })).total).toBe(0); // exact, case-sensitive prefix
    const byMove = await svc.list({ sort: 'moveDate', dir: 'desc', limit: 2 });
    expect(byMove.rows.map((x) => x.cylinderNo)).toEqual(['C01', 'C04']);
    const key = (await svc.list({ search: 'C02' })).rows[0].cylinderTypeKey;
    const same = await svc.list({ typeKey: [key] });
    expect(same.rows.map((x) => x.cylinderNo)).toEqual(['C02']);
    const nf3 = await svc.list({ gas: ['NF3'], sort: 'enduser', limit: 100 });
    expect(nf3.rows.map((x) => x.enduser)).toEqual([...nf3.rows.map((x) => x.enduser)].sort());
  });

  it('detail explains each difference', async () => {
    const c01 = await svc.detail('C01');
    expect(c01.inSync).toBe(true);
    expect(c01.enduser.source).toBe('exception');
    expect(c01.fields.find((f) => f.field === 'enduser')!.reason).toMatch(/exception #1 for this cylinder → LGD-EX/);
    const c02 = await svc.detail('C02');
    expect(c02.enduser).toMatchObject({ source: 'default', value: 'SKH', rule: { id: 3 } });
    expect(c02.enduser.candidates.map((x) => x.id)).toEqual([3, 2, 5, 7, 1]);
    expect(c02.enduser.exception).toMatchObject({ id: 2, isActive: false });
    const valve = c02.fields.find((f) => f.field === 'valve')!;
    expect(valve).toMatchObject({ raw: 'SUS general Y CGA330 Y HAMAI', dashboard: 'SUS general Y CGA330 Y NERIKI', differs: true });
    expect(valve.reason).toMatch(/valve group COS_CGA330 \(mapping #2\).*primary valve "SUS general Y CGA330 Y NERIKI" \(mapping #1\)/);
    // the same reasons as keys with their particulars, for the console to say in the operator's language
    expect(c01.fields.find((f) => f.field === 'enduser')!.why).toMatchObject({ key: expect.stringMatching(/^enduser\.exception/), params: { id: 1, enduser: 'LGD-EX' } });
    expect(valve.why).toEqual({ key: 'valve.primary', params: { group: 'COS_CGA330', id: 2, primary: 'SUS general Y CGA330 Y NERIKI', primaryId: 1 } });
    expect(c02.fields.find((f) => f.field === 'enduser')!.why).toMatchObject({ key: 'enduser.default', params: { id: 3, enduser: 'SKH' } });
    expect(c02.typeKey.input).toBe('NF3|47.0|COS_CGA330|BN 47L 무계목|SKH');
    expect((await svc.detail('C06')).fields[0].reason).toMatch(/item code G-NOPE has no ma_items row/);
    expect((await svc.detail('C07')).fields.find((f) => f.field === 'status')!.reason).toMatch(/no status row yet/);
    expect((await svc.detail('C07')).fields[0].reason).toMatch(/FORMAL_NAME is used/);
    expect((await svc.detail('C10')).fields.find((f) => f.field === 'valve')!.reason).toMatch(/NO_PRIMARY .* has no active primary valve/);
    expect((await svc.detail('C13')).fields.find((f) => f.field === 'valve')!.reason).toMatch(/mapping #3 into group COS_CGA330 is inactive/);
    expect((await svc.detail('C06')).enduser.source).toBe('fallback');
    await expect(svc.detail('NOPE')).rejects.toMatchObject({ kind: 'not_found' });
    // a snapshot row that drifted is shown as stale
    await db.pool.query(`update cy_cylinder_current set dashboard_enduser = 'XX' where cylinder_no = 'C03'`);
    const c03 = await svc.detail('C03');
    expect(c03.inSync).toBe(false);
    expect(c03.staleColumns).toEqual(['dashboard_enduser']);
    await db.pool.query('select cy_resync_all()');
    expect((await svc.detail('C03')).inSync).toBe(true);
  });

  it('freshness and filter options', async () => {
    const f = await svc.freshness();
    expect(f).toMatchObject({ total: 16, updatedLastHour: 16, source: { fcmsMissing: [], fcmsCylinders: 16, syncInstalled: true, note: null } });
    expect(f.byEnduser.reduce((s, e) => s + e.qty, 0)).toBe(16);
    expect(f.byEnduser.slice(0, 3).map((e) => [e.enduser, e.qty])).toEqual([['SDC', 3], ['SEC', 3], ['LGD', 2]]);
    expect(f.lastUpdate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(f.lastUpdate!) - Date.now())).toBeLessThan(10 * 60_000);
    const o = await svc.filters();
    expect(o.gases).toEqual(['', 'NF3', 'SiH4', 'Xenon', '육불화텅스텐 "WF6"']);
    expect(o.capacities).toEqual(['0.5', '10', '47', '47.0', '47.00', '440']);
    expect(o.statuses).toEqual(['보관', '충전', '분석', '창입', '출하', '이상', '폐기', '기타']);
    expect(o.valves).toContain('COS_CGA330');
  });

  it('sync is set-based and reports counts', async () => {
    await db.pool.query(`delete from cy_cylinder_current where cylinder_no in ('C01', 'C02')`);
    const r = await svc.fullSync();
    expect(r).toMatchObject({ synced: 16, changed: 2, deleted: 0 });
    expect(r.ms).toBeGreaterThanOrEqual(0);
    const ctl = new AbortController();
    ctl.abort();
    await expect(svc.fullSync({ signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('CylinderService policies', () => {
  let db: TestDb;
  let svc: CylinderService;
  beforeAll(async () => ({ db, svc } = await setup()));
  afterAll(async () => db?.drop());
  const enduserOf = async (no: string) => (await db.pool.query('select dashboard_enduser e from cy_cylinder_current where cylinder_no = $1', [no])).rows[0].e;
  const audits = async (action: string) => (await db.pool.query('select * from audit_logs where action = $1 order by log_id', [action])).rows;

  it('lists default rules with how many cylinders each decides', async () => {
    const rules = await svc.listDefaults();
    const decides = Object.fromEntries(rules.map((r) => [r.id, r.decides]));
    expect(decides).toMatchObject({ 1: 0, 2: 2, 3: 1, 4: 1, 5: 1, 6: 1, 7: 0, 8: 0, 9: 3, 10: 1, 11: 1 });
    expect(rules.find((r) => r.id === 6)).toMatchObject({ specificity: 2, valveSpecName: 'SUS general Y CGA330 Y HAMAI', cylinderSpecName: 'YC 440L', isActive: true });
  });

  it('previews a default change without saving it, then saves the same effect with an audit row', async () => {
    const rule = { gasName: 'NF3', capacity: '47', valveSpecCode: 'V-N', defaultEnduser: 'NEWU' };
    const preview = await svc.previewDefault({ op: 'save', rule });
    expect(preview).toEqual({ changed: 1, moves: [{ from: 'LGD', to: 'NEWU', qty: 1 }], sample: ['C16'] });
    expect(await enduserOf('C16')).toBe('LGD');
    expect((await db.pool.query('select count(*)::int n from cy_enduser_default')).rows[0].n).toBe(11);
    const saved = await svc.saveDefault(manager, rule);
    expect(saved.effect).toEqual(preview);
    expect(await enduserOf('C16')).toBe('NEWU');
    expect(await enduserOf('C01')).toBe('LGD-EX'); // the exception still wins
    const a = await audits('cylinders.default.create');
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ username: 'manager1', user_id: 7, table_name: 'cy_enduser_default', operation: 'INSERT', target: String(saved.id) });
    expect(a[0].new_data).toMatchObject({ gas_name: 'NF3', capacity: '47', default_enduser: 'NEWU', effect: preview });
    // update and delete preview/apply the reverse
    const del = await svc.previewDefault({ op: 'delete', id: saved.id });
    expect(del.moves).toEqual([{ from: 'NEWU', to: 'LGD', qty: 1 }]);
    const upd = await svc.saveDefault(manager, { ...rule, id: saved.id, isActive: false });
    expect(upd.effect.moves).toEqual([{ from: 'NEWU', to: 'LGD', qty: 1 }]);
    expect((await audits('cylinders.default.update'))[0].old_data).toMatchObject({ is_active: true });
    await svc.deleteDefault(manager, saved.id);
    expect(await audits('cylinders.default.delete')).toHaveLength(1);
  });

  it('refuses bad and duplicate default rules with the reason', async () => {
    await expect(svc.saveDefault(manager, { gasName: 'NF3', capacity: '47.0', defaultEnduser: 'X' })).rejects.toMatchObject({
      kind: 'conflict',
      message: 'a rule for NF3 / capacity 47.0 / valve any / cylinder spec any already exists: #2 → LGD (active); edit that rule instead',
    });
    await expect(svc.saveDefault(manager, { gasName: 'NF3', defaultEnduser: 'X' })).rejects.toMatchObject({ kind: 'conflict', message: /#1 → SDC/ });
    await expect(svc.saveDefault(manager, { gasName: 'NF33', valveSpecCode: 'V-ZZ', defaultEnduser: 'X' })).rejects.toMatchObject({
      kind: 'validation',
      message: 'gas "NF33" is not a gas name in FCMS (ma_items DISPLAY_NAME, else FORMAL_NAME); valve spec code "V-ZZ" is not in FCMS (ma_valve_specs)',
    });
    await expect(svc.saveDefault(manager, { gasName: 'NF3', capacity: '4 7', defaultEnduser: 'X' })).rejects.toMatchObject({ kind: 'validation', message: /capacity must be a number/ });
    await expect(svc.saveDefault(manager, { gasName: 'NF3', defaultEnduser: ' ' })).rejects.toMatchObject({ kind: 'validation', message: 'EndUser is required' });
    await expect(svc.deleteDefault(manager, 999)).rejects.toMatchObject({ kind: 'not_found' });
    expect(await audits('cylinders.default.create')).toHaveLength(1); // only the earlier, successful one
  });

  it('bulk exceptions: unknown numbers, existing exceptions and repeats are refused as a whole', async () => {
    await expect(svc.createExceptions(manager, { cylinderNos: ['C03', 'ZZ1', ' C01 ', 'C03', 'ZZ2', ''], enduser: 'LGD' })).rejects.toMatchObject({
      kind: 'validation',
      message:
        'nothing saved: 2 cylinder number(s) are not in FCMS: ZZ1, ZZ2; 1 already have an exception: C01 (#1 → LGD-EX, active); edit those instead; listed twice: C03',
      details: { unknown: ['ZZ1', 'ZZ2'], listedTwice: ['C03'], existing: [{ cylinderNo: 'C01', id: 1 }] },
    });
    await expect(svc.createExceptions(manager, { cylinderNos: ['C02'], enduser: 'LGD' })).rejects.toMatchObject({ message: /C02 \(#2 → OLD, inactive\)/ });
    expect(await enduserOf('C03')).toBe('CAP');
    const r = await svc.createExceptions(manager, { cylinderNos: ['C03', 'C04'], enduser: 'LGD', reason: 'LGD 납품 전용' });
    expect(r.created).toBe(2);
    expect(r.effect.moves).toEqual([
      { from: 'CAP', to: 'LGD', qty: 1 },
      { from: 'VS', to: 'LGD', qty: 1 },
    ]);
    expect(await enduserOf('C03')).toBe('LGD');
    const list = await svc.listExceptions({ search: 'LGD 납품' });
    expect(list.map((e) => [e.cylinderNo, e.enduser, e.ruleEnduser, e.gasName])).toEqual([
      ['C03', 'LGD', 'CAP', 'NF3'],
      ['C04', 'LGD', 'VS', 'NF3'],
    ]);
    const off = await svc.updateException(manager, { id: r.ids[0], isActive: false });
    expect(off.effect.moves).toEqual([{ from: 'LGD', to: 'CAP', qty: 1 }]);
    const del = await svc.deleteExceptions(manager, [r.ids[1]]);
    expect(del).toMatchObject({ deleted: 1, effect: { moves: [{ from: 'LGD', to: 'VS', qty: 1 }] } });
    await expect(svc.deleteExceptions(manager, [r.ids[1]])).rejects.toMatchObject({ kind: 'not_found' });
    expect((await audits('cylinders.exception.create'))[0]).toMatchObject({ target: '2 cylinders' });
    expect(await audits('cylinders.exception.update')).toHaveLength(1);
    expect(await audits('cylinders.exception.delete')).toHaveLength(1);
  });

  it('valve groups and mappings, with the primary valve', async () => {
    const v = await svc.listValveGroups();
    const cos = v.groups.find((g) => g.groupName === 'COS_CGA330')!;
    expect(cos).toMatchObject({ isActive: true, primaryValveName: 'SUS general Y CGA330 Y NERIKI', cylinders: 8 });
    expect(cos.mappings.map((m) => [m.id, m.cylinders])).toEqual([
      [1, 4],
      [2, 4],
      [3, 1],
    ]);
    expect(v.groups.find((g) => g.groupName === 'NO_PRIMARY')!.mappings.find((m) => m.id === 6)).toMatchObject({ fcmsName: "O'Neil \"HP\" 밸브", cylinders: 0 });
    expect(v.valveSpecs.find((s) => s.code === 'V-NONAME')).toEqual({ code: 'V-NONAME', name: '', cylinders: 1, mappingId: null, groupId: null });

    // the primary moves to HAMAI: every member shows HAMAI now (type keys unchanged: they use the group name)
    const p = await svc.saveMapping(manager, { id: 2, groupId: 1, valveSpecCode: 'V-H', isPrimary: true });
    expect(p.effect).toMatchObject({ changed: 8, moves: [] });
    expect((await svc.listValveGroups()).groups.find((g) => g.id === 1)!.primaryValveName).toBe('SUS general Y CGA330 Y HAMAI');
    await expect(svc.saveMapping(manager, { groupId: 3, valveSpecCode: 'V-N' })).rejects.toMatchObject({
      kind: 'conflict',
      message: 'valve V-N "SUS general Y CGA330 Y NERIKI" is already in group COS_CGA330 (mapping #1); a valve belongs to one group',
    });
    await expect(svc.saveMapping(manager, { groupId: 3, valveSpecCode: 'V-Q', valveSpecName: 'typo' })).rejects.toMatchObject({
      kind: 'validation',
      message: /valve V-Q is named "O'Neil "HP" 밸브" in FCMS, not "typo"/,
    });
    await expect(svc.saveMapping(manager, { groupId: 3, valveSpecCode: 'V-ZZZ' })).rejects.toMatchObject({ kind: 'validation', message: /not in FCMS/ });
    await expect(svc.saveMapping(manager, { groupId: 99, valveSpecCode: 'V-Q' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(svc.saveValveGroup(manager, { groupName: 'COS_CGA330' })).rejects.toMatchObject({ kind: 'conflict', message: /already exists \(#1, active\)/ });

    const g = await svc.saveValveGroup(manager, { groupName: 'Q_GROUP', description: '따옴표 밸브' });
    const m = await svc.saveMapping(manager, { groupId: g.id, valveSpecCode: 'V-Q', isPrimary: true });
    expect(m.effect.changed).toBe(1);
    expect((await svc.detail('C12')).valve).toMatchObject({ group: 'Q_GROUP', grouped: true });
    const off = await svc.saveValveGroup(manager, { id: g.id, groupName: 'Q_GROUP', isActive: false });
    expect(off.effect.changed).toBe(1);
    const gone = await svc.deleteValveGroup(manager, 1);
    expect(gone.effect.changed).toBe(8);
    expect((await db.pool.query(`select count(*)::int n from cy_cylinder_current where dashboard_valve_group_name = 'COS_CGA330'`)).rows[0].n).toBe(0);
    await svc.deleteMapping(manager, 6);
    expect(await audits('cylinders.valve_mapping.update')).toHaveLength(1);
    expect(await audits('cylinders.valve_mapping.create')).toHaveLength(1);
    expect(await audits('cylinders.valve_mapping.delete')).toHaveLength(1);
    expect((await audits('cylinders.valve_group.delete'))[0].old_data.mappings).toHaveLength(3);
    // the snapshot is still exactly what a full resync gives
    expect((await db.pool.query('select changed from cy_resync_all()')).rows[0].changed).toBe(0);
  });
});
