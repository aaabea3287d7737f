/**
 * The describe stage alone: the nearest references from embedding rows (as queries.referenceEmbeddings returns
 * them), the confidence, and the defect type and guide read from a real PostgreSQL (InspectionService).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe as group, expect, it } from 'vitest';
import type { SessionUser } from '../../api/kit';
import { stationPaths } from '../../config';
import { createTestDb, type TestDb } from '../../testing/db';
import { f32ToBytes } from '../embeddings';
import type { ReferenceEmbeddingRow } from '../queries';
import { InspectionService } from '../service';
import { describe, type DescribeInput } from './describe';

const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
};
const row = (imageId: number, type: 'normal' | 'defect', v: Float32Array, defect?: { id: number; code: string }): ReferenceEmbeddingRow => ({
  image_id: imageId,
  image_type: type,
  defect_type_id: defect?.id ?? null,
  defect_code: defect?.code ?? null,
  file_path: `aa/bb/ref-${imageId}.png`,
  embedding_vector: f32ToBytes(v),
});

group('describe', () => {
  let db: TestDb;
  let home: string;
  let svc: InspectionService;
  let hole: { id: number; code: string };
  let scratch: { id: number; code: string };
  const admin: SessionUser = { userId: 0, username: 'cli', fullName: null, role: 'admin' };
  const region = { x: 10, y: 20, width: 30, height: 40, area: 12, score: 0.97 };
  const input = (over: Partial<DescribeInput> & { anomaly: number; embedding: Float32Array | null }): DescribeInput => {
    const { anomaly, embedding, ...rest } = over;
    return {
      productCode: 'castD',
      label: '/line/part-1.png',
      scored: { anomaly, defectDetected: anomaly >= 0.85, regions: anomaly >= 0.85 ? [region] : [], embedding, pc: { imageScore: 2.5, maxPatchDistance: 3.25 } },
      imageThreshold: 0.85,
      references: null,
      ...rest,
    };
  };

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-stage-describe-'));
    svc = new InspectionService({ dbs: db.dbs, paths: stationPaths(home) });
    const p = await svc.createProduct({ productCode: 'castD', productName: 'castD', description: null, category: null }, admin);
    const h = await svc.createDefectType({ productId: p.productId, defectCode: 'hole', defectNameKo: '기공', severityLevel: 4 }, admin);
    const s = await svc.createDefectType({ productId: p.productId, defectCode: 'scratch', defectNameKo: '긁힘', severityLevel: 2 }, admin);
    hole = { id: h.defectTypeId, code: 'hole' };
    scratch = { id: s.defectTypeId, code: 'scratch' };
    const m = await svc.createManual({ productId: p.productId, manualTitle: 'castD', version: '1' }, admin);
    await svc.createSection({ manualId: m.manualId, defectTypeId: h.defectTypeId, sectionType: 'cause', sectionTitle: '원인 1', sectionContent: '가스 혼입' }, admin);
    await svc.createSection({ manualId: m.manualId, defectTypeId: h.defectTypeId, sectionType: 'action', sectionContent: '탈가스 처리' }, admin);
    await svc.createSection({ manualId: m.manualId, defectTypeId: h.defectTypeId, sectionType: 'other', sectionContent: '참고' }, admin);
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('an anomalous image: nearest normal, defect type of the nearest exemplar, its names and guide, the verdict for the screen', async () => {
    const me = unit(1, 0.2, 0);
    const refs = [
      row(1, 'normal', unit(0, 1, 0)),
      row(2, 'normal', unit(1, 0.3, 0)), // the nearest normal
      row(3, 'defect', unit(1, 0.1, 0.05), hole), // the nearest exemplar
      row(4, 'defect', unit(0, 0, 1), hole),
      row(5, 'defect', unit(1, 0.5, 0.5), scratch),
      row(6, 'normal', unit(1, 0.2)), // another embedding size: never compared
    ];
    const d = await describe(input({ anomaly: 0.9625, embedding: me, references: Promise.resolve(refs) }), svc);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    expect(d.verdict).toEqual({
      image: '/line/part-1.png',
      productCode: 'castD',
      defect_detected: true,
      anomaly_score: 0.9625,
      raw_anomaly_score: 2.5,
      raw_max_patch_distance: 3.25,
      image_threshold: 0.85,
      defect_type: 'hole',
      defect_type_name_ko: '기공',
      severity_level: 4,
      confidence_score: expect.closeTo(0.5 + (0.5 * (0.9625 - 0.85)) / 0.15, 12),
      similarity_score: expect.closeTo(dot(me, unit(1, 0.3, 0)), 6),
      reference_image_id: 2,
      regions: [region],
    });
    expect(d.defectTypeId).toBe(hole.id);
    expect(d.referencePath).toBe('aa/bb/ref-2.png');
    expect(d.candidates.map((c) => [c.defectCode, c.imageId])).toEqual([
      ['hole', 3],
      ['scratch', 5],
    ]);
    expect(d.candidates[0].similarity).toBeGreaterThan(d.candidates[1].similarity);
    expect(d.guideText).toBe('[원인] 원인 1: 가스 혼입\n[조치] 탈가스 처리');
    // plain data: the verdict survives a JSON round trip unchanged
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('a normal image: the nearest normal but no defect type or guide', async () => {
    const refs = [row(2, 'normal', unit(1, 0, 0)), row(3, 'defect', unit(1, 0, 0), hole)];
    const d = await describe(input({ anomaly: 0.2125, embedding: unit(1, 0, 0), references: refs }), svc);
    expect(d.verdict).toMatchObject({ defect_detected: false, defect_type: null, defect_type_name_ko: null, severity_level: null, reference_image_id: 2, regions: [] });
    expect(d.verdict.similarity_score).toBeCloseTo(1, 6);
    expect(d.verdict.confidence_score).toBeCloseTo(0.5 + (0.5 * (0.85 - 0.2125)) / 0.85, 12);
    expect(d).toMatchObject({ defectTypeId: null, guideText: null });
    expect(d.candidates).toHaveLength(1);
  });

  it('clamps a negative similarity to 0; an anomalous image with no exemplars stays unclassified', async () => {
    const d = await describe(input({ anomaly: 1, embedding: unit(1, 0), references: [row(7, 'normal', unit(-1, 0.1))] }), svc);
    expect(d.verdict).toMatchObject({ defect_detected: true, similarity_score: 0, reference_image_id: 7, defect_type: null, confidence_score: 1 });
    expect(d.defectTypeId).toBeNull();
  });

  it('without an embedding (no model, or it failed) the references are not read: no similarity, no defect type', async () => {
    const never = new Promise<ReferenceEmbeddingRow[]>(() => undefined);
    const d = await describe(input({ anomaly: 0.95, embedding: null, references: never }), svc);
    expect(d.verdict).toMatchObject({ defect_detected: true, similarity_score: null, reference_image_id: null, defect_type: null });
    expect(d).toMatchObject({ defectTypeId: null, referencePath: null, candidates: [], guideText: null });
  });
});
