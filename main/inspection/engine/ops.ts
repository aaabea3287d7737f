/**
 * The engine's operations with plain, structured-clonable inputs and outputs: they run inside the worker thread
 * (worker.ts) and can be called in-process as well (CLI, tests). Models are cached per folder (models.ts), banks
 * and their searchers per bank file (path + mtime + size, the last 4).
 */
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { assertBankMatches, buildBank, loadBank, normalizeMap, normalizeScore, PatchcoreScorer, saveBank, type BankHeader, type MemoryBank } from './bank';
import { embedImage } from './clip';
import type { CancelToken } from './coreset';
import { CancelledError } from './coreset';
import type { SearchBackend } from './knn';
import { loadModel } from './models';
import { extractFeatures } from './patchcore';
import { isRgb, loadRgb, preprocess, type PreprocessResult, type ResizeMode, type RgbImage } from './preprocess';
import { findRegions, type Region } from './regions';

export type ImageInput = string | Uint8Array | RgbImage;

export interface OpControl {
  signal?: CancelToken;
  onProgress?: (fraction: number, message?: string) => void;
}

function label(img: ImageInput, i: number): string {
  return typeof img === 'string' ? img : isRgb(img) ? `rgb#${i + 1}` : `buffer#${i + 1}`;
}

function checkAbort(ctl?: OpControl) {
  if (ctl?.signal?.aborted) throw new CancelledError();
}

function asSource(img: ImageInput) {
  return typeof img === 'string' || isRgb(img) ? img : Buffer.from(img.buffer, img.byteOffset, img.byteLength);
}

// ── CLIP ─────────────────────────────────────────────────────────────────────

export interface EmbedRequest {
  model: string;
  images: ImageInput[];
  threads?: number;
}

export interface EmbedResult {
  image: string;
  /** raw model output */
  embedding: Float32Array;
  /** L2-normalized */
  normalized: Float32Array;
  norm: number;
  ms: number;
}

export async function opEmbed(req: EmbedRequest, ctl: OpControl = {}): Promise<EmbedResult[]> {
  const model = await loadModel(req.model, { task: 'clip-image-embedding', threads: req.threads });
  const out: EmbedResult[] = [];
  for (let i = 0; i < req.images.length; i++) {
    checkAbort(ctl);
    const t = performance.now();
    const name = label(req.images[i], i);
    let e;
    try {
      e = await embedImage(model, asSource(req.images[i]));
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
    out.push({ image: name, embedding: e.raw, normalized: e.normalized, norm: e.norm, ms: performance.now() - t });
    ctl.onProgress?.((i + 1) / req.images.length, `embedded ${i + 1}/${req.images.length}`);
  }
  return out;
}

// ── PatchCore ────────────────────────────────────────────────────────────────

interface CachedBank {
  bank: MemoryBank;
  scorer: PatchcoreScorer;
}
const bankCache = new Map<string, Promise<CachedBank>>();

async function openBank(file: string, backend: SearchBackend, threads?: number): Promise<CachedBank> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new Error(`memory bank ${abs} not found`);
  const st = fs.statSync(abs);
  const key = `${abs}|${st.mtimeMs}|${st.size}|${backend}|${threads ?? ''}`;
  let p = bankCache.get(key);
  if (p) {
    bankCache.delete(key);
    bankCache.set(key, p); // most recent last
    return p;
  }
  p = (async () => {
    const bank = loadBank(abs);
    return { bank, scorer: await PatchcoreScorer.create(bank, backend, threads) };
  })();
  bankCache.set(key, p);
  p.catch(() => bankCache.delete(key));
  while (bankCache.size > 4) {
    const [k, old] = bankCache.entries().next().value as [string, Promise<CachedBank>];
    bankCache.delete(k);
    old.then((c) => c.scorer.dispose()).catch(() => undefined);
  }
  return p;
}

/** Drops cached banks (e.g. after a redeploy) and releases their sessions. */
export async function closeBanks(): Promise<void> {
  const all = [...bankCache.values()];
  bankCache.clear();
  for (const p of all) await p.then((c) => c.scorer.dispose()).catch(() => undefined);
}

export interface PatchcoreRequest {
  backbone: string;
  /** bank file written by opBuildBank / saveBank */
  bank: string;
  images: ImageInput[];
  /** return the blurred maps (raw and normalized) at the model input size (default true) */
  maps?: boolean;
  /** regions are the components of normalized map ≥ this (default 0.85); without normalization none are computed */
  regionThreshold?: number;
  /** drop regions smaller than this fraction of the map (default 0.0005) */
  minRegionFraction?: number;
  searchBackend?: SearchBackend;
  threads?: number;
}

export interface PatchcoreResult {
  image: string;
  /** anomalib's re-weighted image score, raw distance */
  imageScore: number;
  maxPatchDistance: number;
  /** imageScore through the bank's normalization, [0, 1]; null if the bank has none */
  anomalyScore: number | null;
  grid: [number, number];
  patchScores: Float32Array;
  argmax: { row: number; col: number };
  mapSize: [number, number];
  /** blurred anomaly map at the model input size (raw) */
  map?: Float32Array;
  /** the same through the bank's pixel normalization */
  normalizedMap?: Float32Array;
  /** in map coordinates; max/mean normalized, rawMax/rawMean raw */
  regions: (Region & { rawMax: number; rawMean: number })[];
  /** how the source maps onto the model input (for mapToSource) */
  geometry: { resize: ResizeMode; sourceSize: PreprocessResult['sourceSize']; crop?: PreprocessResult['crop'] };
  /** the model-sized RGB input, for overlays */
  input: RgbImage;
  ms: { preprocess: number; backbone: number; search: number; total: number };
}

export async function opPatchcore(req: PatchcoreRequest, ctl: OpControl = {}): Promise<PatchcoreResult[]> {
  const model = await loadModel(req.backbone, { task: 'patchcore-backbone', threads: req.threads });
  const { bank, scorer } = await openBank(req.bank, req.searchBackend ?? 'onnx', req.threads);
  assertBankMatches(bank, model);
  return scoreWith(model, bank, scorer, req, ctl);
}

async function scoreWith(
  model: Awaited<ReturnType<typeof loadModel>>,
  bank: MemoryBank,
  scorer: PatchcoreScorer,
  req: Pick<PatchcoreRequest, 'images' | 'maps' | 'regionThreshold' | 'minRegionFraction'>,
  ctl: OpControl,
): Promise<PatchcoreResult[]> {
  const out: PatchcoreResult[] = [];
  const stats = bank.header.normalization;
  const [H, W] = bank.header.inputSize;
  for (let i = 0; i < req.images.length; i++) {
    checkAbort(ctl);
    const name = label(req.images[i], i);
    const t0 = performance.now();
    let pre: PreprocessResult;
    try {
      pre = await preprocess(asSource(req.images[i]), model.manifest.input, { alpha: 'drop' });
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
    const t1 = performance.now();
    const { grid } = await extractFeatures(model, pre.image);
    const t2 = performance.now();
    const s = await scorer.score(grid, { map: true });
    const t3 = performance.now();
    const map = s.map!;
    let normalizedMap: Float32Array | undefined;
    let regions: PatchcoreResult['regions'] = [];
    if (stats) {
      normalizedMap = normalizeMap(map, stats);
      const thr = req.regionThreshold ?? stats.boundaryScore;
      const minArea = Math.max(1, Math.round((req.minRegionFraction ?? 0.0005) * W * H));
      const norm = findRegions(normalizedMap, W, H, thr, { minArea });
      const raw = findRegions(normalizedMap, W, H, thr, { minArea, values: map });
      regions = norm.map((r, k) => ({ ...r, rawMax: raw[k].max, rawMean: raw[k].mean }));
    }
    out.push({
      image: name,
      imageScore: s.imageScore,
      maxPatchDistance: s.maxPatchDistance,
      anomalyScore: stats ? normalizeScore(s.imageScore, stats) : null,
      grid: s.grid,
      patchScores: s.patchScores,
      argmax: { row: Math.floor(s.argmax / s.grid[1]), col: s.argmax % s.grid[1] },
      mapSize: [H, W],
      map: req.maps === false ? undefined : map,
      normalizedMap: req.maps === false ? undefined : normalizedMap,
      regions,
      geometry: { resize: model.manifest.input.resize, sourceSize: pre.sourceSize, crop: pre.crop },
      input: pre.image,
      ms: { preprocess: t1 - t0, backbone: t2 - t1, search: t3 - t2, total: performance.now() - t0 },
    });
    ctl.onProgress?.((i + 1) / req.images.length, `scored ${i + 1}/${req.images.length}`);
  }
  return out;
}

export interface InspectRequest {
  backbone: string;
  bank: string;
  /** CLIP-type model folder; omitted: no embedding */
  embedding?: string;
  image: ImageInput;
  /** when `image` is decoded RGB of a picture with an alpha channel: its bytes, for CLIP (which composites on white) */
  alphaSource?: Uint8Array;
  /** label for error messages (default `image`) */
  name?: string;
  regionThreshold?: number;
  minRegionFraction?: number;
  threads?: number;
}

export interface InspectResult {
  patchcore: PatchcoreResult;
  embedding: EmbedResult | null;
  /** why the embedding failed (the inspection goes on without similarity); null when it worked or was not asked */
  embeddingError: string | null;
  ms: { decode: number; total: number };
}

/**
 * One inspection's engine work in one call: the image is decoded once (a second time only for CLIP when it has an
 * alpha channel, which CLIP composites on white and the backbone drops), then PatchCore with the bank (scores,
 * maps, regions) and the embedding. An embedding failure is reported, not thrown: the verdict does not need it.
 */
export async function opInspect(req: InspectRequest, ctl: OpControl = {}): Promise<InspectResult> {
  const t0 = performance.now();
  const name = req.name ?? 'image';
  const model = await loadModel(req.backbone, { task: 'patchcore-backbone', threads: req.threads });
  const { bank, scorer } = await openBank(req.bank, 'onnx', req.threads);
  assertBankMatches(bank, model);
  checkAbort(ctl);
  const src = asSource(req.image);
  let rgb: RgbImage;
  try {
    rgb = isRgb(src) ? src : await loadRgb(src, { alpha: 'drop' });
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`);
  }
  const tDecode = performance.now() - t0;
  const [patchcore] = await scoreWith(model, bank, scorer, { images: [rgb], regionThreshold: req.regionThreshold, minRegionFraction: req.minRegionFraction }, { signal: ctl.signal });
  patchcore.image = name;
  let embedding: EmbedResult | null = null;
  let embeddingError: string | null = null;
  if (req.embedding) {
    checkAbort(ctl);
    try {
      const clipSrc = req.alphaSource ? asSource(req.alphaSource) : rgb.hadAlpha && !isRgb(src) ? src : rgb;
      [embedding] = await opEmbed({ model: req.embedding, images: [clipSrc], threads: req.threads });
      embedding.image = name;
    } catch (err) {
      embeddingError = (err as Error).message;
    }
  }
  return { patchcore, embedding, embeddingError, ms: { decode: tDecode, total: performance.now() - t0 } };
}

export interface BuildBankRequest {
  backbone: string;
  images: ImageInput[];
  names?: string[];
  /** where to write the bank file */
  out: string;
  coresetRatio?: number;
  seed?: number;
  calibrationImages?: number;
  coresetBackend?: 'onnx' | 'js';
  threads?: number;
}

export interface BuildBankResult {
  file: string;
  header: BankHeader;
  bankSize: [number, number];
  ms: number;
}

export async function opBuildBank(req: BuildBankRequest, ctl: OpControl = {}): Promise<BuildBankResult> {
  const t = performance.now();
  const model = await loadModel(req.backbone, { task: 'patchcore-backbone', threads: req.threads });
  const bank = await buildBank(model, req.images.map(asSource), {
    coresetRatio: req.coresetRatio,
    seed: req.seed,
    calibrationImages: req.calibrationImages,
    coresetBackend: req.coresetBackend,
    threads: req.threads,
    signal: ctl.signal,
    onProgress: ctl.onProgress,
    names: req.names ?? req.images.map(label),
  });
  saveBank(req.out, bank);
  return { file: path.resolve(req.out), header: bank.header, bankSize: [bank.n, bank.dim], ms: performance.now() - t };
}

export interface AdhocPatchcoreRequest {
  backbone: string;
  train: ImageInput[];
  images: ImageInput[];
  coresetRatio?: number;
  seed?: number;
  maps?: boolean;
  searchBackend?: SearchBackend;
  threads?: number;
}

/** `ml patchcore`: a bank from `train` (no calibration, not saved), raw scores for `images`. */
export async function opPatchcoreAdhoc(req: AdhocPatchcoreRequest, ctl: OpControl = {}): Promise<{ bankSize: [number, number]; results: PatchcoreResult[] }> {
  const model = await loadModel(req.backbone, { task: 'patchcore-backbone', threads: req.threads });
  const bank = await buildBank(model, req.train.map(asSource), {
    coresetRatio: req.coresetRatio ?? 0.1,
    seed: req.seed,
    calibrationImages: 0,
    threads: req.threads,
    signal: ctl.signal,
    onProgress: (f, m) => ctl.onProgress?.(f * 0.7, m),
    names: req.train.map(label),
  });
  const scorer = await PatchcoreScorer.create(bank, req.searchBackend ?? 'onnx', req.threads);
  try {
    const results = await scoreWith(model, bank, scorer, { images: req.images, maps: req.maps }, { signal: ctl.signal, onProgress: (f, m) => ctl.onProgress?.(0.7 + 0.3 * f, m) });
    return { bankSize: [bank.n, bank.dim], results };
  } finally {
    await scorer.dispose();
  }
}

// ── anomalib-style self-contained models ─────────────────────────────────────

export interface AnomalyModelResult {
  image: string;
  /** the model's pred_score (already [0, 1] for anomalib exports) */
  score: number;
  label: number | null;
  mapSize: [number, number];
  map: Float32Array;
  mask?: Uint8Array;
  ms: number;
}

export async function opAnomalyModel(req: { model: string; images: ImageInput[]; threads?: number }, ctl: OpControl = {}): Promise<AnomalyModelResult[]> {
  const model = await loadModel(req.model, { task: 'anomaly-model', threads: req.threads });
  const mf = model.manifest as Extract<typeof model.manifest, { task: 'anomaly-model' }>;
  const out: AnomalyModelResult[] = [];
  for (let i = 0; i < req.images.length; i++) {
    checkAbort(ctl);
    const t = performance.now();
    const name = label(req.images[i], i);
    const pre = await preprocess(asSource(req.images[i]), mf.input, { alpha: 'drop' }).catch((err) => {
      throw new Error(`${name}: ${(err as Error).message}`);
    });
    const names = [mf.outputs.pred_score, mf.outputs.anomaly_map, ...(mf.outputs.pred_label ? [mf.outputs.pred_label] : []), ...(mf.outputs.pred_mask ? [mf.outputs.pred_mask] : [])];
    const res = await model.session.run({ [mf.input.name]: new ort.Tensor('float32', pre.tensor, pre.dims) }, names);
    const score = Number((res[mf.outputs.pred_score] as ort.Tensor).data[0]);
    const mapT = res[mf.outputs.anomaly_map] as ort.Tensor;
    const dims = mapT.dims.map(Number);
    const mh = dims[dims.length - 2];
    const mw = dims[dims.length - 1];
    let lbl: number | null = null;
    if (mf.outputs.pred_label) lbl = Number((res[mf.outputs.pred_label] as ort.Tensor).data[0]);
    let mask: Uint8Array | undefined;
    if (mf.outputs.pred_mask) mask = Uint8Array.from(Array.from((res[mf.outputs.pred_mask] as ort.Tensor).data as ArrayLike<number | boolean>, (v) => (v ? 1 : 0)));
    out.push({ image: name, score, label: lbl, mapSize: [mh, mw], map: new Float32Array(mapT.data as Float32Array), mask, ms: performance.now() - t });
    for (const v of Object.values(res)) (v as ort.Tensor).dispose?.();
    ctl.onProgress?.((i + 1) / req.images.length);
  }
  return out;
}
