/**
 * Proof of the default inspection models on synthetic parts (issue 5, item 3), through the inspection engine's own
 * code (main/inspection/engine: model loading, preprocessing, PatchCore bank build with greedy k-center coreset,
 * nearest-neighbour search, anomalib's re-weighted image score, normalization):
 *
 *   for each surface × level: a memory bank from `trainNormals` normal images (coreset 0.1), then the image score of
 *   `testNormals` held-out normal images and `defectsPerKind` images of each defect kind → image AUROC (overall and
 *   per kind), and the share of held-out normals that stay below the 0.85 image threshold after normalization;
 *   the embedder: leave-one-out 1-nearest-neighbour defect-kind classification among the defect exemplars (cosine
 *   of L2-normalized embeddings) within each surface × level and pooled over all, and surface retrieval.
 *
 * The train and test sets come from different seeds (`<seed>-train`, `<seed>-test`), i.e. different parts of the
 * same product. The default seed `eval` was not used while the filters were designed.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBank, normalizeScore, PatchcoreScorer } from '../../main/inspection/engine/bank';
import { embedImage } from '../../main/inspection/engine/clip';
import { loadModel } from '../../main/inspection/engine/models';
import { extractFeatures } from '../../main/inspection/engine/patchcore';
import { DEFECT_KINDS, generateSet, LEVELS, SURFACES, type DefectKind, type Level, type Surface, type SynthImage } from '../../main/inspection/synth/generate';

export const MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../ml-models');
export const DEFAULT_BACKBONE_DIR = path.join(MODELS_DIR, 'linedeck-patchcore-default');
export const DEFAULT_EMBED_DIR = path.join(MODELS_DIR, 'linedeck-embed-default');

/** Acceptance: AUROC ≥ 0.98 on every surface at the plain level, ≥ 0.95 on average at the hard level. */
export const PLAIN_MIN_AUROC = 0.98;
export const HARD_MEAN_AUROC = 0.95;

export interface EvalOptions {
  surfaces?: readonly Surface[];
  levels?: readonly Level[];
  /** normal images in each memory bank (default 40) */
  trainNormals?: number;
  /** held-out normal test images per surface × level (default 20) */
  testNormals?: number;
  /** test images per defect kind per surface × level (default 6) */
  defectsPerKind?: number;
  kinds?: readonly DefectKind[];
  coresetRatio?: number;
  seed?: string;
  /** image side of the generated parts (default 256) */
  size?: number;
  backboneDir?: string;
  /** the embedder to check; null skips the embedding check */
  embedDir?: string | null;
  /** onnxruntime intra-op threads (default: the engine's, LINEDECK_ORT_THREADS or 2) */
  threads?: number;
  onProgress?: (message: string) => void;
}

export interface ConditionResult {
  surface: Surface;
  level: Level;
  auroc: number;
  perKind: Partial<Record<DefectKind, number>>;
  normals: number;
  defects: number;
  /** raw re-weighted image scores */
  normalScores: number[];
  defectScores: { kind: DefectKind; variant?: string; score: number }[];
  /** held-out test normals whose normalized score is below 0.85 */
  normalsBelowThreshold: number;
  bankRows: number;
  ms: { generate: number; bank: number; score: number };
}

export interface EmbedResult {
  model: string;
  /** leave-one-out 1-NN kind accuracy among the defect exemplars of each surface × level */
  within: { surface: Surface; level: Level; accuracy: number; n: number }[];
  /** the same over all defect exemplars of every surface and level together */
  pooled: { accuracy: number; n: number; confusion: Record<string, Record<string, number>> };
  /** leave-one-out 1-NN: the nearest image (normal or defect) is of the same surface */
  surfaceRetrieval: { accuracy: number; n: number };
}

export interface EvalResult {
  backbone: { name: string; sha256: string };
  options: Required<Omit<EvalOptions, 'onProgress' | 'embedDir' | 'threads' | 'backboneDir'>>;
  conditions: ConditionResult[];
  /** smallest AUROC at the plain level (NaN when not evaluated) */
  plainMin: number;
  /** mean AUROC at the hard level (NaN when not evaluated) */
  hardMean: number;
  pass: boolean;
  embed?: EmbedResult;
  ms: number;
}

/** Area under the ROC curve (Mann–Whitney U / (n⁺ n⁻), ties count one half). */
export function auroc(negatives: readonly number[], positives: readonly number[]): number {
  if (negatives.length === 0 || positives.length === 0) throw new RangeError('AUROC needs at least one negative and one positive score');
  const all = [...negatives.map((v) => ({ v, p: 0 })), ...positives.map((v) => ({ v, p: 1 }))].sort((a, b) => a.v - b.v);
  // average ranks over ties
  let rankSumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (all[k].p) rankSumPos += rank;
    i = j + 1;
  }
  const nP = positives.length;
  const nN = negatives.length;
  return (rankSumPos - (nP * (nP + 1)) / 2) / (nP * nN);
}

function checkCount(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}

function normalizeOptions(opts: EvalOptions): EvalResult['options'] {
  const o = {
    surfaces: opts.surfaces ?? SURFACES,
    levels: opts.levels ?? LEVELS,
    trainNormals: checkCount('trainNormals', opts.trainNormals ?? 40, 2, 500),
    testNormals: checkCount('testNormals', opts.testNormals ?? 20, 1, 1000),
    defectsPerKind: checkCount('defectsPerKind', opts.defectsPerKind ?? 6, 1, 1000),
    kinds: opts.kinds ?? DEFECT_KINDS,
    coresetRatio: opts.coresetRatio ?? 0.1,
    seed: opts.seed ?? 'eval',
    size: opts.size ?? 256,
  };
  if (o.surfaces.length === 0 || o.levels.length === 0 || o.kinds.length === 0) throw new RangeError('surfaces, levels and kinds must not be empty');
  for (const s of o.surfaces) if (!SURFACES.includes(s)) throw new RangeError(`unknown surface '${String(s)}'`);
  for (const l of o.levels) if (!LEVELS.includes(l)) throw new RangeError(`unknown level '${String(l)}'`);
  for (const k of o.kinds) if (!DEFECT_KINDS.includes(k)) throw new RangeError(`unknown defect kind '${String(k)}'`);
  if (!(o.coresetRatio > 0 && o.coresetRatio <= 1)) throw new RangeError(`coresetRatio must be in (0, 1], got ${o.coresetRatio}`);
  return o;
}

interface TestImage {
  img: SynthImage;
  surface: Surface;
  level: Level;
}

/** Runs the evaluation (see the file comment). */
export async function evaluateDefaultModel(opts: EvalOptions = {}): Promise<EvalResult> {
  const t0 = performance.now();
  const o = normalizeOptions(opts);
  const progress = opts.onProgress ?? (() => undefined);
  const backbone = await loadModel(opts.backboneDir ?? DEFAULT_BACKBONE_DIR, { task: 'patchcore-backbone', threads: opts.threads });
  const conditions: ConditionResult[] = [];
  const tested: TestImage[] = [];
  for (const level of o.levels) {
    for (const surface of o.surfaces) {
      let t = performance.now();
      const train = await generateSet({ surface, level, normals: o.trainNormals, defectsPerKind: 0, seed: `${o.seed}-train`, size: o.size });
      const test = await generateSet({ surface, level, normals: o.testNormals, defectsPerKind: o.defectsPerKind, kinds: o.kinds, seed: `${o.seed}-test`, size: o.size });
      const msGenerate = performance.now() - t;
      t = performance.now();
      const bank = await buildBank(
        backbone,
        train.map((im) => im.png),
        { coresetRatio: o.coresetRatio, threads: opts.threads, names: train.map((im) => im.name) },
      );
      const msBank = performance.now() - t;
      t = performance.now();
      const scorer = await PatchcoreScorer.create(bank, 'onnx', opts.threads);
      const normalScores: number[] = [];
      const defectScores: ConditionResult['defectScores'] = [];
      let below = 0;
      try {
        for (const im of test) {
          const { grid } = await extractFeatures(backbone, im.png);
          const s = await scorer.score(grid, { map: false });
          if (im.label === 'normal') {
            normalScores.push(s.imageScore);
            if (bank.header.normalization && normalizeScore(s.imageScore, bank.header.normalization) < 0.85) below++;
          } else {
            defectScores.push({ kind: im.label, variant: im.variant, score: s.imageScore });
          }
          tested.push({ img: im, surface, level });
        }
      } finally {
        await scorer.dispose();
      }
      const perKind: ConditionResult['perKind'] = {};
      for (const k of o.kinds) {
        perKind[k] = auroc(
          normalScores,
          defectScores.filter((d) => d.kind === k).map((d) => d.score),
        );
      }
      const r: ConditionResult = {
        surface,
        level,
        auroc: auroc(
          normalScores,
          defectScores.map((d) => d.score),
        ),
        perKind,
        normals: normalScores.length,
        defects: defectScores.length,
        normalScores,
        defectScores,
        normalsBelowThreshold: below,
        bankRows: bank.n,
        ms: { generate: msGenerate, bank: msBank, score: performance.now() - t },
      };
      conditions.push(r);
      progress(`${level} ${surface}: AUROC ${r.auroc.toFixed(4)} (bank ${bank.n} rows, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  const plain = conditions.filter((c) => c.level === 'plain').map((c) => c.auroc);
  const hard = conditions.filter((c) => c.level === 'hard').map((c) => c.auroc);
  const plainMin = plain.length ? Math.min(...plain) : NaN;
  const hardMean = hard.length ? hard.reduce((a, b) => a + b, 0) / hard.length : NaN;
  const result: EvalResult = {
    backbone: { name: backbone.manifest.name, sha256: backbone.sha256 },
    options: o,
    conditions,
    plainMin,
    hardMean,
    pass: (plain.length === 0 || plainMin >= PLAIN_MIN_AUROC) && (hard.length === 0 || hardMean >= HARD_MEAN_AUROC),
    ms: 0,
  };
  const embedDir = opts.embedDir === undefined ? DEFAULT_EMBED_DIR : opts.embedDir;
  if (embedDir) result.embed = await evaluateEmbedder(embedDir, tested, opts.threads, progress);
  result.ms = performance.now() - t0;
  return result;
}

function nearestLabel<T>(items: { v: Float32Array; label: T }[], q: number): T {
  let best = -Infinity;
  let label = items[q].label;
  const a = items[q].v;
  for (let j = 0; j < items.length; j++) {
    if (j === q) continue;
    const b = items[j].v;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    if (s > best) {
      best = s;
      label = items[j].label;
    }
  }
  return label;
}

/** Embedding check on the test images: kind classification among defect exemplars, surface retrieval. */
async function evaluateEmbedder(dir: string, images: TestImage[], threads: number | undefined, progress: (m: string) => void): Promise<EmbedResult> {
  const model = await loadModel(dir, { task: 'clip-image-embedding', threads });
  const rows: { v: Float32Array; surface: Surface; level: Level; label: string }[] = [];
  for (const t of images) rows.push({ v: (await embedImage(model, t.img.png)).normalized, surface: t.surface, level: t.level, label: t.img.label });
  const within: EmbedResult['within'] = [];
  const combos = [...new Set(rows.map((r) => `${r.surface}|${r.level}`))];
  for (const c of combos) {
    const [surface, level] = c.split('|') as [Surface, Level];
    const defects = rows.filter((r) => r.surface === surface && r.level === level && r.label !== 'normal');
    if (defects.length < 2) continue;
    let ok = 0;
    const items = defects.map((d) => ({ v: d.v, label: d.label }));
    for (let q = 0; q < items.length; q++) if (nearestLabel(items, q) === items[q].label) ok++;
    within.push({ surface, level, accuracy: ok / items.length, n: items.length });
  }
  const all = rows.filter((r) => r.label !== 'normal').map((d) => ({ v: d.v, label: d.label }));
  const confusion: Record<string, Record<string, number>> = {};
  let ok = 0;
  for (let q = 0; q < all.length; q++) {
    const got = nearestLabel(all, q);
    if (got === all[q].label) ok++;
    confusion[all[q].label] ??= {};
    confusion[all[q].label][got] = (confusion[all[q].label][got] ?? 0) + 1;
  }
  const surf = rows.map((r) => ({ v: r.v, label: r.surface }));
  let sOk = 0;
  for (let q = 0; q < surf.length; q++) if (nearestLabel(surf, q) === surf[q].label) sOk++;
  const res: EmbedResult = {
    model: model.manifest.name,
    within,
    pooled: { accuracy: all.length ? ok / all.length : NaN, n: all.length, confusion },
    surfaceRetrieval: { accuracy: surf.length ? sOk / surf.length : NaN, n: surf.length },
  };
  progress(`embedder ${res.model}: kind 1-NN pooled ${(res.pooled.accuracy * 100).toFixed(1)} %, surface retrieval ${(res.surfaceRetrieval.accuracy * 100).toFixed(1)} %`);
  return res;
}

/** A plain-text report of an evaluation. */
export function formatReport(r: EvalResult): string {
  const kinds = r.options.kinds;
  const pct = (v: number) => (Number.isNaN(v) ? '  -  ' : v.toFixed(3));
  const lines: string[] = [];
  lines.push(`backbone ${r.backbone.name} (sha256 ${r.backbone.sha256.slice(0, 12)}…), seed '${r.options.seed}', bank: ${r.options.trainNormals} normals, coreset ${r.options.coresetRatio}`);
  lines.push(`test per surface × level: ${r.options.testNormals} normals + ${r.options.defectsPerKind} × ${kinds.length} defects`);
  lines.push('');
  lines.push(`level  surface   AUROC  | ${kinds.map((k) => k.padEnd(7)).join(' ')} | normals < 0.85`);
  for (const c of r.conditions) {
    lines.push(
      `${c.level.padEnd(6)} ${c.surface.padEnd(9)} ${pct(c.auroc)}  | ${kinds.map((k) => pct(c.perKind[k] ?? NaN).padEnd(7)).join(' ')} | ${c.normalsBelowThreshold}/${c.normals}`,
    );
  }
  lines.push('');
  lines.push(`plain: min AUROC ${pct(r.plainMin)} (goal ≥ ${PLAIN_MIN_AUROC})   hard: mean AUROC ${pct(r.hardMean)} (goal ≥ ${HARD_MEAN_AUROC})   ${r.pass ? 'PASS' : 'FAIL'}`);
  if (r.embed) {
    const e = r.embed;
    lines.push('');
    lines.push(`embedder ${e.model}: defect-kind 1-NN (leave-one-out, cosine)`);
    for (const w of e.within) lines.push(`  ${w.level.padEnd(6)} ${w.surface.padEnd(9)} ${(w.accuracy * 100).toFixed(1)} % of ${w.n}`);
    lines.push(`  pooled over all surfaces and levels: ${(e.pooled.accuracy * 100).toFixed(1)} % of ${e.pooled.n}`);
    lines.push(`  surface retrieval (nearest image is the same surface): ${(e.surfaceRetrieval.accuracy * 100).toFixed(1)} % of ${e.surfaceRetrieval.n}`);
  }
  lines.push(`(${(r.ms / 1000).toFixed(1)} s)`);
  return lines.join('\n');
}
