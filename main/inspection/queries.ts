/**
 * The inspection domain's SQL in one place: named query functions over a pg Pool or a transaction's client, with
 * the types of the rows they read. The services (service.ts, pipeline.ts and its stages, watch.ts, preview.ts)
 * compose these; transactions stay with the callers (a function given a PoolClient runs inside the caller's
 * transaction). Values come back with pg's default type parsing (timestamps as Date, bigint counts as strings).
 */
import type pg from 'pg';

/** A pool or a client inside a transaction. */
export interface Queryable {
  query: pg.Pool['query'];
}

// ---------------------------------------------------------------------------------------------------------------
// shared fragments

/** The latest completed bank deployment of the product `productId` (an SQL expression: `$1`, or an outer column). */
export const currentBankSql = (productId: string) =>
  `select deployment_id, result_summary from deployments where product_id = ${productId} and deployment_type = 'patchcore_bank' and status = 'completed'
   order by completed_at desc, deployment_id desc limit 1`;

/** The active anomaly-detection config of the product `productId` (at most one: uq_model_configs_active). */
export const activeConfigSql = (productId: string) => `select * from model_configs where product_id = ${productId} and model_type = 'anomaly_detection' and is_active limit 1`;

// ---------------------------------------------------------------------------------------------------------------
// banks (deployments of type patchcore_bank)

export interface CurrentBankRow {
  deployment_id: number;
  result_summary: Record<string, any>;
}

/** The product's current bank (latest completed patchcore_bank deployment), if any. */
export async function currentBank(q: Queryable, productId: number): Promise<CurrentBankRow | undefined> {
  const r = await q.query<CurrentBankRow>(currentBankSql('$1'), [productId]);
  return r.rows[0];
}

/** Takes the product's bank-build lock (session advisory lock); false when another session holds it. */
export async function tryBankLock(q: Queryable, lockKey: string): Promise<boolean> {
  const got = await q.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [lockKey]);
  return got.rows[0].ok;
}

export async function releaseBankLock(q: Queryable, lockKey: string): Promise<void> {
  await q.query('select pg_advisory_unlock(hashtext($1))', [lockKey]);
}

/** Bank builds left pending/running by a stopped station (nobody holds their lock) are marked failed. */
export async function failInterruptedBankBuilds(q: Queryable, productId: number): Promise<void> {
  await q.query(
    `update deployments set status = 'failed', completed_at = now(), error_message = 'interrupted: the station stopped during the build'
     where product_id = $1 and deployment_type = 'patchcore_bank' and status in ('pending', 'running')`,
    [productId],
  );
}

/** The bank file of the product inspected last (or any product with a bank), to warm the engine. */
export async function warmBankPath(q: Queryable): Promise<string | undefined> {
  const r = await q.query<{ bank_path: string }>(
    `select d.result_summary->>'bank_path' as bank_path from deployments d
       where d.deployment_type = 'patchcore_bank' and d.status = 'completed'
       order by (select max(i.inspection_date) from inspections i where i.product_id = d.product_id) desc nulls last, d.completed_at desc limit 1`,
  );
  return r.rows[0]?.bank_path;
}

// ---------------------------------------------------------------------------------------------------------------
// reference images and their embeddings

export interface NormalImageRow {
  image_id: number;
  file_path: string;
  file_name: string;
}

/** The product's active normal reference images (a bank is built from them), oldest first. */
export async function activeNormalImages(q: Queryable, productId: number): Promise<NormalImageRow[]> {
  const r = await q.query<NormalImageRow>(
    "select image_id, file_path, file_name from images where product_id = $1 and image_type = 'normal' and is_active order by image_id",
    [productId],
  );
  return r.rows;
}

export interface ReferenceImageRow {
  image_id: number;
  file_path: string;
  image_type: string;
}

/** The product's active normal and defect reference images (embedded at a bank build), oldest first. */
export async function activeReferenceImages(q: Queryable, productId: number): Promise<ReferenceImageRow[]> {
  const r = await q.query<ReferenceImageRow>(
    "select image_id, file_path, image_type from images where product_id = $1 and is_active and image_type in ('normal', 'defect') order by image_id",
    [productId],
  );
  return r.rows;
}

/** Deactivates the product's active normal images other than `keep`; returns the ids deactivated. */
export async function deactivateOtherNormals(q: Queryable, productId: number, keep: number[]): Promise<number[]> {
  const drop = await q.query<{ image_id: number }>(
    "update images set is_active = false where product_id = $1 and image_type = 'normal' and is_active and not (image_id = any($2::int[])) returning image_id",
    [productId, keep],
  );
  return drop.rows.map((r) => r.image_id);
}

/** Writes (or replaces) one image's embedding. */
export async function upsertEmbedding(
  q: Queryable,
  e: { imageId: number; vector: Buffer; model: string; dim: number; preprocessing: string },
): Promise<void> {
  await q.query(
    `insert into image_metadata (image_id, embedding_vector, embedding_model, embedding_dim, preprocessing_applied, updated_at)
       values ($1, $2, $3, $4, $5, now())
       on conflict (image_id) do update set embedding_vector = excluded.embedding_vector, embedding_model = excluded.embedding_model,
         embedding_dim = excluded.embedding_dim, preprocessing_applied = excluded.preprocessing_applied, updated_at = now()`,
    [e.imageId, e.vector, e.model, e.dim, e.preprocessing],
  );
}

export interface ReferenceEmbeddingRow {
  image_id: number;
  image_type: string;
  defect_type_id: number | null;
  defect_code: string | null;
  file_path: string;
  embedding_vector: Buffer;
}

/** The embeddings of the product's active references in one embedding space (active defect types only). */
export async function referenceEmbeddings(q: Queryable, productId: number, embeddingModel: string): Promise<ReferenceEmbeddingRow[]> {
  const r = await q.query<ReferenceEmbeddingRow>(
    `select i.image_id, i.image_type, i.defect_type_id, d.defect_code, i.file_path, md.embedding_vector
           from images i join image_metadata md on md.image_id = i.image_id left join defect_types d on d.defect_type_id = i.defect_type_id
           where i.product_id = $1 and i.is_active and i.image_type in ('normal', 'defect') and md.embedding_model = $2 and (d.defect_type_id is null or d.is_active)`,
    [productId, embeddingModel],
  );
  return r.rows;
}

// ---------------------------------------------------------------------------------------------------------------
// the inspection write path

export interface InspectionContextRow {
  product_id: number;
  product_code: string;
  is_active: boolean;
  deployment_id: number | null;
  bank_path: string | null;
  image_threshold: number | null;
  pixel_threshold: number | null;
}

/**
 * What one inspection needs before it runs, in one round trip: the product (by id or code), whether it is active,
 * its current bank's deployment and file, and its thresholds (null without a config row).
 */
export async function inspectionContext(q: Queryable, ref: { productId: number } | { productCode: string }): Promise<InspectionContextRow | undefined> {
  const r = await q.query<InspectionContextRow>(
    `select p.product_id, p.product_code, p.is_active, b.deployment_id, b.result_summary->>'bank_path' as bank_path, mc.image_threshold, mc.pixel_threshold
       from products p
       left join lateral (${currentBankSql('p.product_id')}) b on true
       left join lateral (${activeConfigSql('p.product_id')}) mc on true
       where ${'productId' in ref ? 'p.product_id' : 'p.product_code'} = $1`,
    ['productId' in ref ? ref.productId : ref.productCode],
  );
  return r.rows[0];
}

/** The parameters of INSERT_INSPECTION, in order ($1 … $33). */
export interface InsertInspectionParams {
  productId: number;
  fileName: string;
  filePath: string;
  sha256: string;
  fileSize: number;
  width: number;
  height: number;
  /** upper case (PNG, JPEG, …) */
  format: string;
  inspectorId: number | null;
  /** JSON text */
  exifData: string;
  /** JSON text */
  preprocessing: string;
  embeddingVector: Uint8Array | null;
  embeddingModel: string | null;
  embeddingDim: number | null;
  referenceImageId: number | null;
  /** inspection time; null = now() */
  at: string | null;
  processingS: number;
  source: string;
  deploymentId: number;
  defectDetected: boolean;
  defectTypeId: number | null;
  confidence: number;
  anomaly: number;
  similarity: number | null;
  rawAnomaly: number;
  rawMaxPatchDistance: number;
  imageThreshold: number;
  pixelThreshold: number;
  /** the artifact folder's name before the code (ImageStore.artifactPrefix) */
  artifactPrefix: string;
  /** JSON text */
  regions: string;
  /** JSON text */
  details: string;
  guideGenerated: boolean;
  guideContent: string | null;
}

/**
 * The four rows of an inspection in one statement (one round trip): the image, its metadata, the inspection (its
 * code from the trigger) and the result, whose artifact paths are the folder prefix and that code. Prepared once
 * per connection (the plan of the five-table statement is not made again each time).
 */
export const INSERT_INSPECTION = {
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
} as const;

export async function insertInspection(c: Queryable, p: InsertInspectionParams): Promise<{ inspection_id: number; inspection_code: string }> {
  const ins = await c.query<{ inspection_id: number; inspection_code: string }>({
    ...INSERT_INSPECTION,
    values: [
      p.productId,
      p.fileName,
      p.filePath,
      p.sha256,
      p.fileSize,
      p.width,
      p.height,
      p.format,
      p.inspectorId,
      p.exifData,
      p.preprocessing,
      p.embeddingVector,
      p.embeddingModel,
      p.embeddingDim,
      p.referenceImageId,
      p.at,
      p.processingS,
      p.source,
      p.deploymentId,
      p.defectDetected,
      p.defectTypeId,
      p.confidence,
      p.anomaly,
      p.similarity,
      p.rawAnomaly,
      p.rawMaxPatchDistance,
      p.imageThreshold,
      p.pixelThreshold,
      p.artifactPrefix,
      p.regions,
      p.details,
      p.guideGenerated,
      p.guideContent,
    ],
  });
  return ins.rows[0];
}

// ---------------------------------------------------------------------------------------------------------------
// threshold preview (preview.ts)

export interface DefectExemplarScoreRow {
  image_id: number;
  file_name: string;
  file_path: string;
  defect_code: string | null;
  /** the cached score against this bank, or null */
  score: number | null;
}

/** The product's active defect exemplars with their cached score against the bank `deploymentId`. */
export async function defectExemplarScores(q: Queryable, productId: number, deploymentId: number): Promise<DefectExemplarScoreRow[]> {
  const r = await q.query<DefectExemplarScoreRow>(
    `select i.image_id, i.file_name, i.file_path, d.defect_code, s.anomaly_score as score
       from images i left join defect_types d on d.defect_type_id = i.defect_type_id
       left join inspection_reference_scores s on s.image_id = i.image_id and s.deployment_id = $2
       where i.product_id = $1 and i.is_active and i.image_type = 'defect' order by d.defect_code, i.image_id`,
    [productId, deploymentId],
  );
  return r.rows;
}

export async function cacheReferenceScore(q: Queryable, deploymentId: number, imageId: number, score: number): Promise<void> {
  await q.query('insert into inspection_reference_scores (deployment_id, image_id, anomaly_score) values ($1, $2, $3) on conflict do nothing', [deploymentId, imageId, score]);
}

export interface ScoredInspectionRow {
  inspection_id: number;
  inspection_code: string;
  test_image_id: number | null;
  anomaly_score: number;
  defect_detected: boolean;
  defect_code: string | null;
}

/** The product's latest completed inspections with a stored anomaly score, newest first. */
export async function recentScoredInspections(q: Queryable, productId: number, limit: number): Promise<ScoredInspectionRow[]> {
  const r = await q.query<ScoredInspectionRow>(
    `select ins.inspection_id, ins.inspection_code, ins.test_image_id, r.anomaly_score, r.defect_detected, d.defect_code
     from inspections ins join inspection_results r on r.inspection_id = ins.inspection_id
     left join defect_types d on d.defect_type_id = r.defect_type_id
     where ins.product_id = $1 and ins.status = 'completed' and r.anomaly_score is not null
     order by ins.inspection_date desc, ins.inspection_id desc limit ${limit}`,
    [productId],
  );
  return r.rows;
}

// ---------------------------------------------------------------------------------------------------------------
// watch folders (watch.ts)

export interface WatchFolderDbRow {
  watch_id: number;
  product_id: number;
  folder_path: string;
  is_enabled: boolean;
  updated_by: number | null;
  updated_at: Date;
  product_code: string;
  updated_by_name: string | null;
  /** bigint counts, as text */
  processed: string;
  failed: string;
}

const WATCH_FOLDER_SELECT = `
  select w.*, p.product_code, u.username as updated_by_name,
    (select count(*) from inspection_watch_files f where f.product_id = w.product_id and f.status = 'inspected') as processed,
    (select count(*) from inspection_watch_files f where f.product_id = w.product_id and f.status = 'refused') as failed
  from inspection_watch_folders w join products p on p.product_id = w.product_id
  left join users u on u.user_id = w.updated_by`;

export async function listWatchFolderRows(q: Queryable): Promise<WatchFolderDbRow[]> {
  const r = await q.query<WatchFolderDbRow>(`${WATCH_FOLDER_SELECT} order by p.product_code`);
  return r.rows;
}

export async function watchFolderRow(q: Queryable, productId: number): Promise<WatchFolderDbRow | undefined> {
  const r = await q.query<WatchFolderDbRow>(`${WATCH_FOLDER_SELECT} where w.product_id = $1`, [productId]);
  return r.rows[0];
}

/** The product code of a product id (undefined when there is none). */
export async function productCodeOf(q: Queryable, productId: number): Promise<string | undefined> {
  const p = await q.query<{ product_code: string }>('select product_code from products where product_id = $1', [productId]);
  return p.rows[0]?.product_code;
}

/** The product (other than `productId`) whose watch folder is `folder`, if any. */
export async function watchFolderOwner(q: Queryable, folder: string, productId: number): Promise<string | undefined> {
  const other = await q.query<{ product_code: string }>(
    'select p.product_code from inspection_watch_folders w join products p using (product_id) where w.folder_path = $1 and w.product_id <> $2',
    [folder, productId],
  );
  return other.rows[0]?.product_code;
}

/** The product's watch folder row, locked for the rest of the transaction. */
export async function lockWatchFolder(q: Queryable, productId: number): Promise<{ folder_path: string; is_enabled: boolean } | undefined> {
  const before = await q.query<{ folder_path: string; is_enabled: boolean }>('select folder_path, is_enabled from inspection_watch_folders where product_id = $1 for update', [productId]);
  return before.rows[0];
}

export async function upsertWatchFolder(q: Queryable, w: { productId: number; folder: string; isEnabled: boolean; updatedBy: number | null }): Promise<void> {
  await q.query(
    `insert into inspection_watch_folders (product_id, folder_path, is_enabled, updated_by) values ($1, $2, $3, $4)
       on conflict (product_id) do update set folder_path = excluded.folder_path, is_enabled = excluded.is_enabled, updated_by = excluded.updated_by, updated_at = now()`,
    [w.productId, w.folder, w.isEnabled, w.updatedBy],
  );
}

/** Deletes the product's watch folder; returns what was deleted. */
export async function deleteWatchFolder(q: Queryable, productId: number): Promise<{ folder_path: string; product_code: string } | undefined> {
  const r = await q.query<{ folder_path: string; product_code: string }>(
    'delete from inspection_watch_folders w using products p where p.product_id = w.product_id and w.product_id = $1 returning w.folder_path, p.product_code',
    [productId],
  );
  return r.rows[0];
}

export interface EnabledWatchFolderRow {
  watch_id: number;
  product_id: number;
  product_code: string;
  folder_path: string;
}

/** The enabled watch folders of active products. */
export async function enabledWatchFolders(q: Queryable): Promise<EnabledWatchFolderRow[]> {
  const r = await q.query<EnabledWatchFolderRow>(
    `select w.watch_id, w.product_id, p.product_code, w.folder_path from inspection_watch_folders w join products p using (product_id)
           where w.is_enabled and p.is_active order by w.watch_id`,
  );
  return r.rows;
}

export interface WatchFileIdentityRow {
  file_path: string;
  /** bigint, as text */
  file_size: string;
  /** bigint, as text */
  file_mtime_ms: string;
}

/** Which of these files of a product the database already knows (inspected or refused). */
export async function knownWatchFiles(q: Queryable, productId: number, paths: string[]): Promise<WatchFileIdentityRow[]> {
  const known = await q.query<WatchFileIdentityRow>('select file_path, file_size, file_mtime_ms from inspection_watch_files where product_id = $1 and file_path = any($2::text[])', [
    productId,
    paths,
  ]);
  return known.rows;
}

export interface WatchFileIdentity {
  productId: number;
  filePath: string;
  fileSize: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * Records a watch file as inspected (inside the inspection's transaction); false when its row exists already
 * (another run did it).
 */
export async function recordWatchFileInspected(c: Queryable, f: WatchFileIdentity, inspectionId: number): Promise<boolean> {
  const r = await c.query(
    `insert into inspection_watch_files (product_id, file_path, file_size, file_mtime_ms, sha256, status, inspection_id)
               values ($1, $2, $3, $4, $5, 'inspected', $6) on conflict do nothing returning file_id`,
    [f.productId, f.filePath, f.fileSize, f.mtimeMs, f.sha256, inspectionId],
  );
  return Boolean(r.rowCount);
}

/** Records a watch file as refused (not a usable image), once. */
export async function recordWatchFileRefused(q: Queryable, f: WatchFileIdentity, error: string): Promise<void> {
  await q.query(
    `insert into inspection_watch_files (product_id, file_path, file_size, file_mtime_ms, sha256, status, error)
             values ($1, $2, $3, $4, $5, 'refused', $6) on conflict do nothing`,
    [f.productId, f.filePath, f.fileSize, f.mtimeMs, f.sha256, error],
  );
}
