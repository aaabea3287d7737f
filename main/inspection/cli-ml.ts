/**
 * `ml embed` and `ml patchcore` (shared/contracts/cli.md): the inspection engine alone, without a database, for
 * comparing against reference implementations. Scores are raw (not normalized).
 *
 *   ml embed --model DIR IMAGE...
 *     → {"results": [{"image", "embedding": [...raw model output...]}]}
 *   ml patchcore --backbone DIR --train DIR [--coreset-ratio R] [--maps-out DIR] IMAGE...
 *     → {"bank_size": [N, C], "results": [{"image", "image_score", "max_patch_distance", "patch_scores": [...]}]}
 *     with --maps-out, DIR/<image base name>.f32 = the blurred anomaly map at the model input size, float32 LE,
 *     row-major.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../domain';
import { jobMessageText } from '../jobs/message';

/** The engine (ONNX Runtime, sharp): loaded when a command runs (parsing and --help need none of it). */
const ops = () => import('./engine/ops');

const IMAGE_EXT = /\.(png|jpe?g|bmp|tiff?|webp|gif)$/i;

function coresetRatio(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('a number in (0, 1]');
  return n;
}

function seed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31) throw new InvalidArgumentError('a non-negative integer');
  return n;
}

/** An engine error (ModelError, ImageInputError, …) as a one-line failure. */
function fail(ctx: CliContext, e: unknown): never {
  ctx.fail((e as Error)?.message ?? String(e));
}

function imagesIn(ctx: CliContext, dir: string): string[] {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) ctx.fail(`--train ${dir}: folder not found`);
  const files = fs
    .readdirSync(abs)
    .filter((f) => IMAGE_EXT.test(f) && fs.statSync(path.join(abs, f)).isFile())
    .sort()
    .map((f) => path.join(abs, f));
  if (files.length === 0) ctx.fail(`--train ${dir}: no images (png, jpg, bmp, tif, webp) in the folder`);
  return files;
}

function checkFiles(ctx: CliContext, images: string[]) {
  for (const f of images) if (!fs.existsSync(f) || !fs.statSync(f).isFile()) ctx.fail(`image ${f} not found`);
}

export function registerMlCommands(program: Command, ctx: CliContext): void {
  const ml = program.command('ml').description('run the inspection models directly (no database): CLIP embeddings, PatchCore scores');

  ml.command('embed')
    .description('CLIP image embeddings (raw model output) of images, with the manifest in --model DIR')
    .requiredOption('--model <dir>', 'model folder (model.json + ONNX, task clip-image-embedding)')
    .argument('<images...>', 'image files')
    .action(async (images: string[], o: { model: string }) => {
      checkFiles(ctx, images);
      const { opEmbed } = await ops();
      const results = await opEmbed({ model: o.model, images }, {}).catch((e) => fail(ctx, e));
      const out = { results: results.map((r, i) => ({ image: images[i], embedding: Array.from(r.embedding), norm: r.norm })) };
      ctx.output(out, () => results.map((r, i) => `${images[i]}: ${r.embedding.length}-d, ‖e‖ = ${r.norm.toFixed(4)}`).join('\n'));
    });

  ml.command('patchcore')
    .description('builds a PatchCore memory bank from the images in --train and prints raw scores for each IMAGE')
    .requiredOption('--backbone <dir>', 'model folder (model.json + ONNX, task patchcore-backbone)')
    .requiredOption('--train <dir>', 'folder of normal images for the memory bank')
    .option('--coreset-ratio <r>', 'greedy k-center coreset ratio, (0, 1]', coresetRatio, 0.1)
    .option('--seed <n>', 'random seed of the coreset (projection and start point)', seed, 0)
    .option('--maps-out <dir>', 'write <image base name>.f32: the blurred anomaly map, float32 LE, row-major')
    .argument('<images...>', 'image files to score')
    .action(async (images: string[], o: { backbone: string; train: string; coresetRatio: number; seed: number; mapsOut?: string }) => {
      checkFiles(ctx, images);
      const train = imagesIn(ctx, o.train);
      if (o.mapsOut) {
        const names = images.map((f) => path.basename(f, path.extname(f)));
        const dup = names.find((n, i) => names.indexOf(n) !== i);
        if (dup) ctx.fail(`--maps-out: two images share the base name "${dup}"; their maps would overwrite each other`);
      }
      let last = -1;
      const { opPatchcoreAdhoc } = await ops();
      const r = await opPatchcoreAdhoc(
        { backbone: o.backbone, train, images, coresetRatio: o.coresetRatio, seed: o.seed, maps: Boolean(o.mapsOut) },
        {
          onProgress: (f, m) => {
            const pct = Math.floor(f * 10);
            if (pct !== last) {
              last = pct;
              ctx.progress(`patchcore: ${Math.round(f * 100)}%${m ? ` ${jobMessageText(m)}` : ''}`);
            }
          },
        },
      ).catch((e) => fail(ctx, e));
      if (o.mapsOut) {
        fs.mkdirSync(o.mapsOut, { recursive: true });
        r.results.forEach((res, i) => {
          const map = res.map!;
          const file = path.join(o.mapsOut!, `${path.basename(images[i], path.extname(images[i]))}.f32`);
          const buf = Buffer.alloc(map.length * 4);
          for (let k = 0; k < map.length; k++) buf.writeFloatLE(map[k], k * 4);
          fs.writeFileSync(file, buf);
        });
      }
      const out = {
        bank_size: r.bankSize,
        results: r.results.map((res, i) => ({
          image: images[i],
          image_score: res.imageScore,
          max_patch_distance: res.maxPatchDistance,
          patch_scores: Array.from(res.patchScores),
          grid: res.grid,
          argmax: [res.argmax.row, res.argmax.col],
          map_size: res.mapSize,
        })),
      };
      ctx.output(out, () =>
        [`bank ${r.bankSize[0]} × ${r.bankSize[1]} from ${train.length} image(s)`, ...r.results.map((res, i) => `${images[i]}: image_score ${res.imageScore.toFixed(6)}, max patch distance ${res.maxPatchDistance.toFixed(6)}`)].join('\n'),
      );
    });
}
