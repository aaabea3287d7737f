/**
 * Memory-bank subsampling as anomalib's KCenterGreedy does it: features projected with a sparse random projection
 * (eps 0.9, Johnson–Lindenstrauss dimension, density 1/√d, entries ±√(1/density)/√k), then greedy k-center
 * (farthest point first): start from a random point (not itself selected), repeatedly select the point farthest
 * from everything selected so far. coreset size = int(n · ratio).
 *
 * The greedy is exact, but does not rescan every point on every step: points are kept in clusters around the
 * selected centres (with their distance to it), and a new centre c can only take a point i of cluster j if
 * dist(c, centre_j) < 2 · dist(i, centre_j) (triangle inequality), so whole clusters and single points are skipped
 * without computing their distance. The selection equals the plain O(n·k·d) loop (up to ties).
 */
import { GemmRunner, rowSqNorms } from './knn';
import { mulberry32 } from '../../lib/mulberry32';

export interface CancelToken {
  readonly aborted: boolean;
}

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export interface Rng {
  next(): number; // [0, 1)
}

/** mulberry32 (main/lib/mulberry32.ts): small, fast, seedable. */
export function seededRng(seed: number): Rng {
  const next = mulberry32(seed);
  return { next };
}

/** sklearn's johnson_lindenstrauss_min_dim: int(4 ln n / (eps²/2 − eps³/3)). */
export function jlMinDim(nSamples: number, eps = 0.9): number {
  return Math.trunc((4 * Math.log(nSamples)) / ((eps * eps) / 2 - (eps * eps * eps) / 3));
}

export interface SparseProjection {
  k: number;
  d: number;
  /** per output component: column indices and the common magnitude; sign per entry */
  cols: Int32Array[];
  signs: Int8Array[];
  value: number;
}

/** anomalib's SparseRandomProjection._sparse_random_matrix (density 1/√d). */
export function sparseRandomProjection(k: number, d: number, rng: Rng): SparseProjection {
  const density = 1 / Math.sqrt(d);
  const cols: Int32Array[] = [];
  const signs: Int8Array[] = [];
  const perm = Int32Array.from({ length: d }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    // nnz ~ Binomial(d, density)
    let nnz = 0;
    for (let j = 0; j < d; j++) if (rng.next() < density) nnz++;
    if (nnz === 0) nnz = 1;
    // nnz columns without replacement (partial Fisher–Yates)
    for (let j = 0; j < nnz; j++) {
      const r = j + Math.floor(rng.next() * (d - j));
      const t = perm[j];
      perm[j] = perm[r];
      perm[r] = t;
    }
    const c = perm.slice(0, nnz).sort();
    cols.push(c);
    signs.push(Int8Array.from({ length: nnz }, () => (rng.next() < 0.5 ? -1 : 1)));
  }
  return { k, d, cols, signs, value: Math.sqrt(1 / density) / Math.sqrt(k) };
}

export function project(x: Float32Array, n: number, p: SparseProjection): Float32Array {
  // flattened CSR (one typed array each) keeps the inner loop monomorphic
  const offs = new Int32Array(p.k + 1);
  for (let c = 0; c < p.k; c++) offs[c + 1] = offs[c] + p.cols[c].length;
  const cols = new Int32Array(offs[p.k]);
  const sg = new Float32Array(offs[p.k]);
  for (let c = 0; c < p.k; c++) {
    cols.set(p.cols[c], offs[c]);
    for (let t = 0; t < p.cols[c].length; t++) sg[offs[c] + t] = p.signs[c][t] * p.value;
  }
  const out = new Float32Array(n * p.k);
  const k = p.k;
  const d = p.d;
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    const oo = i * k;
    for (let c = 0; c < k; c++) {
      let s = 0;
      const e = offs[c + 1];
      for (let t = offs[c]; t < e; t++) s += sg[t] * x[xo + cols[t]];
      out[oo + c] = s;
    }
  }
  return out;
}

export interface CoresetOptions {
  seed?: number;
  signal?: CancelToken;
  /** fraction done (0..1) */
  onProgress?: (fraction: number) => void;
  /** JL eps of the projection (anomalib: 0.9) */
  eps?: number;
}

export interface CoresetStats {
  n: number;
  selected: number;
  projectedDim: number;
  distanceEvaluations: number;
  ms: number;
}

function dist(f: Float32Array, a: number, b: number, k: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const ao = a * k;
  const bo = b * k;
  let t = 0;
  for (; t + 4 <= k; t += 4) {
    const d0 = f[ao + t] - f[bo + t];
    const d1 = f[ao + t + 1] - f[bo + t + 1];
    const d2 = f[ao + t + 2] - f[bo + t + 2];
    const d3 = f[ao + t + 3] - f[bo + t + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; t < k; t++) {
    const d0 = f[ao + t] - f[bo + t];
    s0 += d0 * d0;
  }
  return Math.sqrt(s0 + s1 + s2 + s3);
}

function everyRow(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * What both greedy variants do first: check the arguments, the coreset size, and the sparse random projection of
 * the rows (when the Johnson–Lindenstrauss dimension is below `dim`). Undefined when ratio ≥ 1 (every row is kept).
 */
function prepareCoreset(features: Float32Array, n: number, dim: number, ratio: number, opts: CoresetOptions): { size: number; f: Float32Array; k: number; rng: Rng } | undefined {
  if (!(ratio > 0)) throw new Error(`coreset ratio must be > 0, got ${ratio}`);
  if (features.length < n * dim) throw new Error(`coreset: ${n} × ${dim} features need ${n * dim} floats, got ${features.length}`);
  if (ratio >= 1) return undefined;
  const size = Math.trunc(n * ratio);
  if (size < 1) throw new Error(`coreset of ${n} rows at ratio ${ratio} would be empty`);
  // one seeded stream: the projection draws first, then the greedy's random start
  const rng = seededRng(opts.seed ?? 0);
  const kdim = jlMinDim(n, opts.eps ?? 0.9);
  if (kdim >= dim) return { size, f: features, k: dim, rng };
  return { size, f: project(features, n, sparseRandomProjection(kdim, dim, rng)), k: kdim, rng };
}

/**
 * Greedy k-center on rows of `features` (n × dim): returns the selected row indices in selection order.
 * ratio ≥ 1 returns every row (no subsampling).
 */
export function kCenterGreedy(features: Float32Array, n: number, dim: number, ratio: number, opts: CoresetOptions = {}): { indices: Int32Array; stats: CoresetStats } {
  const t0 = performance.now();
  const prep = prepareCoreset(features, n, dim, ratio, opts);
  if (!prep) return { indices: everyRow(n), stats: { n, selected: n, projectedDim: dim, distanceEvaluations: 0, ms: 0 } };
  const { size, f, k, rng } = prep;
  const signal = opts.signal;

  // clusters: centre point, members (with their distance in minD), radius = max member distance and its argmax
  const minD = new Float64Array(n);
  const centerPoint: number[] = [];
  const members: Int32Array[] = [];
  const memberCount: number[] = [];
  const radius: number[] = [];
  const radiusArg: number[] = [];
  let evals = 0;

  // phantom first centre: a random point (anomalib does not select it)
  const start = Math.floor(rng.next() * n);
  {
    const all = new Int32Array(n);
    let best = -1;
    let bestI = 0;
    for (let i = 0; i < n; i++) {
      all[i] = i;
      const v = dist(f, start, i, k);
      minD[i] = v;
      if (v > best) {
        best = v;
        bestI = i;
      }
    }
    evals += n;
    centerPoint.push(start);
    members.push(all);
    memberCount.push(n);
    radius.push(best);
    radiusArg.push(bestI);
  }

  const selected = new Int32Array(size);
  const cDist = new Float64Array(size + 1);
  const slack = 1 + 1e-9;
  const newMembers: number[] = [];
  for (let s = 0; s < size; s++) {
    if (signal?.aborted) throw new CancelledError('coreset selection cancelled');
    if (opts.onProgress && (s & 63) === 0) opts.onProgress(s / size);
    // the farthest point overall
    let jMax = 0;
    for (let j = 1; j < radius.length; j++) if (radius[j] > radius[jMax]) jMax = j;
    const c = radiusArg[jMax];
    selected[s] = c;
    const nc = centerPoint.length;
    // distances from c to every centre; clusters that cannot change are skipped
    newMembers.length = 0;
    newMembers.push(c);
    for (let j = 0; j < nc; j++) cDist[j] = dist(f, c, centerPoint[j], k);
    evals += nc;
    for (let j = 0; j < nc; j++) {
      const dcj = cDist[j];
      if (dcj >= 2 * radius[j] * slack && j !== jMax) continue;
      const mem = members[j];
      const cnt = memberCount[j];
      let keep = 0;
      let r = 0;
      let rArg = -1;
      for (let t = 0; t < cnt; t++) {
        const i = mem[t];
        if (i === c) continue; // becomes the new centre
        const di = minD[i];
        if (dcj < 2 * di * slack) {
          const v = dist(f, c, i, k);
          evals++;
          if (v < di) {
            minD[i] = v;
            newMembers.push(i);
            continue;
          }
        }
        mem[keep++] = i;
        if (di > r) {
          r = di;
          rArg = i;
        }
      }
      memberCount[j] = keep;
      radius[j] = keep > 0 ? r : 0;
      radiusArg[j] = keep > 0 ? (rArg < 0 ? mem[0] : rArg) : centerPoint[j];
    }
    // the new cluster
    minD[c] = 0;
    let r = 0;
    let rArg = c;
    const arr = new Int32Array(newMembers.length);
    for (let t = 0; t < newMembers.length; t++) {
      const i = newMembers[t];
      arr[t] = i;
      if (minD[i] > r) {
        r = minD[i];
        rArg = i;
      }
    }
    centerPoint.push(c);
    members.push(arr);
    memberCount.push(arr.length);
    radius.push(r);
    radiusArg.push(rArg);
  }
  opts.onProgress?.(1);
  return { indices: selected, stats: { n, selected: size, projectedDim: k, distanceEvaluations: evals, ms: performance.now() - t0 } };
}

/** The plain O(n·k·d) greedy, for tests: same projection and start, no pruning. */
export function kCenterGreedyNaive(features: Float32Array, n: number, dim: number, ratio: number, seed = 0, eps = 0.9): Int32Array {
  const size = Math.trunc(n * ratio);
  const rng = seededRng(seed);
  const kdim = jlMinDim(n, eps);
  let f = features;
  let k = dim;
  if (kdim < dim) {
    f = project(features, n, sparseRandomProjection(kdim, dim, rng));
    k = kdim;
  }
  const minD = new Float64Array(n).fill(Infinity);
  const update = (c: number) => {
    for (let i = 0; i < n; i++) {
      const v = dist(f, c, i, k);
      if (v < minD[i]) minD[i] = v;
    }
  };
  update(Math.floor(rng.next() * n));
  const out = new Int32Array(size);
  for (let s = 0; s < size; s++) {
    let best = 0;
    for (let i = 1; i < n; i++) if (minD[i] > minD[best]) best = i;
    out[s] = best;
    update(best);
    minD[best] = 0;
  }
  return out;
}

/**
 * The k-th largest value of x (k ≥ 1), ignoring negative entries, by quickselect on a scratch copy. Returns
 * −Infinity when fewer than k entries are ≥ 0.
 */
export function kthLargest(x: Float32Array, k: number, scratch: Float32Array = new Float32Array(x.length)): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) if (x[i] >= 0) scratch[m++] = x[i];
  if (k > m || k < 1) return -Infinity;
  // select index m − k in ascending order
  const target = m - k;
  let lo = 0;
  let hi = m - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    // median of three as pivot
    let a = scratch[lo];
    let b = scratch[mid];
    const c = scratch[hi];
    if (a > b) [a, b] = [b, a];
    const pivot = c < a ? a : c > b ? b : c;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (scratch[i] < pivot) i++;
      while (scratch[j] > pivot) j--;
      if (i <= j) {
        const t = scratch[i];
        scratch[i] = scratch[j];
        scratch[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return scratch[target];
  }
  return scratch[target];
}

export interface BlockedCoresetOptions extends CoresetOptions {
  /** candidate set size per round (default 2048) */
  candidates?: number;
  /** stale points refreshed per pass: those among the band · M largest bounds (default 4) */
  band?: number;
  threads?: number;
}

/**
 * The same greedy k-center selection with the distance work done as matrix products by onnxruntime (MLAS), in rounds,
 * and lazily:
 * - every point keeps an upper bound of its squared distance to the selected centres and how many centres it has
 *   been compared with; bounds only ever go down, so a point whose bound is below the candidates' never needs its
 *   exact value yet;
 * - (1) refresh (one Gemm + ReduceMin per group of points, against the centres they have not seen) until the M
 *   largest bounds are all exact: these are the candidates, τ = the largest bound outside them;
 * - (2) run the greedy inside the candidates with their M × M distance block, as long as the best candidate is ≥ τ
 *   (then it is the global farthest point: every other point is ≤ its bound ≤ τ).
 * Points deep inside well-covered regions stop being refreshed early, which saves most of the n × k distance work
 * of the plain loop. Squared distances are ‖x‖² + ‖c‖² − 2x·c in float32 (anomalib computes them in float32 too),
 * so exact near-ties may be ordered differently from the float64 loops above.
 */
export async function kCenterGreedyBlocked(
  features: Float32Array,
  n: number,
  dim: number,
  ratio: number,
  opts: BlockedCoresetOptions = {},
): Promise<{ indices: Int32Array; stats: CoresetStats & { rounds: number } }> {
  const t0 = performance.now();
  const prep = prepareCoreset(features, n, dim, ratio, opts);
  if (!prep) return { indices: everyRow(n), stats: { n, selected: n, projectedDim: dim, distanceEvaluations: 0, ms: 0, rounds: 0 } };
  const { size, f, k, rng } = prep;
  const signal = opts.signal;
  const checkAbort = () => {
    if (signal?.aborted) throw new CancelledError('coreset selection cancelled');
  };
  const fn = rowSqNorms(f, n, k);
  const ub2 = new Float32Array(n).fill(Infinity); // −1 once selected
  const seen = new Int32Array(n); // centres [0, seen) already compared
  const centerMat = new Float32Array((size + 1) * k);
  const centerNorm = new Float32Array(size + 1);
  let nc = 0;
  const gemm = await GemmRunner.create(opts.threads);
  let evals = 0;
  let rounds = 0;
  const budget = 8_388_608; // floats per Gemm output block
  const addCenter = (p: number) => {
    centerMat.set(f.subarray(p * k, (p + 1) * k), nc * k);
    centerNorm[nc] = fn[p];
    nc++;
  };
  /** brings the listed points up to date with every centre */
  const refresh = async (points: number[]) => {
    // group by how many centres each has seen (few distinct values: one per round)
    const groups = new Map<number, number[]>();
    for (const p of points) {
      const g = groups.get(seen[p]);
      if (g) g.push(p);
      else groups.set(seen[p], [p]);
    }
    for (const [from, pts] of groups) {
      const B = nc - from;
      if (B <= 0) continue;
      const C = centerMat.subarray(from * k, nc * k);
      const Cn = centerNorm.subarray(from, nc);
      const chunk = Math.max(64, Math.floor(budget / B));
      const X = new Float32Array(Math.min(chunk, pts.length) * k);
      for (let s0 = 0; s0 < pts.length; s0 += chunk) {
        checkAbort();
        const rows = Math.min(chunk, pts.length - s0);
        for (let r = 0; r < rows; r++) X.set(f.subarray(pts[s0 + r] * k, (pts[s0 + r] + 1) * k), r * k);
        const { min } = await gemm.minRows(X, rows, C, B, Cn, k);
        for (let r = 0; r < rows; r++) {
          const p = pts[s0 + r];
          const v = min[r] + fn[p];
          if (ub2[p] >= 0 && v < ub2[p]) ub2[p] = v > 0 ? v : 0;
          seen[p] = nc;
        }
      }
      evals += pts.length * B;
    }
  };

  try {
    // anomalib starts from a random point that is not itself selected: it is centre 0 here
    const start = Math.floor(rng.next() * n);
    addCenter(start);
    await refresh(Array.from({ length: n }, (_, i) => i));
    const selected = new Int32Array(size);
    let count = 0;
    const Mmax = Math.max(16, opts.candidates ?? 2048);
    const sorted = new Float32Array(n);
    const band = Math.max(1, opts.band ?? 4);
    while (count < size) {
      checkAbort();
      rounds++;
      const M = Math.min(Mmax, n - count);
      // (1) make the M largest bounds exact
      let T: number[] = [];
      let tau = -Infinity;
      for (;;) {
        const thr = kthLargest(ub2, M, sorted);
        T = [];
        tau = -Infinity;
        let staleTop = 0;
        for (let i = 0; i < n; i++) {
          const v = ub2[i];
          if (v < 0) continue;
          if (v >= thr) {
            T.push(i);
            if (seen[i] < nc) staleTop++;
          } else if (v > tau) tau = v;
        }
        if (staleTop === 0) break;
        
        // refresh every stale point among the `band` largest bounds: a wider band than M means fewer passes
        const thrBand = kthLargest(ub2, Math.min(n - count, band * M), sorted);
        const stale: number[] = [];
        for (let i = 0; i < n; i++) if (ub2[i] >= thrBand && seen[i] < nc) stale.push(i);
        await refresh(stale);
      }
      // (2) greedy inside the candidates
      const m = T.length;
      const X = new Float32Array(m * k);
      const Xn = new Float32Array(m);
      const mT = new Float32Array(m);
      T.forEach((p, j) => {
        X.set(f.subarray(p * k, (p + 1) * k), j * k);
        Xn[j] = fn[p];
        mT[j] = ub2[p];
      });
      const D = await gemm.block(X, m, X, m, Xn, k);
      evals += m * m;
      let picked = 0;
      while (count < size) {
        let a = -1;
        let best = -Infinity;
        for (let t = 0; t < m; t++)
          if (mT[t] > best) {
            best = mT[t];
            a = t;
          }
        if (a < 0 || best < 0 || best < tau) break;
        const p = T[a];
        selected[count++] = p;
        picked++;
        addCenter(p);
        ub2[p] = -1;
        mT[a] = -1;
        const row = a * m;
        const xa = Xn[a];
        for (let t = 0; t < m; t++) {
          const cur = mT[t];
          if (cur < 0) continue;
          const v = D[row + t] + xa;
          if (v < cur) mT[t] = v > 0 ? v : 0;
        }
        if ((count & 255) === 0) {
          checkAbort();
          opts.onProgress?.(count / size);
        }
      }
      if (picked === 0) throw new Error('coreset: no progress in a round (internal error)');
      // the candidates are exact with respect to every centre now
      for (let t = 0; t < m; t++) {
        const p = T[t];
        if (ub2[p] >= 0) {
          ub2[p] = mT[t];
          seen[p] = nc;
        }
      }
      opts.onProgress?.(count / size);
    }
    return { indices: selected, stats: { n, selected: size, projectedDim: k, distanceEvaluations: evals, ms: performance.now() - t0, rounds } };
  } finally {
    await gemm.dispose();
  }
}
