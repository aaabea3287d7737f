/** onnxruntime settings shared by every session the engine opens. */
import type ort from 'onnxruntime-node';

/** Intra-op threads per session: LINEDECK_ORT_THREADS (1–64), default 2 (a station PC runs several things). */
export function ortThreads(): number {
  const raw = process.env.LINEDECK_ORT_THREADS;
  if (raw === undefined || raw.trim() === '') return 2;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`LINEDECK_ORT_THREADS must be an integer from 1 to 64, got "${raw}"`);
  return n;
}

/**
 * Session options. Spinning is off: an inspection runs several sessions back to back (backbone, bank search,
 * embedding), each with its own intra-op pool, and a pool that keeps spinning after its run takes the cores the
 * next session needs. Measured on 2 cores (default models, 224 px): backbone + embedding run 19.5 ms without
 * spinning against 43 ms with it. `spin: true` is for a session run in a tight loop by itself (the coreset's
 * Gemm: a 200-image bank took 35 s without spinning, 28 s with it).
 */
export function sessionOptions(threads = ortThreads(), opts: { spin?: boolean } = {}): ort.InferenceSession.SessionOptions {
  const spin = opts.spin ? '1' : '0';
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}
