/**
 * Time to verdict (issue "Speed": the verdict before the paperwork), measured in one run, medians of interleaved
 * rounds so a busy moment hits both sides:
 *
 *   - verdict: InspectionPipeline.inspect on a station (engine worker, image store, an outbox with its forwarder on
 *     PostgreSQL), the image as bytes, until the answer — the result is journaled (durable) by then;
 *   - persisted: until the same inspection is in the database with its artifacts (drawn after the verdict, then
 *     written by the forwarder);
 *   - the two models alone: `session.run` of the embedding model and of the PatchCore backbone, on this thread,
 *     on tensors of the same image prepared beforehand, and the memory-bank search graph's run (PatchCore's
 *     nearest-neighbour Gemm, which an anomalib export holds inside its one model).
 *
 * Goals: the shipped default models answer in ≤ 35 / 60 ms (256 px / 1 280 × 960) and persist in ≤ 80 / 120 ms;
 * reference-size models answer in ≤ 1.25× (both models + the bank search).
 *
 * Model sets: the shipped defaults (ml-models/), and reference-size stand-ins of what a plant drops in (anomalib's
 * wide_resnet50_2 backbone and a ResNet-50 image tower, seeded random weights, built into the temp folder; skip with
 * LINEDECK_BENCH_REFERENCE_SIZE=0); or only the LINEDECK_BENCH_BACKBONE / LINEDECK_BENCH_EMBEDDING folders (e.g. a
 * real WideResNet / CLIP export). Input: a generated cast part with a hole at 256 px, and the same scene at
 * 1 280 × 960 as JPEG (a camera frame).
 */
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { stationPaths } from '../../main/config';
import { createScratchDatabase, type ScratchDatabase } from '../scratch';
import { writeReferenceSizeModels } from '../../ml-models/build/reference-size-models';
import { migrateAll } from '../../main/migrations';
import { loadBank } from '../../main/inspection/engine/bank';
import { createSearcher } from '../../main/inspection/engine/knn';
import { loadModel, releaseModels, type LoadedModel } from '../../main/inspection/engine/models';
import { featuresFromTensor } from '../../main/inspection/engine/patchcore';
import { preprocess } from '../../main/inspection/engine/preprocess';
import { Outbox } from '../../main/inspection/outbox';
import { InspectionPipeline } from '../../main/inspection/pipeline';
import { InspectionService } from '../../main/inspection/service';
import { generateImage } from '../../main/inspection/synth/generate';
import { DEFAULT_BACKBONE_DIR, DEFAULT_EMBED_DIR } from './eval';

interface Goal {
  goal: string;
  ok: boolean;
  detail: string;
}

/** reference-size models: verdict ≤ this × (both models + the bank search) */
export const VERDICT_RATIO_GOAL = 1.25;
/** shipped default models, by input: verdict and persisted (ms) */
const DEFAULT_GOALS: Record<string, { verdict: number; persisted: number }> = { '256×256 PNG': { verdict: 35, persisted: 80 }, '1280×960 JPEG': { verdict: 60, persisted: 120 } };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function runOnly(model: LoadedModel, tensor: Float32Array): Promise<number> {
  const [H, W] = model.manifest.input.size;
  const feeds = { [model.manifest.input.name]: new ort.Tensor('float32', tensor, [1, 3, H, W]) };
  const t0 = performance.now();
  const out = await model.session.run(feeds);
  const ms = performance.now() - t0;
  for (const t of Object.values(out)) (t as ort.Tensor).dispose?.();
  return ms;
}

/** A camera-sized JPEG of the same generated scene (the 256 px render scaled up, quality 90). */
async function cameraFrame(png: Buffer): Promise<Buffer> {
  return sharp(png).resize(1280, 960, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toBuffer();
}

interface ModelSet {
  label: string;
  backboneDir: string;
  embeddingDir: string;
}

export async function bench(baseUrl: string, log: (s: string) => void, tmpDir: string): Promise<Goal[]> {
  const goals: Goal[] = [];
  const sets: ModelSet[] = [];
  if (process.env.LINEDECK_BENCH_BACKBONE || process.env.LINEDECK_BENCH_EMBEDDING) {
    sets.push({ label: 'given models', backboneDir: process.env.LINEDECK_BENCH_BACKBONE ?? DEFAULT_BACKBONE_DIR, embeddingDir: process.env.LINEDECK_BENCH_EMBEDDING ?? DEFAULT_EMBED_DIR });
  } else {
    sets.push({ label: 'shipped default models', backboneDir: DEFAULT_BACKBONE_DIR, embeddingDir: DEFAULT_EMBED_DIR });
    if (process.env.LINEDECK_BENCH_REFERENCE_SIZE !== '0') {
      // what a plant drops in: anomalib's WideResNet-50-2 backbone and a CLIP-class image tower (random weights)
      const t0 = performance.now();
      const ref = writeReferenceSizeModels(fs.mkdtempSync(path.join(tmpDir, 'ref-models-')));
      log(`reference-size models written in ${((performance.now() - t0) / 1000).toFixed(1)} s (wide_resnet50_2 to layer3; ResNet-50 image tower → 1024; seeded random weights)`);
      sets.push({ label: 'reference-size models', backboneDir: ref.backbone, embeddingDir: ref.embedding });
    }
  }
  const rounds = Number(process.env.LINEDECK_BENCH_E2E_ROUNDS ?? 21);
  const scratch = await createScratchDatabase(baseUrl, `bench_e2e_${process.pid}`);
  try {
    await migrateAll(scratch.dbs);
    const hole = await generateImage({ surface: 'cast', level: 'plain', label: 'hole', seed: 'e2e', index: 0 });
    const inputs: [string, Buffer][] = [
      ['256×256 PNG', hole.png],
      ['1280×960 JPEG', await cameraFrame(hole.png)],
    ];
    const normals = await Promise.all(Array.from({ length: 40 }, (_, i) => generateImage({ surface: 'cast', level: 'plain', label: 'normal', seed: 'e2e', index: i })));
    for (const [k, set] of sets.entries()) {
      goals.push(...(await measureSet(set, `BENCH-E2E-${k + 1}`, scratch.dbs, normals, inputs, rounds, log, tmpDir)));
      await releaseModels();
    }
  } finally {
    await scratch.drop();
  }
  return goals;
}

async function measureSet(
  set: ModelSet,
  productCode: string,
  dbs: ScratchDatabase['dbs'],
  normals: { png: Buffer; name: string }[],
  inputs: [string, Buffer][],
  rounds: number,
  log: (s: string) => void,
  tmpDir: string,
): Promise<Goal[]> {
  const goals: Goal[] = [];
  const { backboneDir, embeddingDir } = set;
  const home = fs.mkdtempSync(path.join(tmpDir, 'e2e-home-'));
  // LINEDECK_BENCH_LANES=1|2 and LINEDECK_BENCH_THREADS=N: the engine's lanes and intra-op threads per session (to compare)
  const lanes = process.env.LINEDECK_BENCH_LANES ? (Number(process.env.LINEDECK_BENCH_LANES) as 1 | 2) : undefined;
  const threads = process.env.LINEDECK_BENCH_THREADS ? Number(process.env.LINEDECK_BENCH_THREADS) : undefined;
  const pipeline = new InspectionPipeline(new InspectionService({ dbs, paths: stationPaths(home) }), { backboneDir, embeddingDir, engine: { lanes, threads } });
  // a station: the verdict is journaled and answered, the forwarder writes it
  const outbox = new Outbox(Outbox.dirOf(home));
  outbox.handle('inspection', (e) => pipeline.forwardInspection(e));
  outbox.start();
  const inspect = async (bytes: Buffer) => {
    const t1 = performance.now();
    const out = await pipeline.inspect(productCode, bytes, { outbox, waitMs: 0, stationId: null });
    const verdict = performance.now() - t1;
    if (!(await outbox.waitFor(out.client_uuid, 30_000))) throw new Error(`inspection ${out.client_uuid} did not reach the database in 30 s`);
    return { out, verdict, persisted: performance.now() - t1 };
  };
  try {
    const svc = pipeline.svc;
    await svc.ensureProduct(productCode);
    const t0 = performance.now();
    await pipeline.buildBank(productCode, { images: normals.map((n) => ({ base64: n.png.toString('base64'), fileName: n.name })), coresetRatio: 0.1 });
    log(`${set.label} (${path.basename(backboneDir)} + ${path.basename(embeddingDir)}): bank from 40 generated normals (coreset 0.1) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const bankFile = path.join(home, String((await svc.currentBank((await svc.getProduct({ productCode })).productId))!.summary.bank_path));

    // the models alone, on this thread
    const backbone = await loadModel(backboneDir);
    const clip = await loadModel(embeddingDir);
    const bank = loadBank(bankFile);
    const searcher = await createSearcher(bank.features, bank.n, bank.dim, 'onnx');
    try {
      for (const [label, bytes] of inputs) {
        const bbPre = await preprocess(bytes, backbone.manifest.input, { alpha: 'drop' });
        const clPre = await preprocess(bytes, clip.manifest.input, { alpha: 'flatten-white' });
        const grid = await featuresFromTensor(backbone, bbPre.tensor);
        const verdicts: number[] = [];
        const persisted: number[] = [];
        const models: number[] = [];
        const search: number[] = [];
        const stages: Record<string, number[]> = {};
        // warm both paths, then interleave the rounds
        await inspect(bytes);
        await runOnly(backbone, bbPre.tensor);
        await runOnly(clip, clPre.tensor);
        let anomaly = 0;
        for (let r = 0; r < rounds; r++) {
          const a = await runOnly(clip, clPre.tensor);
          const b = await runOnly(backbone, bbPre.tensor);
          models.push(a + b);
          const s0 = performance.now();
          await searcher.nearest(grid.data, grid.h * grid.w);
          search.push(performance.now() - s0);
          const run = await inspect(bytes);
          verdicts.push(run.verdict);
          persisted.push(run.persisted);
          anomaly = run.out.anomaly_score;
          for (const [k, v] of Object.entries(run.out.stages_ms)) (stages[k] ??= []).push(v);
          const row = await svc.read.query<{ e: Record<string, number> }>(`select details->'engineMs' as e from inspection_results where inspection_id = (select inspection_id from inspections where client_uuid = $1)`, [
            run.out.client_uuid,
          ]);
          // the PatchCore lane's own stages inside `engine`
          for (const [k, v] of Object.entries(row.rows[0]?.e ?? {})) (stages[`engine.${k}`] ??= []).push(v);
        }
        const V = median(verdicts);
        const P = median(persisted);
        const M = median(models);
        const S = median(search);
        const parts = Object.entries(stages)
          .map(([k, v]) => `${k} ${median(v).toFixed(1)}`)
          .join(', ');
        log(
          `  ${label}: verdict ${V.toFixed(1)} ms, persisted ${P.toFixed(1)} ms (medians of ${rounds}; verdict stages in ms: ${parts}; anomaly ${anomaly.toFixed(3)}); ` +
            `session.run embedding + backbone ${M.toFixed(1)} ms → ×${(V / M).toFixed(2)}; with the bank-search graph (${bank.n} × ${bank.dim}) ${(M + S).toFixed(1)} ms → ×${(V / (M + S)).toFixed(2)}`,
        );
        const fixed = set.label === 'shipped default models' ? DEFAULT_GOALS[label] : undefined;
        if (fixed) {
          goals.push({ goal: `time to verdict ≤ ${fixed.verdict} ms (${label}, ${set.label})`, ok: V <= fixed.verdict, detail: `${V.toFixed(1)} ms (models ${M.toFixed(1)} + bank search ${S.toFixed(1)} ms)` });
          goals.push({ goal: `whole inspection persisted ≤ ${fixed.persisted} ms (${label}, ${set.label})`, ok: P <= fixed.persisted, detail: `${P.toFixed(1)} ms` });
        } else {
          goals.push({
            goal: `time to verdict ≤ ${VERDICT_RATIO_GOAL}× (both models + bank search) (${label}, ${set.label})`,
            ok: V <= VERDICT_RATIO_GOAL * (M + S),
            detail: `${V.toFixed(1)} ms vs ${(M + S).toFixed(1)} ms (×${(V / (M + S)).toFixed(2)}); persisted ${P.toFixed(1)} ms`,
          });
        }
      }
    } finally {
      await searcher.dispose();
    }
  } finally {
    await outbox.stop();
    await pipeline.dispose();
  }
  return goals;
}

export const inspectionE2eBench = { name: 'inspection-e2e', run: bench };
