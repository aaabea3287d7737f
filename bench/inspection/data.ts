/**
 * Speed goals of the inspection data side, measured in one run (bench/index.ts runs it; never a timed unit test):
 *   - the history, dashboard and defect-rate queries answer within the read pools' 900 ms statement timeout with a
 *     year of a busy line's inspections (default 200 000 rows, LINEDECK_BENCH_INSPECTIONS);
 *   - one inspection end to end (decode, models, artifacts, database) against the engine's share of it, when the
 *     fixture models are available (shared/fixtures/ml-parity or LINEDECK_ML_FIXTURES).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stationPaths } from '../../main/config';
import { createScratchDatabase } from '../scratch';
import { migrateAll } from '../../main/migrations';
import { releaseModels, writeModelFolder, loadModel } from '../../main/inspection/engine/models';
import { extractFeatures } from '../../main/inspection/engine/patchcore';
import { extractTar } from '../../main/inspection/engine/tar';
import { inspectionListSchema } from '../../main/inspection/contract';
import { InspectionPipeline } from '../../main/inspection/pipeline';
import { InspectionService } from '../../main/inspection/service';

interface Goal {
  goal: string;
  ok: boolean;
  detail: string;
}

const READ_TIMEOUT_MS = 900;

async function time<T>(fn: () => Promise<T>, runs = 3): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    value = await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, value };
}

export async function bench(baseUrl: string, log: (s: string) => void, tmpDir: string): Promise<Goal[]> {
  const scratch = await createScratchDatabase(baseUrl, `bench_insp_${process.pid}`);
  const dbs = scratch.dbs;
  const goals: Goal[] = [];
  const home = fs.mkdtempSync(path.join(tmpDir, 'insp-home-'));
  try {
    await migrateAll(dbs);
    const svc = new InspectionService({ dbs, paths: stationPaths(home) });
    const n = Number(process.env.LINEDECK_BENCH_INSPECTIONS ?? 200_000);
    const job = dbs.pool('inspection', 'job');
    const t0 = performance.now();
    await job.query(`insert into users (username, email, password_hash) select 'worker' || g, 'worker' || g || '@x.io', 'x' from generate_series(1, 20) g`);
    await job.query(`insert into products (product_code, product_name) select 'prod' || g, '제품 ' || g from generate_series(1, 5) g`);
    await job.query(`insert into defect_types (product_id, defect_code, defect_name_ko, severity_level)
                     select p, c, c, 1 + (p + length(c)) % 5 from generate_series(1, 5) p, unnest(array['hole','burr','scratch','crack']) c`);
    // a year of inspections, about 20 % defective, 80 % of those with an action
    await job.query(
      `insert into inspections (product_id, inspector_id, inspection_date, status, processing_time, source)
       select 1 + g % 5, 1 + g % 20, now() - (g * (365.0 * 86400 / $1)) * interval '1 second', 'completed', 0.2, 'upload'
       from generate_series(1, $1) g`,
      [n],
    );
    await job.query(
      `insert into inspection_results (inspection_id, defect_detected, defect_type_id, anomaly_score, confidence_score, similarity_score)
       select i.inspection_id, (i.inspection_id % 5 = 0),
              case when i.inspection_id % 5 = 0 then (select defect_type_id from defect_types d where d.product_id = i.product_id order by defect_type_id offset (i.inspection_id / 5) % 4 limit 1) end,
              case when i.inspection_id % 5 = 0 then 0.9 else 0.3 end, 0.8, 0.95
       from inspections i`,
    );
    await job.query(
      `insert into action_logs (inspection_id, action_taken, action_result, action_date)
       select inspection_id, '조치', case when inspection_id % 3 = 0 then 'pending' else 'resolved' end, inspection_date + interval '1 hour'
       from inspections where inspection_id % 5 = 0 and inspection_id % 25 <> 0`,
    );
    await job.query('analyze');
    log(`seeded ${n} inspections in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const now = new Date();
    const checks: [string, () => Promise<unknown>][] = [
      ['history page 1 (all products) + total', () => svc.listInspections(inspectionListSchema.parse({}))],
      ['history page 1 (one product, defects, pending)', () => svc.listInspections(inspectionListSchema.parse({ productId: 2, verdict: 'defect', actionStatus: 'pending' }))],
      ['history page 500 (offset 50 000)', () => svc.listInspections(inspectionListSchema.parse({ limit: 100, offset: 50_000 }))],
      ['history last 7 days, one inspector', () => svc.listInspections(inspectionListSchema.parse({ inspectorId: 3, from: new Date(now.getTime() - 7 * 86400_000).toISOString() }))],
      ['dashboard_stats (5 products)', () => svc.dashboardStats()],
      ['defect rate per day, 30 days', () => svc.defectRateByDay({}, now)],
      ['defects per type, 30 days', () => svc.defectsByType({}, now)],
      ['pending actions (100)', () => svc.pendingActions({ limit: 100 })],
    ];
    for (const [label, fn] of checks) {
      const r = await time(fn);
      log(`${label}: ${r.ms.toFixed(0)} ms (${(r.ms / READ_TIMEOUT_MS).toFixed(2)} of the 900 ms read timeout)`);
      goals.push({ goal: `${label} within ${READ_TIMEOUT_MS} ms at ${n} inspections`, ok: r.ms < READ_TIMEOUT_MS, detail: `${r.ms.toFixed(0)} ms` });
    }
    const csv = await time(() => svc.exportInspectionsCsv({ productId: 1 }), 1);
    log(`CSV export of product 1 (${(csv.value as { rows: number }).rows} rows): ${csv.ms.toFixed(0)} ms (job pool)`);

    // one inspection end to end vs the engine's part of it
    const fix = process.env.LINEDECK_ML_FIXTURES ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/ml-parity');
    if (fs.existsSync(path.join(fix, 'fixtures.tar'))) {
      const work = fs.mkdtempSync(path.join(tmpDir, 'insp-fix-'));
      extractTar(path.join(fix, 'fixtures.tar'), work);
      const bb = writeModelFolder(
        path.join(work, 'm/backbone'),
        { name: 'fixture-backbone', task: 'patchcore-backbone', input: { name: 'input', size: [224, 224], resize: 'stretch' }, outputs: { features: ['layer2', 'layer3'] } },
        path.join(fix, 'patchcore_backbone.onnx'),
      );
      const cl = writeModelFolder(
        path.join(work, 'm/clip'),
        { name: 'fixture-clip', task: 'clip-image-embedding', input: { name: 'pixel_values', size: [224, 224] }, outputs: { embedding: 'image_embeds' } },
        path.join(fix, 'clip_tiny.onnx'),
      );
      const pipeline = new InspectionPipeline(svc, { backboneDir: bb, embeddingDir: cl });
      try {
        await svc.ensureProduct('benchprod');
        const built = await time(() => pipeline.buildBank('benchprod', { imagesDir: path.join(work, 'pc/train'), coresetRatio: 0.1 }), 1);
        log(`bank build, 10 images, coreset 0.1: ${built.ms.toFixed(0)} ms`);
        const img = path.join(work, 'pc/test/hole_0.png');
        await pipeline.inspect('benchprod', { path: img });
        const full = await time(() => pipeline.inspect('benchprod', { path: img }), 5);
        const backbone = await loadModel(bb);
        const eng = await time(() => extractFeatures(backbone, img), 5);
        log(`inspect end to end: ${full.ms.toFixed(0)} ms; backbone features alone: ${eng.ms.toFixed(0)} ms (ratio ${(full.ms / eng.ms).toFixed(1)})`);
        goals.push({ goal: 'one inspection end to end within 1 s (fixture models, 224 px)', ok: full.ms < 1000, detail: `${full.ms.toFixed(0)} ms` });
      } finally {
        await pipeline.dispose();
        await releaseModels();
      }
    }
  } finally {
    await scratch.drop();
  }
  return goals;
}

export const inspectionDataBench = { name: 'inspection-data', run: bench };
