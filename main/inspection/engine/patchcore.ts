/**
 * PatchCore as anomalib implements it (decisions.md, inspection 1):
 *
 * - backbone feature maps of two layers (finer first), each through AvgPool2d(3, stride 1, padding 1) with
 *   PyTorch's default count_include_pad=True (a border window is divided by 9, zero padding included);
 * - the coarser map resized to the finer grid, bilinear with align_corners=False (PyTorch's source-index rule),
 *   concatenated along channels → one embedding per patch, patch-major (row * w + col);
 * - per patch the euclidean distance to its nearest memory-bank row;
 * - image score = the largest patch distance s* re-weighted as in anomalib's compute_anomaly_score: take the bank row
 *   m* nearest to that patch, its k = 9 nearest bank rows N_b(m*) (m* itself first), the distances of the patch
 *   feature to those rows d, and score = (1 − softmax(d)[0]) · s*;
 * - anomaly map = patch scores resized to the model input with PyTorch's nearest rule, then a Gaussian blur
 *   (σ = 4, kernel 2·int(4σ + 0.5) + 1 = 33, reflect padding), as anomalib's AnomalyMapGenerator.
 */
import ort from 'onnxruntime-node';
import type { LoadedModel } from './models';
import { kNearestOne, type Searcher } from './knn';
import { patchEmbeddingOrt } from './pooler';
import { preprocess, type ImageSource, type LoadOptions, type PreprocessResult, type RgbImage } from './preprocess';
import type { PatchGrid } from './types';

export type { PatchGrid };

export interface FeatureMap {
  data: Float32Array; // [c, h, w]
  c: number;
  h: number;
  w: number;
}

/** AvgPool2d(kernel 3, stride 1, padding 1, count_include_pad=True) on one [c, h, w] map. */
export function avgPool3x3(x: FeatureMap): FeatureMap {
  const { c, h, w, data } = x;
  const out = new Float32Array(c * h * w);
  const tmp = new Float32Array(h * w);
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    // horizontal 3-sums
    for (let y = 0; y < h; y++) {
      const r = base + y * w;
      for (let xx = 0; xx < w; xx++) {
        let s = data[r + xx];
        if (xx > 0) s += data[r + xx - 1];
        if (xx < w - 1) s += data[r + xx + 1];
        tmp[y * w + xx] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let s = tmp[y * w + xx];
        if (y > 0) s += tmp[(y - 1) * w + xx];
        if (y < h - 1) s += tmp[(y + 1) * w + xx];
        out[base + y * w + xx] = s / 9;
      }
    }
  }
  return { c, h, w, data: out };
}

/** PyTorch's source index for linear interpolation with align_corners=False (float32 arithmetic). */
function linearSource(dst: number, inSize: number, outSize: number): { i0: number; i1: number; l1: number } {
  const f = Math.fround;
  const scale = f(inSize / outSize);
  let src = f(f(scale * f(dst + 0.5)) - 0.5);
  if (src < 0) src = 0;
  const i0 = Math.trunc(src);
  const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
  const l1 = f(src - i0);
  return { i0, i1, l1 };
}

/** F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False) on [c, h, w]. */
export function bilinearResize(x: FeatureMap, oh: number, ow: number): FeatureMap {
  const { c, h, w, data } = x;
  if (oh === h && ow === w) return { c, h, w, data: new Float32Array(data) };
  const out = new Float32Array(c * oh * ow);
  const ys = Array.from({ length: oh }, (_, i) => linearSource(i, h, oh));
  const xs = Array.from({ length: ow }, (_, i) => linearSource(i, w, ow));
  for (let ch = 0; ch < c; ch++) {
    const b = ch * h * w;
    const o = ch * oh * ow;
    for (let y = 0; y < oh; y++) {
      const { i0: y0, i1: y1, l1: ly } = ys[y];
      const ly0 = 1 - ly;
      for (let xx = 0; xx < ow; xx++) {
        const { i0: x0, i1: x1, l1: lx } = xs[xx];
        const lx0 = 1 - lx;
        out[o + y * ow + xx] =
          ly0 * (lx0 * data[b + y0 * w + x0] + lx * data[b + y0 * w + x1]) + ly * (lx0 * data[b + y1 * w + x0] + lx * data[b + y1 * w + x1]);
      }
    }
  }
  return { c, h: oh, w: ow, data: out };
}

/** anomalib's generate_embedding + reshape_embedding: pool both, resize the coarser, concat, patch-major rows. */
export function patchEmbedding(fine: FeatureMap, coarse: FeatureMap): PatchGrid {
  const a = avgPool3x3(fine);
  const b = bilinearResize(avgPool3x3(coarse), fine.h, fine.w);
  const h = fine.h;
  const w = fine.w;
  const dim = a.c + b.c;
  const n = h * w;
  const data = new Float32Array(n * dim);
  for (let ch = 0; ch < a.c; ch++) {
    const src = ch * n;
    for (let p = 0; p < n; p++) data[p * dim + ch] = a.data[src + p];
  }
  for (let ch = 0; ch < b.c; ch++) {
    const src = ch * n;
    const off = a.c + ch;
    for (let p = 0; p < n; p++) data[p * dim + off] = b.data[src + p];
  }
  return { h, w, dim, data };
}

function assertBackbone(model: LoadedModel): asserts model is LoadedModel & { manifest: { task: 'patchcore-backbone'; outputs: { features: [string, string] } } } {
  if (model.manifest.task !== 'patchcore-backbone') throw new Error(`model ${model.manifest.name} is a ${model.manifest.task} model, not patchcore-backbone`);
}

/** Runs the backbone on a preprocessed tensor and returns the patch embeddings. */
export async function featuresFromTensor(model: LoadedModel, tensor: Float32Array): Promise<PatchGrid> {
  assertBackbone(model);
  const [H, W] = model.manifest.input.size;
  const [n1, n2] = model.manifest.outputs.features;
  const out = await model.session.run({ [model.manifest.input.name]: new ort.Tensor('float32', tensor, [1, 3, H, W]) }, [n1, n2]);
  const grid = await patchEmbeddingOrt(out[n1] as ort.Tensor, out[n2] as ort.Tensor, model.threads);
  for (const t of Object.values(out)) (t as ort.Tensor).dispose?.();
  return grid;
}

export interface ImageFeatures {
  grid: PatchGrid;
  pre: PreprocessResult;
}

/** Decode + preprocess (manifest rules; alpha dropped like PIL convert('RGB')) + backbone + embedding. */
export async function extractFeatures(model: LoadedModel, src: ImageSource | RgbImage, opts: LoadOptions = {}): Promise<ImageFeatures> {
  assertBackbone(model);
  const pre = await preprocess(src, model.manifest.input, { alpha: 'drop', ...opts });
  const grid = await featuresFromTensor(model, pre.tensor);
  return { grid, pre };
}

/** PyTorch F.interpolate(mode="nearest") source index: min(floor(dst · (in/out as float32)), in − 1). */
function nearestIndex(dst: number, inSize: number, outSize: number): number {
  if (inSize === outSize) return dst;
  if (outSize === 2 * inSize) return dst >> 1;
  const f = Math.fround;
  const scale = f(inSize / outSize);
  return Math.min(Math.floor(f(dst * scale)), inSize - 1);
}

/** Nearest upsampling of an h×w map to oh×ow (PyTorch's rule). */
export function resizeNearest(x: Float32Array, h: number, w: number, oh: number, ow: number): Float32Array {
  const out = new Float32Array(oh * ow);
  const xi = Int32Array.from({ length: ow }, (_, i) => nearestIndex(i, w, ow));
  for (let y = 0; y < oh; y++) {
    const r = nearestIndex(y, h, oh) * w;
    for (let xx = 0; xx < ow; xx++) out[y * ow + xx] = x[r + xi[xx]];
  }
  return out;
}

/** Kornia/anomalib Gaussian kernel: x = i − ⌊k/2⌋, exp(−x²/2σ²), normalized to sum 1. */
export function gaussianKernel1d(ksize: number, sigma: number): Float64Array {
  const k = new Float64Array(ksize);
  const half = Math.floor(ksize / 2);
  let s = 0;
  for (let i = 0; i < ksize; i++) {
    const x = i - half + (ksize % 2 === 0 ? 0.5 : 0);
    k[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
    s += k[i];
  }
  for (let i = 0; i < ksize; i++) k[i] /= s;
  return k;
}

/** PyTorch 'reflect' padding index (edge not repeated). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/** anomalib's GaussianBlur2d (separable, same result as its 2D kernel): kernel 2·int(4σ+0.5)+1, reflect padding. */
export function gaussianBlur(x: Float32Array, h: number, w: number, sigma = 4, ksize = 2 * Math.trunc(4 * sigma + 0.5) + 1): Float32Array {
  const k = gaussianKernel1d(ksize, sigma);
  const half = Math.floor(ksize / 2);
  const tmp = new Float64Array(h * w);
  const row = new Float64Array(w + 2 * half);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let i = 0; i < row.length; i++) row[i] = x[r + reflect(i - half, w)];
    for (let xx = 0; xx < w; xx++) {
      let s = 0;
      for (let t = 0; t < ksize; t++) s += k[t] * row[xx + t];
      tmp[r + xx] = s;
    }
  }
  // vertical pass row by row: out[y] = Σ_t k[t] · tmp[reflect(y + t − half)]
  const out = new Float32Array(h * w);
  const acc = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let t = 0; t < ksize; t++) {
      const kt = k[t];
      const src = reflect(y + t - half, h) * w;
      for (let xx = 0; xx < w; xx++) acc[xx] += kt * tmp[src + xx];
    }
    out.set(acc, y * w);
  }
  return out;
}

/**
 * Nearest upsampling from `inSize` to `outSize` followed by the 1-D Gaussian pass (reflect padding), as one sparse
 * outSize × inSize matrix: row o holds Σ_t k[t] over the taps whose reflected, nearest-mapped source is column j.
 * Stored as (first column, weights) per row; a 33-tap kernel over 8-pixel blocks touches about 5 columns.
 */
interface BlurMatrix {
  start: Int32Array;
  len: Int32Array;
  weights: Float64Array[];
}
const blurMatrices = new Map<string, BlurMatrix>();

function blurMatrix(inSize: number, outSize: number, sigma: number, ksize: number): BlurMatrix {
  const key = `${inSize}|${outSize}|${sigma}|${ksize}`;
  let m = blurMatrices.get(key);
  if (m) return m;
  const k = gaussianKernel1d(ksize, sigma);
  const half = Math.floor(ksize / 2);
  const src = Int32Array.from({ length: outSize }, (_, i) => nearestIndex(i, inSize, outSize));
  const start = new Int32Array(outSize);
  const len = new Int32Array(outSize);
  const weights: Float64Array[] = [];
  const acc = new Float64Array(inSize);
  for (let o = 0; o < outSize; o++) {
    acc.fill(0);
    let lo = inSize;
    let hi = -1;
    for (let t = 0; t < ksize; t++) {
      const j = src[reflect(o + t - half, outSize)];
      acc[j] += k[t];
      if (j < lo) lo = j;
      if (j > hi) hi = j;
    }
    start[o] = lo;
    len[o] = hi - lo + 1;
    weights.push(acc.slice(lo, hi + 1));
  }
  m = { start, len, weights };
  if (blurMatrices.size > 16) blurMatrices.clear();
  blurMatrices.set(key, m);
  return m;
}

/**
 * anomalib's AnomalyMapGenerator: nearest to (oh, ow), then the Gaussian blur (σ, kernel 2·int(4σ+0.5)+1, reflect).
 * Computed as A_y · P · A_xᵀ with the sparse matrices above (the same sums as gaussianBlur(resizeNearest(…)) grouped
 * by source patch, in float64): about 60× fewer operations than blurring the upsampled map.
 */
export function anomalyMap(patchScores: Float32Array, gh: number, gw: number, oh: number, ow: number, sigma = 4): Float32Array {
  if (patchScores.length !== gh * gw) throw new Error(`anomalyMap: ${patchScores.length} scores, expected ${gh}×${gw}`);
  const ksize = 2 * Math.trunc(4 * sigma + 0.5) + 1;
  const ax = blurMatrix(gw, ow, sigma, ksize);
  const ay = blurMatrix(gh, oh, sigma, ksize);
  // horizontal: tmp[r][x] = Σ_j ax[x][j] · P[r][j]   (gh × ow)
  const tmp = new Float64Array(gh * ow);
  for (let r = 0; r < gh; r++) {
    const pr = r * gw;
    const tr = r * ow;
    for (let x = 0; x < ow; x++) {
      const w = ax.weights[x];
      const s0 = pr + ax.start[x];
      let s = 0;
      for (let j = 0; j < w.length; j++) s += w[j] * patchScores[s0 + j];
      tmp[tr + x] = s;
    }
  }
  // vertical: out[y][x] = Σ_r ay[y][r] · tmp[r][x]
  const out = new Float32Array(oh * ow);
  const acc = new Float64Array(ow);
  for (let y = 0; y < oh; y++) {
    acc.fill(0);
    const w = ay.weights[y];
    const r0 = ay.start[y];
    for (let j = 0; j < w.length; j++) {
      const wj = w[j];
      const tr = (r0 + j) * ow;
      for (let x = 0; x < ow; x++) acc[x] += wj * tmp[tr + x];
    }
    out.set(acc, y * ow);
  }
  return out;
}

/** The memory bank as the scorer sees it. */
export interface BankView {
  features: Float32Array; // n × dim
  n: number;
  dim: number;
  /** which training image each row came from (for held-out scoring) */
  source?: Int32Array;
}

export interface PatchcoreScore {
  /** anomalib's re-weighted image score (raw distance units) */
  imageScore: number;
  /** largest patch distance s* */
  maxPatchDistance: number;
  /** index of that patch (row * w + col) */
  argmax: number;
  patchScores: Float32Array;
  nnIndex: Int32Array;
  grid: [number, number];
  /** blurred anomaly map at the model input size (raw distance units), if asked for */
  map?: Float32Array;
  mapSize?: [number, number];
}

export interface ScoreOptions {
  numNeighbors?: number;
  /** bank rows to ignore (held-out scoring) */
  exclude?: Uint8Array;
  /** output size [H, W] of the anomaly map; omit for no map */
  mapSize?: [number, number];
  sigma?: number;
}

/** Index of the largest patch score (first on ties, like torch.argmax). */
export function argmaxOf(x: Float32Array): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[a]) a = i;
  return a;
}

/**
 * anomalib compute_anomaly_score for one image. `support` (the k nearest bank rows of m*, m* first) is computed
 * here by a scan of the bank unless given.
 */
export function reweightScore(
  grid: PatchGrid,
  patchScores: Float32Array,
  nnIndex: Int32Array,
  bank: BankView,
  numNeighbors = 9,
  exclude?: Uint8Array,
  support?: Int32Array,
): { imageScore: number; argmax: number; maxPatchDistance: number } {
  const argmax = argmaxOf(patchScores);
  const score = patchScores[argmax];
  if (numNeighbors === 1) return { imageScore: score, argmax, maxPatchDistance: score };
  const nn = nnIndex[argmax];
  // N_b(m*): the k nearest bank rows of m* (m* itself first)
  const sup = support ?? kNearestOne(bank.features, nn * bank.dim, bank.features, bank.n, bank.dim, numNeighbors, exclude).index;
  // distances of the patch feature to the support rows, then 1 − softmax(d)[0]
  const d = new Float64Array(sup.length);
  const po = argmax * grid.dim;
  for (let s = 0; s < sup.length; s++) {
    let acc = 0;
    const r = sup[s] * bank.dim;
    for (let k = 0; k < bank.dim; k++) {
      const t = grid.data[po + k] - bank.features[r + k];
      acc += t * t;
    }
    d[s] = Math.sqrt(acc);
  }
  let mx = -Infinity;
  for (const v of d) mx = Math.max(mx, v);
  let z = 0;
  for (const v of d) z += Math.exp(v - mx);
  const w0 = 1 - Math.exp(d[0] - mx) / z;
  return { imageScore: w0 * score, argmax, maxPatchDistance: score };
}

/** Scores one image's patch embeddings against the bank. */
export async function scorePatches(grid: PatchGrid, bank: BankView, searcher: Searcher, opts: ScoreOptions = {}): Promise<PatchcoreScore> {
  if (grid.dim !== bank.dim) throw new Error(`patch features have ${grid.dim} channels, the memory bank ${bank.dim}: the bank was built with another backbone`);
  const m = grid.h * grid.w;
  const { dist, index } = await searcher.nearest(grid.data, m, { exclude: opts.exclude });
  const k = opts.numNeighbors ?? 9;
  const support = k > 1 ? (await searcher.kNearest(bank.features, index[argmaxOf(dist)] * bank.dim, k, { exclude: opts.exclude })).index : undefined;
  const r = reweightScore(grid, dist, index, bank, k, opts.exclude, support);
  const res: PatchcoreScore = { ...r, patchScores: dist, nnIndex: index, grid: [grid.h, grid.w] };
  if (opts.mapSize) {
    res.map = anomalyMap(dist, grid.h, grid.w, opts.mapSize[0], opts.mapSize[1], opts.sigma ?? 4);
    res.mapSize = opts.mapSize;
  }
  return res;
}
