/**
 * Bank builds and inspections: the station's model work, orchestrated over the inspection engine (./engine/: a
 * worker thread running model folders, preprocessing, PatchCore with held-out normalization, CLIP embeddings,
 * regions and artifact drawing) and the database (./service.ts).
 *
 * Bank build (a `deployments` row, pending → running → completed | failed | cancelled): the product's active
 * normal images → the engine's bank (features, greedy k-center coreset, leave-one-image-out normalization) saved as
 * LINEDECK_HOME/models/<product>/bank-<deployment>.ldb; CLIP embeddings of every active reference image into
 * image_metadata.embedding_vector; the calibration in the deployment's result_summary.
 *
 * Inspect: decode and check → PatchCore in the engine (raw and normalized scores, normalized map, regions at the
 * product's pixel threshold) → embedding → most similar normal reference (reference_image_id, similarity_score)
 * and, when anomalous, the defect type of the nearest defect exemplar → artifacts → inspections +
 * inspection_results in one transaction → bus event `inspection.completed`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import sharp from 'sharp';
import { ApiError, type SessionUser } from '../api/kit';
import { writeAudit } from '../audit/audit';
import { readStationConfig } from '../config';
import { withTransaction } from '../db/pools';
import { log } from '../log';
import { atHeight, comparisonPng, heatmapPng, mapPng, maskPng, overlayRgb, rgbPng } from './engine/artifacts';
import { CancelledError } from './engine/coreset';
import { InspectionEngine, type EngineOptions } from './engine/engine';
import { builtinModelsDir, discoverModels, type ModelEntry } from './engine/models';
import type { PatchcoreResult } from './engine/ops';
import { loadRgb, type RgbImage } from './engine/preprocess';
import { findRegions, mapToSource, type Region as EngineRegion } from './engine/regions';
import { asInputError, type InspectionService, userRef } from './service';
import { decodeImage, ImageStore, readImageInput, type DecodedImage, type ImageInput } from './store';
import type { BankBuildOutcome, InspectOutcome, InspectionSource, Region } from './types';

/** The cases of the pipeline's own refusals (ApiError details.reason), beside the image problems of preprocess.ts. */
export const PIPELINE_REFUSALS = ['no_bank', 'rebuild_bank', 'deactivated', 'no_model'] as const;
const refusal = (reason: (typeof PIPELINE_REFUSALS)[number]) => ({ reason });

export const DEFAULT_BACKBONE = 'linedeck-patchcore-default';
export const DEFAULT_EMBEDDING = 'linedeck-embed-default';
export const DEFAULT_CORESET_RATIO = 0.1;
export const MIN_NORMAL_IMAGES = 2;
/** longest side of the artifact PNGs */
export const ARTIFACT_MAX_SIDE = 512;
const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?)$/i;
const EMBED_BATCH = 8;
const REFERENCE_CACHE = 16;

export interface PipelineOptions {
  /** model folder of the PatchCore backbone (default: `linedeck-patchcore-default` in the model roots) */
  backboneDir?: string;
  /** model folder of the image embedding model (default: `linedeck-embed-default`) */
  embeddingDir?: string;
  /** where to look for model folders (default: config.json's modelDirs, then the shipped ml-models/) */
  modelRoots?: string[];
  /** engine settings (worker thread by default) */
  engine?: EngineOptions;
}

export interface BankBuildOptions {
  /** a folder whose image files become the product's normal reference images (other normals are deactivated) */
  imagesDir?: string;
  /** or the images themselves */
  images?: ImageInput[];
  coresetRatio?: number;
  actor?: SessionUser;
}

export interface RunControl {
  signal?: AbortSignal;
  progress?: (fraction: number | null, message?: string) => void;
}

export interface InspectOptions {
  source?: InspectionSource;
  actor?: SessionUser;
  signal?: AbortSignal;
  /** inspection time (demo history); default now */
  at?: Date;
  /**
   * runs inside the inspection's transaction, after its rows are written (the watch folder records its file
   * here, so a file and its inspection commit together or not at all)
   */
  withinTransaction?: (c: pg.PoolClient, inspection: { inspectionId: number; inspectionCode: string }) => Promise<void>;
}

function f32ToBytes(v: Float32Array): Buffer {
  const b = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i], i * 4);
  return b;
}

function bytesToF32(b: Buffer): Float32Array {
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('cancelled');
}

const shaCache = new Map<string, string>();

/** sha-256 of a model file, cached per path, size and mtime. */
function fileSha256(file: string): string {
  const st = fs.statSync(file);
  const key = `${path.resolve(file)}|${st.size}|${st.mtimeMs}`;
  let h = shaCache.get(key);
  if (!h) {
    const hash = crypto.createHash('sha256');
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      let n: number;
      while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    h = hash.digest('hex');
    shaCache.set(key, h);
  }
  return h;
}

/** What identifies an embedding space: the model's name and file hash (other models' embeddings are never compared). */
function embeddingKey(m: ModelEntry): string {
  return `${m.manifest.name}@${fileSha256(m.onnxPath).slice(0, 16)}`;
}

/**
 * A region of the model's map in the original picture's pixels (the inverse of stretch / shortest-edge crop),
 * with its peak and scores.
 */
export function regionToSource(r: EngineRegion, mapW: number, mapH: number, g: PatchcoreResult['geometry'], rawMax?: number): Region {
  const { width: sw, height: sh } = g.sourceSize;
  let fx: (x: number) => number;
  let fy: (y: number) => number;
  if (g.resize === 'shortest-edge-center-crop' && g.crop) {
    const c = g.crop;
    fx = (x) => ((x + c.left) * sw) / c.resizedWidth;
    fy = (y) => ((y + c.top) * sh) / c.resizedHeight;
  } else {
    fx = (x) => (x * sw) / mapW;
    fy = (y) => (y * sh) / mapH;
  }
  const x0 = Math.max(0, Math.floor(fx(r.bbox.x)));
  const y0 = Math.max(0, Math.floor(fy(r.bbox.y)));
  const x1 = Math.min(sw, Math.ceil(fx(r.bbox.x + r.bbox.width)));
  const y1 = Math.min(sh, Math.ceil(fy(r.bbox.y + r.bbox.height)));
  return {
    x: x0,
    y: y0,
    width: Math.max(1, x1 - x0),
    height: Math.max(1, y1 - y0),
    area: r.area,
    areaFraction: r.areaFraction,
    score: Math.round(r.max * 1e6) / 1e6,
    mean: Math.round(r.mean * 1e6) / 1e6,
    ...(rawMax !== undefined ? { rawMax } : {}),
    peak: { x: Math.round(fx(r.peak.x + 0.5)), y: Math.round(fy(r.peak.y + 0.5)) },
  };
}

/** The picture the artifacts are drawn on: the decoded image, scaled so its longer side is at most ARTIFACT_MAX_SIDE. */
async function artifactBase(rgb: RgbImage): Promise<RgbImage> {
  const k = Math.min(1, ARTIFACT_MAX_SIDE / Math.max(rgb.width, rgb.height));
  if (k === 1) return rgb;
  const width = Math.max(1, Math.round(rgb.width * k));
  const height = Math.max(1, Math.round(rgb.height * k));
  const { data } = await sharp(Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength), { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export class InspectionPipeline {
  private engine?: Promise<InspectionEngine>;
  private disposed = false;
  /** reference pictures at a comparison height, most recently used last */
  private references = new Map<string, Promise<RgbImage>>();
  private logger = log('inspection');

  constructor(
    readonly svc: InspectionService,
    private readonly opts: PipelineOptions = {},
  ) {}

  private eng(): Promise<InspectionEngine> {
    if (!this.engine) {
      this.engine = InspectionEngine.start(this.opts.engine);
      this.engine.catch(() => (this.engine = undefined));
    }
    return this.engine;
  }

  // ------------------------------------------------------------------------------------------------ models

  private roots(): string[] {
    if (this.opts.modelRoots) return this.opts.modelRoots;
    let extra: string[] = [];
    try {
      extra = readStationConfig(this.svc.paths.configFile).modelDirs;
    } catch {
      /* a broken config.json is reported by doctor; the shipped models still work */
    }
    return [...extra, builtinModelsDir()];
  }

  /** The backbone and embedding folders this station uses, or why there are none. */
  findModels(): { ok: true; backbone: ModelEntry; embedding: ModelEntry | null } | { ok: false; problem: string } {
    const found = discoverModels(this.roots());
    const pick = (dir: string | undefined, name: string, task: ModelEntry['manifest']['task']): ModelEntry | string => {
      if (dir) {
        const hit = discoverModels([dir]);
        if (hit.models[0]?.manifest.task === task) return hit.models[0];
        return hit.problems[0]?.error ?? `${dir} is not a ${task} model`;
      }
      const byName = found.models.find((m) => path.basename(m.dir) === name && m.manifest.task === task);
      const any = byName ?? found.models.find((m) => m.manifest.task === task);
      return any ?? `no ${task} model (looked for ${name} in ${this.roots().join(', ')})`;
    };
    const backbone = pick(this.opts.backboneDir, DEFAULT_BACKBONE, 'patchcore-backbone');
    if (typeof backbone === 'string') return { ok: false, problem: backbone };
    const embedding = pick(this.opts.embeddingDir, DEFAULT_EMBEDDING, 'clip-image-embedding');
    if (typeof embedding === 'string') {
      if (this.opts.embeddingDir) return { ok: false, problem: embedding };
      this.logger.warn({ problem: embedding }, 'no embedding model: inspections will have no reference image or defect type');
      return { ok: true, backbone, embedding: null };
    }
    return { ok: true, backbone, embedding };
  }

  private models(): { backbone: ModelEntry; embedding: ModelEntry | null } {
    const f = this.findModels();
    if (!f.ok) throw new ApiError('unavailable', `no inspection model: ${f.problem}`, refusal('no_model'));
    return f;
  }

  // ------------------------------------------------------------------------------------------------ bank build

  /**
   * Takes the product's bank lock (refusing a second concurrent build) and creates the deployment row; `run`
   * does the work and always releases the lock. Stale `pending`/`running` rows (a station that stopped mid-build)
   * are marked failed here, since nobody holds their lock.
   */
  async beginBankBuild(productCode: string, opts: BankBuildOptions = {}): Promise<{ deploymentId: number; run: (c?: RunControl) => Promise<BankBuildOutcome> }> {
    const product = await this.svc.getProduct({ productCode });
    const ratio = opts.coresetRatio ?? DEFAULT_CORESET_RATIO;
    if (!(ratio > 0 && ratio <= 1)) throw new ApiError('validation', `coreset ratio must be in (0, 1], got ${ratio}`);
    const lockKey = `linedeck:bank:${product.productId}`;
    const lockClient = await this.svc.job.connect();
    let owned = false;
    try {
      const got = await lockClient.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [lockKey]);
      if (!got.rows[0].ok) throw new ApiError('conflict', `a memory bank for ${productCode} is already being built`);
      owned = true;
      await lockClient.query(
        `update deployments set status = 'failed', completed_at = now(), error_message = 'interrupted: the station stopped during the build'
         where product_id = $1 and deployment_type = 'patchcore_bank' and status in ('pending', 'running')`,
        [product.productId],
      );
      const f = this.findModels();
      const deploymentId = await this.svc.createDeployment(
        'patchcore_bank',
        product.productId,
        {
          coresetRatio: ratio,
          imagesDir: opts.imagesDir ?? null,
          images: opts.images?.length ?? null,
          backbone: f.ok ? f.backbone.manifest.name : null,
          embedding: f.ok ? (f.embedding?.manifest.name ?? null) : null,
        },
        opts.actor,
      );
      let started = false;
      return {
        deploymentId,
        run: async (c: RunControl = {}) => {
          if (started) throw new Error('this bank build already ran');
          started = true;
          try {
            return await this.runBankBuild(product.productId, productCode, deploymentId, ratio, opts, c);
          } finally {
            await lockClient.query('select pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
            lockClient.release();
          }
        },
      };
    } catch (e) {
      if (owned) await lockClient.query('select pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
      lockClient.release();
      throw e;
    }
  }

  /** begin + run, for the CLI, the demo and tests. */
  async buildBank(productCode: string, opts: BankBuildOptions & RunControl = {}): Promise<BankBuildOutcome> {
    const b = await this.beginBankBuild(productCode, opts);
    return b.run(opts);
  }

  private async runBankBuild(productId: number, productCode: string, deploymentId: number, ratio: number, opts: BankBuildOptions, c: RunControl): Promise<BankBuildOutcome> {
    const t0 = performance.now();
    const progress = (f: number, m: string) => c.progress?.(Math.min(1, Math.max(0, f)), m);
    await this.svc.markDeploymentRunning(deploymentId);
    try {
      // 1. the normal reference images (replaced by --images when given)
      if (opts.imagesDir || opts.images) {
        progress(0.01, 'storing the normal images');
        await this.replaceNormals(productId, productCode, opts, c.signal);
      }
      checkAbort(c.signal);
      const normals = (
        await this.svc.read.query<{ image_id: number; file_path: string; file_name: string }>(
          "select image_id, file_path, file_name from images where product_id = $1 and image_type = 'normal' and is_active order by image_id",
          [productId],
        )
      ).rows;
      if (normals.length < MIN_NORMAL_IMAGES)
        throw new ApiError(
          'validation',
          `${productCode} has ${normals.length} normal reference image${normals.length === 1 ? '' : 's'}; at least ${MIN_NORMAL_IMAGES} are needed (upload normal images, or bank build --images DIR)`,
        );
      const { backbone, embedding } = this.models();
      const cfg = await this.svc.getModelConfig(productId);
      const engine = await this.eng();

      // 2. the bank (features, coreset, held-out normalization) in the engine's PatchCore worker and, at the same
      // time, 3. the embeddings of every active reference image in its embedding worker
      const rel = path.posix.join('models', productCode, `bank-${deploymentId}.ldb`);
      const file = path.join(this.svc.paths.home, rel);
      const refs = (
        await this.svc.read.query<{ image_id: number; file_path: string; image_type: string }>(
          "select image_id, file_path, image_type from images where product_id = $1 and is_active and image_type in ('normal', 'defect') order by image_id",
          [productId],
        )
      ).rows;
      let bankFraction = 0;
      let bankMessage = 'bank';
      let embedded = 0;
      const report = () =>
        progress(0.02 + (embedding ? 0.78 : 0.96) * bankFraction + (embedding && refs.length ? 0.18 * (embedded / refs.length) : 0), embedding ? `${bankMessage} · embeddings ${embedded}/${refs.length}` : bankMessage);
      // the embeddings stop when the build fails or is cancelled
      const stopEmbedding = new AbortController();
      const onCancel = () => stopEmbedding.abort();
      c.signal?.addEventListener('abort', onCancel, { once: true });
      // a broken embedding model does not cost the bank: anomaly detection works without it (recorded in the summary)
      let embeddingError: string | null = null;
      const embeddings = (async () => {
        if (!embedding) return;
        try {
          for (let i = 0; i < refs.length; i += EMBED_BATCH) {
            checkAbort(stopEmbedding.signal);
            const batch = refs.slice(i, i + EMBED_BATCH);
            const out = await engine.embed({ model: embedding.dir, images: batch.map((r) => this.svc.store.abs(r.file_path)) }, { signal: stopEmbedding.signal });
            for (let k = 0; k < batch.length; k++) await this.storeEmbedding(batch[k].image_id, embedding, out[k].normalized);
            embedded += batch.length;
            report();
          }
        } catch (e) {
          if (stopEmbedding.signal.aborted || (e as Error).name === 'CancelledError') return;
          embeddingError = (e as Error).message;
          this.logger.warn({ productCode, err: embeddingError }, 'reference embeddings failed; the bank is deployed without them');
        }
      })();
      let built: Awaited<ReturnType<InspectionEngine['buildBank']>>;
      try {
        built = await engine
          .buildBank(
            { backbone: backbone.dir, images: normals.map((n) => this.svc.store.abs(n.file_path)), names: normals.map((n) => `${n.file_name} (image ${n.image_id})`), out: file, coresetRatio: ratio },
            {
              signal: c.signal,
              onProgress: (f, m) => {
                bankFraction = f;
                bankMessage = m ?? 'bank';
                report();
              },
            },
          )
          .catch((e) => {
            if ((e as Error).name === 'CancelledError') throw e;
            throw new ApiError('validation', (e as Error).message);
          });
      } catch (e) {
        stopEmbedding.abort();
        throw e;
      } finally {
        await embeddings;
        c.signal?.removeEventListener('abort', onCancel);
      }
      checkAbort(c.signal);

      // 4. the deployment completes: that makes it the product's bank
      const norm = built.header.normalization;
      const calibration = norm
        ? {
            method: norm.method,
            boundaryScore: norm.boundaryScore,
            heldOutImages: norm.count,
            heldOutBelowBoundary: norm.heldOutBelowBoundary,
            image: norm.image,
            pixel: norm.pixel,
            notes: norm.notes,
          }
        : {};
      const ms = Math.round(performance.now() - t0);
      const summary = {
        bank_size: built.bankSize,
        bank_path: rel,
        normal_images: normals.length,
        defect_images: refs.filter((r) => r.image_type === 'defect').length,
        embedded_images: embedded,
        image_threshold: cfg.imageThreshold,
        pixel_threshold: cfg.pixelThreshold,
        coreset_ratio: ratio,
        backbone: backbone.manifest.name,
        backbone_sha256: built.header.backbone.sha256,
        embedding: embedding?.manifest.name ?? null,
        embedding_error: embeddingError,
        calibration,
        build_ms: built.header.buildMs ?? null,
        ms,
      };
      await this.svc.finishDeployment(deploymentId, { status: 'completed', summary });
      progress(1, 'completed');
      this.logger.info({ productCode, deploymentId, bankSize: built.bankSize, normals: normals.length, ms }, 'memory bank built');
      return {
        deployment_id: deploymentId,
        bank_size: built.bankSize,
        image_threshold: cfg.imageThreshold,
        ms,
        productCode,
        normal_images: normals.length,
        defect_images: summary.defect_images,
        embedded_images: embedded,
        bank_path: file,
        calibration,
      };
    } catch (e) {
      const cancelled = c.signal?.aborted || (e as Error)?.name === 'CancelledError';
      await this.svc
        .finishDeployment(deploymentId, cancelled ? { status: 'cancelled', error: 'cancelled' } : { status: 'failed', error: (e as Error)?.message ?? String(e) })
        .catch(() => undefined);
      if (cancelled) {
        const err = new Error('bank build cancelled');
        err.name = 'AbortError';
        throw err;
      }
      throw e;
    }
  }

  /** --images DIR: those files become the active normal images; other active normals are deactivated (audited). */
  private async replaceNormals(productId: number, productCode: string, opts: BankBuildOptions, signal?: AbortSignal): Promise<void> {
    const inputs: ImageInput[] = [...(opts.images ?? [])];
    if (opts.imagesDir) {
      const dir = path.resolve(opts.imagesDir);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ApiError('validation', `no such folder ${dir}`);
      const files = fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isFile() && IMAGE_EXT.test(d.name) && !/_mask\.png$/i.test(d.name))
        .map((d) => d.name)
        .sort();
      if (!files.length) throw new ApiError('validation', `${dir} holds no image files (png, jpg, webp, tif)`);
      for (const f of files) inputs.push({ path: path.join(dir, f) });
    }
    const stored: (DecodedImage & { relPath: string })[] = [];
    for (const input of inputs) {
      checkAbort(signal);
      try {
        const raw = readImageInput(input);
        stored.push(this.svc.store.putDecoded(await decodeImage(raw.bytes, 'path' in input ? input.path : raw.fileName)));
      } catch (e) {
        asInputError(e);
      }
    }
    await withTransaction(this.svc.read, async (c) => {
      const keep = new Set<number>();
      for (const s of stored) {
        // the same content active as a defect image is a mistake in the folder: insertReferenceImage says so
        const row = await this.svc.insertReferenceImage(c, productId, 'normal', null, s, opts.actor, productCode);
        keep.add(row.imageId);
      }
      const drop = await c.query<{ image_id: number }>(
        "update images set is_active = false where product_id = $1 and image_type = 'normal' and is_active and not (image_id = any($2::int[])) returning image_id",
        [productId, [...keep]],
      );
      if (drop.rowCount)
        await writeAudit(c, opts.actor, {
          action: 'inspection.image.deactivate',
          table: 'images',
          operation: 'UPDATE',
          target: `${productCode}/normal`,
          before: { imageIds: drop.rows.map((r) => r.image_id) },
          after: { isActive: false, reason: 'replaced by bank build --images' },
        });
    });
  }

  /**
   * Embeds one reference image now (after an upload), so a new defect exemplar or normal reference is used by the
   * next inspection without waiting for a bank build. Returns false when the station has no embedding model.
   */
  async embedReference(imageId: number): Promise<boolean> {
    const f = this.findModels();
    if (!f.ok || !f.embedding) return false;
    const img = await this.svc.getImage(imageId);
    if (img.imageType === 'test') return false;
    const [e] = await (await this.eng()).embed({ model: f.embedding.dir, images: [this.svc.store.abs(img.filePath)] });
    await this.storeEmbedding(imageId, f.embedding, e.normalized);
    return true;
  }

  private async storeEmbedding(imageId: number, model: ModelEntry, v: Float32Array): Promise<void> {
    await this.svc.read.query(
      `insert into image_metadata (image_id, embedding_vector, embedding_model, embedding_dim, preprocessing_applied, updated_at)
       values ($1, $2, $3, $4, $5, now())
       on conflict (image_id) do update set embedding_vector = excluded.embedding_vector, embedding_model = excluded.embedding_model,
         embedding_dim = excluded.embedding_dim, preprocessing_applied = excluded.preprocessing_applied, updated_at = now()`,
      [imageId, f32ToBytes(v), embeddingKey(model), v.length, JSON.stringify({ embedding: model.manifest.input })],
    );
  }

  // ------------------------------------------------------------------------------------------------ inspect

  /** Inspects one image of a product with its current bank; writes the inspection; emits `inspection.completed`. */
  async inspect(productCode: string, image: ImageInput | Buffer, opts: InspectOptions = {}): Promise<InspectOutcome> {
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    let tMark = t0;
    const mark = (stage: string) => {
      const now = performance.now();
      timings[stage] = Math.round((now - tMark) * 10) / 10;
      tMark = now;
    };
    const svc = this.svc;
    // the image is decoded and checked (on sharp's threads) while the product, its bank and thresholds are read;
    // a product problem is reported before an image problem, and nothing is computed or written before both pass
    let decoding: Promise<DecodedImage>;
    try {
      const raw = Buffer.isBuffer(image) ? { bytes: image, fileName: 'image' } : readImageInput(image);
      decoding = decodeImage(raw.bytes, raw.fileName, { pixels: true });
    } catch (e) {
      decoding = Promise.reject(e);
    }
    decoding.catch(() => undefined);
    const ctx = await svc.inspectionContext(productCode);
    const product = { productId: ctx.productId };
    if (!ctx.isActive) throw new ApiError('conflict', `${productCode} is deactivated; activate it to inspect`, refusal('deactivated'));
    const current = ctx.bank;
    const cfg = { imageThreshold: ctx.imageThreshold, pixelThreshold: ctx.pixelThreshold };
    if (!current) throw new ApiError('not_found', `${productCode} has no memory bank yet: build one first (bank build --product ${productCode})`, refusal('no_bank'));
    let decoded: DecodedImage;
    try {
      decoded = await decoding;
    } catch (e) {
      return asInputError(e);
    }
    const label = Buffer.isBuffer(image) ? decoded.fileName : 'path' in image ? image.path : (image.fileName ?? decoded.fileName);
    checkAbort(opts.signal);
    const { backbone, embedding } = this.models();
    const bankFile = this.bankFileOf(productCode, current);
    const engine = await this.eng();
    mark('prepare');

    // the artifacts' base picture is scaled on sharp's threads while the engine's worker runs the models on the
    // pixels decoded above (one decode for everything; CLIP gets the bytes only when it must composite an alpha)
    const rgb = decoded.rgb!;
    const basePicture = artifactBase(rgb);
    basePicture.catch(() => undefined);
    // the reference images' embeddings are read while the engine runs
    const referenceRows = embedding
      ? svc.read.query<{ image_id: number; image_type: string; defect_type_id: number | null; defect_code: string | null; file_path: string; embedding_vector: Buffer }>(
          `select i.image_id, i.image_type, i.defect_type_id, d.defect_code, i.file_path, md.embedding_vector
           from images i join image_metadata md on md.image_id = i.image_id left join defect_types d on d.defect_type_id = i.defect_type_id
           where i.product_id = $1 and i.is_active and i.image_type in ('normal', 'defect') and md.embedding_model = $2 and (d.defect_type_id is null or d.is_active)`,
          [product.productId, embeddingKey(embedding)],
        )
      : null;
    referenceRows?.catch(() => undefined);
    const run = await engine
      .inspect(
        {
          backbone: backbone.dir,
          bank: bankFile,
          embedding: embedding?.dir,
          image: rgb,
          alphaSource: decoded.meta.hasAlpha ? new Uint8Array(decoded.bytes) : undefined,
          name: label,
          regionThreshold: cfg.pixelThreshold,
        },
        { signal: opts.signal },
      )
      .catch((e) => {
        if (/rebuild the bank/.test((e as Error).message)) throw new ApiError('conflict', `${productCode}: ${(e as Error).message}`, refusal('rebuild_bank'));
        throw e;
      });
    const pc = run.patchcore;
    // without a working embedding model the inspection still runs: no reference image, no defect type
    const embeddingError = run.embeddingError;
    if (embeddingError) this.logger.warn({ productCode, err: embeddingError }, 'embedding failed; inspecting without similarity');
    const embs = run.embedding ? [run.embedding] : null;
    mark('engine');
    if (pc.anomalyScore == null || !pc.normalizedMap) throw new ApiError('unavailable', `the memory bank of ${productCode} has no normalization; rebuild the bank`, refusal('rebuild_bank'));
    const anomaly = Math.min(1, Math.max(0, pc.anomalyScore));
    const defectDetected = anomaly >= cfg.imageThreshold;
    const [mapH, mapW] = pc.mapSize;
    let mapRegions: (EngineRegion & { rawMax?: number })[] = defectDetected ? pc.regions : [];
    let regionRule: string | null = defectDetected ? 'pixel_threshold' : null;
    if (defectDetected && !mapRegions.length) {
      // anomalous image without a pixel above the pixel threshold: the peak's own area (≥ 60 % of the peak)
      let peak = 0;
      for (const v of pc.normalizedMap) if (v > peak) peak = v;
      mapRegions = peak > 0 ? findRegions(pc.normalizedMap, mapW, mapH, 0.6 * peak, { minArea: 1, limit: 1 }) : [];
      regionRule = 'peak_60pct';
    }
    const regions = mapRegions.map((r) => regionToSource(r, mapW, mapH, pc.geometry, r.rawMax));

    // similarity: most similar normal reference; defect type from the nearest defect exemplars
    let similarity: number | null = null;
    let referenceImageId: number | null = null;
    let referencePath: string | null = null;
    let defectTypeId: number | null = null;
    let candidates: { defectTypeId: number; defectCode: string; similarity: number; imageId: number }[] = [];
    const embeddingVec = embs?.[0]?.normalized ?? null;
    if (embedding && embeddingVec) {
      const refs = await referenceRows!;
      let bestNormal = -Infinity;
      const perType = new Map<number, { defectCode: string; similarity: number; imageId: number }>();
      for (const r of refs.rows) {
        const v = bytesToF32(r.embedding_vector);
        if (v.length !== embeddingVec.length) continue;
        let d = 0;
        for (let k = 0; k < v.length; k++) d += v[k] * embeddingVec[k];
        if (r.image_type === 'normal') {
          if (d > bestNormal) {
            bestNormal = d;
            referenceImageId = r.image_id;
            referencePath = r.file_path;
          }
        } else if (r.defect_type_id != null) {
          const prev = perType.get(r.defect_type_id);
          if (!prev || d > prev.similarity) perType.set(r.defect_type_id, { defectCode: r.defect_code!, similarity: d, imageId: r.image_id });
        }
      }
      if (referenceImageId != null) similarity = Math.min(1, Math.max(0, bestNormal));
      candidates = [...perType.entries()].map(([id, v]) => ({ defectTypeId: id, ...v })).sort((a, b) => b.similarity - a.similarity);
      if (defectDetected && candidates.length) defectTypeId = candidates[0].defectTypeId;
    }
    // confidence in the verdict: 0.5 at the threshold, 1 at the ends of the scale
    const th = cfg.imageThreshold;
    const confidence = Math.min(1, Math.max(0, defectDetected ? 0.5 + (0.5 * (anomaly - th)) / (1 - th) : 0.5 + (0.5 * (th - anomaly)) / th));
    const [defectType, guide] = defectTypeId ? await Promise.all([svc.getDefectType(defectTypeId), svc.guideFor(defectTypeId)]) : [null, null];
    const guideText =
      guide && guide.cause.length + guide.action.length
        ? [
            ...guide.cause.map((s) => `[원인] ${s.sectionTitle ? `${s.sectionTitle}: ` : ''}${s.sectionContent}`),
            ...guide.action.map((s) => `[조치] ${s.sectionTitle ? `${s.sectionTitle}: ` : ''}${s.sectionContent}`),
          ].join('\n')
        : null;
    mark('similarity');

    // artifacts at the picture's aspect ratio (at most ARTIFACT_MAX_SIDE), drawn before the transaction (encoding
    // them while the transaction runs was measured slower: the encodes and the database share the same two cores)
    const art = await this.renderArtifacts(await basePicture, pc, cfg.pixelThreshold, mapRegions, referencePath);
    checkAbort(opts.signal);
    const stored = svc.store.putDecoded(decoded);
    // the files are written on libuv's threads while the rows are inserted; their folder gets its name (the
    // inspection code) inside the transaction, before the commit
    const staging = svc.store.stageArtifacts(stored.relPath, { 'heatmap.png': art.heatmap, 'mask.png': art.mask, 'overlay.png': art.overlay, 'comparison.png': art.comparison, 'map.png': art.map });
    staging.catch(() => undefined);
    mark('artifacts');
    const processingS = (performance.now() - t0) / 1000;

    const prefix = ImageStore.artifactPrefix(stored.relPath);
    const details = {
      deploymentId: current.deploymentId,
      backbone: backbone.manifest.name,
      embedding: embedding?.manifest.name ?? null,
      argmaxPatch: pc.argmax,
      grid: pc.grid,
      regionRule,
      defectCandidates: candidates.slice(0, 5),
      embeddingError,
      artifactSize: art.size,
      engineMs: pc.ms,
      timingsMs: timings,
    };
    let row: { inspectionId: number; code: string; artifacts: InspectOutcome['artifacts'] };
    try {
      row = await withTransaction(svc.read, async (c: pg.PoolClient) => {
        // the four rows in one statement (one round trip): the image, its metadata, the inspection (its code from
        // the trigger) and the result, whose artifact paths are the folder prefix and that code
        const ins = await c.query<{ inspection_id: number; inspection_code: string }>({
          // prepared once per connection (the plan of the five-table statement is not made again each time)
          name: 'inspection-insert',
          text: `with img as (
             insert into images (product_id, image_type, file_name, file_path, sha256, file_size, width, height, format, uploaded_by)
             values ($1, 'test', $2, $3, $4, $5, $6, $7, $8, $9) returning image_id
           ), md as (
             insert into image_metadata (image_id, exif_data, preprocessing_applied, embedding_vector, embedding_model, embedding_dim)
             select image_id, $10, $11, $12, $13, $14 from img
           ), ins as (
             insert into inspections (product_id, test_image_id, reference_image_id, inspector_id, inspection_date, status, processing_time, source, deployment_id)
             select $1, image_id, $15, $9, coalesce($16, now()), 'completed', $17, $18, $19 from img
             returning inspection_id, inspection_code
           ), res as (
             insert into inspection_results (inspection_id, defect_detected, defect_type_id, confidence_score, anomaly_score, similarity_score,
               raw_anomaly_score, raw_max_patch_distance, image_threshold, pixel_threshold, heatmap_path, mask_path, overlay_path, comparison_path,
               detected_regions, details, guide_generated, guide_content)
             select inspection_id, $20, $21, $22, $23, $24, $25, $26, $27, $28,
               $29::text || inspection_code || '/heatmap.png', $29::text || inspection_code || '/mask.png',
               $29::text || inspection_code || '/overlay.png', $29::text || inspection_code || '/comparison.png',
               $30, $31::jsonb || jsonb_build_object('anomalyMap', $29::text || inspection_code || '/map.png'), $32, $33
             from ins
           )
           select inspection_id, inspection_code from ins`,
          values: [
            product.productId,
            decoded.fileName,
            stored.relPath,
            stored.sha256,
            stored.bytes.length,
            stored.width,
            stored.height,
            stored.format.toUpperCase(),
            userRef(opts.actor),
            JSON.stringify(stored.meta),
            JSON.stringify({ backbone: backbone.manifest.input, geometry: { resize: pc.geometry.resize, crop: pc.geometry.crop ?? null }, embedding: embedding?.manifest.input ?? null }),
            embeddingVec ? f32ToBytes(embeddingVec) : null,
            embeddingVec && embedding ? embeddingKey(embedding) : null,
            embeddingVec ? embeddingVec.length : null,
            referenceImageId,
            opts.at ?? null,
            processingS,
            opts.source ?? 'upload',
            current.deploymentId,
            defectDetected,
            defectTypeId,
            confidence,
            anomaly,
            similarity,
            pc.imageScore,
            pc.maxPatchDistance,
            cfg.imageThreshold,
            cfg.pixelThreshold,
            prefix,
            JSON.stringify(regions),
            JSON.stringify(details),
            Boolean(guideText),
            guideText,
          ],
        });
        const { inspection_id: inspectionId, inspection_code: code } = ins.rows[0];
        const files = (await staging).place(code);
        if (opts.withinTransaction) await opts.withinTransaction(c, { inspectionId, inspectionCode: code });
        const artifacts = {
          original: stored.relPath,
          heatmap: files['heatmap.png'],
          mask: files['mask.png'],
          overlay: files['overlay.png'],
          comparison: files['comparison.png'],
          anomalyMap: files['map.png'],
        };
        return { inspectionId, code, artifacts };
      });
    } catch (e) {
      // nothing committed: no files either
      await staging.then((s) => s.discard()).catch(() => undefined);
      throw e;
    }
    mark('database');

    const outcome: InspectOutcome = {
      image: label,
      inspectionId: row.inspectionId,
      inspection_code: row.code,
      productCode,
      defect_detected: defectDetected,
      anomaly_score: anomaly,
      raw_anomaly_score: pc.imageScore,
      raw_max_patch_distance: pc.maxPatchDistance,
      image_threshold: cfg.imageThreshold,
      defect_type: defectType?.defectCode ?? null,
      defect_type_name_ko: defectType?.defectNameKo ?? null,
      severity_level: defectType?.severityLevel ?? null,
      confidence_score: confidence,
      similarity_score: similarity,
      reference_image_id: referenceImageId,
      regions,
      artifacts: row.artifacts,
      processing_ms: Math.round(performance.now() - t0),
    };
    svc.bus?.emit('inspection.completed', {
      inspectionId: row.inspectionId,
      inspectionCode: row.code,
      productCode,
      source: opts.source ?? 'upload',
      defectDetected,
    });
    return outcome;
  }

  /** The current bank's file, which must exist (a bank row whose file is gone has to be built again). */
  private bankFileOf(productCode: string, current: { summary: Record<string, unknown> }): string {
    const bankFile = path.join(this.svc.paths.home, String(current.summary.bank_path));
    if (!fs.existsSync(bankFile)) throw new ApiError('unavailable', `the memory bank file of ${productCode} is missing (${bankFile}); rebuild the bank`, refusal('rebuild_bank'));
    return bankFile;
  }

  /**
   * Normalized anomaly scores of stored images against the product's current bank, without writing anything
   * (the threshold preview scores the defect exemplars this way).
   */
  async scoreStoredImages(productCode: string, relPaths: string[], signal?: AbortSignal): Promise<{ deploymentId: number; scores: number[] }> {
    const product = await this.svc.getProduct({ productCode });
    const current = await this.svc.currentBank(product.productId);
    if (!current) throw new ApiError('not_found', `${productCode} has no memory bank yet: build one first`, refusal('no_bank'));
    const bankFile = this.bankFileOf(productCode, current);
    if (!relPaths.length) return { deploymentId: current.deploymentId, scores: [] };
    const { backbone } = this.models();
    const engine = await this.eng();
    const scores: number[] = [];
    for (let i = 0; i < relPaths.length; i += EMBED_BATCH) {
      checkAbort(signal);
      const batch = relPaths.slice(i, i + EMBED_BATCH).map((p) => this.svc.store.abs(p));
      const out = await engine.patchcore({ backbone: backbone.dir, bank: bankFile, images: batch, maps: false }, { signal });
      for (const r of out) scores.push(Math.min(1, Math.max(0, r.anomalyScore ?? 0)));
    }
    return { deploymentId: current.deploymentId, scores };
  }

  /** Heatmap, mask, overlay (with region boxes), map and comparison PNGs with the engine's drawing functions. */
  private async renderArtifacts(base: RgbImage, pc: PatchcoreResult, pixelThreshold: number, mapRegions: EngineRegion[], referencePath: string | null) {
    const W = base.width;
    const H = base.height;
    const [mapH, mapW] = pc.mapSize;
    // the normalized map on the (scaled) picture: crop / stretch undone
    const disp = mapToSource(pc.normalizedMap!, mapW, mapH, { ...pc.geometry, sourceSize: { width: W, height: H } });
    const boxes = mapRegions.map((r) => {
      const s = regionToSource(r, mapW, mapH, { ...pc.geometry, sourceSize: { width: W, height: H } });
      return { ...r, bbox: { x: s.x, y: s.y, width: s.width, height: s.height } };
    });
    // the reference is decoded and the three map pictures encoded on sharp's threads while the overlay is drawn
    // here; the overlay's pixels then feed the comparison directly (no PNG decode of the overlay)
    const reference = (referencePath && this.referenceSide(referencePath, H)) || Promise.resolve(base);
    reference.catch(() => undefined);
    const maps = Promise.all([heatmapPng(disp, W, H, { min: 0, max: 1 }), maskPng(disp, W, H, pixelThreshold), mapPng(disp, W, H)]);
    maps.catch(() => undefined);
    const overlay = await overlayRgb(base, disp, W, H, { min: 0, max: 1, regions: boxes, boxColor: [255, 45, 45] });
    const [[heatmap, mask, map], overlayFile, comparison] = await Promise.all([maps, rgbPng(overlay), comparisonPng(await reference, overlay, { height: H })]);
    return { heatmap, mask, overlay: overlayFile, comparison, map, size: { width: W, height: H } };
  }

  /**
   * A reference picture decoded and scaled to the comparison's height, kept for the next inspections (the most
   * similar normal of a product is mostly one of a few pictures): a camera frame's comparison then decodes and
   * scales nothing but the inspected picture. Keyed by file, its size and mtime, and the height; the last
   * REFERENCE_CACHE entries (each at most 512 px a side: under 1 MB). Null when the stored file is gone (or its
   * path leaves the store): the comparison then shows the inspected picture twice.
   */
  private referenceSide(relPath: string, height: number): Promise<RgbImage> | null {
    let file: string;
    let st: fs.Stats | undefined;
    try {
      file = this.svc.store.abs(relPath);
      st = fs.statSync(file, { throwIfNoEntry: false });
    } catch {
      return null;
    }
    if (!st?.isFile()) return null;
    const key = `${file}|${st.size}|${st.mtimeMs}|${height}`;
    const cache = this.references;
    let p = cache.get(key);
    if (p) cache.delete(key);
    else {
      p = loadRgb(file).then((img) => atHeight(img, height));
      p.catch(() => cache.delete(key));
    }
    cache.set(key, p);
    while (cache.size > REFERENCE_CACHE) cache.delete(cache.keys().next().value!);
    return p;
  }

  /** Starts the engine's worker now (a station warms it at start so its first inspection is not the slow one). */
  async warm(): Promise<void> {
    const f = this.findModels();
    if (this.disposed || !f.ok) return;
    const engine = await this.eng();
    // the models and the bank of the product inspected last (or any with a bank): one small picture through both
    const r = await this.svc.read.query<{ bank_path: string }>(
      `select d.result_summary->>'bank_path' as bank_path from deployments d
       where d.deployment_type = 'patchcore_bank' and d.status = 'completed'
       order by (select max(i.inspection_date) from inspections i where i.product_id = d.product_id) desc nulls last, d.completed_at desc limit 1`,
    );
    const bank = r.rows[0]?.bank_path ? path.join(this.svc.paths.home, r.rows[0].bank_path) : null;
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
    const img = new Uint8Array(png);
    if (this.disposed) return;
    await Promise.all([
      bank && fs.existsSync(bank) ? engine.patchcore({ backbone: f.backbone.dir, bank, images: [img], maps: false }) : null,
      f.embedding ? engine.embed({ model: f.embedding.dir, images: [img] }) : null,
    ]);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const e = this.engine;
    this.engine = undefined;
    if (e) await (await e.catch(() => undefined))?.close();
  }
}
