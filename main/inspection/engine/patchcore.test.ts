import ort from 'onnxruntime-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyMapping,
  assertBankMatches,
  BOUNDARY_SCORE,
  buildBank,
  loadBank,
  mappingFrom,
  normalizationFrom,
  normalizeMap,
  normalizeScore,
  parseBank,
  PatchcoreScorer,
  saveBank,
  serializeBank,
  type MemoryBank,
} from './bank';
import { CancelledError, jlMinDim, kCenterGreedy, kCenterGreedyBlocked, kCenterGreedyNaive, kthLargest, seededRng } from './coreset';
import { createSearcher, kNearestOne } from './knn';
import { loadModel, releaseModels, writeModelFolder, type LoadedModel } from './models';
import { patchEmbeddingOrt, releasePoolers } from './pooler';
import { anomalyMap, avgPool3x3, bilinearResize, extractFeatures, gaussianBlur, gaussianKernel1d, patchEmbedding, resizeNearest, reweightScore } from './patchcore';
import { BACKBONE_FIXTURE_MANIFEST, FIXTURE_DIR, prepareFixtures, type FixtureSet } from './testing/testkit';

function randomMatrix(n: number, d: number, seed: number, clusters = 0): Float32Array {
  const rng = seededRng(seed);
  const out = new Float32Array(n * d);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, () => rng.next() * 4));
  for (let i = 0; i < n; i++)
    for (let k = 0; k < d; k++) out[i * d + k] = (clusters ? centres[i % clusters][k] : 0) + (rng.next() - 0.5) * (clusters && k > 6 ? 0.3 : 2);
  return out;
}

describe('PatchCore building blocks (PyTorch semantics)', () => {
  it('average-pools 3×3 with padding counted (count_include_pad=True)', () => {
    const p = avgPool3x3({ c: 1, h: 3, w: 3, data: new Float32Array(9).fill(1) });
    expect(Array.from(p.data)).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => Math.fround(v / 9)));
  });

  it('resizes bilinearly with align_corners=False', () => {
    const r = bilinearResize({ c: 1, h: 2, w: 2, data: new Float32Array([1, 2, 3, 4]) }, 4, 4);
    // torch.nn.functional.interpolate(torch.tensor([[[[1.,2],[3,4]]]]), size=(4,4), mode='bilinear')
    expect(Array.from(r.data)).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
  });

  it('concatenates pooled maps into patch-major embeddings', () => {
    const fine = { c: 2, h: 2, w: 2, data: new Float32Array([1, 1, 1, 1, 2, 2, 2, 2]) };
    const coarse = { c: 1, h: 1, w: 1, data: new Float32Array([9]) };
    const g = patchEmbedding(fine, coarse);
    expect([g.h, g.w, g.dim]).toEqual([2, 2, 3]);
    // each patch: [pool(1), pool(2), pool(9) resized]; a 2×2 map's 3×3 windows hold 4 of 9 cells
    expect(Array.from(g.data.subarray(0, 3))).toEqual([4 / 9, 8 / 9, 1].map(Math.fround));
  });

  it('the ONNX embedding step (what extractFeatures runs) gives patchEmbedding’s rows', async () => {
    // a WideResNet-like 2× pair, a ratio that is not a whole number, and maps of one size (no resize)
    for (const [fine, coarse] of [
      [[6, 28, 28], [9, 14, 14]],
      [[3, 7, 5], [4, 3, 2]],
      [[2, 4, 4], [3, 4, 4]],
    ] as [number, number, number][][]) {
      const map = ([c, h, w]: number[], seed: number) => ({ c, h, w, data: randomMatrix(1, c * h * w, seed) });
      const a = map(fine, 1);
      const b = map(coarse, 2);
      const want = patchEmbedding(a, b);
      const t = (m: { c: number; h: number; w: number; data: Float32Array }) => new ort.Tensor('float32', m.data, [1, m.c, m.h, m.w]);
      const got = await patchEmbeddingOrt(t(a), t(b), 1);
      expect([got.h, got.w, got.dim]).toEqual([want.h, want.w, want.dim]);
      let worst = 0;
      for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]));
      expect(worst).toBeLessThan(1e-6);
    }
    await releasePoolers();
  });

  it('upsamples with the nearest rule and blurs like anomalib (σ 4, kernel 33, reflect)', () => {
    expect(Array.from(resizeNearest(new Float32Array([0, 1, 2]), 1, 3, 1, 7))).toEqual([0, 0, 0, 1, 1, 2, 2]);
    const up = resizeNearest(Float32Array.from({ length: 4 }, (_, i) => i), 2, 2, 16, 16);
    expect(up[7]).toBe(0);
    expect(up[8]).toBe(1);
    expect(up[8 * 16]).toBe(2);
    const k = gaussianKernel1d(33, 4);
    expect(k.length).toBe(33);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(k[16]).toBeGreaterThan(k[15]);
    expect(k[0]).toBeCloseTo(k[32], 15);
    const flat = gaussianBlur(new Float32Array(50 * 40).fill(0.3), 40, 50);
    for (const v of flat) expect(v).toBeCloseTo(0.3, 6);
    // reflect padding (edge not repeated): a delta in column 1 is mirrored into column −1, so column 0 sees it twice,
    // while a delta in column 0 has no mirror image
    const delta = new Float32Array(40 * 40);
    delta[20 * 40 + 1] = 1;
    expect(gaussianBlur(delta, 40, 40)[20 * 40]).toBeCloseTo(2 * k[15] * k[16], 7);
    const edge = new Float32Array(40 * 40);
    edge[20 * 40] = 1;
    expect(gaussianBlur(edge, 40, 40)[20 * 40 + 1]).toBeCloseTo(k[15] * k[16], 7);
  });

  it('computes the anomaly map as blur(nearest upsample) through the sparse separable matrices', () => {
    for (const [gh, gw, oh, ow, sigma] of [
      [28, 28, 224, 224, 4],
      [28, 28, 256, 256, 4],
      [14, 20, 224, 320, 4],
      [7, 5, 33, 50, 2],
      [3, 3, 3, 3, 4],
    ]) {
      const p = randomMatrix(gh, gw, gh * 31 + gw);
      const ref = gaussianBlur(resizeNearest(p, gh, gw, oh, ow), oh, ow, sigma);
      const fast = anomalyMap(p, gh, gw, oh, ow, sigma);
      expect(fast.length).toBe(oh * ow);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(fast[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-6));
      expect(worst, `${gh}×${gw} → ${oh}×${ow}`).toBeLessThan(1e-6);
    }
    expect(() => anomalyMap(new Float32Array(5), 2, 2, 8, 8)).toThrow(/expected 2×2/);
  });

  it('re-weights the image score with the 9 nearest bank rows (anomalib compute_anomaly_score)', () => {
    const dim = 4;
    const bank = { features: randomMatrix(50, dim, 3), n: 50, dim };
    const grid = { h: 2, w: 2, dim, data: randomMatrix(4, dim, 4) };
    const scores = new Float32Array(4);
    const nn = new Int32Array(4);
    for (let p = 0; p < 4; p++) {
      const r = kNearestOne(grid.data, p * dim, bank.features, bank.n, dim, 1);
      scores[p] = r.dist[0];
      nn[p] = r.index[0];
    }
    const r = reweightScore(grid, scores, nn, bank, 9);
    const p = r.argmax;
    expect(scores[p]).toBe(Math.max(...scores));
    const support = kNearestOne(bank.features, nn[p] * dim, bank.features, bank.n, dim, 9).index;
    expect(support[0]).toBe(nn[p]);
    const d = Array.from(support, (j) => Math.hypot(...Array.from({ length: dim }, (_, k) => grid.data[p * dim + k] - bank.features[j * dim + k])));
    const z = d.reduce((a, v) => a + Math.exp(v), 0);
    expect(r.imageScore).toBeCloseTo((1 - Math.exp(d[0]) / z) * scores[p], 6);
    expect(reweightScore(grid, scores, nn, bank, 1).imageScore).toBe(scores[p]);
  });
});

describe('nearest-neighbour search', () => {
  it('gives the same neighbours with the typed-array kernel and the ONNX graph, honouring exclusions', async () => {
    const n = 1500;
    const d = 48;
    const bank = randomMatrix(n, d, 1, 30);
    const q = randomMatrix(203, d, 2, 30);
    const js = await createSearcher(bank, n, d, 'js');
    const ox = await createSearcher(bank, n, d, 'onnx', 1);
    const a = await js.nearest(q, 203);
    const b = await ox.nearest(q, 203);
    expect(Array.from(a.index)).toEqual(Array.from(b.index));
    for (let i = 0; i < 203; i++) {
      const exact = kNearestOne(q, i * d, bank, n, d, 1);
      expect(a.index[i]).toBe(exact.index[0]);
      expect(a.dist[i]).toBeCloseTo(exact.dist[0], 5);
    }
    const exclude = new Uint8Array(n);
    for (const i of a.index) exclude[i] = 1;
    const c = await ox.nearest(q, 203, { exclude });
    const e = await js.nearest(q, 203, { exclude });
    expect(Array.from(c.index)).toEqual(Array.from(e.index));
    for (const i of c.index) expect(exclude[i]).toBe(0);
    for (const i of [0, 17, 202]) {
      const want = kNearestOne(q, i * d, bank, n, d, 9, exclude);
      for (const sr of [js, ox]) {
        const got = await sr.kNearest(q, i * d, 9, { exclude });
        expect(Array.from(got.index)).toEqual(Array.from(want.index));
        got.dist.forEach((v, j) => expect(v).toBeCloseTo(want.dist[j], 9));
      }
    }
    await expect(ox.nearest(q, 203, { exclude: new Uint8Array(n).fill(1) })).rejects.toThrow(/every bank row is excluded/);
    await expect(ox.nearest(q, 203, { exclude: new Uint8Array(3) })).rejects.toThrow(/exclude mask/);
    await js.dispose();
    await ox.dispose();
  });
});

describe('greedy k-center coreset', () => {
  it('uses the Johnson–Lindenstrauss dimension of sklearn (eps 0.9)', () => {
    expect(jlMinDim(7840)).toBe(221);
    expect(jlMinDim(156800)).toBe(295);
  });

  it('selects exactly what the plain greedy loop selects (pruned and blocked versions)', async () => {
    const n = 3000;
    const d = 40;
    const f = randomMatrix(n, d, 7, 25);
    const naive = kCenterGreedyNaive(f, n, d, 0.1, 5);
    const pruned = kCenterGreedy(f, n, d, 0.1, { seed: 5 });
    expect(Array.from(pruned.indices)).toEqual(Array.from(naive));
    expect(pruned.stats.distanceEvaluations).toBeLessThan(n * naive.length);
    const blocked = await kCenterGreedyBlocked(f, n, d, 0.1, { seed: 5, candidates: 128 });
    expect(blocked.stats.rounds).toBeGreaterThan(1);
    // float32 ‖x‖² + ‖c‖² − 2x·c may order exact near-ties differently: same set, same start
    const set = new Set(naive);
    const common = Array.from(blocked.indices).filter((i) => set.has(i)).length;
    expect(common / naive.length).toBeGreaterThanOrEqual(0.99);
    expect(blocked.indices[0]).toBe(naive[0]);
    expect(new Set(blocked.indices).size).toBe(blocked.indices.length);
  });

  it('finds the k-th largest bound by quickselect (negative = selected, ignored)', () => {
    const rng = seededRng(9);
    const x = Float32Array.from({ length: 1001 }, (_, i) => (i % 10 === 0 ? -1 : Math.floor(rng.next() * 50)));
    const sorted = Array.from(x).filter((v) => v >= 0).sort((a, b) => b - a);
    for (const k of [1, 2, 17, 500, sorted.length]) expect(kthLargest(x, k)).toBe(sorted[k - 1]);
    expect(kthLargest(x, sorted.length + 1)).toBe(-Infinity);
  });

  it('keeps every row at ratio 1, refuses bad ratios, and can be cancelled', async () => {
    const f = randomMatrix(500, 8, 1);
    expect(kCenterGreedy(f, 500, 8, 1).indices.length).toBe(500);
    expect(() => kCenterGreedy(f, 500, 8, 0)).toThrow(/ratio must be > 0/);
    expect(() => kCenterGreedy(f, 500, 8, 0.001)).toThrow(/would be empty/);
    const token = { aborted: true };
    expect(() => kCenterGreedy(f, 500, 8, 0.5, { signal: token })).toThrow(CancelledError);
    await expect(kCenterGreedyBlocked(f, 500, 8, 0.5, { signal: token })).rejects.toThrow(CancelledError);
  });
});

describe('score normalization', () => {
  it('maps the calibrated boundary to 0.85, saturates at 1 and is monotone', () => {
    const m = mappingFrom([0.3, 0.32, 0.35, 0.31, 0.4]);
    expect(m.median).toBeCloseTo(0.32, 12);
    expect(m.upper).toBe(0.4);
    expect(m.boundary).toBeCloseTo(0.4 + 0.25 * 0.08, 12);
    expect(applyMapping(m.boundary, m)).toBeCloseTo(BOUNDARY_SCORE, 12);
    expect(applyMapping(m.saturation, m)).toBeCloseTo(1, 12);
    expect(applyMapping(10, m)).toBe(1);
    expect(applyMapping(-1, m)).toBe(0);
    expect(applyMapping(0.2, m)).toBeLessThan(applyMapping(0.21, m));
    expect(applyMapping(0.5, m)).toBeLessThan(applyMapping(0.51, m));
  });

  it('puts ≥ 99 % of held-out normal scores below the threshold, even with a defective "normal" image', () => {
    const rng = seededRng(11);
    const scores = Array.from({ length: 300 }, () => 0.3 + 0.05 * (rng.next() + rng.next() + rng.next()));
    scores.push(2.5); // a defect among the normal images
    const stats = normalizationFrom(scores, scores.map((s) => s * 0.9));
    const below = scores.filter((s) => normalizeScore(s, stats) < 0.85).length / scores.length;
    expect(below).toBeGreaterThanOrEqual(0.99);
    expect(stats.heldOutBelowBoundary).toBeCloseTo(below, 12);
    expect(normalizeScore(2.5, stats)).toBe(1);
    expect(stats.notes.join(' ')).toMatch(/far above the others/);
    const map = normalizeMap(new Float32Array([0, stats.pixel.boundary, 100]), stats);
    expect(Array.from(map)).toEqual([0, Math.fround(0.85), 1]);
  });
});

describe('memory banks with the fixture backbone', () => {
  let fx: FixtureSet;
  let model: LoadedModel;
  let bank: MemoryBank;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-bank-'));

  beforeAll(async () => {
    fx = prepareFixtures();
    model = await loadModel(fx.backboneModel);
    bank = await buildBank(model, fx.trainImages, { coresetRatio: 0.25, seed: 3 });
  });
  afterAll(async () => {
    await releaseModels();
    fx?.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('subsamples, records where rows came from, and calibrates on held-out images', () => {
    const [fullN, dim] = fx.expected.bank_size;
    expect(bank.n).toBe(Math.trunc(fullN * 0.25));
    expect(bank.dim).toBe(dim);
    expect(bank.header.grid).toEqual(fx.facts.grid);
    expect(bank.header.backbone.sha256).toBe(model.sha256);
    expect(new Set(bank.source).size).toBe(fx.trainImages.length);
    const stats = bank.header.normalization!;
    expect(stats.count).toBe(fx.trainImages.length);
    expect(stats.heldOutBelowBoundary).toBeGreaterThanOrEqual(0.99);
    expect(stats.image.boundary).toBeGreaterThan(stats.image.upper);
    expect(Object.keys(bank.header.buildMs!)).toEqual(['featuresMs', 'coresetMs', 'calibrationMs']);
  });

  it('scores normal test images below and defects above the threshold', async () => {
    const scorer = await PatchcoreScorer.create(bank);
    const stats = bank.header.normalization!;
    const res: Record<string, number> = {};
    for (const name of fx.expected.test_order) {
      const { grid } = await extractFeatures(model, path.join(fx.dir, name));
      const s = await scorer.score(grid);
      res[name] = normalizeScore(s.imageScore, stats);
      expect(res[name]).toBeGreaterThanOrEqual(0);
      expect(res[name]).toBeLessThanOrEqual(1);
    }
    await scorer.dispose();
    const { normalTests, defectTests } = fx.facts;
    expect(normalTests.length * defectTests.length).toBeGreaterThan(0);
    expect(res[normalTests[0]]).toBeLessThan(0.85);
    for (const d of defectTests) expect(res[d], d).toBeGreaterThan(0.85);
  });

  it('saves and loads the bank file, and detects damage and the wrong backbone', async () => {
    const file = path.join(tmp, 'b.ldbank');
    saveBank(file, bank);
    const back = loadBank(file);
    expect(back.header).toEqual({ ...bank.header, payloadSha256: back.header.payloadSha256 });
    expect(Buffer.from(back.features.buffer).equals(Buffer.from(bank.features.buffer))).toBe(true);
    expect(Array.from(back.source)).toEqual(Array.from(bank.source));
    const buf = serializeBank(bank);
    const damaged = Buffer.from(buf);
    damaged[damaged.length - 100] ^= 0xff;
    expect(() => parseBank(damaged)).toThrow(/does not match its checksum/);
    expect(() => parseBank(buf.subarray(0, buf.length - 4))).toThrow(/truncated or damaged/);
    expect(() => parseBank(Buffer.from('hello world, not a bank'))).toThrow(/not a LineDeck memory bank/);
    expect(() => loadBank(path.join(tmp, 'none.ldbank'))).toThrow(/not found/);

    assertBankMatches(back, model);
    const other = await loadModel(
      writeModelFolder(path.join(tmp, 'bb2'), { ...BACKBONE_FIXTURE_MANIFEST, input: { ...BACKBONE_FIXTURE_MANIFEST.input, mean: [0.5, 0.5, 0.5] } }, path.join(FIXTURE_DIR, 'patchcore_backbone.onnx')),
    );
    expect(() => assertBankMatches(back, other)).toThrow(/other input settings/);
  });

  it('refuses a bank build it cannot calibrate or that is too large', async () => {
    await expect(buildBank(model, fx.trainImages.slice(0, 1))).rejects.toThrow(/at least 2 normal images/);
    await expect(buildBank(model, fx.trainImages, { maxImages: 5 })).rejects.toThrow(/more than the limit of 5/);
    const odd = fx.facts.oddSized;
    await expect(buildBank(model, [...fx.trainImages.slice(0, 2), path.join(fx.dir, odd.name)])).rejects.toThrow(
      `${path.basename(odd.name)}: image is ${odd.width}×${odd.height}, the model needs exactly ${fx.facts.pcSize}×${fx.facts.pcSize}`,
    );
  });
});
