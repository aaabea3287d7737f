/**
 * Parity with the Python references (shared/fixtures/ml-parity, or the set in LINEDECK_ML_FIXTURES): Pillow's
 * resampling bit for bit, the CLIP image processor + encoder (cosine ≥ 0.9999 without resize, ≥ 0.999 with), and
 * anomalib's PatchCore (scores, patch scores and the blurred maps within 1e-3 relative). Which images, grid and
 * sizes are compared comes from the set itself (testkit's fixtureFacts), so a set of the same kind built elsewhere
 * runs through the same checks. Missing fixtures fail the run unless LINEDECK_ML_FIXTURES=skip.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBank, PatchcoreScorer, type MemoryBank } from './bank';
import { cosine, embedImage } from './clip';
import { loadModel, releaseModels, type LoadedModel } from './models';
import { extractFeatures } from './patchcore';
import { loadRgb, preprocess } from './preprocess';
import { resizePil, type Interpolation } from './resample';
import { readTar } from './tar';
import { FIXTURE_DIR, fixtureFacts, fixturesAvailable, maxRelError, prepareFixtures, type FixtureSet } from './testing/testkit';

const skip = process.env.LINEDECK_ML_FIXTURES === 'skip';
const facts = !skip && fixturesAvailable() ? fixtureFacts() : null;

describe.skipIf(skip)('ML parity fixtures', () => {
  it('are present', () => {
    expect(fixturesAvailable(), `fixtures.tar not found in ${FIXTURE_DIR}; set LINEDECK_ML_FIXTURES to their folder (or "skip")`).toBe(true);
  });
});

describe.skipIf(skip)('parity with the Python references', () => {
  let fx: FixtureSet;
  let clip: LoadedModel;
  let backbone: LoadedModel;

  beforeAll(async () => {
    fx = prepareFixtures();
    clip = await loadModel(fx.clipModel);
    backbone = await loadModel(fx.backboneModel);
  });
  afterAll(async () => {
    await releaseModels();
    fx?.cleanup();
  });

  it('reads the ustar archive with the built-in tar reader: every image the references name, unpacked intact', () => {
    const entries = readTar(fs.readFileSync(path.join(FIXTURE_DIR, 'fixtures.tar'))).filter((e) => e.type === 'file');
    const names = entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining([...Object.keys(fx.expected.clip), ...fx.expected.test_order]));
    expect(fx.trainImages.length).toBeGreaterThan(0);
    for (const e of entries) expect(fs.readFileSync(path.join(fx.dir, e.name)).equals(e.data), e.name).toBe(true);
    if (facts!.knownArchive) {
      expect(entries).toHaveLength(18);
      const a = entries.find((e) => e.name === 'clip/a_640x480.png')!;
      expect(a.size).toBe(483965);
      expect(a.data.subarray(1, 4).toString('ascii')).toBe('PNG');
    }
  });

  // SHA-256 of Pillow 12.3.0's Image.open(f).convert('RGB').resize((w, h), resample).tobytes(), for the images of
  // this repository's fixtures.tar (another set's images are other pictures: these rows do not apply to it)
  const pillow: [string, number, number, Interpolation, string][] = [
    ['clip/a_640x480.png', 298, 224, 'bicubic', 'e8e348da72ff7bbd230237b8f66bb300edb8e0343cebacb6c6c334e0a4c78429'],
    ['clip/b_300x500.png', 224, 373, 'bicubic', '57aec28529116d91800f1ceedaa99b80678f692cea9f94665c37cd16d7657b16'],
    ['clip/d_1001x999.png', 224, 224, 'bicubic', 'bff406e511438f378ce306af712f7f3cafbca8108a5ce2ecf2e03cb69cc00c39'],
    ['clip/a_640x480.png', 100, 77, 'bilinear', 'f510f7a834b05187dca376ec31e01af0d26609453e778c836f1da5d009a816bb'],
    ['clip/b_300x500.png', 640, 91, 'bicubic', 'e7ccf14ab2b036f8c15beb8e6226859e2f2e70f0a4c2d3545f4e621d18a9e764'],
    ['clip/a_640x480.png', 123, 45, 'nearest', '568eba2f313305dd0734a1de1fa67f2022d3a2876466f43068a1560ff5c231e6'],
    ['clip/c_224x224.png', 500, 501, 'bilinear', '2ee249605b3d98e604f2ef9a23c3acedc9d72ace777896331b6632afd9bb032f'],
  ];
  it.skipIf(!facts?.knownArchive).each(pillow)('resizes %s to %i×%i %s exactly like Pillow', async (file, w, h, interp, sha) => {
    const img = await loadRgb(path.join(fx.dir, file));
    const out = resizePil(img.data, img.width, img.height, 3, w, h, interp);
    expect(crypto.createHash('sha256').update(out).digest('hex')).toBe(sha);
  });

  it('CLIP: preprocessing matches the reference processor and embeddings reach the cosine bounds', async () => {
    const report: string[] = [];
    for (const [name, ref] of Object.entries(fx.expected.clip)) {
      const file = path.join(fx.dir, name);
      const pre = await preprocess(file, clip.manifest.input);
      const n = clip.manifest.input.size[0] * clip.manifest.input.size[1];
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += pre.tensor[c * n + i];
        expect(Math.abs(s / n - ref.pixel_values_mean_per_channel[c])).toBeLessThan(1e-4);
      }
      const e = await embedImage(clip, file);
      const cos = cosine(e.raw, ref.embedding);
      report.push(`${name}: cos ${cos}`);
      const [mh, mw] = clip.manifest.input.size;
      const resized = pre.sourceSize.width !== mw || pre.sourceSize.height !== mh;
      expect(cos, name).toBeGreaterThanOrEqual(resized ? 0.999 : 0.9999);
      expect(Math.abs(e.norm - ref.embedding_l2norm) / ref.embedding_l2norm).toBeLessThan(resized ? 1e-3 : 1e-5);
      expect(e.normalized.length).toBe(ref.embedding.length);
      let nn = 0;
      for (const v of e.normalized) nn += v * v;
      expect(nn).toBeCloseTo(1, 5);
    }
    console.info(report.join('\n'));
  });

  describe(`PatchCore (${facts?.trainImages.length ?? 0} train images, coreset 1.0)`, () => {
    let bank: MemoryBank;
    let scorer: PatchcoreScorer;
    beforeAll(async () => {
      bank = await buildBank(backbone, fx.trainImages, { coresetRatio: 1, calibrationImages: 0 });
      scorer = await PatchcoreScorer.create(bank, 'onnx');
    });
    afterAll(async () => scorer?.dispose());

    it('builds the bank of the reference size', () => {
      expect([bank.n, bank.dim]).toEqual(fx.expected.bank_size);
    });

    it.each((facts?.expected.test_order ?? []).map((name, k) => [name, k] as const))('%s: scores, patch scores and the blurred map within 1e-3', async (name, k) => {
      const ref = fx.expected.patchcore[name];
      const [gh, gw] = facts!.grid;
      const side = facts!.pcSize;
      const { grid } = await extractFeatures(backbone, path.join(fx.dir, name));
      const s = await scorer.score(grid);
      expect(Math.abs(s.imageScore - ref.image_score) / ref.image_score).toBeLessThan(1e-3);
      expect(Math.abs(s.maxPatchDistance - ref.raw_max_patch_distance) / ref.raw_max_patch_distance).toBeLessThan(1e-3);
      expect([Math.floor(s.argmax / gw), s.argmax % gw]).toEqual(ref.argmax_patch_rowcol);
      expect(s.grid).toEqual([gh, gw]);
      expect(maxRelError(s.patchScores, facts!.patchScores(name))).toBeLessThan(1e-3);
      const refMap = fx.refMap(k);
      expect(s.map!.length).toBe(side * side);
      expect(maxRelError(s.map!, refMap)).toBeLessThan(1e-3);
      let mx = -Infinity;
      let sum = 0;
      for (const v of s.map!) {
        mx = Math.max(mx, v);
        sum += v;
      }
      expect(Math.abs(mx - ref.anomaly_map_max) / ref.anomaly_map_max).toBeLessThan(1e-3);
      expect(Math.abs(sum / s.map!.length - ref.anomaly_map_mean) / ref.anomaly_map_mean).toBeLessThan(1e-3);
    });
  });
});
