/**
 * Test and bench helpers around the parity fixtures (shared/fixtures/ml-parity, or LINEDECK_ML_FIXTURES): unpacks
 * fixtures.tar into a temporary folder and writes model folders (model.json + a copy of the ONNX file) with the
 * manifest values of shared/contracts/model-manifest.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeModelFolder, type RawManifest } from './models';
import { extractTar } from './tar';

export const FIXTURE_DIR = process.env.LINEDECK_ML_FIXTURES ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/ml-parity');

export function fixturesAvailable(): boolean {
  return fs.existsSync(path.join(FIXTURE_DIR, 'fixtures.tar'));
}

export const CLIP_FIXTURE_MANIFEST: RawManifest = {
  name: 'clip-tiny-fixture',
  task: 'clip-image-embedding',
  file: 'model.onnx',
  input: {
    name: 'pixel_values',
    size: [224, 224],
    resize: 'shortest-edge-center-crop',
    interpolation: 'bicubic',
    scale: 0.00392156862745098,
    mean: [0.48145466, 0.4578275, 0.40821073],
    std: [0.26862954, 0.26130258, 0.27577711],
  },
  outputs: { embedding: 'image_embeds' },
};

export const BACKBONE_FIXTURE_MANIFEST: RawManifest = {
  name: 'patchcore-backbone-fixture',
  task: 'patchcore-backbone',
  file: 'model.onnx',
  input: { name: 'input', size: [224, 224], resize: 'none', interpolation: 'bilinear', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  outputs: { features: ['layer2', 'layer3'] },
};

export interface FixtureExpected {
  clip: Record<string, { embedding: number[]; embedding_l2norm: number; pixel_values_mean_per_channel: number[] }>;
  patchcore: Record<
    string,
    { raw_max_patch_distance: number; image_score: number; argmax_patch_rowcol: [number, number]; patch_scores_28x28: number[]; anomaly_map_max: number; anomaly_map_mean: number }
  >;
  test_order: string[];
  bank_size: [number, number];
}

export interface FixtureSet {
  /** where fixtures.tar was unpacked (clip/*.png, pc/train/*.png, pc/test/*.png) */
  dir: string;
  clipModel: string;
  backboneModel: string;
  expected: FixtureExpected;
  /** the four blurred 224×224 maps in expected.test_order */
  maps: Float32Array;
  trainImages: string[];
  cleanup(): void;
}

/** Unpacks the fixtures and writes the two model folders into a new temporary folder. */
export function prepareFixtures(): FixtureSet {
  if (!fixturesAvailable()) throw new Error(`ML parity fixtures not found in ${FIXTURE_DIR} (set LINEDECK_ML_FIXTURES)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-ml-fix-'));
  extractTar(path.join(FIXTURE_DIR, 'fixtures.tar'), dir);
  const clipModel = writeModelFolder(path.join(dir, 'models', 'clip'), CLIP_FIXTURE_MANIFEST, path.join(FIXTURE_DIR, 'clip_tiny.onnx'));
  const backboneModel = writeModelFolder(path.join(dir, 'models', 'backbone'), BACKBONE_FIXTURE_MANIFEST, path.join(FIXTURE_DIR, 'patchcore_backbone.onnx'));
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'expected.json'), 'utf8')) as FixtureExpected;
  const raw = fs.readFileSync(path.join(FIXTURE_DIR, 'anomaly_maps.f32'));
  const maps = new Float32Array(raw.length / 4);
  for (let i = 0; i < maps.length; i++) maps[i] = raw.readFloatLE(i * 4);
  const trainDir = path.join(dir, 'pc', 'train');
  const trainImages = fs
    .readdirSync(trainDir)
    .sort()
    .map((f) => path.join(trainDir, f));
  return { dir, clipModel, backboneModel, expected, maps, trainImages, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Largest |a − b| / |b| over the elements (|b| floored at `floor`). */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return m;
}
