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
 * Inspect: a composition of the stages in ./stages/, one file each — decode (and check) → score (PatchCore and the
 * embedding in the engine, the verdict and its regions) → describe (most similar normal reference, defect type of
 * the nearest defect exemplar, confidence, guide: the verdict as plain data) → artifacts (drawn, the original
 * stored, the files staged) → persist (the four rows in one transaction from a plain record, the staged folder
 * named by the inspection code) → bus event `inspection.completed`.
 *
 * A station (an outbox) answers the verdict before the paperwork: after `describe` the picture, the verdict and the
 * normalized anomaly map are journaled (durable) and the verdict is answered; the artifacts are drawn from that map
 * afterwards (`inspection.drawn`), and the forwarder writes everything to the database (`inspection.stored`). A
 * crash in between loses nothing: the forwarder draws the artifacts again from the journal.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import sharp from 'sharp';
import { ApiError, type SessionUser } from '../api/kit';
import { because } from '../api/reasons';
import { writeAudit } from '../audit/audit';
import { readStationConfig } from '../config';
import { isUnavailable, withTransaction } from '../db/pools';
import type { JournalEntry } from '../lib/journal';
import { log } from '../log';
import { embeddingKey, f32ToBytes } from './embeddings';
import { atHeight } from './engine/artifacts';
import { CancelledError } from './engine/coreset';
import { InspectionEngine, type EngineOptions } from './engine/engine';
import { builtinModelsDir, discoverModels, type ModelEntry } from './engine/models';
import { loadRgb, type RgbImage } from './engine/preprocess';
import * as queries from './queries';
import type { Outbox } from './outbox';
import { asInputError, type InspectionService, userRef } from './service';
import { ProductSnapshots, type InspectionContext, type ProductSnapshot } from './snapshots';
import { ARTIFACT_NAMES, artifactBase, artifactSize, artifacts, writeFiles, type ArtifactName, type StoredFile } from './stages/artifacts';
import type { PatchcoreResult } from './engine/ops';
import type { Region as EngineRegion } from './engine/regions';
import { sha256Of } from '../files/store';
import { decode, type Decoded } from './stages/decode';
import { describe, type DefectCatalog, type Described } from './stages/describe';
import { persist, type InspectionRecord } from './stages/persist';
import { refusal } from './stages/refusals';
import { score, type Scored } from './stages/score';
import { decodeImage, ImageStore, readImageInput, type DecodedImage, type ImageInput } from './store';
import { jobMessage } from '../jobs/message';
import type { Artifacts, BankBuildOutcome, InspectOutcome, InspectionSource, ProductRef } from './types';


export const DEFAULT_BACKBONE = 'linedeck-patchcore-default';
export const DEFAULT_EMBEDDING = 'linedeck-embed-default';
export const DEFAULT_CORESET_RATIO = 0.1;
export const MIN_NORMAL_IMAGES = 2;
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
  /**
   * store and forward: the complete result is journaled in this outbox before the verdict is answered, and the
   * forwarder writes it to the database; with the database away the station scores from its snapshot of the
   * product (snapshots.ts). Without it (the CLI, watch folders, the demo) the inspection is written at once and
   * fails when the database is away.
   */
  outbox?: Outbox;
  /** with an outbox: how long to wait for the result to reach the database before answering it as waiting (ms, default 0) */
  waitMs?: number;
  /** the station that inspects (stations.station_id) */
  stationId?: string | null;
}

type PlainFile = Omit<StoredFile, 'bytes'>;

/** What the artifacts are drawn from after the verdict (with the entry's blobs `original` and `map`, float32). */
interface DrawSpec {
  mapSize: [number, number];
  geometry: PatchcoreResult['geometry'];
  mapRegions: EngineRegion[];
  pixelThreshold: number;
  /** the most similar normal (the comparison's left side), or null */
  referencePath: string | null;
}

/**
 * A journaled inspection: the record without its bytes (the entry's blobs `original`, `embedding`, and `map`, the
 * normalized anomaly map the artifacts are drawn from). Entries journaled before the verdict came first hold the
 * drawn artifacts instead (`files.artifacts`, blobs `art/<name>`).
 */
interface JournaledInspection {
  productCode: string;
  record: Omit<InspectionRecord, 'embedding' | 'files'> & {
    embedding: { model: string | null; dim: number } | null;
    files: { original: PlainFile; artifacts?: Record<ArtifactName, PlainFile> };
  };
  draw?: DrawSpec;
}

/** An inspection's record before its artifacts are drawn (a station answers the verdict with it). */
type VerdictRecord = Omit<InspectionRecord, 'files'> & { files: { original: StoredFile; artifacts: Record<ArtifactName, StoredFile> | null } };

/** What the forwarder answers once a journaled inspection is in the database. */
export interface StoredInspection {
  clientUuid: string;
  inspectionId: number;
  inspectionCode: string;
  artifacts: Artifacts;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('cancelled');
}

const productRef = (p: ProductRef | string): ProductRef => (typeof p === 'string' ? { productCode: p } : p);

/** The plain record persist writes, from the stages' answers (the live parts end here). */
function inspectionRecord(a: {
  productId: number;
  deploymentId: number;
  backbone: ModelEntry;
  embedding: ModelEntry | null;
  /** the embedding space's key (embeddingKey of `embedding`), computed once per inspection */
  embeddingModel: string | null;
  image: Decoded;
  scored: Scored;
  described: Described;
  pixelThreshold: number;
  original: StoredFile;
  /** null until drawn (a station answers the verdict first) */
  artifacts: Record<ArtifactName, StoredFile> | null;
  opts: InspectOptions;
  timings: Record<string, number>;
  processingS: number;
  clientUuid: string;
}): VerdictRecord {
  const { decoded } = a.image;
  const { pc } = a.scored;
  const v = a.described.verdict;
  const vec = a.scored.embedding;
  return {
    productId: a.productId,
    deploymentId: a.deploymentId,
    source: a.opts.source ?? 'upload',
    clientUuid: a.clientUuid,
    stationId: a.opts.stationId ?? null,
    inspectorId: userRef(a.opts.actor),
    at: a.opts.at ? a.opts.at.toISOString() : null,
    processingS: a.processingS,
    image: {
      fileName: decoded.fileName,
      sha256: decoded.sha256,
      fileSize: decoded.bytes.length,
      width: decoded.width,
      height: decoded.height,
      format: decoded.format.toUpperCase(),
      meta: decoded.meta,
    },
    preprocessing: { backbone: a.backbone.manifest.input, geometry: { resize: pc.geometry.resize, crop: pc.geometry.crop ?? null }, embedding: a.embedding?.manifest.input ?? null },
    embedding: vec ? { vector: f32ToBytes(vec), model: a.embeddingModel, dim: vec.length } : null,
    result: {
      defectDetected: v.defect_detected,
      defectTypeId: a.described.defectTypeId,
      referenceImageId: v.reference_image_id,
      confidence: v.confidence_score,
      anomaly: v.anomaly_score,
      similarity: v.similarity_score,
      rawAnomaly: v.raw_anomaly_score,
      rawMaxPatchDistance: v.raw_max_patch_distance,
      imageThreshold: v.image_threshold,
      pixelThreshold: a.pixelThreshold,
      regions: v.regions,
      details: {
        deploymentId: a.deploymentId,
        backbone: a.backbone.manifest.name,
        embedding: a.embedding?.manifest.name ?? null,
        argmaxPatch: pc.argmax,
        grid: pc.grid,
        regionRule: a.scored.regionRule,
        defectCandidates: a.described.candidates.slice(0, 5),
        embeddingError: a.scored.embeddingError,
        artifactSize: artifactSize(decoded.width, decoded.height),
        engineMs: pc.ms,
        timingsMs: { ...a.timings },
      },
      guideText: a.described.guideText,
    },
    files: { original: a.original, artifacts: a.artifacts },
  };
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
    if (!f.ok) throw new ApiError('unavailable', `no inspection model: ${f.problem}`, refusal('no_model', {}));
    return f;
  }

  // ------------------------------------------------------------------------------------------------ bank build

  /**
   * Takes the product's bank lock (refusing a second concurrent build) and creates the deployment row; `run`
   * does the work and always releases the lock. Stale `pending`/`running` rows (a station that stopped mid-build)
   * are marked failed here, since nobody holds their lock.
   */
  async beginBankBuild(ref: ProductRef | string, opts: BankBuildOptions = {}): Promise<{ deploymentId: number; run: (c?: RunControl) => Promise<BankBuildOutcome> }> {
    const product = await this.svc.getProduct(productRef(ref));
    const { productCode } = product;
    const ratio = opts.coresetRatio ?? DEFAULT_CORESET_RATIO;
    if (!(ratio > 0 && ratio <= 1)) throw new ApiError('validation', `coreset ratio must be in (0, 1], got ${ratio}`, because('coreset_ratio', { ratio }));
    const lockKey = `linedeck:bank:${product.productId}`;
    const lockClient = await this.svc.job.connect();
    let owned = false;
    try {
      if (!(await queries.tryBankLock(lockClient, lockKey))) throw new ApiError('conflict', `a memory bank for ${productCode} is already being built`, because('bank_build_running', { productCode }));
      owned = true;
      await queries.failInterruptedBankBuilds(lockClient, product.productId);
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
            await queries.releaseBankLock(lockClient, lockKey).catch(() => undefined);
            lockClient.release();
          }
        },
      };
    } catch (e) {
      if (owned) await queries.releaseBankLock(lockClient, lockKey).catch(() => undefined);
      lockClient.release();
      throw e;
    }
  }

  /** begin + run, for the CLI, the demo and tests. */
  async buildBank(product: ProductRef | string, opts: BankBuildOptions & RunControl = {}): Promise<BankBuildOutcome> {
    const b = await this.beginBankBuild(product, opts);
    return b.run(opts);
  }

  private async runBankBuild(productId: number, productCode: string, deploymentId: number, ratio: number, opts: BankBuildOptions, c: RunControl): Promise<BankBuildOutcome> {
    const t0 = performance.now();
    const progress = (f: number, m: string) => c.progress?.(Math.min(1, Math.max(0, f)), m);
    await this.svc.markDeploymentRunning(deploymentId);
    try {
      // 1. the normal reference images (replaced by --images when given)
      if (opts.imagesDir || opts.images) {
        progress(0.01, jobMessage('storingImages'));
        await this.replaceNormals(productId, productCode, opts, c.signal);
      }
      checkAbort(c.signal);
      const normals = await queries.activeNormalImages(this.svc.read, productId);
      if (normals.length < MIN_NORMAL_IMAGES)
        throw new ApiError(
          'validation',
          `${productCode} has ${normals.length} normal reference image${normals.length === 1 ? '' : 's'}; at least ${MIN_NORMAL_IMAGES} are needed (upload normal images, or bank build --images DIR)`,
          because('too_few_normals', { productCode, count: normals.length, min: MIN_NORMAL_IMAGES }),
        );
      const { backbone, embedding } = this.models();
      const cfg = await this.svc.getModelConfig(productId);
      const engine = await this.eng();

      // 2. the bank (features, coreset, held-out normalization) in the engine's PatchCore worker and, at the same
      // time, 3. the embeddings of every active reference image in its embedding worker
      const rel = path.posix.join('models', productCode, `bank-${deploymentId}.ldb`);
      const file = path.join(this.svc.paths.home, rel);
      const refs = await queries.activeReferenceImages(this.svc.read, productId);
      let bankFraction = 0;
      let bankMessage = jobMessage('bankStart');
      let embedded = 0;
      const report = () =>
        progress(0.02 + (embedding ? 0.78 : 0.96) * bankFraction + (embedding && refs.length ? 0.18 * (embedded / refs.length) : 0), embedding ? `${bankMessage} · ${jobMessage('embeddings', { i: embedded, n: refs.length })}` : bankMessage);
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
            const out = await engine.embed({ model: embedding.dir, images: await Promise.all(batch.map((r) => this.svc.store.local(r.file_path))) }, { signal: stopEmbedding.signal });
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
      // the normals on this console (fetched by content when another station stored them)
      const normalFiles = await Promise.all(normals.map((n) => this.svc.store.local(n.file_path)));
      try {
        built = await engine
          .buildBank(
            { backbone: backbone.dir, images: normalFiles, names: normals.map((n) => `${n.file_name} (image ${n.image_id})`), out: file, coresetRatio: ratio },
            {
              signal: c.signal,
              onProgress: (f, m) => {
                bankFraction = f;
                bankMessage = m ?? jobMessage('bankStart');
                report();
              },
            },
          )
          .catch((e) => {
            if ((e as Error).name === 'CancelledError') throw e;
            throw new ApiError('validation', (e as Error).message, because('bank_build_failed', { productCode }));
          });
      } catch (e) {
        stopEmbedding.abort();
        throw e;
      } finally {
        await embeddings;
        c.signal?.removeEventListener('abort', onCancel);
      }
      checkAbort(c.signal);

      // 4. the bank file goes to the plant database (streamed, verified) and into this console's cache by its hash,
      // so any console on the database uses the same bytes (decisions.md, Plant rule 4)
      progress(0.99, jobMessage('storingBank'));
      const put = await this.svc.store.files!.putFile(file, 'bank');
      const cached = await this.svc.store.files!.adoptFile(file, 'ldb', put.sha256);
      checkAbort(c.signal);
      // 5. the deployment completes: that makes it the product's bank
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
        bank_sha256: put.sha256,
        bank_bytes: put.size,
        bank_path: path.posix.join('images', cached.relPath),
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
      progress(1, jobMessage('completed'));
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
        bank_path: cached.absPath,
        bank_sha256: put.sha256,
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
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ApiError('validation', `no such folder ${dir}`, because('folder_missing', { folder: dir }));
      const files = fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isFile() && IMAGE_EXT.test(d.name) && !/_mask\.png$/i.test(d.name))
        .map((d) => d.name)
        .sort();
      if (!files.length) throw new ApiError('validation', `${dir} holds no image files (png, jpg, webp, tif)`, because('folder_no_images', { folder: dir }));
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
      const dropped = await queries.deactivateOtherNormals(c, productId, [...keep]);
      if (dropped.length)
        await writeAudit(c, opts.actor, {
          action: 'inspection.image.deactivate',
          table: 'images',
          operation: 'UPDATE',
          target: `${productCode}/normal`,
          before: { imageIds: dropped },
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
    const [e] = await (await this.eng()).embed({ model: f.embedding.dir, images: [await this.svc.store.local(img.filePath)] });
    await this.storeEmbedding(imageId, f.embedding, e.normalized);
    return true;
  }

  private async storeEmbedding(imageId: number, model: ModelEntry, v: Float32Array): Promise<void> {
    await queries.upsertEmbedding(this.svc.read, { imageId, vector: f32ToBytes(v), model: embeddingKey(model), dim: v.length, preprocessing: JSON.stringify({ embedding: model.manifest.input }) });
  }

  // ------------------------------------------------------------------------------------------------ inspect

  /**
   * Inspects one image of a product (by id or code; a string is a code) with its current bank; writes the
   * inspection; emits `inspection.completed`. The stages in order: decode → score → describe → artifacts → persist.
   */
  async inspect(product: ProductRef | string, image: ImageInput | Buffer, opts: InspectOptions = {}): Promise<InspectOutcome> {
    const t0 = performance.now();
    const capturedAt = opts.at ?? new Date();
    const timings: Record<string, number> = {};
    let tMark = t0;
    const mark = (stage: string) => {
      const now = performance.now();
      timings[stage] = Math.round((now - tMark) * 10) / 10;
      tMark = now;
    };
    const svc = this.svc;
    const { signal, outbox } = opts;
    // the image is decoded and checked (on sharp's threads) while the product, its bank and thresholds are read;
    // a product problem is reported before an image problem, and nothing is computed or written before both pass
    const decoding = decode(image);
    decoding.catch(() => undefined);
    const { backbone, embedding } = this.models();
    const embeddingModel = embedding ? embeddingKey(embedding) : null;
    const known = await this.context(productRef(product), embeddingModel, Boolean(outbox));
    const ctx = known.ctx;
    const { productId, productCode, imageThreshold, pixelThreshold } = ctx;
    if (!ctx.isActive) throw new ApiError('conflict', `${productCode} is deactivated; activate it to inspect`, refusal('deactivated', { productCode }));
    const current = ctx.bank;
    if (!current) throw new ApiError('not_found', `${productCode} has no memory bank yet: build one first (bank build --product ${productCode})`, refusal('no_bank', { productCode }));
    const input = await decoding;
    checkAbort(signal);
    const bankFile = await this.bankFileOf(productCode, current);
    const engine = await this.eng();
    mark('prepare');

    // without a journal the artifacts' base picture is scaled on sharp's threads while the engine's workers run the
    // models on the pixels decoded above (one decode for everything); with one, after the verdict (paperwork): on 2
    // cores that resize competed with the models for the CPU (about 15 ms of a 1280×960 verdict)
    const base = outbox ? null : artifactBase(input.decoded.rgb);
    base?.catch(() => undefined);
    // the references' embeddings are read meanwhile
    const references = known.references;
    references?.catch(() => undefined);
    const scored = await score({ engine, backbone, embedding, bankFile, image: input, productCode, imageThreshold, pixelThreshold, signal }, () => mark('engine'));
    const described = await describe({ productCode, label: input.label, scored, imageThreshold, references }, known.catalog);
    mark('similarity');

    const referencePath = described.referencePath;
    const referenceAt = referencePath ? (height: number) => this.referenceSide(referencePath, height) : null;
    const d = input.decoded;
    const original: StoredFile = { relPath: ImageStore.relPathFor(d.sha256, d.format), sha256: d.sha256, bytes: d.bytes };
    const clientUuid = crypto.randomUUID();
    const recordOf = (drawn: Record<ArtifactName, StoredFile> | null) =>
      inspectionRecord({
        productId,
        deploymentId: current.deploymentId,
        backbone,
        embedding,
        embeddingModel,
        image: input,
        scored,
        described,
        pixelThreshold,
        original,
        artifacts: drawn,
        opts: outbox ? { ...opts, at: capturedAt } : opts,
        timings,
        processingS: (performance.now() - t0) / 1000,
        clientUuid,
      });

    let row: StoredInspection | null;
    let files: Artifacts;
    if (outbox) {
      // the verdict before the paperwork: the picture, the verdict and the map are on the station's disk before the
      // answer; the artifacts are drawn after it and the forwarder writes everything to the database
      const record = recordOf(null);
      const draw: DrawSpec = { mapSize: scored.pc.mapSize, geometry: scored.pc.geometry, mapRegions: scored.mapRegions, pixelThreshold, referencePath };
      await this.journal(outbox, record, productCode, draw, scored.pc.normalizedMap!);
      mark('journal');
      this.paperwork(clientUuid, { store: svc.store, decoded: d, pc: scored.pc, mapRegions: scored.mapRegions, pixelThreshold, referenceAt }, input.decoded.rgb);
      row = opts.waitMs ? (((await outbox.waitFor(clientUuid, opts.waitMs)) as StoredInspection | undefined) ?? null) : null;
      files = row?.artifacts ?? { original: original.relPath, heatmap: null, mask: null, overlay: null, comparison: null, anomalyMap: null };
    } else {
      const drawn = await artifacts({ store: svc.store, decoded: d, base: base!, pc: scored.pc, mapRegions: scored.mapRegions, pixelThreshold, referenceAt, signal });
      mark('artifacts');
      const record = recordOf(drawn.files.artifacts) as InspectionRecord;
      const written = await persist(svc.read, svc.store, record, { written: drawn.written ?? undefined, withinTransaction: opts.withinTransaction });
      row = { clientUuid, inspectionId: written.inspectionId, inspectionCode: written.inspectionCode, artifacts: written.artifacts };
      files = row.artifacts;
      mark('database');
      this.announce(record, row, described.verdict.defect_detected, productCode);
    }

    const v = described.verdict;
    return {
      image: v.image,
      client_uuid: clientUuid,
      stored: Boolean(row),
      inspectionId: row?.inspectionId ?? null,
      inspection_code: row?.inspectionCode ?? null,
      productCode: v.productCode,
      defect_detected: v.defect_detected,
      anomaly_score: v.anomaly_score,
      raw_anomaly_score: v.raw_anomaly_score,
      raw_max_patch_distance: v.raw_max_patch_distance,
      image_threshold: v.image_threshold,
      defect_type: v.defect_type,
      defect_type_name_ko: v.defect_type_name_ko,
      severity_level: v.severity_level,
      confidence_score: v.confidence_score,
      similarity_score: v.similarity_score,
      reference_image_id: v.reference_image_id,
      regions: v.regions,
      artifacts: files,
      processing_ms: Math.round(performance.now() - t0),
      stages_ms: { ...timings },
    };
  }

  private announce(record: InspectionRecord, row: StoredInspection, defectDetected: boolean, productCode: string): void {
    this.svc.bus?.emit('inspection.completed', {
      inspectionId: row.inspectionId,
      inspectionCode: row.inspectionCode,
      productCode,
      source: record.source,
      defectDetected,
    });
    this.svc.bus?.emit('inspection.stored', { clientUuid: row.clientUuid, inspectionId: row.inspectionId, inspectionCode: row.inspectionCode });
  }

  // ------------------------------------------------------------------------------------------------ store and forward

  /**
   * The product's inspection context, its references' embeddings and a catalog of its defect types and guides:
   * from the database, keeping the product's snapshot fresh; with `offline` allowed and the database away, from
   * the snapshot the station took last time (a product never inspected here says so).
   */
  private async context(
    ref: ProductRef,
    embeddingModel: string | null,
    offline: boolean,
  ): Promise<{ ctx: InspectionContext; references: Promise<queries.ReferenceEmbeddingRow[]> | null; catalog: DefectCatalog }> {
    const svc = this.svc;
    let ctx: InspectionContext;
    try {
      ctx = await svc.inspectionContext(ref);
    } catch (e) {
      if (!offline || !isUnavailable(e)) throw e;
      const snap = this.snapshots.get(ref);
      if (!snap || snap.embeddingModel !== embeddingModel) {
        const name = 'productId' in ref ? `product ${ref.productId}` : ref.productCode;
        throw new ApiError('unavailable', `the database is not reachable and this station has not inspected ${name} before: it cannot be inspected until the database is back`, refusal('offline_unknown', { product: name }));
      }
      return { ctx: snap.ctx, references: Promise.resolve(snap.references), catalog: snapshotCatalog(snap) };
    }
    const references = embeddingModel ? queries.referenceEmbeddings(svc.read, ctx.productId, embeddingModel) : null;
    if (offline && this.snapshots.stale(ctx, embeddingModel)) {
      // taken in the background from the references read for this inspection: the inspection does not wait for it
      void this.takeSnapshot(ctx, embeddingModel, references).catch((e) => this.logger.warn({ err: (e as Error).message, productCode: ctx.productCode }, 'product snapshot not taken'));
    }
    return { ctx, references, catalog: svc };
  }

  private async takeSnapshot(ctx: InspectionContext, embeddingModel: string | null, references: Promise<queries.ReferenceEmbeddingRow[]> | null): Promise<void> {
    const types = await this.svc.listDefectTypes(ctx.productId, { includeInactive: true });
    const guides: ProductSnapshot['guides'] = {};
    for (const t of types) guides[t.defectTypeId] = await this.svc.guideFor(t.defectTypeId);
    this.snapshots.save({
      takenAt: new Date().toISOString(),
      ctx,
      embeddingModel,
      references: references ? await references : [],
      defectTypes: Object.fromEntries(types.map((t) => [t.defectTypeId, t])),
      guides,
    });
  }

  private get snapshots(): ProductSnapshots {
    this.snapshotStore ??= new ProductSnapshots(path.join(this.svc.paths.home, 'cache', 'products'));
    return this.snapshotStore;
  }

  private snapshotStore?: ProductSnapshots;

  /**
   * Journals an inspection at its verdict: the record as JSON, the picture, the embedding and the normalized
   * anomaly map as bytes (everything the artifacts are drawn from).
   */
  private async journal(outbox: Outbox, record: VerdictRecord, productCode: string, draw: DrawSpec, map: Float32Array): Promise<void> {
    const { embedding, files, ...rest } = record;
    const data: JournaledInspection = {
      productCode,
      record: { ...rest, embedding: embedding ? { model: embedding.model, dim: embedding.dim } : null, files: { original: { relPath: files.original.relPath, sha256: files.original.sha256 } } },
      draw,
    };
    const blobs: Record<string, Buffer> = { original: files.original.bytes, map: Buffer.from(map.buffer, map.byteOffset, map.byteLength) };
    if (embedding) blobs.embedding = Buffer.from(embedding.vector.buffer, embedding.vector.byteOffset, embedding.vector.byteLength);
    await outbox.append('inspection', record.clientUuid!, data, blobs);
  }

  /** The artifacts being drawn after a verdict, by client UUID: their names, for the forwarder (bounded). */
  private drawing = new Map<string, Promise<Record<ArtifactName, PlainFile>>>();

  /**
   * After the verdict: draws the artifacts from the pixels and the map this inspection holds, writes them and the
   * picture into this station's cache (the screen shows them at `inspection.drawn`, the database away or not),
   * and leaves their names to the forwarder, which reads them back from the cache.
   */
  private paperwork(clientUuid: string, input: Omit<Parameters<typeof artifacts>[0], 'base'>, rgb: RgbImage): void {
    const p = (async () => {
      // after the answer: drawing starts with synchronous work (the heatmap's colours) that would otherwise run in
      // the microtask before the caller's continuation and delay the verdict it was written for
      await new Promise<void>((r) => setImmediate(r));
      const drawn = await artifacts({ ...input, base: artifactBase(rgb), defer: true });
      await drawn.write();
      const names = Object.fromEntries(ARTIFACT_NAMES.map((n) => [n, { relPath: drawn.files.artifacts[n].relPath, sha256: drawn.files.artifacts[n].sha256 }])) as Record<ArtifactName, PlainFile>;
      this.svc.bus?.emit('inspection.drawn', { clientUuid, artifacts: artifactPaths({ original: drawn.files.original, artifacts: names }) });
      return names;
    })();
    p.catch((e) => this.logger.warn({ clientUuid, err: (e as Error).message }, 'artifacts not drawn after the verdict; the forwarder draws them'));
    this.drawing.set(clientUuid, p);
    // a long outage: the oldest names go (the forwarder then draws those again from their journal entries)
    if (this.drawing.size > 2000) this.drawing.delete(this.drawing.keys().next().value!);
  }

  /**
   * A journaled inspection's artifacts with their bytes: drawn by this process after the verdict (read back from
   * the cache, each checked against its hash), else drawn now from the entry (a crash after the verdict, another
   * process forwarding, a cache that lost them) — the same inputs, so the same files.
   */
  private async artifactsOf(entry: JournalEntry, data: JournaledInspection): Promise<Record<ArtifactName, StoredFile>> {
    const names = await this.drawing.get(entry.id)?.catch(() => undefined);
    if (names) {
      const read = await Promise.all(
        ARTIFACT_NAMES.map(async (n) => {
          const bytes = await fs.promises.readFile(this.svc.store.abs(names[n].relPath)).catch(() => null);
          return bytes && sha256Of(bytes) === names[n].sha256 ? ([n, { ...names[n], bytes }] as const) : null;
        }),
      );
      if (read.every(Boolean)) return Object.fromEntries(read as [ArtifactName, StoredFile][]) as Record<ArtifactName, StoredFile>;
    }
    const draw = data.draw;
    const original = entry.blobs.original;
    const map = entry.blobs.map;
    if (!draw || !original || !map) throw new Error(`journal entry ${entry.id} has neither its artifacts nor what they are drawn from`);
    const decoded = (await decodeImage(original, data.record.image.fileName, { pixels: true })) as DecodedImage & { rgb: RgbImage };
    const normalizedMap = new Float32Array(map.byteLength / 4);
    Buffer.from(normalizedMap.buffer).set(map);
    const drawn = await artifacts({
      defer: true,
      store: this.svc.store,
      decoded,
      base: artifactBase(decoded.rgb),
      pc: { mapSize: draw.mapSize, normalizedMap, geometry: draw.geometry },
      mapRegions: draw.mapRegions,
      pixelThreshold: draw.pixelThreshold,
      referenceAt: draw.referencePath ? (height) => this.referenceSide(draw.referencePath!, height) : null,
    });
    return drawn.files.artifacts;
  }

  /**
   * The forwarder's handler for a journaled inspection: writes it unless its UUID is already in the database (a
   * replay after a crash), with its files taken from the journal and the cache. Idempotent.
   */
  async forwardInspection(entry: JournalEntry): Promise<StoredInspection> {
    const svc = this.svc;
    const clientUuid = entry.id;
    const data = entry.data as JournaledInspection;
    // its own pool: a backlog's writes carry megabytes of pictures (past the screens' 900 ms statement limit), and
    // the jobs' pool can be busy for minutes with a resync or a file upload
    const db = svc.forward;
    const already = await queries.inspectionByClientUuid(db, clientUuid);
    const j = data.record.files;
    const pathsOf = async () => artifactPaths({ original: j.original, artifacts: j.artifacts ?? (await this.artifactsOf(entry, data)) });
    if (already) {
      this.drawing.delete(clientUuid);
      return { clientUuid, inspectionId: already.inspection_id, inspectionCode: already.inspection_code, artifacts: await pathsOf() };
    }
    const withBytes = (f: PlainFile, bytes: Buffer | undefined): StoredFile => {
      if (!bytes) throw new Error(`journal entry ${clientUuid} lacks the file ${f.relPath}`);
      return { ...f, bytes };
    };
    const files: InspectionRecord['files'] = {
      original: withBytes(j.original, entry.blobs.original),
      artifacts: j.artifacts
        ? (Object.fromEntries(ARTIFACT_NAMES.map((n) => [n, withBytes(j.artifacts![n], entry.blobs[`art/${n}`])])) as Record<ArtifactName, StoredFile>)
        : await this.artifactsOf(entry, data),
    };
    // this station's cache holds them too (a crash may have cut the artifacts' writes short)
    await writeFiles(svc.store, [files.original, ...Object.values(files.artifacts)]);
    const vector = entry.blobs.embedding;
    const record: InspectionRecord = {
      ...data.record,
      embedding: data.record.embedding && vector ? { ...data.record.embedding, vector } : null,
      files,
    };
    try {
      const row = await persist(db, svc.store, record);
      const stored = { clientUuid, inspectionId: row.inspectionId, inspectionCode: row.inspectionCode, artifacts: row.artifacts };
      this.drawing.delete(clientUuid);
      const dt = data.record.result.defectDetected;
      this.announce(record, stored, dt, data.productCode);
      return stored;
    } catch (e) {
      // another forwarder (the CLI's `outbox --forward`) wrote it meanwhile: the same row
      if ((e as { code?: string; constraint?: string }).code === '23505' && (e as { constraint?: string }).constraint === 'inspections_client_uuid_key') {
        const row = await queries.inspectionByClientUuid(db, clientUuid);
        if (row) return { clientUuid, inspectionId: row.inspection_id, inspectionCode: row.inspection_code, artifacts: artifactPaths(files) };
      }
      throw e;
    }
  }

  /**
   * The current bank's file on this console: by its hash (`bank_sha256`) from the cache, fetched from the plant
   * database on first use; a bank from before issue 15 has only `bank_path` (relative to LINEDECK_HOME) and must
   * be on this console. A bank whose bytes are nowhere has to be built again.
   */
  private async bankFileOf(productCode: string, current: { summary: Record<string, unknown> }): Promise<string> {
    const sha = current.summary.bank_sha256;
    if (typeof sha === 'string' && this.svc.store.files) {
      try {
        return await this.svc.store.files.resolve(sha, 'ldb');
      } catch (e) {
        if ((e as Error).name !== 'FileNotStoredError') throw e;
        throw new ApiError('unavailable', `the memory bank file of ${productCode} is missing (${sha.slice(0, 12)}… is not in the database); rebuild the bank`, refusal('rebuild_bank', { productCode }));
      }
    }
    const bankFile = path.join(this.svc.paths.home, String(current.summary.bank_path));
    if (!fs.existsSync(bankFile)) throw new ApiError('unavailable', `the memory bank file of ${productCode} is missing (${bankFile}); rebuild the bank`, refusal('rebuild_bank', { productCode }));
    return bankFile;
  }

  /**
   * Normalized anomaly scores of stored images against the product's current bank, without writing anything
   * (the threshold preview scores the defect exemplars this way).
   */
  async scoreStoredImages(ref: ProductRef | string, relPaths: string[], signal?: AbortSignal): Promise<{ deploymentId: number; scores: number[] }> {
    // the code and the current bank in one round trip (the same read an inspection makes)
    const { productCode, bank: current } = await this.svc.inspectionContext(productRef(ref));
    if (!current) throw new ApiError('not_found', `${productCode} has no memory bank yet: build one first`, refusal('no_bank', { productCode }));
    const bankFile = await this.bankFileOf(productCode, current);
    if (!relPaths.length) return { deploymentId: current.deploymentId, scores: [] };
    const { backbone } = this.models();
    const engine = await this.eng();
    const scores: number[] = [];
    for (let i = 0; i < relPaths.length; i += EMBED_BATCH) {
      checkAbort(signal);
      const batch = await Promise.all(relPaths.slice(i, i + EMBED_BATCH).map((p) => this.svc.store.local(p)));
      const out = await engine.patchcore({ backbone: backbone.dir, bank: bankFile, images: batch, maps: false }, { signal });
      for (const r of out) scores.push(Math.min(1, Math.max(0, r.anomalyScore ?? 0)));
    }
    return { deploymentId: current.deploymentId, scores };
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
    if (!st?.isFile()) {
      // another station's reference: fetched by its content this once, cached by the next call
      if (!this.svc.store.files || !/[0-9a-f]{64}\.[a-z]+$/.test(relPath)) return null;
      return this.svc.store.local(relPath).then((f) => loadRgb(f)).then((img) => atHeight(img, height));
    }
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
    const w = await queries.warmBankPath(this.svc.read);
    let bank: string | null = null;
    if (w?.bank_sha256 && this.svc.store.files) bank = await this.svc.store.files.resolve(w.bank_sha256, 'ldb').catch(() => null);
    else if (w?.bank_path) bank = path.join(this.svc.paths.home, w.bank_path);
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

/** The store paths of an inspection's files (content-addressed: the same before and after it reaches the database). */
function artifactPaths(f: { original: PlainFile; artifacts: Record<ArtifactName, PlainFile> }): Artifacts {
  const a = f.artifacts;
  return { original: f.original.relPath, heatmap: a.heatmap.relPath, mask: a.mask.relPath, overlay: a.overlay.relPath, comparison: a.comparison.relPath, anomalyMap: a.anomalyMap.relPath };
}

/** A defect catalog from a product's snapshot (the database away). */
function snapshotCatalog(snap: ProductSnapshot): DefectCatalog {
  return {
    getDefectType: async (id: number) => {
      const t = snap.defectTypes[id];
      if (!t) throw new ApiError('not_found', `no defect type with id ${id}`, because('defect_type_not_found', { defectTypeId: id }));
      return t;
    },
    guideFor: async (id: number) => snap.guides[id] ?? { cause: [], action: [], other: [] },
  } as DefectCatalog;
}
