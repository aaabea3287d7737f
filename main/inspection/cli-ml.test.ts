/**
 * `ml embed` / `ml patchcore` against the parity fixtures, through commander and the CLI context (no database):
 * model folders are written next to copies of the fixture ONNX files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine } from './engine/clip';
import { releaseModels } from './engine/models';
import { maxRelError, prepareFixtures, type FixtureSet } from './engine/testing/testkit';
import { CliFailure, createCliContext } from '../cli/context';
import { registerMlCommands as register } from './cli-ml';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s) };
  const program = new Command('linedeck').option('--json').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const ctx = createCliContext(program, io);
  register(program, ctx);
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = 2;
    else if (e instanceof CliFailure) {
      code = e.exitCode;
      io.stderr(`linedeck: ${e.message.split('\n')[0]}\n`);
    } else throw e;
  }
  return { code, stdout, stderr };
}

describe('linedeck ml', () => {
  let fx: FixtureSet;
  beforeAll(() => {
    fx = prepareFixtures();
  });
  afterAll(async () => {
    await releaseModels();
    fx?.cleanup();
  });

  it('ml embed prints the raw embeddings', async () => {
    const names = Object.keys(fx.expected.clip);
    const images = names.map((n) => path.join(fx.dir, n));
    const r = await run(['ml', 'embed', '--model', fx.clipModel, '--json', ...images]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    expect(out.results.map((x: { image: string }) => x.image)).toEqual(images);
    names.forEach((n, i) => {
      const e = out.results[i].embedding as number[];
      expect(e).toHaveLength(fx.expected.clip[n].embedding.length);
      // the tighter bound where no resize happens is checked in the parity test; any image meets 0.999
      expect(cosine(e, fx.expected.clip[n].embedding)).toBeGreaterThanOrEqual(0.999);
    });
  });

  it('ml patchcore prints raw scores and writes the blurred maps', async () => {
    const mapsOut = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-maps-'));
    const images = fx.expected.test_order.map((n) => path.join(fx.dir, n));
    const r = await run(['ml', 'patchcore', '--backbone', fx.backboneModel, '--train', path.join(fx.dir, 'pc', 'train'), '--coreset-ratio', '1', '--maps-out', mapsOut, '--json', ...images]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.bank_size).toEqual(fx.expected.bank_size);
    const side = fx.facts.pcSize;
    out.results.forEach((res: { image: string; image_score: number; max_patch_distance: number; patch_scores: number[] }, k: number) => {
      const ref = fx.expected.patchcore[fx.expected.test_order[k]];
      expect(res.image).toBe(images[k]);
      expect(Math.abs(res.image_score - ref.image_score) / ref.image_score).toBeLessThan(1e-3);
      expect(Math.abs(res.max_patch_distance - ref.raw_max_patch_distance) / ref.raw_max_patch_distance).toBeLessThan(1e-3);
      expect(maxRelError(res.patch_scores, fx.facts.patchScores(fx.expected.test_order[k]))).toBeLessThan(1e-3);
      const file = path.join(mapsOut, `${path.basename(images[k], path.extname(images[k]))}.f32`);
      const buf = fs.readFileSync(file);
      expect(buf.length).toBe(side * side * 4);
      const map = Array.from({ length: side * side }, (_, i) => buf.readFloatLE(i * 4));
      expect(maxRelError(map, fx.refMap(k))).toBeLessThan(1e-3);
    });
    expect(r.stderr).toMatch(/patchcore: 100%/);
    fs.rmSync(mapsOut, { recursive: true, force: true });
  });

  it('exits 2 on bad arguments and 1 with a reason on failures', async () => {
    const img = path.join(fx.dir, fx.expected.test_order[0]);
    const train = path.join(fx.dir, 'pc', 'train');
    expect((await run(['ml', 'patchcore', '--backbone', fx.backboneModel, '--train', train, '--coreset-ratio', '2', img])).code).toBe(2);
    expect((await run(['ml', 'patchcore', '--train', train, img])).code).toBe(2);
    expect((await run(['ml', 'embed', '--model', fx.clipModel])).code).toBe(2);

    const noTrain = await run(['ml', 'patchcore', '--backbone', fx.backboneModel, '--train', path.join(fx.dir, 'nope'), img]);
    expect(noTrain).toMatchObject({ code: 1, stdout: '' });
    expect(noTrain.stderr).toMatch(/--train .*nope: folder not found/);

    const wrongTask = await run(['ml', 'embed', '--model', fx.backboneModel, img]);
    expect(wrongTask.code).toBe(1);
    expect(wrongTask.stderr).toMatch(/is a patchcore-backbone model; a clip-image-embedding model is needed here/);

    const missing = await run(['ml', 'embed', '--model', fx.clipModel, path.join(fx.dir, 'missing.png')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing\.png not found/);

    const odd = fx.facts.oddSized;
    const wrongSize = await run(['ml', 'patchcore', '--backbone', fx.backboneModel, '--train', train, path.join(fx.dir, odd.name)]);
    expect(wrongSize.code).toBe(1);
    expect(wrongSize.stderr.trim().split('\n').at(-1)).toContain(
      `${path.basename(odd.name)}: image is ${odd.width}×${odd.height}, the model needs exactly ${fx.facts.pcSize}×${fx.facts.pcSize}`,
    );
  });
});
