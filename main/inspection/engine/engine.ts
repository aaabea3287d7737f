/**
 * The inspection engine's client: a promise API over a worker thread (worker.ts) so inference and bank builds never
 * block the main event loop. Under tsx / vitest the worker is the TypeScript source started with `--import tsx`;
 * a build that emits worker.js next to this module uses that. `inProcess: true` runs the same operations on the
 * calling thread (CLI, debugging).
 *
 *   const engine = await InspectionEngine.start();
 *   const [r] = await engine.embed({ model: dir, images: ['a.png'] });
 *   const bank = await engine.buildBank({ backbone, images, out: 'bank.ldb' }, { onProgress, signal });
 *   await engine.close();
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { log } from '../../log';
import { CancelledError } from './coreset';
import type {
  AdhocPatchcoreRequest,
  AnomalyModelResult,
  BuildBankRequest,
  BuildBankResult,
  EmbedRequest,
  EmbedResult,
  ImageInput,
  InspectRequest,
  InspectResult,
  OpControl,
  PatchcoreRequest,
  PatchcoreResult,
} from './ops';
import type { OpName } from './worker';

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message?: string) => void;
}

export interface EngineOptions {
  /** run on the calling thread instead of a worker */
  inProcess?: boolean;
  /** intra-op threads for onnxruntime inside the engine (sets LINEDECK_ORT_THREADS for the worker) */
  threads?: number;
  /** explicit worker script (a built worker.js) */
  workerFile?: string;
  /**
   * worker threads: 2 (default) runs the embedding model in a lane of its own, beside PatchCore; 1 runs
   * everything in one worker, one model after the other
   */
  lanes?: 1 | 2;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: CallOptions['onProgress'];
  cancel: Int32Array;
  cleanup: () => void;
}

function resolveWorker(explicit?: string): { file: string | URL; eval: boolean } {
  if (explicit) return { file: explicit, eval: false };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const js = path.join(here, 'worker.js');
  if (fs.existsSync(js)) return { file: js, eval: false };
  const ts = path.join(here, 'worker.ts');
  if (!fs.existsSync(ts)) throw new Error(`inspection engine worker not found in ${here} (worker.js or worker.ts)`);
  // TypeScript source (tsx, vitest): register tsx's ESM hooks inside the worker, then load worker.ts
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(ts).href)}); }).catch((e) => { console.error(e); process.exit(1); });`;
  return { file: code, eval: true };
}

/** One worker thread and its calls in flight. */
class Lane {
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private failure?: Error;
  closed = false;
  /** the worker crashed or exited on its own: the engine starts a new one on the next call */
  dead = false;

  constructor(
    readonly worker: Worker,
    readonly label: string,
  ) {
    worker.on('message', (m) => this.onMessage(m));
    worker.on('error', (err) => {
      this.dead = true;
      this.failAll(new Error(`inspection engine ${label} crashed: ${err.message}`));
    });
    worker.on('exit', (code) => {
      if (this.closed) return;
      this.dead = true;
      this.failAll(new Error(`inspection engine ${label} exited (code ${code})`));
    });
  }

  private onMessage(m: { type: string; id: number; fraction?: number; message?: string; result?: unknown; error?: { name: string; message: string; reason?: string } }) {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') {
      p.onProgress?.(m.fraction ?? 0, m.message);
      return;
    }
    this.pending.delete(m.id);
    p.cleanup();
    if (m.type === 'result') p.resolve(m.result);
    else {
      const err = m.error?.name === 'CancelledError' ? new CancelledError(m.error.message) : new Error(m.error?.message ?? 'engine error');
      if (m.error && err.name !== 'CancelledError') err.name = m.error.name;
      if (m.error?.reason) Object.assign(err, { reason: m.error.reason });
      p.reject(err);
    }
  }

  failAll(err: Error) {
    this.failure = err;
    for (const p of this.pending.values()) {
      p.cleanup();
      p.reject(err);
    }
    this.pending.clear();
  }

  call<T>(op: OpName, args: unknown, opts: CallOptions = {}): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const onAbort = () => Atomics.store(cancel, 0, 1);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: opts.onProgress,
        cancel,
        cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
      });
      this.worker.postMessage({ type: 'run', id, op, args, cancel: cancel.buffer });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // a worker that already exited has nothing to close (its exit event will not come again)
    if (this.dead) return;
    const w = this.worker;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.postMessage({ type: 'close' });
    const timer = setTimeout(() => void w.terminate(), 5000);
    await exited;
    clearTimeout(timer);
    this.failAll(new Error('the inspection engine is closed'));
  }
}

/**
 * Two worker threads by default: the PatchCore lane (backbone, bank search, bank builds) and the embedding lane
 * (the image-embedding model). An inspection runs its PatchCore half and its embedding half at the same time, one
 * on each lane: on 2 cores the single-threaded parts (Pillow-exact resizes, map post-processing) of one overlap the
 * other's model runs (measured with the default models: 48 → 34 ms at 256 px, 136 → 87 ms at 1280 × 960). Each
 * model is loaded in one lane only.
 */
export class InspectionEngine {
  private lanes: { patchcore: Lane; embedding: Lane } | null = null;
  /** starts a lane's worker (set together with the lanes) */
  private spawn!: (label: string) => Lane;
  private closed = false;
  /** workers started again after a crash (for the log and tests) */
  restarts = 0;

  private constructor() {}

  static async start(opts: EngineOptions = {}): Promise<InspectionEngine> {
    const e = new InspectionEngine();
    if (!opts.inProcess) {
      const w = resolveWorker(opts.workerFile);
      const env = { ...process.env };
      if (opts.threads) env.LINEDECK_ORT_THREADS = String(opts.threads);
      const lane = (label: string) => new Lane(new Worker(w.file, { eval: w.eval, env }), label);
      e.spawn = lane;
      const patchcore = lane('worker');
      const lanes = { patchcore, embedding: opts.lanes === 1 ? patchcore : lane('embedding worker') };
      e.lanes = lanes;
      try {
        await Promise.all([...new Set(Object.values(lanes))].map((l) => l.call('ping', { echo: 'ready' })));
      } catch (err) {
        await e.close();
        throw err;
      }
    }
    return e;
  }

  get inProcess(): boolean {
    return !this.lanes;
  }

  private async call<T>(op: OpName, args: unknown, opts: CallOptions = {}): Promise<T> {
    if (this.closed) throw new Error('the inspection engine is closed');
    if (opts.signal?.aborted) throw new CancelledError();
    if (!this.lanes) {
      const { OPS } = await import('./worker');
      const ctl: OpControl = { signal: opts.signal, onProgress: opts.onProgress };
      return (OPS[op] as (a: unknown, c: OpControl) => Promise<T>)(args, ctl);
    }
    return this.lane(op === 'embed' ? 'embedding' : 'patchcore').call<T>(op, args, opts);
  }

  /**
   * The lane for a call; a lane whose worker crashed (the calls it had in flight were rejected with the reason) is
   * replaced by a fresh worker here, so the engine keeps serving. Its models and banks load again on first use.
   */
  private lane(name: 'patchcore' | 'embedding'): Lane {
    const lanes = this.lanes!;
    const l = lanes[name];
    if (!l.dead) return l;
    const fresh = this.spawn(l.label);
    this.restarts++;
    log('inspection').warn({ lane: l.label, restarts: this.restarts }, 'inspection engine worker stopped; started a new one');
    for (const k of ['patchcore', 'embedding'] as const) if (lanes[k] === l) lanes[k] = fresh;
    return fresh;
  }

  /** Stops one lane's worker as a crash would (tests of the restart). */
  async terminateLane(name: 'patchcore' | 'embedding'): Promise<void> {
    if (!this.lanes) return;
    const l = this.lanes[name];
    const exited = new Promise<void>((r) => l.worker.once('exit', () => r()));
    await l.worker.terminate();
    await exited;
  }

  /** CLIP embeddings (raw + L2-normalized) of images. */
  embed(req: EmbedRequest, opts?: CallOptions): Promise<EmbedResult[]> {
    return this.call('embed', req, opts);
  }

  /** Scores images against a saved bank: raw + normalized scores, maps, regions. */
  patchcore(req: PatchcoreRequest, opts?: CallOptions): Promise<PatchcoreResult[]> {
    return this.call('patchcore', req, opts);
  }

  /** One inspection's engine work: one decode, PatchCore with the bank and (optionally) the embedding. */
  async inspect(req: InspectRequest, opts?: CallOptions): Promise<InspectResult> {
    if (!this.lanes || this.lanes.embedding === this.lanes.patchcore || !req.embedding) return this.call('inspect', req, opts);
    // both halves at once, one per lane; CLIP gets the alpha source when there is one (it composites on white),
    // else the same input, which it decodes the same way the one-call path would
    const t0 = performance.now();
    const embedding = this.call<EmbedResult[]>('embed', { model: req.embedding, images: [req.alphaSource ?? req.image], threads: req.threads }, opts).then(
      ([e]) => ({ embedding: { ...e, image: req.name ?? 'image' }, embeddingError: null }),
      (err: Error) => {
        if (err instanceof CancelledError) throw err;
        return { embedding: null, embeddingError: err.message };
      },
    );
    embedding.catch(() => undefined);
    const pc = await this.call<InspectResult>('inspect', { ...req, embedding: undefined }, opts);
    const em = await embedding;
    return { ...pc, ...em, ms: { ...pc.ms, total: performance.now() - t0 } };
  }

  /** Bank from `train`, raw scores for `images` (the `ml patchcore` command). */
  patchcoreAdhoc(req: AdhocPatchcoreRequest, opts?: CallOptions): Promise<{ bankSize: [number, number]; results: PatchcoreResult[] }> {
    return this.call('patchcoreAdhoc', req, opts);
  }

  /** Builds, calibrates and saves a memory bank. */
  buildBank(req: BuildBankRequest, opts?: CallOptions): Promise<BuildBankResult> {
    return this.call('buildBank', req, opts);
  }

  /** Runs an anomalib-style self-contained model. */
  anomalyModel(req: { model: string; images: ImageInput[] }, opts?: CallOptions): Promise<AnomalyModelResult[]> {
    return this.call('anomalyModel', req, opts);
  }

  /** Worker thread id (for tests): differs from the caller's unless in-process. */
  ping(): Promise<{ pong: unknown; threadId: number }> {
    return this.call('ping', {});
  }

  /** Thread ids of the PatchCore and the embedding lane (for tests). */
  async threadIds(): Promise<{ patchcore: number; embedding: number }> {
    if (!this.lanes) {
      const { threadId } = await this.ping();
      return { patchcore: threadId, embedding: threadId };
    }
    const [a, b] = await Promise.all([this.lane('patchcore').call<{ threadId: number }>('ping', {}), this.lane('embedding').call<{ threadId: number }>('ping', {})]);
    return { patchcore: a.threadId, embedding: b.threadId };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.lanes) {
      await Promise.all([...new Set(Object.values(this.lanes))].map((l) => l.close()));
    } else {
      const { closeBanks } = await import('./ops');
      const { releaseModels } = await import('./models');
      await closeBanks();
      await releaseModels();
    }
  }
}
