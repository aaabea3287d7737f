/**
 * Speed of the inspection engine, measured in one run and reported as ratios (never a timed unit test). Needs the
 * parity fixtures (shared/fixtures/ml-parity or LINEDECK_ML_FIXTURES); onnxruntime uses LINEDECK_ORT_THREADS
 * (default 2) intra-op threads.
 *
 *   - CLIP: session.run alone vs the full embed path (decode, Pillow-exact resize, normalize, run, L2) on one image;
 *   - PatchCore: backbone session.run alone vs the full path (decode, backbone, embedding, NN search, re-weighting,
 *     blurred map) on one image, with a 7 840-row bank (10 images, coreset 1.0) and a 15 680-row bank
 *     (200 images, coreset 0.1);
 *   - nearest-neighbour search: typed-array kernel vs ONNX graph (the engine uses the faster one, onnx);
 *   - coreset: pruned typed-array greedy vs blocked Gemm greedy (same selection);
 *   - bank build from 200 normal images at coreset 0.1 (features, coreset, held-out calibration).
 *
 *   npx tsx bench/inspection/engine.ts            (or register `bench` in bench/benches.ts)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { buildBank, PatchcoreScorer, type MemoryBank } from '../../main/inspection/engine/bank';
import { embedImage } from '../../main/inspection/engine/clip';
import { kCenterGreedy, kCenterGreedyBlocked, seededRng } from '../../main/inspection/engine/coreset';
import { createSearcher } from '../../main/inspection/engine/knn';
import { loadModel, releaseModels, type LoadedModel } from '../../main/inspection/engine/models';
import { ortThreads } from '../../main/inspection/engine/ort';
import { extractFeatures } from '../../main/inspection/engine/patchcore';
import { loadRgb, preprocess, type RgbImage } from '../../main/inspection/engine/preprocess';
import { fixturesAvailable, prepareFixtures } from '../../main/inspection/engine/testing/testkit';

export interface Goal {
  goal: string;
  ok: boolean;
  detail: string;
}

async function median(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const s = (x: number) => `${(x / 1000).toFixed(1)} s`;

/** Normal-looking variants of the training images: shifted by up to ±4 px, gain 0.9–1.1, noise ±3. */
export function syntheticNormals(bases: RgbImage[], count: number, seed = 7): RgbImage[] {
  const rng = seededRng(seed);
  const out: RgbImage[] = [];
  for (let i = 0; i < count; i++) {
    const b = bases[i % bases.length];
    const dx = Math.floor(rng.next() * 9) - 4;
    const dy = Math.floor(rng.next() * 9) - 4;
    const gain = 0.9 + rng.next() * 0.2;
    const data = new Uint8Array(b.width * b.height * 3);
    for (let y = 0; y < b.height; y++)
      for (let x = 0; x < b.width; x++) {
        const sy = Math.min(b.height - 1, Math.max(0, y + dy));
        const sx = Math.min(b.width - 1, Math.max(0, x + dx));
        for (let c = 0; c < 3; c++) data[(y * b.width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(b.data[(sy * b.width + sx) * 3 + c] * gain + (rng.next() - 0.5) * 6)));
      }
    out.push({ width: b.width, height: b.height, data });
  }
  return out;
}

async function sessionOnly(model: LoadedModel, tensor: Float32Array): Promise<void> {
  const [H, W] = model.manifest.input.size;
  const out = await model.session.run({ [model.manifest.input.name]: new ort.Tensor('float32', tensor, [1, 3, H, W]) });
  for (const t of Object.values(out)) (t as ort.Tensor).dispose?.();
}

async function fullPatchcore(model: LoadedModel, scorer: PatchcoreScorer, file: string) {
  const { grid } = await extractFeatures(model, file);
  return scorer.score(grid);
}

export async function bench(log: (line: string) => void = (l) => process.stdout.write(`${l}\n`), opts: { images?: number } = {}): Promise<Goal[]> {
  const goals: Goal[] = [];
  if (!fixturesAvailable()) {
    log('inspection engine: parity fixtures not found (LINEDECK_ML_FIXTURES): skipped');
    return goals;
  }
  const nImages = opts.images ?? Number(process.env.LINEDECK_BENCH_BANK_IMAGES ?? 200);
  const fx = prepareFixtures();
  try {
    const os = await import('node:os');
    log(`onnxruntime intra-op threads: ${ortThreads()}; CPU cores: ${os.cpus().length}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    const clip = await loadModel(fx.clipModel);
    const backbone = await loadModel(fx.backboneModel);

    // CLIP
    const clipFile = path.join(fx.dir, 'clip', 'a_640x480.png');
    const clipPre = await preprocess(clipFile, clip.manifest.input);
    const clipRun = await median(() => sessionOnly(clip, clipPre.tensor));
    const clipFull = await median(() => embedImage(clip, clipFile));
    log(`CLIP (tiny fixture model), 640×480 PNG: session.run ${ms(clipRun)}, full embed path ${ms(clipFull)} (×${(clipFull / clipRun).toFixed(1)}; overhead ${ms(clipFull - clipRun)}: PNG decode + Pillow bicubic)`);
    goals.push({ goal: 'CLIP pre/post-processing adds at most 150 ms to session.run (640×480 PNG)', ok: clipFull - clipRun <= 150, detail: `+${ms(clipFull - clipRun)}` });

    // PatchCore, 10-image bank
    const testFile = path.join(fx.dir, 'pc', 'test', 'hole_0.png');
    const pcPre = await preprocess(testFile, backbone.manifest.input);
    const bbRun = await median(() => sessionOnly(backbone, pcPre.tensor));
    const bank10 = await buildBank(backbone, fx.trainImages, { coresetRatio: 1, calibrationImages: 0 });
    const scorer10 = await PatchcoreScorer.create(bank10, 'onnx');
    const pcFull10 = await median(() => fullPatchcore(backbone, scorer10, testFile));
    log(`PatchCore backbone session.run ${ms(bbRun)}; full path with a ${bank10.n}-row bank ${ms(pcFull10)} (×${(pcFull10 / bbRun).toFixed(1)})`);

    // kNN backends
    const { grid } = await extractFeatures(backbone, testFile);
    const js = await createSearcher(bank10.features, bank10.n, bank10.dim, 'js');
    const ox = await createSearcher(bank10.features, bank10.n, bank10.dim, 'onnx');
    const knnJs = await median(() => js.nearest(grid.data, grid.h * grid.w), 1);
    const knnOnnx = await median(() => ox.nearest(grid.data, grid.h * grid.w), 5);
    await js.dispose();
    await ox.dispose();
    const gfma = (784 * bank10.n * bank10.dim) / 1e6;
    log(
      `NN search 784 × ${bank10.n} × ${bank10.dim}: typed-array kernel ${ms(knnJs)} (${(gfma / knnJs).toFixed(2)} GFMA/s), ONNX Gemm+TopK ${ms(knnOnnx)} (${(gfma / knnOnnx).toFixed(1)} GFMA/s) → onnx ×${(knnJs / knnOnnx).toFixed(1)} faster (kept as default)`,
    );
    goals.push({ goal: 'the default NN backend (onnx) is the faster one', ok: knnOnnx < knnJs, detail: `onnx ${ms(knnOnnx)} vs js ${ms(knnJs)}` });
    await scorer10.dispose();

    // coreset backends on a smaller set
    const bases = await Promise.all(fx.trainImages.map((f) => loadRgb(f)));
    const normals = syntheticNormals(bases, nImages);
    const few = 25;
    const feats: Float32Array[] = [];
    for (const img of normals.slice(0, few)) feats.push((await extractFeatures(backbone, img)).grid.data);
    const dim = 384;
    const per = 784;
    const all = new Float32Array(few * per * dim);
    feats.forEach((f, i) => all.set(f, i * per * dim));
    let t0 = performance.now();
    const pruned = kCenterGreedy(all, few * per, dim, 0.1, { seed: 1 });
    const tPruned = performance.now() - t0;
    t0 = performance.now();
    const blocked = await kCenterGreedyBlocked(all, few * per, dim, 0.1, { seed: 1 });
    const tBlocked = performance.now() - t0;
    const same = new Set(pruned.indices);
    const common = Array.from(blocked.indices).filter((i) => same.has(i)).length / pruned.indices.length;
    log(
      `coreset of ${few} images (${few * per} patches → ${pruned.indices.length}): pruned typed-array greedy ${s(tPruned)} (${(pruned.stats.distanceEvaluations / 1e6).toFixed(0)} M distances), blocked Gemm greedy ${s(tBlocked)} (${blocked.stats.rounds} rounds) → ×${(tPruned / tBlocked).toFixed(1)}; same selection ${(common * 100).toFixed(1)} %`,
    );
    goals.push({ goal: 'the default coreset (blocked Gemm) is faster than the typed-array greedy', ok: tBlocked < tPruned, detail: `${s(tBlocked)} vs ${s(tPruned)}` });

    // the full bank build
    let lastLog = 0;
    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const bank: MemoryBank = await buildBank(backbone, normals, {
      coresetRatio: 0.1,
      onProgress: (f, m) => {
        if (performance.now() - lastLog > 15000) {
          lastLog = performance.now();
          log(`  … ${(f * 100).toFixed(0)} % ${m ?? ''}`);
        }
      },
    });
    const tBank = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const b = bank.header.buildMs!;
    log(
      `bank from ${nImages} images at coreset 0.1 (${nImages * per} → ${bank.n} patches): ${s(tBank)} = features ${s(b.featuresMs)} + coreset ${s(b.coresetMs)} + held-out calibration of ${bank.header.normalization?.count} images ${s(b.calibrationMs ?? 0)}; CPU time ${s((cpu.user + cpu.system) / 1000)} (all threads; wall ≫ CPU / threads means the machine was busy)`,
    );
    goals.push({ goal: `bank build from ${nImages} images (coreset 0.1) within 3 minutes on this machine`, ok: tBank <= 180_000, detail: s(tBank) });

    const scorer = await PatchcoreScorer.create(bank, 'onnx');
    const pcFull = await median(() => fullPatchcore(backbone, scorer, testFile));
    await scorer.dispose();
    log(`PatchCore full path with the ${bank.n}-row bank ${ms(pcFull)} (×${(pcFull / bbRun).toFixed(1)} the fixture backbone's run; the NN Gemm is 784 × ${bank.n} × 384)`);
    goals.push({ goal: `one PatchCore inspection with a ${bank.n}-row bank within 1.5 s on this machine`, ok: pcFull <= 1500, detail: ms(pcFull) });
    return goals;
  } finally {
    await releaseModels();
    fx.cleanup();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const goals = await bench();
  for (const g of goals) process.stdout.write(`${g.ok ? 'MET ' : 'MISS'} ${g.goal} — ${g.detail}\n`);
}
