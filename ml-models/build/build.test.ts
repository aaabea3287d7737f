/**
 * The default models: deterministic build, committed folders up to date, loadable by the engine with the shapes
 * the contract asks for, and the invariances the filter design promises.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { embedImage } from '../../main/inspection/engine/clip';
import { loadModel, releaseModels } from '../../main/inspection/engine/models';
import { extractFeatures } from '../../main/inspection/engine/patchcore';
import { preprocess, type InputSpec, type RgbImage } from '../../main/inspection/engine/preprocess';
import { renderImage } from '../../main/inspection/synth/generate';
import { buildDefaultModels, checkDefaultModels, MODELS_ROOT, sha256 } from './build-default-models';
import { DEFAULT_BACKBONE, buildPatchcoreBackbone, type BuiltModel } from './default-models';
import { gabor, negLoG, ridge } from './filters';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

afterAll(() => releaseModels());

const PATCHCORE_DIR = path.join(MODELS_ROOT, 'linedeck-patchcore-default');
const EMBED_DIR = path.join(MODELS_ROOT, 'linedeck-embed-default');

/** A generated normal part; `gain` scales exposure, a per-channel gain tints it like a lamp of another colour. */
function rgb(surface: 'brushed' | 'cast' | 'machined', index: number, gain: number | [number, number, number] = 1): RgbImage {
  const r = renderImage({ surface, level: 'plain', label: 'normal', seed: 'build-test', index, size: 224 });
  const g = typeof gain === 'number' ? [gain, gain, gain] : gain;
  const data = new Uint8Array(r.rgb.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.round(r.rgb[i] * g[i % 3]));
  return { width: 224, height: 224, data };
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += a[i] ** 2;
  }
  return Math.sqrt(d / n);
}

function cos(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('default model build', () => {
  it('is deterministic: two builds give byte-identical files', () => {
    const a = buildDefaultModels();
    const b = buildDefaultModels();
    expect(a.map((f) => f.name)).toEqual(['linedeck-patchcore-default', 'linedeck-embed-default']);
    for (let i = 0; i < a.length; i++) {
      for (const file of ['model.onnx', 'model.json'] as const) {
        expect(sha256(b[i].files[file])).toBe(sha256(a[i].files[file]));
      }
      // small enough to ship in the repository
      expect(a[i].files['model.onnx'].length).toBeLessThan(10 * 1024 * 1024);
    }
  });

  it('matches the committed model folders (run `npm run models:build` after changing the build)', () => {
    expect(checkDefaultModels(MODELS_ROOT)).toEqual([]);
  });
});

describe('filters', () => {
  it('Gabor and LoG kernels are zero-mean with L1 = 2', () => {
    for (const k of [gabor(11, 0.3, 3.5, 3, 1, 'even'), gabor(11, 1.2, 3.5, 3, 1, 'odd'), negLoG(7, 0.9), ridge(33, 0.7, 8, 0.7)]) {
      let s = 0;
      let l1 = 0;
      for (const v of k.data) {
        s += v;
        l1 += Math.abs(v);
      }
      expect(Math.abs(s)).toBeLessThan(1e-12);
      expect(l1).toBeCloseTo(2, 10);
    }
  });

  it('an even Gabor responds most to a line of its own orientation', () => {
    const size = 11;
    const r = (size - 1) / 2;
    // a horizontal bright line through the centre (orientation 0: along x)
    const img = new Float64Array(size * size);
    for (let x = 0; x < size; x++) img[r * size + x] = 1;
    const resp = [0, 1, 2, 3, 4, 5].map((o) => {
      const k = gabor(size, (o * Math.PI) / 6, 3.5, 3, 1, 'even');
      let s = 0;
      for (let i = 0; i < img.length; i++) s += img[i] * k.data[i];
      return Math.abs(s);
    });
    expect(resp.indexOf(Math.max(...resp))).toBe(0);
    expect(resp[0]).toBeGreaterThan(3 * resp[3]);
  });
});

/** The backbone's raw layer2 map [C, 28, 28] for an image, without the engine's pooling (the model's own output). */
async function layer2Of(model: BuiltModel, img: RgbImage): Promise<{ data: Float32Array; c: number }> {
  const session = await ort.InferenceSession.create(Buffer.from(model.onnx), { intraOpNumThreads: 1 });
  const { tensor, dims } = await preprocess(img, model.manifest.input as InputSpec);
  const out = await session.run({ input: new ort.Tensor('float32', tensor, dims) });
  await session.release();
  return { data: out.layer2.data as Float32Array, c: out.layer2.dims[1] };
}

/** A plain cast part with a drawing on it: `mark(x, y)` gives the factor for pixel (x, y). */
function marked(mark: (x: number, y: number) => number): RgbImage {
  const img = rgb('cast', 2);
  for (let y = 0; y < 224; y++)
    for (let x = 0; x < 224; x++) {
      const f = mark(x, y);
      for (let ch = 0; ch < 3; ch++) img.data[(y * 224 + x) * 3 + ch] = Math.min(255, Math.round(img.data[(y * 224 + x) * 3 + ch] * f));
    }
  return img;
}

describe('the backbone border and the line channel', () => {
  it('a lighting gradient is removed up to the border (reflect), not only inside it (zero padding)', async () => {
    // a flat grey part under a lamp 40 % brighter on the right: the relative-luminance channel should stay ~0
    const lit: RgbImage = { width: 224, height: 224, data: new Uint8Array(224 * 224 * 3) };
    for (let i = 0; i < lit.data.length; i++) lit.data[i] = Math.round(110 * (0.8 + (0.4 * (Math.floor(i / 3) % 224)) / 223));
    const lumAtEdges = async (border: 'zero' | 'reflect') => {
      const { data } = await layer2Of(buildPatchcoreBackbone({ ...DEFAULT_BACKBONE, border }), lit);
      const lum = 34; // the ×20 mean of relative log luminance (after f0a f0m f1a f1m and the two colour means)
      let edge = 0;
      for (let y = 0; y < 28; y++) for (const x of [0, 27]) edge = Math.max(edge, Math.abs(data[lum * 784 + y * 28 + x]));
      return edge;
    };
    const reflect = await lumAtEdges('reflect');
    const zero = await lumAtEdges('zero');
    expect(reflect).toBeLessThan(0.05);
    expect(zero).toBeGreaterThan(5 * reflect);
  });

  it('a faint 1-px line raises the line channel along it; as many dark pits of the same contrast barely do', async () => {
    const model = buildPatchcoreBackbone();
    const lineCh = (c: number) => c - 1; // the line channel is layer2's last
    // mean of the line channel over the cells the scratch crosses (the diagonal from pixel 70 to 150)
    const alongDiagonal = async (img: RgbImage) => {
      const { data, c } = await layer2Of(model, img);
      let s = 0;
      for (let k = 9; k <= 18; k++) s += data[lineCh(c) * 784 + k * 28 + k];
      return s / 10;
    };
    const base = await alongDiagonal(rgb('cast', 2));
    // an 80-px diagonal scratch 15 % darker, one pixel wide
    const line = await alongDiagonal(marked((x, y) => (Math.abs(x - y) < 0.5 && x > 70 && x < 150 ? 0.85 : 1)));
    // 80 single-pixel pits 15 % darker, scattered over the same area
    const pits = await alongDiagonal(marked((x, y) => (x > 70 && x < 150 && y > 70 && y < 150 && (x * 7 + y * 13) % 71 === 0 ? 0.85 : 1)));
    expect(line - base).toBeGreaterThan(0.3);
    expect(line - base).toBeGreaterThan(4 * Math.max(0, pits - base));
  });
});

describe('the backbone maps centred on their interquartile mean', () => {
  it('a large hole barely moves the patches far from it: less than without centring, less than with the mean', async () => {
    // a dark hole of radius 14 px at (60, 60) on a plain cast part; the patches of the lower-right quarter are far from it
    const holed = marked((x, y) => ((x - 60) ** 2 + (y - 60) ** 2 < 14 ** 2 ? 0.35 : 1));
    const plain = rgb('cast', 2);
    const farChange = async (centreMaps: 'mean' | 'median' | 'iqm' | undefined) => {
      const model = buildPatchcoreBackbone({ ...DEFAULT_BACKBONE, centreMaps });
      const [a, b] = [await layer2Of(model, plain), await layer2Of(model, holed)];
      let d = 0;
      let n = 0;
      for (let ch = 0; ch < a.c; ch++)
        for (let y = 16; y < 28; y++)
          for (let x = 16; x < 28; x++) {
            const i = ch * 784 + y * 28 + x;
            d += (a.data[i] - b.data[i]) ** 2;
            n++;
          }
      return Math.sqrt(d / n);
    };
    // RMS change of the far patches' features (the hole raises the picture's contrast, which lowers every log energy
    // by about the same amount: a shift centring takes out). Measured: 0.0136 (0.0126 with the median), 0.0203 with the
    // mean, 0.083 not centred
    const iqm = await farChange('iqm');
    const mean = await farChange('mean');
    const none = await farChange(undefined);
    expect(iqm).toBeLessThan(0.3 * none);
    expect(mean).toBeGreaterThan(1.3 * iqm);
  });
});

describe('default models in the engine', () => {
  it('the PatchCore backbone loads with two feature maps, stride 8 then 16', async () => {
    const m = await loadModel(PATCHCORE_DIR, { task: 'patchcore-backbone', threads: 1 });
    expect(m.manifest.input.size).toEqual([224, 224]);
    const [l2, l3] = m.featureShapes!;
    expect([l2[1], l2[2]]).toEqual([28, 28]);
    expect([l3[1], l3[2]]).toEqual([14, 14]);
    expect(l2[0]).toBeGreaterThan(8);
    expect(l3[0]).toBeGreaterThan(8);
  });

  it('backbone features barely change with exposure (×0.8) or the colour of the lamp but do change between parts of different surfaces', async () => {
    const m = await loadModel(PATCHCORE_DIR, { task: 'patchcore-backbone', threads: 1 });
    const base = (await extractFeatures(m, rgb('cast', 0))).grid.data;
    const darker = (await extractFeatures(m, rgb('cast', 0, 0.8))).grid.data;
    const other = (await extractFeatures(m, rgb('cast', 1))).grid.data;
    const machined = (await extractFeatures(m, rgb('machined', 0))).grid.data;
    const exposure = relDiff(base, darker);
    // the maps are centred per image (each channel's interquartile mean out), so these are relative to the patches'
    // spread: about 2 %, against about 130 % between two parts of one surface
    expect(exposure).toBeLessThan(0.03);
    // a warmer lamp (red up 5 %, blue down 5 %): the colour-opponent means lose the image's cast
    const warmer = (await extractFeatures(m, rgb('cast', 0, [1.05, 1.0075, 0.95]))).grid.data;
    const lamp = relDiff(base, warmer);
    expect(lamp).toBeLessThan(0.03);
    // another part of the same surface differs more than the exposure change, another surface far more
    expect(relDiff(base, other)).toBeGreaterThan(40 * Math.max(exposure, lamp));
    // (×2.7 with the per-image centring, which takes out the image-wide level of each channel; ×3 or more before)
    expect(relDiff(base, machined)).toBeGreaterThan(2 * relDiff(base, other));
  });

  it('the embedder loads, gives one vector per image, and ranks the same surface above other surfaces', async () => {
    const m = await loadModel(EMBED_DIR, { task: 'clip-image-embedding', threads: 1 });
    expect(m.manifest.input.name).toBe('pixel_values');
    expect(m.embeddingDim).toBeGreaterThan(32);
    const e = async (img: RgbImage) => (await embedImage(m, img)).normalized;
    const cast0 = await e(rgb('cast', 0));
    const cast0dark = await e(rgb('cast', 0, 0.8));
    const cast1 = await e(rgb('cast', 1));
    const brushed = await e(rgb('brushed', 0));
    const machined = await e(rgb('machined', 0));
    expect(cos(cast0, cast0dark)).toBeGreaterThan(0.99);
    expect(cos(cast0, cast1)).toBeGreaterThan(cos(cast0, brushed));
    expect(cos(cast0, cast1)).toBeGreaterThan(cos(cast0, machined));
  });
});

describe('reference-size stand-ins (benches only)', () => {
  it('write model folders the engine accepts, with the real networks’ output shapes and finite values', async () => {
    const os = await import('node:os');
    const fs = await import('node:fs');
    const { writeReferenceSizeModels } = await import('./reference-size-models');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-refsize-'));
    try {
      const m = writeReferenceSizeModels(dir);
      const bb = await loadModel(m.backbone);
      const img = rgb('cast', 1);
      const { grid } = await extractFeatures(bb, img);
      // layer2 (512) + layer3 (1024) on the 28 × 28 grid, as anomalib's wide_resnet50_2
      expect([grid.h, grid.w, grid.dim]).toEqual([28, 28, 1536]);
      expect(grid.data.every(Number.isFinite)).toBe(true);
      const e = await embedImage(await loadModel(m.embedding), img);
      expect(e.raw.length).toBe(1024);
      expect(e.norm).toBeGreaterThan(0);
    } finally {
      await releaseModels();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
