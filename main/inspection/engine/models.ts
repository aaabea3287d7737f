/**
 * Model folders (shared/contracts/model-manifest.md): a folder with an ONNX file and a model.json manifest. Adding a
 * model is adding a folder. Manifests are validated with zod, then by opening the ONNX session: input name and
 * shape, output names, output ranks and shapes as the task needs (checked again on a warm-up run with a zero
 * input). Sessions are cached per file (path + mtime + size + thread count).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { appRoot } from '../../resources';
import ort from 'onnxruntime-node';
import { z } from 'zod';
import { ortThreads, sessionOptions } from './ort';
import { releasePoolers } from './pooler';
import type { InputSpec } from './preprocess';

export const MODEL_TASKS = ['clip-image-embedding', 'patchcore-backbone', 'anomaly-model'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

const dimSchema = z.number().int().min(8).max(4096);
const triple = z.tuple([z.number(), z.number(), z.number()]);

const inputSchema = z.strictObject({
  name: z.string().min(1).optional(),
  /** [height, width] */
  size: z.tuple([dimSchema, dimSchema]),
  resize: z.enum(['shortest-edge-center-crop', 'stretch', 'none']).optional(),
  interpolation: z.enum(['bicubic', 'bilinear', 'nearest']).optional(),
  scale: z.number().positive().max(1).optional(),
  mean: triple.optional(),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).optional(),
  layout: z.literal('NCHW').optional(),
});

const clipOutputs = z.strictObject({ embedding: z.string().min(1) });
const backboneOutputs = z.strictObject({ features: z.tuple([z.string().min(1), z.string().min(1)]) });
const anomalyOutputs = z.strictObject({
  pred_score: z.string().min(1).default('pred_score'),
  anomaly_map: z.string().min(1).default('anomaly_map'),
  pred_label: z.string().min(1).optional(),
  pred_mask: z.string().min(1).optional(),
});

/** model.json as written by people; unknown top-level keys (description, license, source…) are kept. */
export const manifestSchema = z
  .looseObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ - (at most 100)'),
    task: z.enum(MODEL_TASKS),
    file: z.string().min(1).default('model.onnx'),
    description: z.string().optional(),
    version: z.string().optional(),
    input: inputSchema,
    outputs: z.record(z.string(), z.unknown()),
  })
  .superRefine((m, ctx) => {
    const schema = m.task === 'clip-image-embedding' ? clipOutputs : m.task === 'patchcore-backbone' ? backboneOutputs : anomalyOutputs;
    const r = schema.safeParse(m.outputs);
    if (!r.success)
      for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: ['outputs', ...issue.path.map(String)], message: `${issue.message} (task ${m.task})` });
    if (path.isAbsolute(m.file) || m.file.split(/[\\/]/).includes('..')) ctx.addIssue({ code: 'custom', path: ['file'], message: 'must be a path inside the model folder' });
  });

export type RawManifest = z.input<typeof manifestSchema>;

interface ManifestBase {
  name: string;
  file: string;
  description?: string;
  version?: string;
  input: InputSpec;
}
export type ModelManifest =
  | (ManifestBase & { task: 'clip-image-embedding'; outputs: { embedding: string } })
  | (ManifestBase & { task: 'patchcore-backbone'; outputs: { features: [string, string] } })
  | (ManifestBase & { task: 'anomaly-model'; outputs: { pred_score: string; anomaly_map: string; pred_label?: string; pred_mask?: string } });

export class ModelError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(`model ${dir}: ${message}`);
    this.name = 'ModelError';
  }
}

/** What a manifest may leave out, per task: CLIP's processor for clip, ImageNet for backbones, [0, 1] for anomaly models. */
const INPUT_DEFAULTS: Record<(typeof MODEL_TASKS)[number], Pick<InputSpec, 'name' | 'resize' | 'interpolation' | 'mean' | 'std'>> = {
  'clip-image-embedding': { name: 'pixel_values', resize: 'shortest-edge-center-crop', interpolation: 'bicubic', mean: CLIP_MEAN, std: CLIP_STD },
  'patchcore-backbone': { name: 'input', resize: 'stretch', interpolation: 'bilinear', mean: IMAGENET_MEAN, std: IMAGENET_STD },
  'anomaly-model': { name: 'input', resize: 'stretch', interpolation: 'bilinear', mean: [0, 0, 0], std: [1, 1, 1] },
};

/** Task defaults filled in (INPUT_DEFAULTS; scale 1/255 for every task). */
export function parseManifest(json: unknown, dir = '<manifest>'): ModelManifest {
  const r = manifestSchema.safeParse(json);
  if (!r.success) throw new ModelError(dir, `invalid model.json: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
  const m = r.data;
  const i = m.input;
  const d = INPUT_DEFAULTS[m.task];
  const input: InputSpec = {
    name: i.name ?? d.name,
    size: i.size,
    resize: i.resize ?? d.resize,
    interpolation: i.interpolation ?? d.interpolation,
    scale: i.scale ?? 1 / 255,
    mean: i.mean ?? d.mean,
    std: i.std ?? d.std,
    layout: 'NCHW',
  };
  const base = { name: m.name, file: m.file, description: m.description, version: m.version, input };
  if (m.task === 'clip-image-embedding') return { ...base, task: m.task, outputs: clipOutputs.parse(m.outputs) };
  if (m.task === 'patchcore-backbone') return { ...base, task: m.task, outputs: backboneOutputs.parse(m.outputs) };
  return { ...base, task: m.task, outputs: anomalyOutputs.parse(m.outputs) };
}

export interface ModelEntry {
  dir: string;
  manifest: ModelManifest;
  onnxPath: string;
}

/** Reads and validates dir/model.json (no session). Throws ModelError. */
export function readModelFolder(dir: string): ModelEntry {
  const abs = path.resolve(dir);
  const mf = path.join(abs, 'model.json');
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) throw new ModelError(abs, 'folder not found');
  if (!fs.existsSync(mf)) throw new ModelError(abs, 'no model.json in the folder');
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(mf, 'utf8'));
  } catch (e) {
    throw new ModelError(abs, `model.json is not valid JSON (${(e as Error).message})`);
  }
  const manifest = parseManifest(json, abs);
  const onnxPath = path.join(abs, manifest.file);
  if (!fs.existsSync(onnxPath) || !fs.statSync(onnxPath).isFile()) throw new ModelError(abs, `ONNX file ${manifest.file} not found`);
  return { dir: abs, manifest, onnxPath };
}

/** Model folders of this checkout / installation: LINEDECK_MODELS_DIR, else ./ml-models, else the repository's ml-models. */
export function builtinModelsDir(): string {
  if (process.env.LINEDECK_MODELS_DIR) return path.resolve(process.env.LINEDECK_MODELS_DIR);
  // the application's own models (resourcesPath in an installed build, the repository in development), the same
  // folder doctor checks; never ./ml-models of whatever folder the station was started from (issue "Security"
  // item 8: a planted model folder there was preferred over the shipped ones)
  return path.join(appRoot(), 'ml-models');
}

export interface Discovery {
  models: ModelEntry[];
  problems: { dir: string; error: string }[];
}

/**
 * Finds model folders: each root is a model folder itself (has model.json) or holds model folders one level down.
 * Invalid folders are reported in `problems`, not thrown; a name used twice keeps the first.
 */
export function discoverModels(roots: string[] = [builtinModelsDir()]): Discovery {
  const out: Discovery = { models: [], problems: [] };
  const seen = new Map<string, string>();
  const consider = (dir: string) => {
    try {
      const e = readModelFolder(dir);
      const prev = seen.get(e.manifest.name);
      if (prev) {
        out.problems.push({ dir: e.dir, error: `model name "${e.manifest.name}" is already used by ${prev}` });
        return;
      }
      seen.set(e.manifest.name, e.dir);
      out.models.push(e);
    } catch (err) {
      out.problems.push({ dir: path.resolve(dir), error: (err as Error).message });
    }
  };
  for (const root of roots) {
    const abs = path.resolve(root);
    if (!fs.existsSync(abs)) {
      out.problems.push({ dir: abs, error: 'folder not found' });
      continue;
    }
    if (fs.existsSync(path.join(abs, 'model.json'))) {
      consider(abs);
      continue;
    }
    for (const d of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (d.isDirectory() && fs.existsSync(path.join(abs, d.name, 'model.json'))) consider(path.join(abs, d.name));
    }
  }
  return out;
}

export interface LoadedModel extends ModelEntry {
  session: ort.InferenceSession;
  threads: number;
  /** output dims seen on the warm-up run (batch 1) */
  outputDims: Record<string, number[]>;
  /** clip: embedding size; backbone: [channels, h, w] of each feature map */
  embeddingDim?: number;
  featureShapes?: [[number, number, number], [number, number, number]];
  /** sha256 of the ONNX file (hex) */
  sha256: string;
  warmupMs: number;
}

const cache = new Map<string, Promise<LoadedModel>>();

function dimsOf(meta: unknown): (number | string)[] | undefined {
  const m = meta as { isTensor?: boolean; shape?: (number | string)[] } | undefined;
  return m && m.isTensor !== false && Array.isArray(m.shape) ? m.shape : undefined;
}

function metadataByName(session: ort.InferenceSession, which: 'input' | 'output'): Map<string, (number | string)[] | undefined> {
  const out = new Map<string, (number | string)[] | undefined>();
  const meta = (which === 'input' ? (session as { inputMetadata?: unknown }).inputMetadata : (session as { outputMetadata?: unknown }).outputMetadata) as
    | { name: string }[]
    | Record<string, unknown>
    | undefined;
  const names = which === 'input' ? session.inputNames : session.outputNames;
  if (Array.isArray(meta)) meta.forEach((m, i) => out.set(m.name ?? names[i], dimsOf(m)));
  else for (const n of names) out.set(n, undefined);
  return out;
}

function sha256File(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

async function openModel(entry: ModelEntry, threads: number): Promise<LoadedModel> {
  const { dir, manifest: mf, onnxPath } = entry;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnxPath, sessionOptions(threads));
  } catch (e) {
    throw new ModelError(dir, `cannot load ${mf.file} with onnxruntime: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const inName = mf.input.name;
    if (!session.inputNames.includes(inName))
      throw new ModelError(dir, `input "${inName}" is not in ${mf.file}; its inputs are ${JSON.stringify(session.inputNames)} (set input.name in model.json)`);
    const others = session.inputNames.filter((n) => n !== inName);
    if (others.length) throw new ModelError(dir, `${mf.file} also needs inputs ${JSON.stringify(others)}; export the image encoder alone (one image input)`);
    const inMeta = metadataByName(session, 'input').get(inName);
    const [H, W] = mf.input.size;
    if (inMeta) {
      if (inMeta.length !== 4) throw new ModelError(dir, `input "${inName}" has rank ${inMeta.length}, expected 4 (NCHW)`);
      const [, c, h, w] = inMeta;
      if (typeof c === 'number' && c !== 3) throw new ModelError(dir, `input "${inName}" has ${c} channels, expected 3 (RGB, NCHW)`);
      if ((typeof h === 'number' && h !== H) || (typeof w === 'number' && w !== W))
        throw new ModelError(dir, `input "${inName}" is ${h}×${w} (H×W) in the ONNX file but model.json says size [${H}, ${W}]`);
    }
    const wanted: string[] =
      mf.task === 'clip-image-embedding'
        ? [mf.outputs.embedding]
        : mf.task === 'patchcore-backbone'
          ? [...mf.outputs.features]
          : [mf.outputs.pred_score, mf.outputs.anomaly_map, ...(mf.outputs.pred_label ? [mf.outputs.pred_label] : []), ...(mf.outputs.pred_mask ? [mf.outputs.pred_mask] : [])];
    const missing = wanted.filter((n) => !session.outputNames.includes(n));
    if (missing.length)
      throw new ModelError(dir, `output${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} not in ${mf.file}; its outputs are ${JSON.stringify(session.outputNames)}`);
    const outMeta = metadataByName(session, 'output');
    for (const n of wanted) {
      const d = outMeta.get(n);
      if (!d) continue;
      if (mf.task === 'clip-image-embedding' && d.length !== 2) throw new ModelError(dir, `output "${n}" has rank ${d.length}; an embedding must be [batch, dim]`);
      if (mf.task === 'patchcore-backbone' && d.length !== 4) throw new ModelError(dir, `output "${n}" has rank ${d.length}; a feature map must be [batch, channels, h, w]`);
    }

    // warm-up run: also checks the real output shapes
    const t0 = performance.now();
    const zeros = new ort.Tensor('float32', new Float32Array(3 * H * W), [1, 3, H, W]);
    let res: ort.InferenceSession.OnnxValueMapType;
    try {
      res = await session.run({ [inName]: zeros }, wanted);
    } catch (e) {
      throw new ModelError(dir, `a test run with a zero ${H}×${W} input failed: ${(e as Error).message.split('\n')[0]}`);
    }
    const warmupMs = performance.now() - t0;
    const outputDims: Record<string, number[]> = {};
    for (const n of wanted) outputDims[n] = [...(res[n] as ort.Tensor).dims].map(Number);
    for (const t of Object.values(res)) (t as ort.Tensor).dispose?.();

    const loaded: LoadedModel = { ...entry, session, threads, outputDims, sha256: sha256File(onnxPath), warmupMs };
    if (mf.task === 'clip-image-embedding') {
      const d = outputDims[mf.outputs.embedding];
      if (d.length !== 2 || d[0] !== 1 || d[1] < 1) throw new ModelError(dir, `output "${mf.outputs.embedding}" came out as [${d}]; expected [1, dim]`);
      loaded.embeddingDim = d[1];
    } else if (mf.task === 'patchcore-backbone') {
      const [a, b] = mf.outputs.features.map((n) => outputDims[n]);
      for (const [n, d] of [
        [mf.outputs.features[0], a],
        [mf.outputs.features[1], b],
      ] as const)
        if (d.length !== 4 || d[0] !== 1) throw new ModelError(dir, `output "${n}" came out as [${d}]; expected [1, channels, h, w]`);
      if (!(a[2] >= b[2] && a[3] >= b[3] && a[2] * a[3] > b[2] * b[3]))
        throw new ModelError(dir, `outputs.features must list the finer map first: "${mf.outputs.features[0]}" is ${a[2]}×${a[3]}, "${mf.outputs.features[1]}" is ${b[2]}×${b[3]}`);
      loaded.featureShapes = [
        [a[1], a[2], a[3]],
        [b[1], b[2], b[3]],
      ];
    } else {
      const s = outputDims[mf.outputs.pred_score];
      const m = outputDims[mf.outputs.anomaly_map];
      if (s.reduce((x, y) => x * y, 1) !== 1) throw new ModelError(dir, `output "${mf.outputs.pred_score}" came out as [${s}]; expected one score per image`);
      if (!(m.length === 4 && m[0] === 1 && m[1] === 1) && !(m.length === 3 && m[0] === 1))
        throw new ModelError(dir, `output "${mf.outputs.anomaly_map}" came out as [${m}]; expected [1, 1, H, W]`);
    }
    return loaded;
  } catch (e) {
    await session.release().catch(() => undefined);
    throw e;
  }
}

/**
 * Opens (or returns the cached) validated model of a folder: manifest checks, session, warm-up run.
 * `task` makes a wrong kind of model a clear error.
 */
export async function loadModel(dir: string, opts: { task?: ModelTask; threads?: number } = {}): Promise<LoadedModel> {
  const entry = readModelFolder(dir);
  if (opts.task && entry.manifest.task !== opts.task) throw new ModelError(entry.dir, `is a ${entry.manifest.task} model; a ${opts.task} model is needed here`);
  const threads = opts.threads ?? ortThreads();
  const st = fs.statSync(entry.onnxPath);
  const key = `${fs.realpathSync(entry.onnxPath)}|${st.mtimeMs}|${st.size}|${threads}|${JSON.stringify(entry.manifest)}`;
  let p = cache.get(key);
  if (!p) {
    p = openModel(entry, threads);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Releases every cached session (tests, shutdown). */
export async function releaseModels(): Promise<void> {
  await releasePoolers();
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    const m = await p.catch(() => undefined);
    await m?.session.release().catch(() => undefined);
  }
}

/** Writes a model folder (manifest + a copy or hard link of the ONNX file); used by tests and the default-model builder. */
export function writeModelFolder(dir: string, manifest: RawManifest, onnxSource: string): string {
  const parsed = parseManifest(manifest, dir);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(onnxSource, path.join(dir, parsed.file));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest, null, 2) + '\n');
  return path.resolve(dir);
}
