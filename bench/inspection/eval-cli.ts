/**
 * The full evaluation of the default models on synthetic parts (the vitest test runs a subset):
 *
 *   npx tsx bench/inspection/eval-cli.ts [--surfaces brushed,cast,machined] [--levels plain,hard]
 *       [--train 40] [--test-normals 20] [--per-kind 6] [--seed eval] [--coreset 0.1] [--threads 2]
 *       [--backbone <model folder>] [--embed <model folder> | --no-embed] [--json]
 *
 * Exit status: 0 when the goals are met (plain ≥ 0.98 on every surface, hard mean ≥ 0.95), 1 when not, 2 on bad
 * arguments.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseModels } from '../../main/inspection/engine/models';
import { evaluateDefaultModel, formatReport, type EvalOptions } from './eval';
import type { Level, Surface } from '../../main/inspection/synth/generate';

export async function main(argv: string[]): Promise<number> {
  const opts: EvalOptions = {};
  let json = false;
  const args = argv.slice(2);
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new RangeError(`${flag} needs a number`);
    return n;
  };
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const next = () => args[++i];
      switch (a) {
        case '--surfaces':
          opts.surfaces = (next() ?? '').split(',').filter(Boolean) as Surface[];
          break;
        case '--levels':
          opts.levels = (next() ?? '').split(',').filter(Boolean) as Level[];
          break;
        case '--train':
          opts.trainNormals = num(a, next());
          break;
        case '--test-normals':
          opts.testNormals = num(a, next());
          break;
        case '--per-kind':
          opts.defectsPerKind = num(a, next());
          break;
        case '--coreset':
          opts.coresetRatio = num(a, next());
          break;
        case '--threads':
          opts.threads = num(a, next());
          break;
        case '--seed':
          opts.seed = next();
          if (!opts.seed) throw new RangeError('--seed needs a value');
          break;
        case '--backbone':
          opts.backboneDir = next();
          break;
        case '--embed':
          opts.embedDir = next();
          break;
        case '--no-embed':
          opts.embedDir = null;
          break;
        case '--json':
          json = true;
          break;
        default:
          throw new RangeError(`unknown argument ${a}`);
      }
    }
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  if (!json) opts.onProgress = (m) => process.stderr.write(`${m}\n`);
  let result;
  try {
    result = await evaluateDefaultModel(opts);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return e instanceof RangeError ? 2 : 1;
  } finally {
    await releaseModels();
  }
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${formatReport(result)}\n`);
  return result.pass ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
