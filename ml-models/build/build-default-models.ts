/**
 * Builds LineDeck's default inspection models from code and writes their folders (model.onnx + model.json):
 *
 *   npm run models:build            writes ml-models/linedeck-patchcore-default and ml-models/linedeck-embed-default
 *   npm run models:build -- --check exits 1 when the committed folders differ from what this script builds
 *   npm run models:build -- --out <dir>   writes the folders under <dir> instead
 *
 * The build is deterministic: the same source gives byte-identical files (build.test.ts checks it).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_VERSION, buildEmbedder, buildPatchcoreBackbone, type BuiltModel } from './default-models';

export const MODELS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BuiltFolder {
  /** folder name under the models root */
  name: string;
  files: { 'model.onnx': Uint8Array; 'model.json': Uint8Array };
}

const DESCRIPTIONS: Record<string, string> = {
  'linedeck-patchcore-default':
    'LineDeck default PatchCore backbone built from code: fixed Gabor and Laplacian-of-Gaussian filter banks on illumination-normalised log luminance at three scales plus colour-opponent and relative-luminance means; layer2 = stride 8, layer3 = stride 16. See ml-models/README.md.',
  'linedeck-embed-default':
    'LineDeck default image descriptor built from code: statistics of the same fixed filter energies and colour channels on a 28x28 grid (image mean, extreme deviations, spread, most salient cell). Not a CLIP network; a drop-in for the clip-image-embedding task. See ml-models/README.md.',
};

function folder(model: BuiltModel): BuiltFolder {
  const name = String(model.manifest.name);
  const manifest = {
    ...model.manifest,
    description: DESCRIPTIONS[name],
    version: BUILD_VERSION,
    source: 'ml-models/build/build-default-models.ts',
  };
  return {
    name,
    files: {
      'model.onnx': model.onnx,
      'model.json': new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    },
  };
}

/** Builds both default models in memory. */
export function buildDefaultModels(): BuiltFolder[] {
  return [folder(buildPatchcoreBackbone()), folder(buildEmbedder())];
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes the folders under `root`; returns what was written. */
export function writeDefaultModels(root = MODELS_ROOT): { dir: string; file: string; bytes: number; sha256: string }[] {
  const out: { dir: string; file: string; bytes: number; sha256: string }[] = [];
  for (const f of buildDefaultModels()) {
    const dir = path.join(root, f.name);
    mkdirSync(dir, { recursive: true });
    for (const [file, bytes] of Object.entries(f.files)) {
      writeFileSync(path.join(dir, file), bytes);
      out.push({ dir, file, bytes: bytes.length, sha256: sha256(bytes) });
    }
  }
  return out;
}

/** Compares the folders under `root` with a fresh build; returns the differing files (empty: up to date). */
export function checkDefaultModels(root = MODELS_ROOT): string[] {
  const stale: string[] = [];
  for (const f of buildDefaultModels()) {
    for (const [file, bytes] of Object.entries(f.files)) {
      const p = path.join(root, f.name, file);
      if (!existsSync(p) || sha256(readFileSync(p)) !== sha256(bytes)) stale.push(path.relative(process.cwd(), p) || p);
    }
  }
  return stale;
}

function main(argv: string[]): number {
  const args = argv.slice(2);
  let root = MODELS_ROOT;
  let check = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--check') check = true;
    else if (args[i] === '--out' && args[i + 1]) root = path.resolve(args[++i]);
    else {
      process.stderr.write(`usage: tsx ml-models/build/build-default-models.ts [--check] [--out <dir>]\nunknown argument: ${args[i]}\n`);
      return 2;
    }
  }
  if (check) {
    const stale = checkDefaultModels(root);
    if (stale.length) {
      process.stderr.write(`out of date (run npm run models:build): ${stale.join(', ')}\n`);
      return 1;
    }
    process.stdout.write('default models are up to date\n');
    return 0;
  }
  for (const w of writeDefaultModels(root)) {
    process.stdout.write(`${path.relative(process.cwd(), path.join(w.dir, w.file))}  ${w.bytes} bytes  sha256 ${w.sha256}\n`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv);
}
