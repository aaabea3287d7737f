/**
 * Speed of the default models and of the synthetic part generator, measured in one run (never a timed unit test):
 *   - each default model's session.run on one image of its input size, at 1 and 2 onnxruntime threads (goal < 30 ms);
 *   - the generator: one 256×256 part image rendered and PNG-encoded (goal < 50 ms, so a demo product's 60 images
 *     take a few seconds).
 *
 *   npx tsx bench/inspection/synthetic.ts        (or register `bench` in bench/benches.ts)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { loadModel, releaseModels } from '../../main/inspection/engine/models';
import { DEFAULT_BACKBONE_DIR, DEFAULT_EMBED_DIR } from './eval';
import { generateImage, SURFACES } from '../../main/inspection/synth/generate';

export interface Goal {
  goal: string;
  ok: boolean;
  detail: string;
}

const MODEL_GOAL_MS = 30;
const GENERATOR_GOAL_MS = 50;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export async function bench(log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<Goal[]> {
  const goals: Goal[] = [];
  for (const dir of [DEFAULT_BACKBONE_DIR, DEFAULT_EMBED_DIR]) {
    for (const threads of [1, 2]) {
      const m = await loadModel(dir, { threads });
      const [H, W] = m.manifest.input.size;
      const x = new Float32Array(3 * H * W);
      for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) * 1.5;
      const feeds = { [m.manifest.input.name]: new ort.Tensor('float32', x, [1, 3, H, W]) };
      for (let i = 0; i < 3; i++) await m.session.run(feeds);
      const t: number[] = [];
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        await m.session.run(feeds);
        t.push(performance.now() - t0);
      }
      const ms = median(t);
      const detail = `${ms.toFixed(2)} ms median of 25 (${(ms / MODEL_GOAL_MS).toFixed(2)} × the goal)`;
      log(`${m.manifest.name}, ${threads} thread${threads > 1 ? 's' : ''}: ${detail}`);
      goals.push({ goal: `${m.manifest.name} session.run < ${MODEL_GOAL_MS} ms on ${threads} thread${threads > 1 ? 's' : ''}`, ok: ms < MODEL_GOAL_MS, detail });
    }
  }
  await releaseModels();
  const per: number[] = [];
  for (const surface of SURFACES) {
    await generateImage({ surface, level: 'hard', label: 'normal', seed: 'bench-warm', index: 0 });
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      await generateImage({ surface, level: i % 2 ? 'hard' : 'plain', label: i % 3 ? 'scratch' : 'normal', seed: 'bench', index: i });
      per.push(performance.now() - t0);
    }
  }
  const gen = median(per);
  const detail = `${gen.toFixed(1)} ms median of ${per.length} (${(gen / GENERATOR_GOAL_MS).toFixed(2)} × the goal)`;
  log(`synthetic part 256×256 (render + PNG): ${detail}`);
  goals.push({ goal: `synthetic part image < ${GENERATOR_GOAL_MS} ms`, ok: gen < GENERATOR_GOAL_MS, detail });
  return goals;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bench().then((goals) => {
    for (const g of goals) process.stdout.write(`${g.ok ? 'MET ' : 'MISS'} ${g.goal} — ${g.detail}\n`);
  });
}
