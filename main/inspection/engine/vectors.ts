/** Vector arithmetic of embeddings, pure (no ONNX Runtime): usable on the main thread and in the workers. */

/** Cosine similarity of two vectors (any scale). 0 when one of them is zero. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths differ (${a.length} vs ${b.length})`);
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : d / Math.sqrt(na * nb);
}

/** Dot product: the cosine of two L2-normalized vectors. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dot: lengths differ (${a.length} vs ${b.length})`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d += a[i] * b[i];
  return d;
}
