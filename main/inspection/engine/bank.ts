/**
 * PatchCore memory banks: building (features of the normal images → greedy k-center coreset → held-out calibration),
 * score normalization, and the bank file.
 *
 * Normalization (decisions.md, inspection 2): every calibration image is scored against the bank with its own
 * patches left out (leave-one-image-out), giving raw scores of normal images the bank has not seen. From them:
 *   q = the largest held-out score (the 99.5th percentile from 100 images on, so one bad "normal" cannot open the
 *       gate), m = the median, boundary B = q + 0.25 · (q − m), saturation S = B + 2 · max(B − m, 0.25 · B);
 *   normalized(x) = 0.85 · x / B for x ≤ B, 0.85 + 0.15 · (x − B) / (S − B) above, clipped to [0, 1].
 * So every held-out normal image (≥ 99 % of them) scores below 0.85, the default image threshold, with a margin;
 * the same construction on the per-image maxima of the held-out anomaly maps gives the pixel mapping.
 *
 * File: "LDPCBANK" · uint32 LE header length · JSON header · zero padding to a multiple of 64 · float32 LE
 * features (n × dim) · int32 LE source image per row. The header holds the payload's sha256.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jobMessage } from '../../jobs/message';
import { CancelledError, kCenterGreedy, kCenterGreedyBlocked, type CancelToken } from './coreset';
import { createSearcher, type SearchBackend, type Searcher } from './knn';
import type { LoadedModel } from './models';
import { extractFeatures, scorePatches, type BankView, type PatchcoreScore, type PatchGrid } from './patchcore';
import type { ImageSource, LoadOptions, RgbImage } from './preprocess';

export const BANK_MAGIC = 'LDPCBANK';
export const BANK_VERSION = 1;
/** the normalized score a raw score at the calibrated boundary maps to (the default image threshold) */
export const BOUNDARY_SCORE = 0.85;

export interface ScoreMapping {
  /** raw value mapped to BOUNDARY_SCORE */
  boundary: number;
  /** raw value mapped to 1 */
  saturation: number;
  median: number;
  /** the upper held-out value the boundary was set from */
  upper: number;
}

export interface NormalizationStats {
  method: 'leave-one-image-out';
  boundaryScore: number;
  /** number of held-out normal images */
  count: number;
  /** held-out raw image scores, ascending */
  heldOutScores: number[];
  /** per held-out image, the largest value of its blurred anomaly map, ascending */
  heldOutMapMax: number[];
  image: ScoreMapping;
  pixel: ScoreMapping;
  /** share of held-out images whose normalized score is below BOUNDARY_SCORE */
  heldOutBelowBoundary: number;
  notes: string[];
}

export interface BankHeader {
  format: 'linedeck-patchcore-bank';
  version: number;
  n: number;
  dim: number;
  grid: [number, number];
  inputSize: [number, number];
  backbone: { name: string; sha256: string; features: [string, string]; input: LoadedModel['manifest']['input'] };
  coresetRatio: number;
  seed: number;
  numNeighbors: number;
  sigma: number;
  sourceImages: number;
  patchesTotal: number;
  normalization: NormalizationStats | null;
  createdAt: string;
  buildMs?: Record<string, number>;
  payloadSha256?: string;
}

export interface MemoryBank extends BankView {
  header: BankHeader;
  source: Int32Array;
}

export interface ProgressFn {
  (fraction: number, message?: string): void;
}

export interface BuildBankOptions {
  coresetRatio?: number;
  seed?: number;
  /** leave-one-image-out calibration on up to this many images (default 50; 0 = no normalization) */
  calibrationImages?: number;
  /** refuse more images than this (memory: 784 patches × 384 floats each) */
  maxImages?: number;
  numNeighbors?: number;
  sigma?: number;
  /** coreset implementation: 'onnx' (blocked Gemm, default) or 'js' (pruned typed-array loop) */
  coresetBackend?: 'onnx' | 'js';
  searchBackend?: SearchBackend;
  threads?: number;
  signal?: CancelToken;
  onProgress?: ProgressFn;
  load?: LoadOptions;
  /** names of the images, for error messages */
  names?: string[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The mapping from held-out normal values (see the file comment). */
export function mappingFrom(values: number[]): ScoreMapping {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) throw new Error('normalization needs at least one held-out score');
  const median = quantile(s, 0.5);
  const upper = s.length >= 100 ? quantile(s, 0.995) : s[s.length - 1];
  let boundary = upper + 0.25 * (upper - median);
  if (!(boundary > 0)) boundary = Math.max(upper, 1e-6);
  const saturation = boundary + 2 * Math.max(boundary - median, 0.25 * boundary);
  return { boundary, saturation, median, upper };
}

/** Raw distance → [0, 1] with a mapping. */
export function applyMapping(raw: number, m: ScoreMapping, boundaryScore = BOUNDARY_SCORE): number {
  if (!Number.isFinite(raw)) return raw > 0 ? 1 : 0;
  let v: number;
  if (raw <= m.boundary) v = (boundaryScore * raw) / m.boundary;
  else v = boundaryScore + ((1 - boundaryScore) * (raw - m.boundary)) / (m.saturation - m.boundary);
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export function normalizeScore(raw: number, stats: NormalizationStats): number {
  return applyMapping(raw, stats.image, stats.boundaryScore);
}

export function normalizeMap(map: Float32Array, stats: NormalizationStats): Float32Array {
  const out = new Float32Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = applyMapping(map[i], stats.pixel, stats.boundaryScore);
  return out;
}

export function normalizationFrom(heldOutScores: number[], heldOutMapMax: number[]): NormalizationStats {
  const image = mappingFrom(heldOutScores);
  const pixel = mappingFrom(heldOutMapMax);
  const notes: string[] = [];
  const sorted = [...heldOutScores].sort((a, b) => a - b);
  const mad = quantile(
    sorted.map((v) => Math.abs(v - image.median)).sort((a, b) => a - b),
    0.5,
  );
  const outliers = sorted.filter((v) => mad > 0 && v > image.median + 6 * mad).length;
  if (outliers) notes.push(`${outliers} normal image(s) score far above the others (held-out); check them for defects`);
  if (sorted.length < 10) notes.push(`only ${sorted.length} held-out images: the threshold calibration is rough`);
  const below = sorted.filter((v) => applyMapping(v, image) < BOUNDARY_SCORE).length / sorted.length;
  return {
    method: 'leave-one-image-out',
    boundaryScore: BOUNDARY_SCORE,
    count: sorted.length,
    heldOutScores: sorted,
    heldOutMapMax: [...heldOutMapMax].sort((a, b) => a - b),
    image,
    pixel,
    heldOutBelowBoundary: below,
    notes,
  };
}

function checkAbort(signal?: CancelToken) {
  if (signal?.aborted) throw new CancelledError('bank build cancelled');
}

/** Evenly spread subset of 0..n-1 of size k. */
function spread(n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, i) => Math.floor(((i + 0.5) * n) / k));
}

/**
 * Builds a memory bank from normal images: features, coreset, held-out calibration. At least 2 images are needed
 * for calibration (calibrationImages > 0).
 */
export async function buildBank(model: LoadedModel, images: (ImageSource | RgbImage)[], opts: BuildBankOptions = {}): Promise<MemoryBank> {
  if (model.manifest.task !== 'patchcore-backbone') throw new Error(`model ${model.manifest.name} is a ${model.manifest.task} model, not patchcore-backbone`);
  const ratio = opts.coresetRatio ?? 0.1;
  if (!(ratio > 0 && ratio <= 1)) throw new Error(`coreset ratio must be in (0, 1], got ${ratio}`);
  const maxImages = opts.maxImages ?? 500;
  if (images.length === 0) throw new Error('a memory bank needs at least one normal image');
  if (images.length > maxImages) throw new Error(`${images.length} images is more than the limit of ${maxImages} for one bank; pick a representative subset`);
  const calib = Math.min(opts.calibrationImages ?? 50, images.length);
  if (calib === 1) throw new Error('normalization needs at least 2 normal images (one is held out at a time); give more images or calibrationImages: 0');
  const progress = opts.onProgress ?? (() => undefined);
  const seed = opts.seed ?? 0;
  const times: Record<string, number> = {};
  const wExtract = calib > 0 ? 0.3 : 0.4;
  const wCoreset = ratio < 1 ? (calib > 0 ? 0.45 : 0.6) : 0;
  const wCalib = 1 - wExtract - wCoreset;

  // 1. features
  let t = performance.now();
  let grid: PatchGrid | undefined;
  let all: Float32Array | undefined;
  let per = 0;
  for (let i = 0; i < images.length; i++) {
    checkAbort(opts.signal);
    let g: PatchGrid;
    try {
      g = (await extractFeatures(model, images[i], opts.load)).grid;
    } catch (e) {
      const name = opts.names?.[i] ?? (typeof images[i] === 'string' ? (images[i] as string) : `image #${i + 1}`);
      throw new Error(`normal image ${name}: ${(e as Error).message}`);
    }
    if (!grid) {
      grid = g;
      per = g.h * g.w;
      all = new Float32Array(images.length * per * g.dim);
    }
    all!.set(g.data, i * per * g.dim);
    progress((wExtract * (i + 1)) / images.length, jobMessage('features', { i: i + 1, n: images.length }));
  }
  times.featuresMs = performance.now() - t;
  const dim = grid!.dim;
  const total = images.length * per;

  // 2. coreset
  t = performance.now();
  let rows: Int32Array;
  if (ratio >= 1) {
    rows = Int32Array.from({ length: total }, (_, i) => i);
  } else {
    const onProgress = (f: number) => progress(wExtract + wCoreset * f, jobMessage('coreset'));
    const coOpts = { seed, signal: opts.signal, onProgress, threads: opts.threads };
    rows = opts.coresetBackend === 'js' ? kCenterGreedy(all!, total, dim, ratio, coOpts).indices : (await kCenterGreedyBlocked(all!, total, dim, ratio, coOpts)).indices;
    rows = Int32Array.from(rows).sort();
  }
  const n = rows.length;
  const features = new Float32Array(n * dim);
  const source = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = rows[r];
    features.set(all!.subarray(i * dim, (i + 1) * dim), r * dim);
    source[r] = Math.floor(i / per);
  }
  times.coresetMs = performance.now() - t;
  progress(wExtract + wCoreset, jobMessage('bankPatches', { n }));

  const [H, W] = model.manifest.input.size;
  const mf = model.manifest as Extract<LoadedModel['manifest'], { task: 'patchcore-backbone' }>;
  const bank: MemoryBank = {
    features,
    n,
    dim,
    source,
    header: {
      format: 'linedeck-patchcore-bank',
      version: BANK_VERSION,
      n,
      dim,
      grid: [grid!.h, grid!.w],
      inputSize: [H, W],
      backbone: { name: mf.name, sha256: model.sha256, features: mf.outputs.features, input: mf.input },
      coresetRatio: ratio,
      seed,
      numNeighbors: opts.numNeighbors ?? 9,
      sigma: opts.sigma ?? 4,
      sourceImages: images.length,
      patchesTotal: total,
      normalization: null,
      createdAt: new Date().toISOString(),
    },
  };

  // 3. held-out calibration
  if (calib > 0) {
    t = performance.now();
    const searcher = await createSearcher(features, n, dim, opts.searchBackend ?? 'onnx', opts.threads);
    try {
      const scores: number[] = [];
      const mapMax: number[] = [];
      const pick = spread(images.length, calib);
      const exclude = new Uint8Array(n);
      for (let c = 0; c < pick.length; c++) {
        checkAbort(opts.signal);
        const img = pick[c];
        for (let r = 0; r < n; r++) exclude[r] = source[r] === img ? 1 : 0;
        const g: PatchGrid = { h: grid!.h, w: grid!.w, dim, data: all!.subarray(img * per * dim, (img + 1) * per * dim) };
        const s = await scorePatches(g, bank, searcher, { exclude, numNeighbors: bank.header.numNeighbors, mapSize: [H, W], sigma: bank.header.sigma });
        scores.push(s.imageScore);
        let mx = -Infinity;
        for (const v of s.map!) if (v > mx) mx = v;
        mapMax.push(mx);
        progress(wExtract + wCoreset + (wCalib * (c + 1)) / pick.length, jobMessage('calibration', { i: c + 1, n: pick.length }));
      }
      bank.header.normalization = normalizationFrom(scores, mapMax);
    } finally {
      await searcher.dispose();
    }
    times.calibrationMs = performance.now() - t;
  }
  bank.header.buildMs = times;
  progress(1, jobMessage('done'));
  return bank;
}

/** Throws unless the bank was built with this backbone (same file, same preprocessing). */
export function assertBankMatches(bank: MemoryBank, model: LoadedModel): void {
  const h = bank.header;
  if (model.manifest.task !== 'patchcore-backbone') throw new Error(`model ${model.manifest.name} is not a patchcore backbone`);
  if (h.backbone.sha256 !== model.sha256)
    throw new Error(`the memory bank was built with backbone ${h.backbone.name} (sha256 ${h.backbone.sha256.slice(0, 12)}…), not with ${model.manifest.name} (${model.sha256.slice(0, 12)}…): rebuild the bank`);
  if (JSON.stringify(h.backbone.input) !== JSON.stringify(model.manifest.input))
    throw new Error(`the memory bank was built with other input settings for ${h.backbone.name}: rebuild the bank`);
}

/** A bank ready to score: bank + searcher. Dispose when done. */
export class PatchcoreScorer {
  private constructor(
    readonly bank: MemoryBank,
    private searcher: Searcher,
  ) {}
  static async create(bank: MemoryBank, backend: SearchBackend = 'onnx', threads?: number): Promise<PatchcoreScorer> {
    return new PatchcoreScorer(bank, await createSearcher(bank.features, bank.n, bank.dim, backend, threads));
  }
  get backend(): SearchBackend {
    return this.searcher.kind;
  }
  async score(grid: PatchGrid, opts: { map?: boolean } = {}): Promise<PatchcoreScore> {
    const h = this.bank.header;
    return scorePatches(grid, this.bank, this.searcher, { numNeighbors: h.numNeighbors, sigma: h.sigma, mapSize: opts.map === false ? undefined : h.inputSize });
  }
  async dispose(): Promise<void> {
    await this.searcher.dispose();
  }
}

export function serializeBank(bank: MemoryBank): Buffer {
  const feat = Buffer.from(bank.features.buffer, bank.features.byteOffset, bank.n * bank.dim * 4);
  const src = Buffer.from(bank.source.buffer, bank.source.byteOffset, bank.n * 4);
  const sha = crypto.createHash('sha256').update(feat).update(src).digest('hex');
  const header = Buffer.from(JSON.stringify({ ...bank.header, n: bank.n, dim: bank.dim, payloadSha256: sha }), 'utf8');
  const pre = 8 + 4 + header.length;
  const pad = (64 - (pre % 64)) % 64;
  const lenBuf = Buffer.alloc(4);
  lenBuf.writeUInt32LE(header.length + pad);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('bank files are little-endian; this machine is not');
  return Buffer.concat([Buffer.from(BANK_MAGIC, 'ascii'), lenBuf, header, Buffer.alloc(pad, 0x20), feat, src]);
}

export function parseBank(buf: Buffer, where = '<buffer>'): MemoryBank {
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== BANK_MAGIC) throw new Error(`${where} is not a LineDeck memory bank file`);
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new Error(`${where}: the bank file is truncated (header)`);
  let header: BankHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen));
  } catch {
    throw new Error(`${where}: the bank header is not valid JSON`);
  }
  if (header.format !== 'linedeck-patchcore-bank') throw new Error(`${where}: unknown bank format ${String(header.format)}`);
  if (header.version > BANK_VERSION) throw new Error(`${where}: bank version ${header.version} is newer than this program (${BANK_VERSION})`);
  const { n, dim } = header;
  if (!(Number.isInteger(n) && n > 0 && Number.isInteger(dim) && dim > 0)) throw new Error(`${where}: bad bank size ${n} × ${dim}`);
  const off = 12 + hlen;
  const need = off + n * dim * 4 + n * 4;
  if (buf.length !== need) throw new Error(`${where}: the bank file is ${buf.length} bytes, expected ${need} (truncated or damaged)`);
  const payload = buf.subarray(off);
  if (header.payloadSha256) {
    const sha = crypto.createHash('sha256').update(payload).digest('hex');
    if (sha !== header.payloadSha256) throw new Error(`${where}: the bank data does not match its checksum (damaged file)`);
  }
  // copy into aligned arrays
  const features = new Float32Array(n * dim);
  new Uint8Array(features.buffer).set(payload.subarray(0, n * dim * 4));
  const source = new Int32Array(n);
  new Uint8Array(source.buffer).set(payload.subarray(n * dim * 4));
  return { features, n, dim, source, header };
}

/** Writes atomically (temporary file + rename). */
export function saveBank(file: string, bank: MemoryBank): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, serializeBank(bank));
  fs.renameSync(tmp, file);
}

export function loadBank(file: string): MemoryBank {
  if (!fs.existsSync(file)) throw new Error(`memory bank ${file} not found`);
  return parseBank(fs.readFileSync(file), file);
}
