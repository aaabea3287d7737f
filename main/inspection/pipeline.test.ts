/**
 * Bank build + inspect through the database with real ONNX models (the parity fixtures in shared/fixtures/ml-parity,
 * written as model folders), real images and a real PostgreSQL; then the same through the API dispatcher with roles.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, type Dispatcher } from '../api/dispatch';
import type { AppServices } from '../app';
import { AuthService } from '../auth/auth';
import { EventBus } from '../events';
import { JobRunner } from '../jobs/jobs';
import { systemProcedures } from '../system/contract';
import { createSystemHandlers } from '../system/handlers';
import { inspectionProcedures } from './contract';
import { createInspectionHandlers } from './handlers';
import { createInspectionRuntime } from './runtime';
import { stationPaths } from '../config';
import { createTestDb, type TestDb } from '../testing/db';
import { releaseModels, writeModelFolder } from './engine/models';
import { FIXTURE_DIR as FIX, writeStationModels } from './engine/testing/testkit';
import { extractTar } from './engine/tar';
import { IMAGE_PROBLEMS } from './engine/preprocess';
import { InspectionPipeline } from './pipeline';
import { PIPELINE_REFUSALS } from './stages/refusals';
import { regionToSource } from './stages/score';
import { InspectionService } from './service';
import type { InspectOutcome } from './types';

// a missing fixture fails the run; LINEDECK_ML_FIXTURES=skip is the explicit opt-out (as in the parity suite)
const skipFixtures = process.env.LINEDECK_ML_FIXTURES === 'skip';
const hasFixtures = fs.existsSync(path.join(FIX, 'fixtures.tar'));
const expected = hasFixtures ? JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')) : null;

describe('regionToSource', () => {
  const r = { id: 1, bbox: { x: 56, y: 112, width: 28, height: 14 }, area: 300, areaFraction: 300 / 50176, max: 0.97, mean: 0.93, peak: { x: 60, y: 118 }, centroid: { x: 70, y: 119 } };
  it('undoes a stretch', () => {
    const g = { resize: 'stretch' as const, sourceSize: { width: 448, height: 112 } };
    expect(regionToSource(r, 224, 224, g)).toMatchObject({ x: 112, y: 56, width: 56, height: 7, score: 0.97, peak: { x: 121, y: 59 } });
  });
  it('undoes a shortest-edge resize and centre crop', () => {
    // 600×300 → 448×224, crop left 112: map x 56 → resized 168 → source 225
    const g = { resize: 'shortest-edge-center-crop' as const, sourceSize: { width: 600, height: 300 }, crop: { left: 112, top: 0, resizedWidth: 448, resizedHeight: 224 } };
    const s = regionToSource(r, 224, 224, g);
    expect(s).toMatchObject({ x: 225, y: 150, width: 38, height: 19 });
  });
});

describe.skipIf(skipFixtures)('the ML fixtures for the pipeline tests', () => {
  it('are present', () => {
    expect(hasFixtures, `fixtures.tar not found in ${FIX}; set LINEDECK_ML_FIXTURES to their folder (or "skip")`).toBe(true);
  });
});

describe.skipIf(skipFixtures || !hasFixtures)('bank build and inspect with the fixture models', () => {
  let db: TestDb;
  let home: string;
  let work: string;
  let svc: InspectionService;
  let pipeline: InspectionPipeline;
  // the app's composition for this domain only (other domains' handlers are not this test's business)
  let app: { services: AppServices; call: Dispatcher; dispose(): Promise<void> };
  const events: unknown[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-insp-pipe-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-insp-fix-'));
    extractTar(path.join(FIX, 'fixtures.tar'), work);
    const models = path.join(work, 'models');
    writeStationModels(models);
    // the app's handlers find the models the way a station does: the model folders' root
    process.env.LINEDECK_MODELS_DIR = models;
    const bus = new EventBus();
    const services: AppServices = { dbs: db.dbs, paths: stationPaths(home), bus, jobs: new JobRunner(bus), auth: new AuthService(db.dbs.pool('inspection')), disposers: [] };
    const contract = { ...systemProcedures, ...inspectionProcedures };
    const call = createDispatcher(contract, { ...createSystemHandlers(services), ...createInspectionHandlers(services, createInspectionRuntime(services)) }, services.auth.sessions);
    app = { services, call, dispose: async () => { for (const d of services.disposers.splice(0)) await d(); } };
    app.services.bus.on('inspection.completed', (e) => events.push(e));
    svc = new InspectionService({ dbs: db.dbs, paths: stationPaths(home), bus: app.services.bus });
    pipeline = new InspectionPipeline(svc, { modelRoots: [models] });
  });
  afterAll(async () => {
    await pipeline?.dispose();
    await app?.dispose();
    await releaseModels();
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('builds a bank from a folder of normal images, calibrated on held-out normals', async () => {
    await svc.ensureProduct('castA');
    const out = await pipeline.buildBank('castA', { imagesDir: path.join(work, 'pc/train'), coresetRatio: 1 });
    expect(out.bank_size).toEqual(expected.bank_size); // [7840, 384]: every patch of the 10 images
    expect(out.image_threshold).toBe(0.85);
    expect(out.normal_images).toBe(10);
    expect(out.embedded_images).toBe(10);
    expect(fs.statSync(out.bank_path).size).toBeGreaterThan(7840 * 385 * 4); // features + source index + header
    const dep = await svc.getDeployment(out.deployment_id);
    expect(dep).toMatchObject({ status: 'completed', deploymentType: 'patchcore_bank', errorMessage: null });
    expect(dep.startedAt).not.toBeNull();
    const cal = (dep.resultSummary as { calibration: { heldOutImages: number; heldOutBelowBoundary: number; boundaryScore: number; image: { boundary: number } } }).calibration;
    expect(cal.heldOutImages).toBe(10);
    expect(cal.heldOutBelowBoundary).toBeGreaterThanOrEqual(0.99);
    expect(cal.boundaryScore).toBe(0.85);
    // the held-out normals sit near the test normals' raw scores, far below the defects'
    expect(cal.image.boundary).toBeGreaterThan(expected.patchcore['pc/test/good_1.png'].image_score * 0.8);
    expect(cal.image.boundary).toBeLessThan(expected.patchcore['pc/test/hole_0.png'].image_score);
    const emb = await db.pool.query("select md.embedding_dim, octet_length(md.embedding_vector) as bytes from images i join image_metadata md using (image_id) where i.image_type = 'normal'");
    expect(emb.rowCount).toBe(10);
    for (const r of emb.rows) expect(r.bytes).toBe(4 * r.embedding_dim);
  });

  it('inspects: raw scores equal the reference implementation, normalized scores in [0, 1], rows and artifacts written', async () => {
    const p = await svc.getProduct({ productCode: 'castA' });
    const manager = { userId: 0, username: 'cli', fullName: null, role: 'admin' as const };
    const hole = await svc.createDefectType({ productId: p.productId, defectCode: 'hole', defectNameKo: '기공', severityLevel: 4 }, manager);
    const scratch = await svc.createDefectType({ productId: p.productId, defectCode: 'scratch', defectNameKo: '긁힘', severityLevel: 2 }, manager);
    const m = await svc.createManual({ productId: p.productId, manualTitle: 'castA', version: '1' }, manager);
    await svc.createSection({ manualId: m.manualId, defectTypeId: hole.defectTypeId, sectionType: 'cause', sectionContent: '가스 혼입' }, manager);
    await svc.createSection({ manualId: m.manualId, defectTypeId: hole.defectTypeId, sectionType: 'action', sectionContent: '탈가스 처리' }, manager);
    for (const [file, dt] of [
      ['pc/test/hole_0.png', hole],
      ['pc/test/scratch_0.png', scratch],
    ] as const) {
      const img = await svc.addReferenceImage({ productId: p.productId, imageType: 'defect', defectTypeId: dt.defectTypeId, image: { path: path.join(work, file) } }, manager);
      expect(await pipeline.embedReference(img.imageId)).toBe(true);
    }

    const results: Record<string, InspectOutcome> = {};
    for (const name of expected.test_order as string[]) {
      results[name] = await pipeline.inspect('castA', { path: path.join(work, name) }, { source: 'cli' });
      const e = expected.patchcore[name];
      const r = results[name];
      expect(r.raw_anomaly_score).toBeCloseTo(e.image_score, 4);
      expect(r.raw_max_patch_distance).toBeCloseTo(e.raw_max_patch_distance, 4);
      expect(r.anomaly_score).toBeGreaterThanOrEqual(0);
      expect(r.anomaly_score).toBeLessThanOrEqual(1);
      expect(r.confidence_score).toBeGreaterThanOrEqual(0.5);
      expect(r.confidence_score).toBeLessThanOrEqual(1);
      expect(r.inspection_code).toMatch(/^INS-\d{8}-\d{4}$/);
    }
    expect(results['pc/test/good_0.png']).toMatchObject({ defect_detected: false, defect_type: null, regions: [] });
    expect(results['pc/test/good_1.png'].defect_detected).toBe(false);
    expect(results['pc/test/hole_0.png']).toMatchObject({ defect_detected: true, defect_type: 'hole', severity_level: 4 });
    expect(results['pc/test/scratch_0.png']).toMatchObject({ defect_detected: true, defect_type: 'scratch' });
    expect(results['pc/test/hole_0.png'].anomaly_score).toBeGreaterThan(results['pc/test/good_1.png'].anomaly_score);
    // the region is where the reference's most anomalous patch is (28×28 grid over 224 px: 8 px a patch)
    const [row, col] = expected.patchcore['pc/test/hole_0.png'].argmax_patch_rowcol as [number, number];
    const reg = results['pc/test/hole_0.png'].regions;
    expect(reg.length).toBeGreaterThan(0);
    const hit = reg.some((g) => col * 8 + 4 >= g.x && col * 8 + 4 <= g.x + g.width && row * 8 + 4 >= g.y && row * 8 + 4 <= g.y + g.height);
    expect(hit).toBe(true);

    // the database holds what was returned
    const code = results['pc/test/hole_0.png'].inspection_code!;
    const detail = await svc.getInspection({ inspectionCode: code });
    expect(detail).toMatchObject({ productCode: 'castA', source: 'cli', status: 'completed', defectDetected: true, defectCode: 'hole', severityLevel: 4, actionStatus: 'pending' });
    expect(detail.result!.anomalyScore).toBeCloseTo(results['pc/test/hole_0.png'].anomaly_score, 12);
    expect(detail.result!.rawAnomalyScore).toBeCloseTo(expected.patchcore['pc/test/hole_0.png'].image_score, 4);
    expect(detail.result!.regions).toEqual(reg);
    expect(detail.result!.guideContent).toContain('가스 혼입');
    expect(detail.guide.action.map((s) => s.sectionContent)).toEqual(['탈가스 처리']);
    expect(detail.referenceImage?.imageType).toBe('normal');
    expect(detail.similarityScore).toBeGreaterThanOrEqual(0);
    expect(detail.similarityScore).toBeLessThanOrEqual(1);
    expect(detail.testImage).toMatchObject({ imageType: 'test', width: 224, height: 224 });
    for (const k of ['heatmap', 'mask', 'overlay', 'comparison'] as const) {
      const rel = detail.result!.artifacts[k]!;
      // each artifact by its own content (decisions.md, Plant rule 4)
      const sha = crypto.createHash('sha256').update(fs.readFileSync(svc.store.abs(rel))).digest('hex');
      expect(rel).toBe(`${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}.png`);
      const meta = await sharp(svc.store.abs(rel)).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBe(k === 'comparison' ? 224 * 2 + 8 : 224);
    }
    // the mask marks the region's pixels
    const maskStats = await sharp(svc.store.abs(detail.result!.artifacts.mask!)).stats();
    expect(maskStats.channels[0].max).toBe(255);
    expect(events).toContainEqual({ inspectionId: detail.inspectionId, inspectionCode: code, productCode: 'castA', source: 'cli', defectDetected: true });
    const rows = await db.pool.query('select count(*)::int as n from inspections i join inspection_results r using (inspection_id)');
    expect(rows.rows[0].n).toBe(4);
  });

  it('a transaction that fails after its rows are inserted leaves no rows and no artifact files; its code comes again', async () => {
    const count = async () => (await db.pool.query('select count(*)::int as n from inspections')).rows[0].n as number;
    const before = await count();
    const imageDir = path.join(home, 'images');
    const files = () =>
      fs
        .readdirSync(imageDir, { recursive: true, withFileTypes: true })
        .filter((d) => (d.isFile() || d.isDirectory()) && !d.name.startsWith('.'))
        .map((d) => path.relative(imageDir, path.join(d.parentPath, d.name)))
        .sort();
    const kept = files();
    let seen: { inspectionCode: string } | undefined;
    await expect(
      pipeline.inspect('castA', { path: path.join(work, 'pc/test/hole_0.png') }, {
        withinTransaction: async (_c, ins) => {
          seen = ins;
          // the files and their blobs are in place before the commit
          const n = await _c.query("select count(*)::int as n from file_blobs where kind = 'artifact'");
          expect(n.rows[0].n).toBeGreaterThan(0);
          throw new Error('watch bookkeeping failed');
        },
      }),
    ).rejects.toThrow('watch bookkeeping failed');
    expect(seen?.inspectionCode).toMatch(/^INS-\d{8}-\d{4}$/);
    expect(await count()).toBe(before);
    // the tested image and its artifacts were stored before (same content, same bank): nothing else stays
    expect(files()).toEqual(kept);
    const next = await pipeline.inspect('castA', { path: path.join(work, 'pc/test/hole_0.png') });
    expect(next.inspection_code).toBe(seen!.inspectionCode);
    for (const rel of Object.values(next.artifacts)) expect(fs.existsSync(svc.store.abs(rel!))).toBe(true);
    await db.pool.query('delete from inspection_results where inspection_id = $1', [next.inspectionId]);
    await db.pool.query('delete from inspections where inspection_id = $1', [next.inspectionId]);
  });

  it('names every refusal case in words the station has, in Korean and English', () => {
    for (const lang of ['ko', 'en']) {
      const words = JSON.parse(fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), `../../renderer/src/locales/${lang}/common.json`), 'utf8')).reasons;
      for (const reason of [...IMAGE_PROBLEMS, ...PIPELINE_REFUSALS]) expect(words[reason], `${lang}: reasons.${reason}`).toMatch(/\S/);
    }
  });

  it('refuses bad images with a clear error, writes nothing, and keeps serving', async () => {
    const before = (await db.pool.query('select count(*)::int as n from inspections')).rows[0].n;
    const text = path.join(work, 'notes.png');
    fs.writeFileSync(text, 'this is not a picture');
    // each refusal names its case (details.reason) for the station to say in Korean
    await expect(pipeline.inspect('castA', { path: text })).rejects.toMatchObject({ kind: 'validation', message: expect.stringMatching(/not a readable image/), details: { reason: 'unreadable' } });
    const good = fs.readFileSync(path.join(work, 'pc/test/good_0.png'));
    await expect(pipeline.inspect('castA', { base64: good.subarray(0, 2000).toString('base64'), fileName: 'cut.png' })).rejects.toMatchObject({ kind: 'validation', message: /cut\.png/, details: { reason: 'damaged' } });
    await expect(pipeline.inspect('castA', { path: path.join(work, 'nope.png') })).rejects.toMatchObject({ kind: 'validation', message: /no such file/, details: { reason: 'not_found' } });
    await expect(pipeline.inspect('no-such-product', { path: text })).rejects.toMatchObject({ kind: 'not_found' });
    await svc.ensureProduct('empty');
    await expect(pipeline.inspect('empty', good)).rejects.toMatchObject({ kind: 'not_found', message: /no memory bank/ });
    await expect(pipeline.buildBank('empty')).rejects.toMatchObject({ kind: 'validation', message: /at least 2 are needed/ });
    expect((await svc.listDeployments({ productId: (await svc.getProduct({ productCode: 'empty' })).productId }))[0]).toMatchObject({ status: 'failed', errorMessage: expect.stringMatching(/at least 2/) });
    expect((await db.pool.query('select count(*)::int as n from inspections')).rows[0].n).toBe(before);
    // still serving: a non-square JPEG of another size is stretched to the model input
    const jpg = await sharp(path.join(work, 'pc/test/good_1.png')).resize(300, 200, { fit: 'fill' }).jpeg({ quality: 95 }).toBuffer();
    const r = await pipeline.inspect('castA', { base64: jpg.toString('base64'), fileName: 'line.jpg' });
    expect(r.anomaly_score).toBeGreaterThanOrEqual(0);
    expect((await sharp(svc.store.abs(r.artifacts.overlay!)).metadata()).width).toBe(300);
  });

  it('keeps detecting without a working embedding model (no reference, no defect type; the reason recorded)', async () => {
    // a "CLIP" folder whose ONNX file is the backbone: the manifest is valid, loading it fails
    const broken = writeModelFolder(
      path.join(work, 'models-broken/clip'),
      { name: 'broken-clip', task: 'clip-image-embedding', input: { name: 'input', size: [224, 224] }, outputs: { embedding: 'image_embeds' } },
      path.join(FIX, 'patchcore_backbone.onnx'),
    );
    const p2 = new InspectionPipeline(svc, { backboneDir: path.join(work, 'models/fixture-backbone'), embeddingDir: broken });
    try {
      await svc.ensureProduct('castB');
      const built = await p2.buildBank('castB', { imagesDir: path.join(work, 'pc/train'), coresetRatio: 1 });
      expect(built.embedded_images).toBe(0);
      const dep = await svc.getDeployment(built.deployment_id);
      expect(dep.status).toBe('completed');
      expect((dep.resultSummary as { embedding_error: string }).embedding_error).toMatch(/image_embeds/);
      const r = await p2.inspect('castB', { path: path.join(work, 'pc/test/hole_0.png') });
      expect(r).toMatchObject({ defect_detected: true, defect_type: null, similarity_score: null, reference_image_id: null });
      expect(r.raw_anomaly_score).toBeCloseTo(expected.patchcore['pc/test/hole_0.png'].image_score, 4);
      const d = await svc.getInspection({ inspectionId: r.inspectionId! });
      expect((d.result!.details as { embeddingError: string }).embeddingError).toMatch(/image_embeds/);
    } finally {
      await p2.dispose();
    }
  });

  it('refuses a second concurrent build; a cancelled build keeps the previous bank', async () => {
    const p = await svc.getProduct({ productCode: 'castA' });
    const prev = p.bank!.deploymentId;
    const first = await pipeline.beginBankBuild('castA', { coresetRatio: 0.5 });
    await expect(pipeline.beginBankBuild('castA')).rejects.toMatchObject({ kind: 'conflict', message: /already being built/ });
    const ac = new AbortController();
    const run = first.run({ signal: ac.signal, progress: (f) => f != null && f > 0.1 && ac.abort() });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(await svc.getDeployment(first.deploymentId)).toMatchObject({ status: 'cancelled' });
    expect((await svc.getProduct({ productCode: 'castA' })).bank!.deploymentId).toBe(prev);
    // the lock is free again
    const again = await pipeline.beginBankBuild('castA', { coresetRatio: 1 });
    await again.run();
    // a completed build becomes the product's bank
    expect((await svc.getProduct({ productCode: 'castA' })).bank).toMatchObject({ deploymentId: again.deploymentId, bankSize: [7840, 384], normalImages: 10 });
  });

  it('serves the procedures with their roles: viewer reads, worker inspects and records actions, manager builds banks as jobs', async () => {
    const login = async (username: string, role: 'viewer' | 'worker' | 'manager') => {
      await app.services.auth.createUser({ username, email: `${username}@plant.io`, password: 'password-123', role });
      const r = await app.call('auth.login', { username, password: 'password-123' }, { transport: 'test' });
      if (!r.ok) throw new Error(r.error.message);
      return (r.value as { sessionId: string }).sessionId;
    };
    const viewer = await login('viewer9', 'viewer');
    const worker = await login('worker9', 'worker');
    const manager = await login('manager9', 'manager');
    const call = (sid: string, name: string, input: unknown) => app.call(name, input, { transport: 'test', sessionId: sid });
    const img = fs.readFileSync(path.join(work, 'pc/test/scratch_0.png')).toString('base64');

    expect(await call(viewer, 'inspection.inspect', { productCode: 'castA', image: { base64: img } })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    const done = await call(worker, 'inspection.inspect', { productCode: 'castA', image: { base64: img, fileName: 'scratch.png' }, source: 'camera', wait: true });
    expect(done, JSON.stringify((done as { error?: unknown }).error)).toMatchObject({ ok: true, value: { defect_detected: true, defect_type: 'scratch' } });
    const inspectionId = (done as { value: { inspectionId: number } }).value.inspectionId;
    const bad = await call(worker, 'inspection.inspect', { productCode: 'castA', image: { base64: Buffer.from('GIF89a-no').toString('base64') } });
    expect(bad).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await call(worker, 'inspection.actions.create', { inspectionId, actionTaken: '연마 후 재검사', actionResult: 'resolved' })).toMatchObject({ ok: true, value: { actionBy: 'worker9' } });
    expect(await call(worker, 'inspection.feedbacks.create', { inspectionId, rating: 6 })).toMatchObject({ ok: false, error: { kind: 'validation' } });
    expect(await call(worker, 'inspection.feedbacks.create', { inspectionId, rating: 5 })).toMatchObject({ ok: true });
    expect(await call(viewer, 'inspection.inspections.get', { inspectionId })).toMatchObject({ ok: true, value: { inspector: 'worker9', source: 'camera', actionStatus: 'resolved' } });
    expect(await call(worker, 'inspection.config.setThresholds', { productId: 1, imageThreshold: 0.9, pixelThreshold: 0.9 })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await call(viewer, 'inspection.products.create', { productCode: 'x1', productName: 'x' })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    // the workbench's procedures: anomaly map for the client-side mask, threshold preview and watch folders (manager)
    const detail = await call(viewer, 'inspection.inspections.get', { inspectionId });
    // content-addressed like every file (decisions.md Plant 4)
    expect((detail as { value: { result: { artifacts: { anomalyMap: string } } } }).value.result.artifacts.anomalyMap).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\.png$/);
    const castA = (await svc.getProduct({ productCode: 'castA' })).productId;
    expect(await call(worker, 'inspection.config.preview', { productId: castA, imageThreshold: 0.8 })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await call(manager, 'inspection.config.preview', { productId: castA, imageThreshold: 0.8 })).toMatchObject({ ok: true, value: { imageThreshold: 0.8, normals: { items: expect.any(Array) } } });
    expect(await call(worker, 'inspection.watch.set', { productId: castA, folderPath: path.join(home, 'cam') })).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await call(manager, 'inspection.watch.set', { productId: castA, folderPath: path.join(home, 'cam') })).toMatchObject({ ok: true, value: { productCode: 'castA', reachable: true } });
    expect(await call(viewer, 'inspection.watch.list', {})).toMatchObject({ ok: true, value: [{ productCode: 'castA' }] });
    expect(await call(viewer, 'inspection.queue.get', {})).toMatchObject({ ok: true, value: { running: false, pending: [] } });
    expect(await call(manager, 'inspection.watch.remove', { productId: castA })).toMatchObject({ ok: true, value: { deleted: true } });
    expect(await call(viewer, 'inspection.inspectors.list', {})).toMatchObject({ ok: true, value: expect.arrayContaining([expect.objectContaining({ username: 'worker9', inspections: 1 })]) });
    expect(await call(viewer, 'inspection.models.status', {})).toMatchObject({ ok: true, value: { ok: true, backbone: { name: 'fixture-backbone' }, embedding: { name: 'fixture-clip' } } });
    const file = await call(viewer, 'inspection.file.get', { path: (done as { value: InspectOutcome }).value.artifacts.heatmap });
    expect(file).toMatchObject({ ok: true, value: { mime: 'image/png' } });

    // a bank build as a job: progress events, then completed with the outcome
    const progress: { state: string; progress: number | null }[] = [];
    app.services.bus.on('job.progress', (e) => progress.push(e));
    const started = await call(manager, 'inspection.bank.build', { productCode: 'castA', coresetRatio: 0.25 });
    expect(started).toMatchObject({ ok: true });
    const { jobId, deploymentId } = (started as { value: { jobId: string; deploymentId: number } }).value;
    expect(await call(manager, 'inspection.bank.build', { productCode: 'castA' })).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    for (let i = 0; i < 600 && !progress.some((p) => p.state === 'completed' || p.state === 'failed'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(progress.at(-1)).toMatchObject({ jobId, state: 'completed', result: { deployment_id: deploymentId, bank_size: [1960, 384] } });
    expect(progress.filter((p) => p.state === 'running').length).toBeGreaterThan(1);
    const deps = await call(viewer, 'inspection.deployments.list', { productId: (await svc.getProduct({ productCode: 'castA' })).productId, limit: 1 });
    expect(deps).toMatchObject({ ok: true, value: [{ deploymentId, status: 'completed', deployedBy: 'manager9' }] });
    const audit = await db.pool.query("select username from audit_logs where action = 'inspection.deployment.patchcore_bank' order by log_id desc limit 1");
    expect(audit.rows[0].username).toBe('manager9');
  });
});
