/**
 * CLIP image embeddings: the model's raw output (what `ml embed` prints and the parity test compares) and its
 * L2-normalized form (what similarity search stores and compares, decisions.md inspection 3).
 */
import ort from 'onnxruntime-node';
import type { LoadedModel } from './models';
import { preprocess, type ImageSource, type LoadOptions, type RgbImage } from './preprocess';

export { cosine, dot } from './vectors';

export interface Embedding {
  /** raw model output */
  raw: Float32Array;
  /** raw / ‖raw‖ */
  normalized: Float32Array;
  norm: number;
}

export function l2norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

export function l2normalize(v: ArrayLike<number>): Float32Array {
  const n = l2norm(v);
  const out = new Float32Array(v.length);
  if (n === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

function assertClip(model: LoadedModel): asserts model is LoadedModel & { manifest: { task: 'clip-image-embedding'; outputs: { embedding: string } } } {
  if (model.manifest.task !== 'clip-image-embedding') throw new Error(`model ${model.manifest.name} is a ${model.manifest.task} model, not clip-image-embedding`);
}

/** Embeds one already preprocessed tensor [1, 3, H, W]. */
export async function embedTensor(model: LoadedModel, tensor: Float32Array): Promise<Embedding> {
  assertClip(model);
  const [H, W] = model.manifest.input.size;
  const input = new ort.Tensor('float32', tensor, [1, 3, H, W]);
  const out = await model.session.run({ [model.manifest.input.name]: input }, [model.manifest.outputs.embedding]);
  const t = out[model.manifest.outputs.embedding] as ort.Tensor;
  const raw = new Float32Array(t.data as Float32Array);
  t.dispose?.();
  const norm = l2norm(raw);
  return { raw, normalized: l2normalize(raw), norm };
}

/** Decodes, preprocesses (manifest rules) and embeds one image. */
export async function embedImage(model: LoadedModel, src: ImageSource | RgbImage, opts: LoadOptions = {}): Promise<Embedding> {
  assertClip(model);
  const pre = await preprocess(src, model.manifest.input, { alpha: 'flatten-white', ...opts });
  return embedTensor(model, pre.tensor);
}
