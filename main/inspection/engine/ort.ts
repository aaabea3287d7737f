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

export function sessionOptions(threads = ortThreads()): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: ['cpu'],
  };
}
