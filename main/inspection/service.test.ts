/** The inspection services on a real PostgreSQL and real files: CRUD, audit, images, history, dashboard. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionUser } from '../api/kit';
import { stationPaths } from '../config';
import { createTestDb, type TestDb } from '../testing/db';
import { csvField, InspectionService } from './service';
import { ImageStore } from './store';
import { inspectionListSchema, newReferenceImageSchema } from './contract';

async function png(seed: number, size = 64): Promise<Buffer> {
  const data = Buffer.alloc(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 97) % 251;
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

describe('InspectionService', () => {
  let db: TestDb;
  let home: string;
  let svc: InspectionService;
  let manager: SessionUser;
  let worker: SessionUser;

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-insp-svc-'));
    svc = new InspectionService({ dbs: db.dbs, paths: stationPaths(home) });
    const mk = async (username: string, role: string) => {
      const id = (await db.pool.query("insert into users (username, email, password_hash) values ($1, $2, 'x') returning user_id", [username, `${username}@x.io`])).rows[0].user_id;
      await db.pool.query('insert into user_roles (user_id, role_id) select $1, role_id from roles where role_name = $2', [id, role]);
      return { userId: id, username, fullName: null, role } as SessionUser;
    };
    manager = await mk('manager1', 'manager');
    worker = await mk('worker1', 'worker');
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const audits = async (action: string) => (await db.pool.query('select * from audit_logs where action = $1 order by log_id', [action])).rows;

  it('creates products with default thresholds, refuses duplicates, audits changes', async () => {
    const p = await svc.createProduct({ productCode: 'prod1', productName: '주조 제품 A형', description: '주조 공정 제품', category: null }, manager);
    expect(p).toMatchObject({ productCode: 'prod1', productName: '주조 제품 A형', isActive: true, normalImageCount: 0, bank: null });
    await expect(svc.createProduct({ productCode: 'PROD1', productName: 'x' }, manager)).rejects.toMatchObject({ kind: 'conflict' });
    const cfg = await svc.getModelConfig(p.productId);
    expect(cfg).toMatchObject({ imageThreshold: 0.85, pixelThreshold: 0.9 });
    const upd = await svc.updateProduct({ productId: p.productId, productName: '주조 A', description: null }, manager);
    expect(upd).toMatchObject({ productName: '주조 A', description: null });
    const a = await audits('inspection.product.update');
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ username: 'manager1', user_id: manager.userId, target: 'prod1', old_data: expect.objectContaining({ productName: '주조 제품 A형' }) });
    expect((await svc.ensureProduct('prod1')).productId).toBe(p.productId);
    const created = await svc.ensureProduct('auto-made');
    expect(created).toMatchObject({ productCode: 'auto-made', productName: 'auto-made' });
    await expect(svc.getProduct({ productCode: 'nope' })).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('manages defect types, manuals and sections; the guide follows the defect type', async () => {
    const p = await svc.getProduct({ productCode: 'prod1' });
    const hole = await svc.createDefectType({ productId: p.productId, defectCode: 'hole', defectNameKo: '기공', defectNameEn: 'hole', fullNameKo: '기공 (주조 결함)', severityLevel: 4 }, manager);
    const burr = await svc.createDefectType({ productId: p.productId, defectCode: 'burr', defectNameKo: '버', severityLevel: 3 }, manager);
    await expect(svc.createDefectType({ productId: p.productId, defectCode: 'hole', defectNameKo: 'x', severityLevel: 3 }, manager)).rejects.toMatchObject({ kind: 'conflict' });
    const upd = await svc.updateDefectType({ defectTypeId: burr.defectTypeId, severityLevel: 2 }, manager);
    expect(upd.severityLevel).toBe(2);
    expect((await svc.listDefectTypes(p.productId)).map((d) => d.defectCode)).toEqual(['hole', 'burr']);

    const m = await svc.createManual({ productId: p.productId, manualTitle: 'prod1 대응 매뉴얼', version: '1.0' }, manager);
    expect(m.fileType).toBe('MD');
    const s1 = await svc.createSection({ manualId: m.manualId, defectTypeId: hole.defectTypeId, sectionType: 'cause', sectionTitle: '기공 원인', sectionContent: '용탕 내 가스 혼입' }, manager);
    await svc.createSection({ manualId: m.manualId, defectTypeId: hole.defectTypeId, sectionType: 'action', sectionContent: '탈가스 처리 시간을 늘린다' }, manager);
    expect(s1.chunkIndex).toBe(0);
    const guide = await svc.guideFor(hole.defectTypeId);
    expect(guide.cause.map((x) => x.sectionContent)).toEqual(['용탕 내 가스 혼입']);
    expect(guide.action).toHaveLength(1);
    // the station writes the manual's file from its sections
    const man = await svc.getManual(m.manualId);
    const text = fs.readFileSync(path.join(home, man.filePath), 'utf8');
    expect(text).toContain('용탕 내 가스 혼입');
    expect(man.fileSize).toBe(Buffer.byteLength(text));
    await svc.updateSection({ sectionId: s1.sectionId, sectionContent: '금형 가스 배출 불량' }, manager);
    expect(fs.readFileSync(path.join(home, man.filePath), 'utf8')).toContain('금형 가스 배출 불량');
    // a section's defect type must belong to the manual's product
    const other = await svc.createProduct({ productCode: 'prod2', productName: 'B' }, manager);
    const otherType = await svc.createDefectType({ productId: other.productId, defectCode: 'crack', defectNameKo: '균열', severityLevel: 5 }, manager);
    await expect(svc.createSection({ manualId: m.manualId, defectTypeId: otherType.defectTypeId, sectionType: 'cause', sectionContent: 'x' }, manager)).rejects.toMatchObject({ kind: 'validation' });
    await expect(svc.createManual({ productId: p.productId, manualTitle: 'dupe', version: '1.0' }, manager)).rejects.toMatchObject({ kind: 'conflict' });
    // an uploaded file is kept as is
    const up = await svc.createManual({ productId: p.productId, manualTitle: 'PDF', version: '2.0', file: { base64: Buffer.from('%PDF-1.4 test').toString('base64'), fileName: 'guide.pdf' } }, manager);
    expect(up).toMatchObject({ fileName: 'guide.pdf', fileType: 'PDF', fileSize: 13 });
    expect(fs.readFileSync(path.join(home, up.filePath), 'utf8')).toBe('%PDF-1.4 test');
    await expect(svc.createManual({ productId: p.productId, manualTitle: 'exe', file: { base64: 'AAAA', fileName: 'x.exe' } }, manager)).rejects.toMatchObject({ kind: 'validation' });
    expect((await svc.deleteManual(up.manualId, manager)).deleted).toBe(true);
    expect(await audits('inspection.manual.delete')).toHaveLength(1);
  });

  it('stores reference images by content, refuses bad ones, (de)activates with audit', async () => {
    const p = await svc.getProduct({ productCode: 'prod1' });
    const hole = (await svc.listDefectTypes(p.productId)).find((d) => d.defectCode === 'hole')!;
    const bytes = await png(1);
    const a = await svc.addReferenceImage({ productId: p.productId, imageType: 'normal', image: { base64: `data:image/png;base64,${bytes.toString('base64')}`, fileName: 'n1.png' } }, manager);
    expect(a).toMatchObject({ imageType: 'normal', width: 64, height: 64, format: 'PNG', fileName: 'n1.png', existed: false, uploadedBy: 'manager1' });
    expect(a.filePath).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.png$/);
    expect(fs.readFileSync(path.join(home, 'images', a.filePath)).equals(bytes)).toBe(true);
    // same content again: the same row
    const again = await svc.addReferenceImage({ productId: p.productId, imageType: 'normal', image: { base64: bytes.toString('base64') } }, manager);
    expect(again).toMatchObject({ imageId: a.imageId, existed: true });
    // same content as a defect image: refused until deactivated
    await expect(svc.addReferenceImage({ productId: p.productId, imageType: 'defect', defectTypeId: hole.defectTypeId, image: { base64: bytes.toString('base64') } }, manager)).rejects.toMatchObject({
      kind: 'conflict',
    });
    // from a path
    const f = path.join(home, 'd1.png');
    fs.writeFileSync(f, await png(2));
    const d = await svc.addReferenceImage({ productId: p.productId, imageType: 'defect', defectTypeId: hole.defectTypeId, image: { path: f } }, manager);
    expect(d).toMatchObject({ imageType: 'defect', defectCode: 'hole', fileName: 'd1.png' });
    // bad inputs: clear validation errors, nothing stored
    const before = fs.readdirSync(path.join(home, 'images')).length;
    await expect(svc.addReferenceImage({ productId: p.productId, imageType: 'normal', image: { base64: Buffer.from('not an image at all').toString('base64') } }, manager)).rejects.toMatchObject({
      kind: 'validation',
      message: expect.stringMatching(/not a readable image/),
    });
    await expect(svc.addReferenceImage({ productId: p.productId, imageType: 'normal', image: { base64: '%%%' } }, manager)).rejects.toMatchObject({ kind: 'validation', message: /base64/ });
    await expect(svc.addReferenceImage({ productId: p.productId, imageType: 'normal', image: { path: path.join(home, 'missing.png') } }, manager)).rejects.toMatchObject({
      kind: 'validation',
      message: /no such file/,
    });
    const truncated = (await png(3, 128)).subarray(0, 300);
    await expect(svc.addReferenceImage({ productId: p.productId, imageType: 'normal', image: { base64: truncated.toString('base64') } }, manager)).rejects.toMatchObject({
      kind: 'validation',
      details: { reason: 'damaged' },
    });
    const tiny = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toBuffer();
    await expect(svc.addReferenceImage({ productId: p.productId, imageType: 'normal', image: { base64: tiny.toString('base64') } }, manager)).rejects.toMatchObject({
      message: /too small/,
      details: { reason: 'too_small' },
    });
    expect(fs.readdirSync(path.join(home, 'images')).length).toBe(before);
    // the contract refuses a defect image without its type
    expect(newReferenceImageSchema.safeParse({ productId: 1, imageType: 'defect', image: { base64: 'AA==' } }).success).toBe(false);

    const off = await svc.setImageActive(a.imageId, false, manager);
    expect(off.isActive).toBe(false);
    expect((await svc.listImages({ productId: p.productId, includeInactive: false, limit: 10, offset: 0 })).total).toBe(1);
    // now the content can become a defect reference
    const asDefect = await svc.addReferenceImage({ productId: p.productId, imageType: 'defect', defectTypeId: hole.defectTypeId, image: { base64: bytes.toString('base64') } }, manager);
    expect(asDefect.existed).toBe(false);
    await expect(svc.setImageActive(a.imageId, true, manager)).rejects.toMatchObject({ kind: 'conflict' });
    expect(await audits('inspection.image.deactivate')).toHaveLength(1);
    const file = await svc.readStoredFile(d.filePath);
    expect(file).toMatchObject({ mime: 'image/png' });
    await expect(svc.readStoredFile('../../etc/passwd')).rejects.toThrow(/outside the image store/);
  });

  it('lists, filters, pages and exports history; actions, feedback, pending, dashboard', async () => {
    const p = await svc.getProduct({ productCode: 'prod1' });
    const hole = (await svc.listDefectTypes(p.productId)).find((d) => d.defectCode === 'hole')!;
    // arrange: 6 inspections over two Seoul days, written as the pipeline writes them
    const at = ['2026-02-01T01:00:00Z', '2026-02-01T05:00:00Z', '2026-02-01T14:30:00Z', '2026-02-01T15:30:00Z', '2026-02-02T02:00:00Z', '2026-02-02T03:00:00Z'];
    const defect = [true, false, true, false, true, false];
    const ids: number[] = [];
    for (let i = 0; i < at.length; i++) {
      const r = await db.pool.query(
        "insert into inspections (product_id, inspector_id, inspection_date, status, source) values ($1, $2, $3, 'completed', $4) returning inspection_id",
        [p.productId, i % 2 ? worker.userId : manager.userId, at[i], i === 5 ? 'camera' : 'upload'],
      );
      ids.push(r.rows[0].inspection_id);
      await db.pool.query('insert into inspection_results (inspection_id, defect_detected, defect_type_id, anomaly_score, confidence_score) values ($1, $2, $3, $4, $5)', [
        r.rows[0].inspection_id,
        defect[i],
        defect[i] ? hole.defectTypeId : null,
        defect[i] ? 0.95 : 0.2,
        0.9,
      ]);
    }
    const all = await svc.listInspections(inspectionListSchema.parse({ productId: p.productId }));
    expect(all.total).toBe(6);
    expect(all.rows[0].inspectionDate).toBe('2026-02-02T03:00:00.000Z');
    expect(all.rows[0].inspectionCode).toBe('INS-20260202-0003'); // 15:30Z on Feb 1 is already Feb 2 in Seoul
    expect(all.rows.at(-1)!.inspectionCode).toBe('INS-20260201-0001');
    const page = await svc.listInspections(inspectionListSchema.parse({ productId: p.productId, limit: 2, offset: 2 }));
    expect(page.rows.map((r) => r.inspectionId)).toEqual([ids[3], ids[2]]);
    expect((await svc.listInspections(inspectionListSchema.parse({ verdict: 'defect', productCode: 'prod1' }))).total).toBe(3);
    expect((await svc.listInspections(inspectionListSchema.parse({ inspectorId: worker.userId }))).total).toBe(3);
    expect((await svc.listInspections(inspectionListSchema.parse({ source: 'camera' }))).total).toBe(1);
    const range = await svc.listInspections(inspectionListSchema.parse({ from: '2026-02-01T00:00:00+09:00', to: '2026-02-02T00:00:00+09:00' }));
    expect(range.total).toBe(3); // 01:00Z, 05:00Z and 14:30Z (23:30 KST) are Feb 1 in Seoul; 15:30Z is not
    expect((await svc.listInspections(inspectionListSchema.parse({ q: '0202-000' }))).total).toBe(3);
    expect(inspectionListSchema.safeParse({ from: '2026-02-02T00:00:00Z', to: '2026-02-01T00:00:00Z' }).success).toBe(false);

    // actions: the latest decides; pending list; dashboard
    await expect(svc.addAction({ inspectionId: 999999, actionTaken: 'x', actionResult: 'resolved' }, worker)).rejects.toMatchObject({ kind: 'not_found' });
    await svc.addAction({ inspectionId: ids[0], actionTaken: '재작업 지시', actionResult: 'pending' }, worker);
    const act = await svc.addAction({ inspectionId: ids[0], actionTaken: '탈가스 후 재주조', actionResult: 'resolved', notes: '완료' }, worker);
    expect(act).toMatchObject({ actionBy: 'worker1', actionResult: 'resolved' });
    const fb = await svc.addFeedback({ inspectionId: ids[0], rating: 4, feedbackText: '가이드 유용', feedbackType: 'guide_quality' }, worker);
    expect(fb).toMatchObject({ rating: 4, user: 'worker1' });
    await expect(svc.addFeedback({ inspectionId: ids[0], rating: 7, feedbackType: 'other' }, worker)).rejects.toMatchObject({ constraint: 'rating_check' });
    expect((await svc.pendingActions({ productId: p.productId })).map((r) => r.inspectionId)).toEqual([ids[2], ids[4]]);
    expect((await svc.listInspections(inspectionListSchema.parse({ actionStatus: 'resolved' }))).rows.map((r) => r.inspectionId)).toEqual([ids[0]]);
    const [stats] = await svc.dashboardStats({ productId: p.productId });
    expect(stats).toMatchObject({ totalInspectionCount: 6, defectDetectedCount: 3, resolvedCount: 1, pendingActionCount: 2, avgGuideRating: 4, defectRate: 0.5 });
    const days = await svc.defectRateByDay({ productId: p.productId, from: '2026-01-31T00:00:00+09:00', to: '2026-02-03T00:00:00+09:00' });
    expect(days).toEqual([
      { day: '2026-01-31', total: 0, defects: 0, rate: null },
      { day: '2026-02-01', total: 3, defects: 2, rate: 2 / 3 },
      { day: '2026-02-02', total: 3, defects: 1, rate: 1 / 3 },
    ]);
    const types = await svc.defectsByType({ productId: p.productId, from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' });
    expect(types).toEqual([{ defectTypeId: hole.defectTypeId, defectCode: 'hole', defectNameKo: '기공', severityLevel: 4, count: 3, share: 1 }]);

    const detail = await svc.getInspection({ inspectionId: ids[0] });
    expect(detail.actions.map((a) => a.actionResult)).toEqual(['pending', 'resolved']);
    expect(detail.actionStatus).toBe('resolved');
    expect(detail.defectType?.defectCode).toBe('hole');
    expect(detail.guide.cause.length + detail.guide.action.length).toBe(2);
    expect(detail.feedbacks).toHaveLength(1);

    const csv = await svc.exportInspectionsCsv({ productId: p.productId });
    expect(csv.rows).toBe(6);
    expect(csv.csv.startsWith('\uFEFFinspection_code,inspection_date_utc,inspection_date_kst,')).toBe(true);
    const lines = csv.csv.trim().split('\r\n');
    expect(lines).toHaveLength(7);
    expect(lines.at(-1)).toMatch(/^INS-20260201-0001,2026-02-01T01:00:00.000Z,2026-02-01 10:00:00,prod1,주조 A,defect,hole,기공,4,0.95,0.9,,,,manager1,upload,조치완료,$/);
    expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvField('a,"b"')).toBe('"a,""b"""');
  });

  it('sets thresholds with audit and keeps deployments in order', async () => {
    const p = await svc.getProduct({ productCode: 'prod1' });
    const cfg = await svc.setThresholds({ productId: p.productId, imageThreshold: 0.8, pixelThreshold: 0.95 }, manager);
    expect(cfg).toMatchObject({ imageThreshold: 0.8, pixelThreshold: 0.95 });
    const [a] = await audits('inspection.config.thresholds');
    expect(a).toMatchObject({ old_data: { imageThreshold: 0.85, pixelThreshold: 0.9 }, new_data: { imageThreshold: 0.8, pixelThreshold: 0.95 }, username: 'manager1' });
    const n = (await db.pool.query('select count(*)::int as n from model_configs where product_id = $1', [p.productId])).rows[0].n;
    expect(n).toBe(1);

    const id = await svc.createDeployment('patchcore_bank', p.productId, { coresetRatio: 0.1 }, manager);
    expect((await svc.getDeployment(id)).status).toBe('pending');
    await svc.markDeploymentRunning(id);
    await expect(svc.markDeploymentRunning(id)).rejects.toMatchObject({ kind: 'conflict' });
    await svc.finishDeployment(id, { status: 'failed', error: 'no normal images' });
    expect(await svc.getDeployment(id)).toMatchObject({ status: 'failed', errorMessage: 'no normal images', deployedBy: 'manager1' });
    expect(await svc.currentBank(p.productId)).toBeNull();
  });

  it('keeps store paths inside the store', () => {
    const store = new ImageStore(path.join(home, 'images'));
    expect(() => store.abs('../x')).toThrow();
    expect(() => store.abs('/etc/passwd')).toThrow();
    const sha = 'ab'.repeat(32);
    expect(ImageStore.contentPath(sha, 'png')).toBe(`ab/ab/${sha}.png`);
  });
});
