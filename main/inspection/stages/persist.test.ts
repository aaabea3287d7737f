/**
 * The persist stage alone against a real PostgreSQL: a plain record (as a journal would hold it, through a
 * structured clone) with its files' bytes becomes the four rows, the content-addressed files in the image store and
 * their blobs in the database, in one transaction; a failed transaction leaves no rows, no blobs and no files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionUser } from '../../api/kit';
import { stationPaths } from '../../config';
import { createTestDb, type TestDb } from '../../testing/db';
import { f32ToBytes } from '../embeddings';
import { InspectionService } from '../service';
import { sha256Of } from '../../files/store';
import { decodeImage, ImageStore } from '../store';
import { generateImage } from '../synth/generate';
import { ARTIFACT_NAMES, type ArtifactName, type StoredFile } from './artifacts';
import { persist, type InspectionRecord } from './persist';

describe('persist', () => {
  let db: TestDb;
  let home: string;
  let svc: InspectionService;
  let record: (over?: Partial<InspectionRecord['result']>) => Promise<InspectionRecord>;
  let defectTypeId: number;
  const admin: SessionUser = { userId: 0, username: 'cli', fullName: null, role: 'admin' };
  const files = () =>
    fs
      .readdirSync(path.join(home, 'images'), { recursive: true })
      .map(String)
      .filter((f) => !path.basename(f).startsWith('.') && fs.statSync(path.join(home, 'images', f)).isFile())
      .sort();
  const blobs = async () => (await db.pool.query<{ n: number }>('select count(*)::int as n from file_blobs')).rows[0].n;
  const count = async () => (await db.pool.query<{ n: number }>('select count(*)::int as n from inspections')).rows[0].n;

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-stage-persist-'));
    svc = new InspectionService({ dbs: db.dbs, paths: stationPaths(home) });
    const p = await svc.createProduct({ productCode: 'castP', productName: 'castP', description: null, category: null }, admin);
    defectTypeId = (await svc.createDefectType({ productId: p.productId, defectCode: 'hole', defectNameKo: '기공', severityLevel: 4 }, admin)).defectTypeId;
    const deploymentId = await svc.createDeployment('patchcore_bank', p.productId, {}, admin);
    const img = await generateImage({ surface: 'cast', level: 'plain', label: 'hole', seed: 'stage-persist', index: 0, size: 64 });
    const decoded = await decodeImage(img.png, img.name);
    const stored = svc.store.putDecoded(decoded);
    const vector = f32ToBytes(Float32Array.from([0.6, 0.8, 0]));
    let n = 0;
    record = async (over = {}) => {
      // the artifacts stage's output: each file's bytes, hash and content-addressed path
      const art = (name: string): StoredFile => {
        const bytes = Buffer.from(`${name} ${++n}`);
        const sha256 = sha256Of(bytes);
        return { bytes, sha256, relPath: ImageStore.contentPath(sha256, 'png') };
      };
      const artifacts = Object.fromEntries(ARTIFACT_NAMES.map((a) => [a, art(a)])) as Record<ArtifactName, StoredFile>;
      const r: InspectionRecord = {
        productId: p.productId,
        deploymentId,
        source: 'camera',
        inspectorId: null,
        at: '2026-03-02T01:02:03.456Z',
        processingS: 0.125,
        image: { fileName: decoded.fileName, sha256: decoded.sha256, fileSize: decoded.bytes.length, width: 64, height: 64, format: 'PNG', meta: decoded.meta },
        preprocessing: { backbone: { size: [224, 224] }, geometry: { resize: 'stretch', crop: null }, embedding: null },
        embedding: { vector, model: 'fixture-clip@0123456789abcdef', dim: 3 },
        result: {
          defectDetected: true,
          defectTypeId,
          referenceImageId: null,
          confidence: 0.75,
          anomaly: 0.925,
          similarity: 0.5,
          rawAnomaly: 2.5,
          rawMaxPatchDistance: 3.25,
          imageThreshold: 0.85,
          pixelThreshold: 0.9,
          regions: [{ x: 1, y: 2, width: 3, height: 4, area: 5, score: 0.95 }],
          details: { regionRule: 'pixel_threshold', timingsMs: { engine: 12.5 } },
          guideText: '[원인] 가스 혼입',
          ...over,
        },
        files: { original: { relPath: stored.relPath, sha256: decoded.sha256, bytes: decoded.bytes }, artifacts },
      };
      // what a journal would hand back (a structured clone: the embedding's Buffer comes back as a Uint8Array)
      return v8.deserialize(v8.serialize(r)) as InspectionRecord;
    };
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('writes the four rows from the record, the files by content and their blobs', async () => {
    const r = await record();
    const seen: { inspectionId: number; inspectionCode: string }[] = [];
    const out = await persist(svc.read, svc.store, r, { withinTransaction: async (_c, ins) => void seen.push(ins) });
    expect(out.inspectionCode).toMatch(/^INS-20260302-\d{4}$/);
    expect(seen).toEqual([{ inspectionId: out.inspectionId, inspectionCode: out.inspectionCode }]);
    const a = r.files.artifacts;
    expect(out.artifacts).toEqual({
      original: r.files.original.relPath,
      heatmap: a.heatmap.relPath,
      mask: a.mask.relPath,
      overlay: a.overlay.relPath,
      comparison: a.comparison.relPath,
      anomalyMap: a.anomalyMap.relPath,
    });
    expect(out.artifacts.mask).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.png$/);
    expect(fs.readFileSync(svc.store.abs(out.artifacts.mask!), 'utf8')).toMatch(/^mask \d+$/);
    // every file's blob is in the database, chunked, with its size
    const rows = (await db.pool.query<{ sha256: string; size: string; kind: string; data: Buffer }>('select b.sha256, b.size, b.kind, c.data from file_blobs b join file_chunks c using (sha256) where b.sha256 = any($1)', [[r.files.original.sha256, ...ARTIFACT_NAMES.map((x) => a[x].sha256)]])).rows;
    expect(rows.length).toBe(6);
    const mask = rows.find((x) => x.sha256 === a.mask.sha256)!;
    expect({ kind: mask.kind, size: Number(mask.size) }).toEqual({ kind: 'artifact', size: a.mask.bytes.length });
    expect(Buffer.from(mask.data).equals(Buffer.from(a.mask.bytes))).toBe(true);
    expect(rows.find((x) => x.sha256 === r.files.original.sha256)?.kind).toBe('image');

    const d = await svc.getInspection({ inspectionId: out.inspectionId });
    expect(d).toMatchObject({ productCode: 'castP', source: 'camera', status: 'completed', inspectionDate: '2026-03-02T01:02:03.456Z', inspector: null, defectDetected: true, defectCode: 'hole', processingTime: 0.125 });
    expect(d.testImage).toMatchObject({ imageType: 'test', filePath: r.files.original.relPath, width: 64, height: 64, format: 'PNG', sha256: r.image.sha256 });
    expect(d.result).toMatchObject({
      defectDetected: true,
      defectTypeId,
      confidenceScore: 0.75,
      anomalyScore: 0.925,
      similarityScore: 0.5,
      rawAnomalyScore: 2.5,
      rawMaxPatchDistance: 3.25,
      imageThreshold: 0.85,
      pixelThreshold: 0.9,
      regions: r.result.regions,
      artifacts: out.artifacts,
      details: { regionRule: 'pixel_threshold', timingsMs: { engine: 12.5 }, anomalyMap: out.artifacts.anomalyMap },
      guideGenerated: true,
      guideContent: '[원인] 가스 혼입',
    });
    const md = (
      await db.pool.query('select embedding_vector, embedding_model, embedding_dim, exif_data, preprocessing_applied from image_metadata where image_id = $1', [d.testImage!.imageId])
    ).rows[0];
    expect(md).toMatchObject({ embedding_model: 'fixture-clip@0123456789abcdef', embedding_dim: 3, exif_data: JSON.parse(JSON.stringify(r.image.meta)), preprocessing_applied: r.preprocessing });
    expect(Buffer.from(md.embedding_vector).equals(Buffer.from(r.embedding!.vector))).toBe(true);
  });

  it('a normal result without an embedding or guide; at = null is now', async () => {
    const r = await record({ defectDetected: false, defectTypeId: null, regions: [], guideText: null, similarity: null });
    const before = Date.now();
    const out = await persist(svc.read, svc.store, { ...r, at: null, embedding: null });
    const d = await svc.getInspection({ inspectionId: out.inspectionId });
    expect(Date.parse(d.inspectionDate)).toBeGreaterThanOrEqual(before - 5000);
    expect(d.result).toMatchObject({ defectDetected: false, defectTypeId: null, regions: [], similarityScore: null, guideGenerated: false, guideContent: null });
    const md = (await db.pool.query('select embedding_vector, embedding_model from image_metadata where image_id = $1', [d.testImage!.imageId])).rows[0];
    expect(md).toEqual({ embedding_vector: null, embedding_model: null });
  });

  it('a transaction that fails after the files are written leaves no rows, no blobs and no files; its code comes again', async () => {
    const before = await count();
    const blobsBefore = await blobs();
    const kept = files();
    const r = await record();
    let code = '';
    await expect(
      persist(svc.read, svc.store, r, {
        withinTransaction: async (_c, ins) => {
          code = ins.inspectionCode;
          expect(fs.existsSync(svc.store.abs(r.files.artifacts.heatmap.relPath))).toBe(true);
          throw new Error('bookkeeping failed');
        },
      }),
    ).rejects.toThrow('bookkeeping failed');
    expect(await count()).toBe(before);
    expect(await blobs()).toBe(blobsBefore);
    // the original stays: a committed inspection's blob is the same content
    expect(files()).toEqual(kept);
    const again = await persist(svc.read, svc.store, await record());
    expect(again.inspectionCode).toBe(code);
  });

  it('files that fail to be written fail the transaction: no rows, no files', async () => {
    const before = await count();
    const kept = files();
    const r = await record();
    await expect(persist(svc.read, svc.store, r, { written: Promise.reject(new Error('disk full')) })).rejects.toThrow('disk full');
    expect(await count()).toBe(before);
    expect(files()).toEqual(kept);
  });

  it('a row the database refuses leaves no files', async () => {
    const kept = files();
    const r = await record({ defectDetected: false }); // a result without a defect has no defect type (CHECK)
    await expect(persist(svc.read, svc.store, r)).rejects.toMatchObject({ code: '23514' });
    expect(files()).toEqual(kept);
  });
});
