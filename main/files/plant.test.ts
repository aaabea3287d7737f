/**
 * Two consoles on one plant database (two LINEDECK_HOMEs, real ONNX with the fixture models): a bank built at home
 * A is used from home B with identical scores (its file fetched by hash, then cached), and an inspection made at
 * home B is shown at home A with its picture and artifacts through the file door (readStoredBytes, behind
 * linedeck://file and GET /api/file). Then a station's files from before issue 15 (no blobs) migrate in.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app';
import { readStoredBytes } from '../backend/files';
import { stationPaths } from '../config';
import { releaseModels } from '../inspection/engine/models';
import { extractTar } from '../inspection/engine/tar';
import { FIXTURE_DIR, writeStationModels } from '../inspection/engine/testing/testkit';
import { inspectionModule } from '../inspection/module';
import { createTestDb, type TestDb } from '../testing/db';
import { filesModule } from './module';

describe('shared files between two consoles on one database', () => {
  let db: TestDb;
  let work: string;
  let homeA: string;
  let homeB: string;
  let appA: App;
  let appB: App;
  let session: string;
  const saved = process.env.LINEDECK_MODELS_DIR;

  beforeAll(async () => {
    db = await createTestDb();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-plant-fix-'));
    homeA = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-plant-a-'));
    homeB = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-plant-b-'));
    extractTar(path.join(FIXTURE_DIR, 'fixtures.tar'), work);
    writeStationModels(path.join(work, 'models'));
    process.env.LINEDECK_MODELS_DIR = path.join(work, 'models');
    appA = createApp({ dbs: db.dbs, paths: stationPaths(homeA) });
    appB = createApp({ dbs: db.dbs, paths: stationPaths(homeB) });
    await appA.services.auth.createUser({ username: 'viewer1', email: 'v@plant.io', password: 'password-123', role: 'viewer' });
    const r = await appA.call('auth.login', { username: 'viewer1', password: 'password-123' }, { transport: 'test' });
    if (!r.ok) throw new Error(r.error.message);
    session = (r.value as { sessionId: string }).sessionId;
  });
  afterAll(async () => {
    await appA?.dispose();
    await appB?.dispose();
    await releaseModels();
    await db?.drop();
    if (saved === undefined) delete process.env.LINEDECK_MODELS_DIR;
    else process.env.LINEDECK_MODELS_DIR = saved;
    for (const d of [work, homeA, homeB]) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a bank built at home A is used from home B with identical scores', async () => {
    const a = appA.instance(inspectionModule);
    const b = appB.instance(inspectionModule);
    await a.svc.ensureProduct('castA');
    const built = await a.pipeline.buildBank('castA', { imagesDir: path.join(work, 'pc/train'), coresetRatio: 1 });
    expect(built.bank_sha256).toMatch(/^[0-9a-f]{64}$/);
    const dep = await a.svc.getDeployment(built.deployment_id);
    expect(dep.resultSummary).toMatchObject({ bank_sha256: built.bank_sha256 });
    const sha = built.bank_sha256;
    const bankAtB = path.join(homeB, 'images', sha.slice(0, 2), sha.slice(2, 4), `${sha}.ldb`);
    expect(fs.existsSync(bankAtB)).toBe(false);

    for (const img of ['pc/test/hole_0.png', 'pc/test/good_1.png']) {
      const ra = await a.pipeline.inspect('castA', { path: path.join(work, img) }, { source: 'cli' });
      const rb = await b.pipeline.inspect('castA', { path: path.join(work, img) }, { source: 'cli' });
      expect(rb.anomaly_score).toBe(ra.anomaly_score);
      expect(rb.raw_anomaly_score).toBe(ra.raw_anomaly_score);
      expect(rb.raw_max_patch_distance).toBe(ra.raw_max_patch_distance);
      expect(rb.regions).toEqual(ra.regions);
      expect(rb.similarity_score).toBe(ra.similarity_score);
      // the same pictures: the same content addresses
      expect(rb.artifacts).toEqual(ra.artifacts);
    }
    // fetched once, then from B's cache, verified
    expect(fs.readFileSync(bankAtB).equals(fs.readFileSync(built.bank_path))).toBe(true);
  });

  it('an inspection made at home B is fetched at home A with its picture and artifacts', async () => {
    const b = appB.instance(inspectionModule);
    const out = await b.pipeline.inspect('castA', { path: path.join(work, 'pc/test/scratch_0.png') }, { source: 'camera' });
    const a = appA.instance(inspectionModule);
    const d = await a.svc.getInspection({ inspectionId: out.inspectionId! });
    // the original and the five artifacts
    const rels = Object.values(d.result!.artifacts).filter((x): x is string => Boolean(x));
    expect(rels.length).toBe(6);
    expect(rels).toContain(d.testImage!.filePath);
    for (const rel of rels) {
      const atA = path.join(homeA, 'images', rel);
      const atB = path.join(homeB, 'images', rel);
      expect(fs.existsSync(atA), rel).toBe(false);
      const got = await readStoredBytes(appA, session, rel);
      expect(got.ok, rel).toBe(true);
      if (!got.ok) continue;
      expect(Buffer.from(got.value.bytes).equals(fs.readFileSync(atB))).toBe(true);
      expect(fs.existsSync(atA)).toBe(true);
    }
    expect((await readStoredBytes(appA, session, `${'0'.repeat(2)}/00/${'0'.repeat(64)}.png`)).ok).toBe(false);
  });

  it('files of rows from before the blob store migrate in (upload-missing), old artifact folders still resolve', async () => {
    const a = appA.instance(inspectionModule);
    // an old station: an inspection whose artifacts sit in a folder named by the code, and no blobs at all
    const out = await a.pipeline.inspect('castA', { path: path.join(work, 'pc/test/hole_0.png') }, { source: 'cli' });
    const d = await a.svc.getInspection({ inspectionId: out.inspectionId! });
    const img = d.testImage!.filePath;
    const folder = `${img.replace(/\.png$/, '')}.${out.inspection_code}`;
    fs.mkdirSync(path.join(homeA, 'images', folder), { recursive: true });
    fs.copyFileSync(path.join(homeA, 'images', d.result!.artifacts.heatmap!), path.join(homeA, 'images', folder, 'heatmap.png'));
    await db.pool.query('update inspection_results set heatmap_path = $1 where inspection_id = $2', [`${folder}/heatmap.png`, out.inspectionId]);
    await db.pool.query('delete from file_blobs');
    const files = appA.instance(filesModule).svc;
    const r = await files.uploadMissing();
    expect(r.uploaded).toBeGreaterThan(10); // pictures, references, artifacts, the bank
    const kinds = (await db.pool.query<{ kind: string }>('select distinct kind from file_blobs order by kind')).rows.map((x) => x.kind);
    expect(kinds).toEqual(['artifact', 'bank', 'image', 'reference']);
    // nothing is left to upload; the old folder's file resolves where it is
    expect((await files.uploadMissing()).uploaded).toBe(0);
    const old = await readStoredBytes(appA, session, `${folder}/heatmap.png`);
    expect(old.ok).toBe(true);
    // the old path's content is recorded, so another console shows it too (fetched by that content)
    const legacy = (await db.pool.query('select sha256 from file_legacy_paths where path = $1', [`${folder}/heatmap.png`])).rows[0];
    expect(legacy?.sha256).toBe(d.result!.artifacts.heatmap!.slice(6, 70));
    const login = await appB.call('auth.login', { username: 'viewer1', password: 'password-123' }, { transport: 'test' });
    const sessionB = (login as { value: { sessionId: string } }).value.sessionId;
    expect(fs.existsSync(path.join(homeB, 'images', folder, 'heatmap.png'))).toBe(false);
    const atB = await readStoredBytes(appB, sessionB, `${folder}/heatmap.png`);
    expect(atB.ok && Buffer.from(atB.value.bytes).equals(fs.readFileSync(path.join(homeA, 'images', folder, 'heatmap.png')))).toBe(true);
    // and home B scores with the bank again (its blob came back from A's disk)
    fs.rmSync(path.join(homeB, 'images'), { recursive: true, force: true });
    const appB2 = createApp({ dbs: db.dbs, paths: stationPaths(homeB) });
    try {
      const rb = await appB2.instance(inspectionModule).pipeline.inspect('castA', { path: path.join(work, 'pc/test/hole_0.png') }, { source: 'cli' });
      expect(rb.anomaly_score).toBe(out.anomaly_score);
    } finally {
      await appB2.dispose();
    }
  });

  it('a picture retention removed answers "removed by retention (date)" at any console', async () => {
    const b = appB.instance(inspectionModule);
    // a picture no other inspection shares (a newer inspection of the same picture keeps it)
    const bytes = await sharp(path.join(work, 'pc/test/scratch_0.png')).resize(200, 200).png().toBuffer();
    const out = await b.pipeline.inspect('castA', { bytes, fileName: 'old.png' }, { source: 'camera', at: new Date('2025-01-01T00:00:00Z') });
    const r = await appB.instance(filesModule).svc.runRetention(undefined, {}, { days: 180 });
    expect(r.files).toBeGreaterThan(0);
    const rel = out.artifacts.heatmap!;
    expect(fs.existsSync(path.join(homeB, 'images', rel))).toBe(false);
    const got = await readStoredBytes(appA, session, rel);
    expect(got).toMatchObject({ ok: false, error: { kind: 'not_found', details: { reason: 'removed_by_retention' } } });
    // and the procedure the screens may use (inspection.file.get) says the same
    await expect(appA.instance(inspectionModule).svc.readStoredFile(out.artifacts.mask!)).rejects.toMatchObject({ kind: 'not_found', details: { reason: 'removed_by_retention' } });
    expect((await appA.instance(inspectionModule).svc.getInspection({ inspectionId: out.inspectionId! })).picturesRemovedAt).not.toBeNull();
  });
});
