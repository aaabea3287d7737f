/**
 * anomalib's embedding step (patchEmbedding in patchcore.ts: AvgPool2d(3, 1, 1) with count_include_pad=True on both
 * maps, the coarser resized bilinearly with align_corners=False, concatenated, patch-major rows) as a small ONNX graph,
 * one per pair of feature-map shapes. The same sums in onnxruntime's vectorised kernels: for a WideResNet-50 backbone
 * (512 × 28 × 28 + 1024 × 14 × 14) the typed-array loops took about 23 ms per image on 2 cores. patchEmbedding stays
 * the reference; a test holds the two together.
 */
import ort from 'onnxruntime-node';
import { GraphBuilder } from './onnx/builder';
import { sessionOptions } from './ort';
import type { PatchGrid } from './types';

type Shape = [number, number, number];

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** The graph: fine [1,c1,h,w] and coarse [1,c2,h2,w2] → patches [h·w, c1+c2]. */
export function poolerModel(fine: Shape, coarse: Shape): Uint8Array {
  const [c1, h, w] = fine;
  const [c2, h2, w2] = coarse;
  const g = new GraphBuilder();
  const a = g.input('fine', [1, c1, h, w]);
  const b = g.input('coarse', [1, c2, h2, w2]);
  const pool = (x: string) => g.avgPool(x, 3, 1, 1, true);
  // PyTorch's align_corners=False source index, negative sources clamped to 0, as F.interpolate(bilinear)
  const bp = h2 !== h || w2 !== w ? g.resize(pool(b), [1, c2, h, w], 'pytorch_half_pixel') : pool(b);
  const cat = g.concat([pool(a), bp]);
  const rows = g.op('Transpose', [g.op('Reshape', [cat, g.constInt64([2], [c1 + c2, h * w], 'shape')])], { perm: [1, 0] });
  g.output(rows, 'patches', [h * w, c1 + c2]);
  return g.toModel({ name: 'linedeck-patch-embedding', docString: 'anomalib PatchCore embedding: 3x3 average pooling, bilinear resize, concat, patch rows', producerVersion: '1' });
}

function sessionFor(fine: Shape, coarse: Shape, threads: number): Promise<ort.InferenceSession> {
  const key = `${fine.join('x')}|${coarse.join('x')}|${threads}`;
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(poolerModel(fine, coarse), sessionOptions(threads));
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  return s;
}

/** patchEmbedding of two backbone outputs, run by onnxruntime. */
export async function patchEmbeddingOrt(fine: ort.Tensor, coarse: ort.Tensor, threads: number): Promise<PatchGrid> {
  const f = fine.dims.slice(1).map(Number) as Shape;
  const c = coarse.dims.slice(1).map(Number) as Shape;
  const session = await sessionFor(f, c, threads);
  const out = await session.run({ fine, coarse });
  const t = out.patches as ort.Tensor;
  return { h: f[1], w: f[2], dim: f[0] + c[0], data: t.data as Float32Array };
}

/** Releases the cached pooling sessions (tests, shutdown). */
export async function releasePoolers(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const p of all) await (await p.catch(() => undefined))?.release().catch(() => undefined);
}
