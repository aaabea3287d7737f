/** The inspection demo: design §4 products and defect types, manuals, synthetic references, banks, history; idempotent. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stationPaths } from '../config';
import { createTestDb, type TestDb } from '../testing/db';
import { seedInspectionDemo } from './demo';
import { releaseModels } from './engine/models';
import { FIXTURE_DIR as FIX, writeStationModels } from './engine/testing/testkit';
import { InspectionService } from './service';

const hasFixtures = fs.existsSync(path.join(FIX, 'patchcore_backbone.onnx'));

describe('inspection demo', () => {
  let db: TestDb;
  let home: string;
  let models: string;
  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-insp-demo-'));
    models = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-insp-demo-models-'));
    if (hasFixtures) {
      writeStationModels(models, { backbone: 'backbone', embedding: 'clip' });
    }
    // demo users as main/demo/seed.ts creates them (the inspection seeder acts as manager1 / worker1)
    for (const [u, role] of [
      ['manager1', 'manager'],
      ['worker1', 'worker'],
    ]) {
      const id = (await db.pool.query("insert into users (username, email, password_hash) values ($1, $2, 'x') returning user_id", [u, `${u}@linedeck.local`])).rows[0].user_id;
      await db.pool.query('insert into user_roles (user_id, role_id) select $1, role_id from roles where role_name = $2', [id, role]);
    }
  });
  afterAll(async () => {
    await releaseModels();
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(models, { recursive: true, force: true });
  });

  const opts = () => ({
    normals: 4,
    defectsPerType: 1,
    history: 6,
    size: 128,
    withModels: hasFixtures,
    models: { backbone: path.join(models, 'backbone'), embedding: path.join(models, 'clip') },
    now: new Date('2026-03-15T03:00:00Z'),
  });

  it('seeds the design’s products and defect types, manuals, references, banks and history', async () => {
    const app = { services: { dbs: db.dbs, paths: stationPaths(home) } };
    const counts = await seedInspectionDemo(app, opts());
    expect(counts).toMatchObject({ inspection_products: 3, inspection_defect_types: 9, inspection_manuals: 3, inspection_reference_images: 3 * (4 + 3) });
    const svc = new InspectionService({ dbs: db.dbs, paths: stationPaths(home) });
    const p1 = await svc.getProduct({ productCode: 'prod1' });
    expect(p1).toMatchObject({ productName: '주조 제품 A형', description: '주조 공정 제품', normalImageCount: 4, defectImageCount: 3 });
    const types = await svc.listDefectTypes(p1.productId);
    expect(types.map((t) => [t.defectCode, t.defectNameKo, t.defectNameEn, t.fullNameKo, t.severityLevel])).toEqual([
      ['hole', '기공', 'hole', '기공 (주조 결함)', 4],
      ['burr', '버', 'burr', '버 (날카로운 돌기)', 3],
      ['scratch', '긁힘', 'scratch', '긁힘 (표면 손상)', 2],
    ]);
    for (const t of types) {
      const g = await svc.guideFor(t.defectTypeId);
      expect(g.cause).toHaveLength(1);
      expect(g.action).toHaveLength(1);
    }
    const audit = await db.pool.query("select username from audit_logs where action = 'inspection.product.create' order by log_id limit 1");
    expect(audit.rows[0].username).toBe('manager1');
    if (hasFixtures) {
      expect(counts).toMatchObject({ inspection_banks: 3, inspections: 18 });
      expect(p1.bank).not.toBeNull();
      const hist = await db.pool.query("select min(inspection_date) as a, max(inspection_date) as b, count(distinct inspector_id) as who from inspections");
      expect(hist.rows[0].a.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-03-01T02:00:00Z'));
      expect(hist.rows[0].b.getTime()).toBeLessThan(Date.parse('2026-03-15T03:00:00Z'));
      const [s] = await svc.dashboardStats({ productId: p1.productId });
      expect(s.totalInspectionCount).toBe(6);
    }
  });

  it('is idempotent', async () => {
    const again = await seedInspectionDemo({ services: { dbs: db.dbs, paths: stationPaths(home) } }, opts());
    expect(Object.values(again).every((n) => n === 0)).toBe(true);
    expect((await db.pool.query('select count(*)::int as n from products')).rows[0].n).toBe(3);
  });
});
