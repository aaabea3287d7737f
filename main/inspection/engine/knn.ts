/**
 * Nearest-neighbour search of patch features against a memory bank, two interchangeable backends:
 *
 * - `js`: a blocked typed-array kernel, d² = ‖q‖² + ‖b‖² − 2 q·b with 4 queries × 1 bank row register blocking;
 * - `onnx`: a graph built at run time with onnx-proto (Gemm with the bank as a constant, Add, ReduceSumSquare, TopK)
 *   run by onnxruntime's MLAS kernels.
 *
 * Both return the index of the nearest bank row per query; the distance of that pair is then recomputed exactly
 * (direct differences, double accumulation) so the result does not carry the expansion's cancellation error.
 * bench.ts measures both; `createSearcher` picks the faster one (onnx) unless told otherwise.
 */
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { ortThreads, sessionOptions } from './ort';

const { onnx } = onnxProto;

export interface NearestResult {
  /** euclidean distance to the nearest bank row */
  dist: Float32Array;
  /** index of that bank row */
  index: Int32Array;
}

export interface SearchOptions {
  /** bank rows to ignore (1 = excluded), e.g. the held-out image's own patches */
  exclude?: Uint8Array;
}

export interface Searcher {
  readonly kind: 'js' | 'onnx';
  readonly n: number;
  readonly dim: number;
  nearest(queries: Float32Array, m: number, opts?: SearchOptions): Promise<NearestResult>;
  /** the k nearest bank rows of one vector (v[off .. off+dim]), ascending by exact distance */
  kNearest(v: Float32Array, off: number, k: number, opts?: SearchOptions): Promise<{ index: Int32Array; dist: Float64Array }>;
  dispose(): Promise<void>;
}

export type SearchBackend = 'js' | 'onnx';

/** Squared norms of the rows of a row-major matrix. */
export function rowSqNorms(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let k = 0; k < d; k++) s += x[o + k] * x[o + k];
    out[i] = s;
  }
  return out;
}

/** Exact euclidean distance between row `i` of `a` and row `j` of `b` (double accumulation). */
export function exactDist(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const ao = i * d;
  const bo = j * d;
  for (let k = 0; k < d; k++) {
    const t = a[ao + k] - b[bo + k];
    s += t * t;
  }
  return Math.sqrt(s);
}

function exactDistVec(v: Float32Array, off: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const bo = j * d;
  for (let k = 0; k < d; k++) {
    const t = v[off + k] - b[bo + k];
    s += t * t;
  }
  return Math.sqrt(s);
}

function finish(queries: Float32Array, m: number, bank: Float32Array, d: number, index: Int32Array): NearestResult {
  const dist = new Float32Array(m);
  for (let i = 0; i < m; i++) dist[i] = exactDist(queries, i, bank, index[i], d);
  return { dist, index };
}

function checkArgs(queries: Float32Array, m: number, dim: number, n: number, opts?: SearchOptions) {
  if (!Number.isInteger(m) || m < 0 || queries.length < m * dim) throw new Error(`nearest: ${m} queries of ${dim} need ${m * dim} floats, got ${queries.length}`);
  if (opts?.exclude && opts.exclude.length !== n) throw new Error(`nearest: exclude mask has ${opts.exclude.length} entries, the bank ${n}`);
}

/** The typed-array kernel. */
export function jsNearest(queries: Float32Array, m: number, bank: Float32Array, n: number, d: number, bankNorms: Float32Array, opts?: SearchOptions): NearestResult {
  checkArgs(queries, m, d, n, opts);
  const best = new Float64Array(m).fill(Infinity);
  const index = new Int32Array(m).fill(-1);
  const exclude = opts?.exclude;
  const BLOCK = 512; // bank rows per block: 512 × 384 × 4 B = 768 KiB, stays in L2
  for (let b0 = 0; b0 < n; b0 += BLOCK) {
    const b1 = Math.min(n, b0 + BLOCK);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const q0 = i * d;
      const q1 = q0 + d;
      const q2 = q1 + d;
      const q3 = q2 + d;
      let bb0 = best[i], bb1 = best[i + 1], bb2 = best[i + 2], bb3 = best[i + 3];
      let bi0 = index[i], bi1 = index[i + 1], bi2 = index[i + 2], bi3 = index[i + 3];
      for (let j = b0; j < b1; j++) {
        if (exclude && exclude[j]) continue;
        const r = j * d;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < d; k++) {
          const v = bank[r + k];
          s0 += queries[q0 + k] * v;
          s1 += queries[q1 + k] * v;
          s2 += queries[q2 + k] * v;
          s3 += queries[q3 + k] * v;
        }
        const bn = bankNorms[j];
        const d0 = bn - 2 * s0, d1 = bn - 2 * s1, d2 = bn - 2 * s2, d3 = bn - 2 * s3;
        if (d0 < bb0) { bb0 = d0; bi0 = j; }
        if (d1 < bb1) { bb1 = d1; bi1 = j; }
        if (d2 < bb2) { bb2 = d2; bi2 = j; }
        if (d3 < bb3) { bb3 = d3; bi3 = j; }
      }
      best[i] = bb0; best[i + 1] = bb1; best[i + 2] = bb2; best[i + 3] = bb3;
      index[i] = bi0; index[i + 1] = bi1; index[i + 2] = bi2; index[i + 3] = bi3;
    }
    for (; i < m; i++) {
      const q0 = i * d;
      let bb = best[i];
      let bi = index[i];
      for (let j = b0; j < b1; j++) {
        if (exclude && exclude[j]) continue;
        const r = j * d;
        let s = 0;
        for (let k = 0; k < d; k++) s += queries[q0 + k] * bank[r + k];
        const dd = bankNorms[j] - 2 * s;
        if (dd < bb) { bb = dd; bi = j; }
      }
      best[i] = bb;
      index[i] = bi;
    }
  }
  for (let i = 0; i < m; i++) if (index[i] < 0) throw new Error('nearest: every bank row is excluded');
  return finish(queries, m, bank, d, index);
}

/** k nearest bank rows of one vector (exact distances), ascending; ties keep the lower index first. */
export function kNearestOne(v: Float32Array, voff: number, bank: Float32Array, n: number, d: number, k: number, exclude?: Uint8Array): { index: Int32Array; dist: Float64Array } {
  const kk = Math.min(k, n);
  const idx = new Int32Array(kk).fill(-1);
  const dst = new Float64Array(kk).fill(Infinity);
  let filled = 0;
  for (let j = 0; j < n; j++) {
    if (exclude && exclude[j]) continue;
    let s = 0;
    const r = j * d;
    for (let t = 0; t < d; t++) {
      const x = v[voff + t] - bank[r + t];
      s += x * x;
    }
    if (filled < kk || s < dst[kk - 1]) {
      // insertion into the sorted list
      let p = Math.min(filled, kk - 1);
      while (p > 0 && dst[p - 1] > s) {
        dst[p] = dst[p - 1];
        idx[p] = idx[p - 1];
        p--;
      }
      dst[p] = s;
      idx[p] = j;
      if (filled < kk) filled++;
    }
  }
  const n2 = filled;
  const out = { index: idx.slice(0, n2), dist: dst.slice(0, n2) };
  for (let i = 0; i < n2; i++) out.dist[i] = Math.sqrt(out.dist[i]);
  return out;
}

class JsSearcher implements Searcher {
  readonly kind = 'js' as const;
  private norms: Float32Array;
  constructor(private bank: Float32Array, readonly n: number, readonly dim: number) {
    this.norms = rowSqNorms(bank, n, dim);
  }
  async nearest(queries: Float32Array, m: number, opts?: SearchOptions): Promise<NearestResult> {
    return jsNearest(queries, m, this.bank, this.n, this.dim, this.norms, opts);
  }
  async kNearest(v: Float32Array, off: number, k: number, opts?: SearchOptions) {
    return kNearestOne(v, off, this.bank, this.n, this.dim, k, opts?.exclude);
  }
  async dispose(): Promise<void> {}
}

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT

function valueInfo(name: string, elemType: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v })) },
      },
    },
  });
}

function attrInt(name: string, i: number) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
}
function attrFloat(name: string, f: number) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });
}
function attrInts(name: string, ints: number[]) {
  return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });
}

/**
 * The search graph: inputs q [M, D], bn [1, N] (the bank's squared norms, +large for excluded rows) and k [1];
 * constant bank [N, D]. d² = ‖q‖² + bn − 2 q·bankᵀ (Gemm with transB), TopK(k, smallest) along N.
 */
export function buildKnnModel(bank: Float32Array, n: number, d: number): Uint8Array {
  const bankTensor = onnx.TensorProto.create({
    name: 'bank',
    dims: [n, d],
    dataType: FLOAT,
    rawData: new Uint8Array(bank.buffer, bank.byteOffset, n * d * 4),
  });
  const nodes = [
    onnx.NodeProto.create({ opType: 'Gemm', input: ['q', 'bank', 'bn'], output: ['g'], attribute: [attrFloat('alpha', -2), attrFloat('beta', 1), attrInt('transB', 1)] }),
    onnx.NodeProto.create({ opType: 'ReduceSumSquare', input: ['q'], output: ['qn'], attribute: [attrInts('axes', [1]), attrInt('keepdims', 1)] }),
    onnx.NodeProto.create({ opType: 'Add', input: ['g', 'qn'], output: ['d2'] }),
    onnx.NodeProto.create({ opType: 'TopK', input: ['d2', 'k'], output: ['values', 'indices'], attribute: [attrInt('axis', 1), attrInt('largest', 0), attrInt('sorted', 1)] }),
  ];
  const graph = onnx.GraphProto.create({
    name: 'linedeck_knn',
    node: nodes,
    initializer: [bankTensor],
    input: [valueInfo('q', FLOAT, ['M', d]), valueInfo('bn', FLOAT, [1, n]), valueInfo('k', 7, [1])],
    output: [valueInfo('values', FLOAT, ['M', 'K']), valueInfo('indices', 7, ['M', 'K'])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'linedeck',
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * G = C − 2 · A · Bᵀ with A [R, K], B [S, K], C [1, S] all inputs (Gemm, transB); with `reduceMin` the output is
 * min over S per row ([R]), else the whole [R, S] block. Used by the coreset's blocked greedy.
 */
export function buildGemmModel(reduceMin: boolean): Uint8Array {
  const nodes = [
    onnx.NodeProto.create({ opType: 'Gemm', input: ['a', 'b', 'c'], output: [reduceMin ? 'g' : 'out'], attribute: [attrFloat('alpha', -2), attrFloat('beta', 1), attrInt('transB', 1)] }),
  ];
  if (reduceMin) {
    nodes.push(onnx.NodeProto.create({ opType: 'ReduceMin', input: ['g'], output: ['out'], attribute: [attrInts('axes', [1]), attrInt('keepdims', 0)] }));
    nodes.push(onnx.NodeProto.create({ opType: 'ArgMin', input: ['g'], output: ['arg'], attribute: [attrInt('axis', 1), attrInt('keepdims', 0)] }));
  }
  const graph = onnx.GraphProto.create({
    name: reduceMin ? 'linedeck_gemm_min' : 'linedeck_gemm',
    node: nodes,
    input: [valueInfo('a', FLOAT, ['R', 'K']), valueInfo('b', FLOAT, ['S', 'K']), valueInfo('c', FLOAT, [1, 'S'])],
    output: reduceMin ? [valueInfo('out', FLOAT, ['R']), valueInfo('arg', 7, ['R'])] : [valueInfo('out', FLOAT, ['R', 'S'])],
  });
  const model = onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'linedeck', graph });
  return onnx.ModelProto.encode(model).finish();
}

/** Runs the Gemm graphs above. */
export class GemmRunner {
  private constructor(
    private min: ort.InferenceSession,
    private full: ort.InferenceSession,
  ) {}
  static async create(threads = ortThreads()): Promise<GemmRunner> {
    const opts = sessionOptions(threads, { spin: true });
    return new GemmRunner(await ort.InferenceSession.create(buildGemmModel(true), opts), await ort.InferenceSession.create(buildGemmModel(false), opts));
  }
  /** min[r] = min_s (c[s] − 2 a_r·b_s), arg[r] = the s reaching it */
  async minRows(a: Float32Array, rows: number, b: Float32Array, s: number, c: Float32Array, k: number): Promise<{ min: Float32Array; arg: BigInt64Array }> {
    const out = await this.min.run({
      a: new ort.Tensor('float32', a.subarray(0, rows * k), [rows, k]),
      b: new ort.Tensor('float32', b.subarray(0, s * k), [s, k]),
      c: new ort.Tensor('float32', c.subarray(0, s), [1, s]),
    });
    return { min: out.out.data as Float32Array, arg: out.arg.data as BigInt64Array };
  }
  /** out[r, s] = c[s] − 2 a_r·b_s */
  async block(a: Float32Array, rows: number, b: Float32Array, s: number, c: Float32Array, k: number): Promise<Float32Array> {
    const out = await this.full.run({
      a: new ort.Tensor('float32', a.subarray(0, rows * k), [rows, k]),
      b: new ort.Tensor('float32', b.subarray(0, s * k), [s, k]),
      c: new ort.Tensor('float32', c.subarray(0, s), [1, s]),
    });
    return out.out.data as Float32Array;
  }
  async dispose(): Promise<void> {
    await this.min.release();
    await this.full.release();
  }
}

class OnnxSearcher implements Searcher {
  readonly kind = 'onnx' as const;
  private norms: Float32Array;
  private constructor(private session: ort.InferenceSession, private bank: Float32Array, readonly n: number, readonly dim: number) {
    this.norms = rowSqNorms(bank, n, dim);
  }

  static async create(bank: Float32Array, n: number, d: number, threads = ortThreads()): Promise<OnnxSearcher> {
    const bytes = buildKnnModel(bank, n, d);
    const session = await ort.InferenceSession.create(bytes, sessionOptions(threads));
    return new OnnxSearcher(session, bank, n, d);
  }

  private normsFor(opts?: SearchOptions): Float32Array {
    if (!opts?.exclude) return this.norms;
    const norms = new Float32Array(this.norms);
    let kept = 0;
    for (let j = 0; j < this.n; j++) {
      if (opts.exclude[j]) norms[j] = 3e38;
      else kept++;
    }
    if (kept === 0) throw new Error('nearest: every bank row is excluded');
    return norms;
  }

  async nearest(queries: Float32Array, m: number, opts?: SearchOptions): Promise<NearestResult> {
    checkArgs(queries, m, this.dim, this.n, opts);
    const bn = new ort.Tensor('float32', this.normsFor(opts), [1, this.n]);
    const k = new ort.Tensor('int64', BigInt64Array.from([1n]), [1]);
    const index = new Int32Array(m);
    // keep the M × N distance block near 16 M floats (64 MiB)
    const chunk = Math.max(1, Math.min(m, Math.floor(16_777_216 / this.n)));
    for (let s = 0; s < m; s += chunk) {
      const rows = Math.min(chunk, m - s);
      const q = new ort.Tensor('float32', queries.subarray(s * this.dim, (s + rows) * this.dim), [rows, this.dim]);
      const out = await this.session.run({ q, bn, k });
      const ind = out.indices.data as BigInt64Array;
      for (let i = 0; i < rows; i++) index[s + i] = Number(ind[i]);
      for (const t of Object.values(out)) t.dispose?.();
    }
    return finish(queries, m, this.bank, this.dim, index);
  }

  async kNearest(v: Float32Array, off: number, k: number, opts?: SearchOptions): Promise<{ index: Int32Array; dist: Float64Array }> {
    if (opts?.exclude && opts.exclude.length !== this.n) throw new Error(`nearest: exclude mask has ${opts.exclude.length} entries, the bank ${this.n}`);
    const kk = Math.min(k, this.n);
    // a few spare candidates, re-ranked by exact distance (float32 expansion may swap near-ties)
    const kc = Math.min(this.n, kk + 8);
    const out = await this.session.run({
      q: new ort.Tensor('float32', v.slice(off, off + this.dim), [1, this.dim]),
      bn: new ort.Tensor('float32', this.normsFor(opts), [1, this.n]),
      k: new ort.Tensor('int64', BigInt64Array.from([BigInt(kc)]), [1]),
    });
    const ind = Array.from(out.indices.data as BigInt64Array, Number).filter((j) => !opts?.exclude?.[j]);
    for (const t of Object.values(out)) t.dispose?.();
    const cand = ind.map((j) => ({ j, d: exactDistVec(v, off, this.bank, j, this.dim) })).sort((a, b) => a.d - b.d || a.j - b.j);
    const top = cand.slice(0, kk);
    return { index: Int32Array.from(top, (c) => c.j), dist: Float64Array.from(top, (c) => c.d) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** A searcher over `bank` (row-major n × dim). The bank array is kept by reference: do not modify it afterwards. */
export async function createSearcher(bank: Float32Array, n: number, dim: number, backend: SearchBackend = 'onnx', threads?: number): Promise<Searcher> {
  if (!(n > 0 && dim > 0) || bank.length < n * dim) throw new Error(`memory bank of ${n} × ${dim} needs ${n * dim} floats, got ${bank.length}`);
  if (backend === 'js') return new JsSearcher(bank, n, dim);
  return OnnxSearcher.create(bank, n, dim, threads);
}
