/**
 * Tries a variant of the default PatchCore backbone in process, on both part generators, before it is made the
 * default: builds the backbone from a config (JSON merged into DEFAULT_BACKBONE), then for each set a bank from 40
 * normals (coreset 0.1, the engine's buildBank) and the image AUROC of the test images, overall and per defect kind.
 *
 *   npx tsx ml-models/build/try-backbone.ts '{"line":null}' [SET...]
 *
 * SET: `indep<SEED>:<surface>-<level>` (bench/inspection/independent-parts/generate.mjs with that seed: A and B are the
 * bench's seeds, any number is a seed of its own; generated once into the temp folder) or
 * `ours[=<seed>]:<surface>-<level>` (main/inspection/synth, seed `eval` by default). Default: the cast-hard sets.
 * With BORDER=k the score is the largest patch distance at least k cells from the border (a probe, not the engine's
 * score); with CALIB=1 the bank is calibrated as `bank build` does and the held-out normals below 0.85 are counted;
 * with DIAG=1 each test image's score, its top patch and the channels that differ most there.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBank, normalizeScore, PatchcoreScorer } from '../../main/inspection/engine/bank';
import { loadModel } from '../../main/inspection/engine/models';
import { extractFeatures } from '../../main/inspection/engine/patchcore';
import { INDEPENDENT_GENERATOR, INDEPENDENT_SEEDS } from '../../bench/inspection/db-eval';
import { auroc } from '../../bench/inspection/eval';
import { generateSet, type Level, type Surface } from '../../main/inspection/synth/generate';
import { buildPatchcoreBackbone, DEFAULT_BACKBONE, type BackboneConfig } from './default-models';

const override = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
// null in the JSON removes an option of the default (e.g. {"line":null})
const cfg = { ...DEFAULT_BACKBONE } as Record<string, unknown>;
for (const [k, v] of Object.entries(override)) {
  if (v === null) delete cfg[k];
  else cfg[k] = v;
}
const sets = process.argv.slice(3);
const list = sets.length ? sets : ['indepA:cast-hard', 'indepB:cast-hard', 'ours:cast-hard'];

const built = buildPatchcoreBackbone(cfg as unknown as BackboneConfig);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-try-backbone-'));
fs.writeFileSync(path.join(dir, 'model.onnx'), built.onnx);
fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(built.manifest));
const model = await loadModel(dir, { task: 'patchcore-backbone' });

interface Item {
  buf: Buffer;
  label: string;
  name?: string;
}

function independentRoot(seedName: string): string {
  const seed = INDEPENDENT_SEEDS[seedName] ?? Number(seedName);
  if (!Number.isInteger(seed)) throw new RangeError(`independent seed '${seedName}' is neither A, B nor a number`);
  const root = path.join(os.tmpdir(), `ld-independent-parts-${seed}`);
  if (!fs.existsSync(path.join(root, 'labels.json'))) execFileSync(process.execPath, [INDEPENDENT_GENERATOR, root, String(seed)], { stdio: 'ignore' });
  return root;
}

async function load(spec: string): Promise<{ train: Buffer[]; test: Item[] }> {
  const [src, set] = spec.split(':');
  if (!set) throw new RangeError(`set '${spec}' is not SOURCE:surface-level`);
  if (src.startsWith('indep')) {
    const root = independentRoot(src.slice(5));
    const labels = (JSON.parse(fs.readFileSync(path.join(root, 'labels.json'), 'utf8')) as Record<string, Record<string, number>>)[set];
    if (!labels) throw new RangeError(`the independent generator has no set '${set}'`);
    const tdir = path.join(root, set, 'train');
    const train = fs
      .readdirSync(tdir)
      .sort()
      .map((f) => fs.readFileSync(path.join(tdir, f)));
    const test = Object.keys(labels)
      .sort()
      .map((f) => ({ buf: fs.readFileSync(path.join(root, set, 'test', f)), label: f.split('_')[0], name: f }));
    return { train, test };
  }
  const [surface, level] = set.split('-') as [Surface, Level];
  const seed = src.includes('=') ? src.split('=')[1] : 'eval';
  const tr = await generateSet({ surface, level, normals: 40, defectsPerKind: 0, seed: `${seed}-train` });
  const te = await generateSet({ surface, level, normals: 20, defectsPerKind: 6, seed: `${seed}-test` });
  return { train: tr.map((i) => i.png as Buffer), test: te.map((i) => ({ buf: i.png as Buffer, label: i.label })) };
}

const t0 = performance.now();
const out: string[] = [];
const border = Number(process.env.BORDER ?? 0);
for (const spec of list) {
  const { train, test } = await load(spec);
  const calib = Boolean(process.env.CALIB);
  const bank = await buildBank(model, train, { coresetRatio: 0.1, calibrationImages: calib ? undefined : 0 });
  let below = 0;
  const scorer = await PatchcoreScorer.create(bank, 'onnx');
  const scores: { label: string; s: number }[] = [];
  for (const t of test) {
    const { grid } = await extractFeatures(model, t.buf);
    const r = await scorer.score(grid, { map: false });
    let inner = 0;
    const [gh, gw] = r.grid;
    for (let y = border; y < gh - border; y++) for (let x = border; x < gw - border; x++) inner = Math.max(inner, r.patchScores[y * gw + x]);
    scores.push({ label: t.label, s: border ? inner : r.imageScore });
    if (t.label === 'normal' && bank.header.normalization && normalizeScore(r.imageScore, bank.header.normalization) < 0.85) below++;
    if (process.env.DIAG) {
      const a = r.argmax;
      const d = grid.dim;
      const nn = r.nnIndex[a];
      const diffs = Array.from({ length: d }, (_, c) => [c, grid.data[a * d + c] - bank.features[nn * d + c]] as const).sort((p, q) => Math.abs(q[1]) - Math.abs(p[1]));
      const top = diffs
        .slice(0, 5)
        .map(([c, v]) => `${c}:${v.toFixed(2)}`)
        .join(' ');
      process.stderr.write(`  ${(t.name ?? t.label).padEnd(16)} ${r.imageScore.toFixed(3)} at ${Math.floor(a / gw)},${a % gw}  ${top}\n`);
    }
  }
  await scorer.dispose();
  const neg = scores.filter((x) => x.label === 'normal').map((x) => x.s);
  const kinds = [...new Set(scores.map((x) => x.label))].filter((k) => k !== 'normal');
  const per = kinds.map((k) => `${k} ${auroc(neg, scores.filter((x) => x.label === k).map((x) => x.s)).toFixed(2)}`);
  const a = auroc(
    neg,
    scores.filter((x) => x.label !== 'normal').map((x) => x.s),
  );
  out.push(`${spec.padEnd(22)} ${a.toFixed(3)}  ${per.join(' ')}${calib ? `  normals < 0.85: ${below}/${neg.length}` : ''}`);
  process.stderr.write(`${out[out.length - 1]}\n`);
}
console.log(`${JSON.stringify(override)}: channels ${built.channels.join(' + ')} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n${out.join('\n')}`);
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
