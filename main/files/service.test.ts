/**
 * Retention (decisions.md, Plant rule 5) against a real PostgreSQL: inspections older than the setting lose their
 * pictures (the image and its artifacts: blobs, this console's files), recorded with the date; newer inspections,
 * reference images, a picture a newer inspection shares, and every row stay; the run is audited.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionUser } from '../api/kit';
import { stationPaths } from '../config';
import { InspectionService } from '../inspection/service';
import { ARTIFACT_NAMES, type ArtifactName, type StoredFile } from '../inspection/stages/artifacts';
import { persist, type InspectionRecord } from '../inspection/stages/persist';
import { decodeImage, ImageStore } from '../inspection/store';
import { generateImage } from '../inspection/synth/generate';
import { createTestDb, type TestDb } from '../testing/db';
import { FilesService } from './service';
import { sha256Of } from './store';

describe('retention', () => {
  let db: TestDb;
  let home: string;
  let svc: InspectionService;
  let files: FilesService;
  let productId: number;
  let deploymentId: number;
  const admin: SessionUser = { userId: 0, username: 'cli', fullName: null, role: 'admin' };
  const now = new Date('2026-12-01T00:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
  let n = 0;

  const inspect = async (at: string, seed: string) => {
    const img = await generateImage({ surface: 'cast', level: 'plain', label: 'normal', seed, index: 0, size: 64 });
    const decoded = await decodeImage(img.png, img.name);
    const art = (name: string): StoredFile => {
      const bytes = Buffer.from(`${name} ${seed} ${++n}`);
      const sha256 = sha256Of(bytes);
      return { bytes, sha256, relPath: ImageStore.contentPath(sha256, 'png') };
    };
    const record: InspectionRecord = {
      productId,
      deploymentId,
      source: 'camera',
      inspectorId: null,
      at,
      processingS: 0.1,
      image: { fileName: decoded.fileName, sha256: decoded.sha256, fileSize: decoded.bytes.length, width: 64, height: 64, format: 'PNG', meta: {} },
      preprocessing: {},
      embedding: null,
      result: { defectDetected: false, defectTypeId: null, referenceImageId: null, confidence: 0.9, anomaly: 0.2, similarity: null, rawAnomaly: 1, rawMaxPatchDistance: 1, imageThreshold: 0.85, pixelThreshold: 0.9, regions: [], details: {}, guideText: null },
      files: { original: { relPath: ImageStore.relPathFor(decoded.sha256, 'png'), sha256: decoded.sha256, bytes: decoded.bytes }, artifacts: Object.fromEntries(ARTIFACT_NAMES.map((a) => [a, art(a)])) as Record<ArtifactName, StoredFile> },
    };
    const out = await persist(svc.read, svc.store, record);
    return { ...out, record };
  };
  const paths = (r: { record: InspectionRecord }) => [r.record.files.original, ...ARTIFACT_NAMES.map((a) => r.record.files.artifacts[a])];
  const blobExists = async (sha: string) => (await db.pool.query('select 1 from file_blobs where sha256 = $1', [sha])).rowCount === 1;

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-files-retention-'));
    svc = new InspectionService({ dbs: db.dbs, paths: stationPaths(home) });
    files = new FilesService(db.dbs, stationPaths(home), svc.files);
    const p = await svc.createProduct({ productCode: 'castR', productName: 'castR', description: null, category: null }, admin);
    productId = p.productId;
    deploymentId = await svc.createDeployment('patchcore_bank', productId, {}, admin);
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('removes only old inspection pictures, records the date, keeps rows and references, and is audited', async () => {
    expect((await files.space()).retentionDays).toBe(180);
    const old = await inspect(daysAgo(200), 'old');
    const recent = await inspect(daysAgo(10), 'recent');
    // the same picture inspected long ago and recently: the recent inspection keeps it
    const sharedOld = await inspect(daysAgo(300), 'shared');
    const sharedNew = await inspect(daysAgo(5), 'shared');
    // a reference image whose content an old inspection also tested
    const refImg = await generateImage({ surface: 'cast', level: 'plain', label: 'normal', seed: 'ref', index: 0, size: 64 });
    const ref = await svc.addReferenceImage({ productId, imageType: 'normal', image: { base64: refImg.png.toString('base64'), fileName: 'ref.png' } }, admin);
    const oldOfRef = await inspect(daysAgo(400), 'ref');
    expect(oldOfRef.record.files.original.sha256).toBe(ref.sha256);

    const rowsBefore = (await db.pool.query('select count(*)::int as n from inspections')).rows[0].n;
    const progress: (number | null)[] = [];
    const out = await files.runRetention(admin, { progress: (f) => progress.push(f) }, { now });
    expect(out.inspections).toBe(3); // old, sharedOld, oldOfRef
    expect(progress.at(-1)).toBe(1);

    // old: every picture gone (blob and file), recorded
    for (const f of paths(old)) {
      expect(await blobExists(f.sha256), f.relPath).toBe(false);
      expect(fs.existsSync(svc.store.abs(f.relPath))).toBe(false);
    }
    const removed = await files.removals(paths(old).map((f) => f.relPath));
    expect(removed.length).toBe(6);
    expect(removed[0]).toMatchObject({ reason: 'retention', removedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
    // recent, the shared picture and the reference: kept
    for (const f of [...paths(recent), sharedNew.record.files.original]) {
      expect(await blobExists(f.sha256), f.relPath).toBe(true);
      expect(fs.existsSync(svc.store.abs(f.relPath))).toBe(true);
    }
    expect(await files.removals([sharedOld.record.files.original.relPath])).toEqual([]);
    expect(await blobExists(ref.sha256)).toBe(true);
    expect(fs.existsSync(svc.store.abs(ref.filePath))).toBe(true);
    // the old shared inspection's own artifacts went
    expect(await blobExists(sharedOld.record.files.artifacts.heatmap.sha256)).toBe(false);
    // no row is removed
    expect((await db.pool.query('select count(*)::int as n from inspections')).rows[0].n).toBe(rowsBefore);
    const d = await svc.getInspection({ inspectionId: old.inspectionId });
    expect(d.result?.artifacts.heatmap).toBe(old.record.files.artifacts.heatmap.relPath);
    // the result view says so: "removed by retention (date)"
    expect(d.picturesRemovedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect((await svc.getInspection({ inspectionId: recent.inspectionId })).picturesRemovedAt).toBeNull();
    // audited
    const audit = (await db.pool.query("select username, new_data from audit_logs where action = 'files.retention.run'")).rows;
    expect(audit).toHaveLength(1);
    expect(audit[0].new_data).toMatchObject({ inspections: 3, files: out.files });
    // a second run removes nothing more
    expect(await files.runRetention(admin, {}, { now })).toMatchObject({ files: 0, blobs: 0 });
    const space = await files.space();
    expect(space.removed.count).toBe(out.files);
    expect(space.kinds.find((k) => k.kind === 'artifact')!.blobs).toBe(5 * 2 + 0); // recent + sharedNew
  });

  it('the setting is validated and audited', async () => {
    await expect(files.setRetention(0, admin)).rejects.toMatchObject({ kind: 'validation' });
    expect(await files.setRetention(30, admin)).toEqual({ retentionDays: 30 });
    expect((await files.space()).retentionDays).toBe(30);
    const a = (await db.pool.query("select old_data, new_data from audit_logs where action = 'files.retention.set'")).rows;
    expect(a).toEqual([{ old_data: { retentionDays: 180 }, new_data: { retentionDays: 30 } }]);
  });
});
