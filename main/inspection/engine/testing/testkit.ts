/**
 * Test and bench helpers around the parity fixtures (shared/fixtures/ml-parity, or LINEDECK_ML_FIXTURES): unpacks
 * fixtures.tar into a temporary folder and writes model folders (model.json + a copy of the ONNX file) with the
 * manifest values of shared/contracts/model-manifest.md.
 *
 * The tests read what they compare from the set itself (expected.json and the archive: which images, their sizes,
 * the patch grid, the bank size, the preprocessing the references used), so another set of the same kind, built
 * elsewhere with other images and weights, runs through the same tests. Checks that only hold for the exact files
 * this repository was written against (Pillow hashes of particular images, archive listing) apply only when
 * fixtures.tar is that archive (`knownArchive`).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeModelFolder, type RawManifest } from '../models';
import { extractTar, readTar } from '../tar';

export const FIXTURE_DIR = process.env.LINEDECK_ML_FIXTURES ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/fixtures/ml-parity');

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

/** The fixture backbone as a station's model folder: stretched to 224, ImageNet preprocessing (the task's defaults). */
export const STATION_BACKBONE_MANIFEST: RawManifest = {
  name: 'fixture-backbone',
  task: 'patchcore-backbone',
  file: 'model.onnx',
  input: { name: 'input', size: [224, 224], resize: 'stretch', interpolation: 'bilinear', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  outputs: { features: ['layer2', 'layer3'] },
};

/** The fixture CLIP encoder as a station's model folder (CLIP's preprocessing, the task's defaults). */
export const STATION_EMBEDDING_MANIFEST: RawManifest = { name: 'fixture-clip', task: 'clip-image-embedding', file: 'model.onnx', input: { name: 'pixel_values', size: [224, 224] }, outputs: { embedding: 'image_embeds' } };

/**
 * Writes the fixture models as a station finds them: `<modelsDir>/<folders.backbone>` and `<folders.embedding>`
 * (pipeline, stage, CLI and demo tests). Returns the two folders.
 */
export function writeStationModels(modelsDir: string, folders = { backbone: 'fixture-backbone', embedding: 'fixture-clip' }): { backbone: string; embedding: string } {
  return {
    backbone: writeModelFolder(path.join(modelsDir, folders.backbone), STATION_BACKBONE_MANIFEST, path.join(FIXTURE_DIR, 'patchcore_backbone.onnx')),
    embedding: writeModelFolder(path.join(modelsDir, folders.embedding), STATION_EMBEDDING_MANIFEST, path.join(FIXTURE_DIR, 'clip_tiny.onnx')),
  };
}

export interface FixturePatchcoreRef {
  raw_max_patch_distance: number;
  image_score: number;
  argmax_patch_rowcol: [number, number];
  /** row-major patch scores; the key names the grid (`patch_scores_28x28`) */
  [patchScores: `patch_scores_${string}`]: number[];
  anomaly_map_max: number;
  anomaly_map_mean: number;
}

export interface FixtureExpected {
  clip: Record<string, { embedding: number[]; embedding_l2norm: number; pixel_values_mean_per_channel: number[] }>;
  patchcore: Record<string, FixturePatchcoreRef>;
  test_order: string[];
  bank_size: [number, number];
  preprocess_patchcore?: { size?: number; mean?: number[]; std?: number[] };
  log?: { clip_processor?: Record<string, unknown> };
}

/** SHA-256 of the fixtures.tar the archive-specific checks were written against. */
export const KNOWN_ARCHIVE_SHA256 = '8cee72d94476dc15b23fa3c48f4b2e3458e5a9d0b1883631ef54874618cb227b';

/** What the tests compare against, read from the fixture set. */
export interface FixtureFacts {
  expected: FixtureExpected;
  /** fixtures.tar is the archive of KNOWN_ARCHIVE_SHA256 */
  knownArchive: boolean;
  /** archive entries (files) with their image sizes (PNG header) */
  files: { name: string; size: number; width: number | null; height: number | null }[];
  /** PatchCore input side (the references' preprocessing; 224 when not recorded) */
  pcSize: number;
  /** patch grid [rows, cols] of the reference patch scores */
  grid: [number, number];
  trainImages: string[];
  /** test images by their name: normal (good_*, normal_*) or defective (anything else) */
  normalTests: string[];
  defectTests: string[];
  /** the reference patch scores of one test image */
  patchScores(name: string): number[];
  /** an image of the set whose size is not pcSize × pcSize (for the "wrong size" refusals) */
  oddSized: { name: string; width: number; height: number };
}

function pngSize(data: Buffer): { width: number; height: number } | null {
  if (data.length < 24 || data.toString('latin1', 1, 4) !== 'PNG' || data.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

const pyNumbers = (v: unknown): number[] | null => {
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v !== 'string') return null;
  const m = v.match(/-?\d+(?:\.\d+)?(?:e-?\d+)?/gi);
  return m ? m.map(Number) : null;
};

const triple = (v: unknown): [number, number, number] | undefined => {
  const n = pyNumbers(v);
  return n?.length === 3 ? [n[0], n[1], n[2]] : undefined;
};

let factsCache: FixtureFacts | undefined;

/** The fixture set's facts (synchronous: tests use them to name their cases). */
export function fixtureFacts(): FixtureFacts {
  if (factsCache) return factsCache;
  const tarBytes = fs.readFileSync(path.join(FIXTURE_DIR, 'fixtures.tar'));
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'expected.json'), 'utf8')) as FixtureExpected;
  const files = readTar(tarBytes)
    .filter((e) => e.type === 'file')
    .map((e) => ({ name: e.name, size: e.size, ...(pngSize(e.data) ?? { width: null, height: null }) }));
  const pcSize = expected.preprocess_patchcore?.size ?? 224;
  const first = expected.patchcore[expected.test_order[0]];
  const key = Object.keys(first).find((k) => k.startsWith('patch_scores')) as `patch_scores_${string}` | undefined;
  if (!key) throw new Error('expected.json: no patch_scores_* field in the PatchCore references');
  const n = first[key].length;
  const gm = key.match(/(\d+)x(\d+)$/);
  const grid: [number, number] = gm ? [Number(gm[1]), Number(gm[2])] : [Math.round(Math.sqrt(n)), Math.round(Math.sqrt(n))];
  if (grid[0] * grid[1] !== n) throw new Error(`expected.json: ${key} has ${n} values, not ${grid[0]}×${grid[1]}`);
  const normal = (name: string) => /(^|\/)(good|normal|ok)[_-]?[^/]*$/i.test(name);
  const odd = files.find((f) => f.width != null && (f.width !== pcSize || f.height !== pcSize));
  if (!odd) throw new Error(`fixtures.tar: no image of another size than ${pcSize}×${pcSize}`);
  factsCache = {
    expected,
    knownArchive: crypto.createHash('sha256').update(tarBytes).digest('hex') === KNOWN_ARCHIVE_SHA256,
    files,
    pcSize,
    grid,
    trainImages: files.filter((f) => f.name.startsWith('pc/train/')).map((f) => f.name).sort(),
    normalTests: expected.test_order.filter(normal),
    defectTests: expected.test_order.filter((t) => !normal(t)),
    patchScores: (name) => expected.patchcore[name][key],
    oddSized: { name: odd.name, width: odd.width!, height: odd.height! },
  };
  return factsCache;
}

/**
 * The manifests the references were computed with: the contract's values, with the preprocessing recorded in
 * expected.json (PatchCore input size, mean, std; the CLIP processor's crop size, rescale, mean, std) where present.
 */
export function fixtureManifests(facts: FixtureFacts): { clip: RawManifest; backbone: RawManifest } {
  const { expected, pcSize: size } = facts;
  const pp = expected.preprocess_patchcore ?? {};
  const backbone: RawManifest = {
    ...BACKBONE_FIXTURE_MANIFEST,
    input: { ...BACKBONE_FIXTURE_MANIFEST.input, size: [size, size], mean: triple(pp.mean) ?? BACKBONE_FIXTURE_MANIFEST.input.mean, std: triple(pp.std) ?? BACKBONE_FIXTURE_MANIFEST.input.std },
  };
  const cp = expected.log?.clip_processor ?? {};
  const crop = pyNumbers(cp.crop_size);
  const scale = typeof cp.rescale_factor === 'number' ? cp.rescale_factor : CLIP_FIXTURE_MANIFEST.input.scale;
  const clip: RawManifest = {
    ...CLIP_FIXTURE_MANIFEST,
    input: {
      ...CLIP_FIXTURE_MANIFEST.input,
      size: crop?.length === 2 ? [crop[0], crop[1]] : CLIP_FIXTURE_MANIFEST.input.size,
      scale,
      mean: triple(cp.image_mean) ?? CLIP_FIXTURE_MANIFEST.input.mean,
      std: triple(cp.image_std) ?? CLIP_FIXTURE_MANIFEST.input.std,
    },
  };
  return { clip, backbone };
}

export interface FixtureSet {
  /** where fixtures.tar was unpacked (clip/*.png, pc/train/*.png, pc/test/*.png) */
  dir: string;
  clipModel: string;
  backboneModel: string;
  expected: FixtureExpected;
  /** the blurred maps (pcSize × pcSize each) in expected.test_order */
  maps: Float32Array;
  facts: FixtureFacts;
  /** the map of the k-th image of expected.test_order */
  refMap(k: number): Float32Array;
  trainImages: string[];
  cleanup(): void;
}

/** Unpacks the fixtures and writes the two model folders into a new temporary folder. */
export function prepareFixtures(): FixtureSet {
  if (!fixturesAvailable()) throw new Error(`ML parity fixtures not found in ${FIXTURE_DIR} (set LINEDECK_ML_FIXTURES)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-ml-fix-'));
  extractTar(path.join(FIXTURE_DIR, 'fixtures.tar'), dir);
  const facts = fixtureFacts();
  const { expected } = facts;
  const manifests = fixtureManifests(facts);
  const clipModel = writeModelFolder(path.join(dir, 'models', 'clip'), manifests.clip, path.join(FIXTURE_DIR, 'clip_tiny.onnx'));
  const backboneModel = writeModelFolder(path.join(dir, 'models', 'backbone'), manifests.backbone, path.join(FIXTURE_DIR, 'patchcore_backbone.onnx'));
  const raw = fs.readFileSync(path.join(FIXTURE_DIR, 'anomaly_maps.f32'));
  const maps = new Float32Array(raw.length / 4);
  for (let i = 0; i < maps.length; i++) maps[i] = raw.readFloatLE(i * 4);
  const mapLen = facts.pcSize * facts.pcSize;
  if (maps.length !== mapLen * expected.test_order.length)
    throw new Error(`anomaly_maps.f32 holds ${maps.length} values, expected ${expected.test_order.length} maps of ${facts.pcSize}×${facts.pcSize}`);
  const trainImages = facts.trainImages.map((f) => path.join(dir, f));
  return {
    dir,
    clipModel,
    backboneModel,
    expected,
    maps,
    facts,
    refMap: (k) => maps.subarray(k * mapLen, (k + 1) * mapLen),
    trainImages,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Largest |a − b| / |b| over the elements (|b| floored at `floor`). */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return m;
}
