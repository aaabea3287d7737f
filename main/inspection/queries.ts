/**
 * The inspection domain's SQL in one place: named query functions over a pg Pool or a transaction's client, with
 * the types of the rows they read. The services (service.ts, pipeline.ts and its stages, watch.ts, preview.ts)
 * compose these; transactions stay with the callers (a function given a PoolClient runs inside the caller's
 * transaction). Values come back with pg's default type parsing (timestamps as Date, bigint counts as strings).
 */
import type pg from 'pg';
import type { ImageListQuery, InspectionFilter } from './contract';

/** A pool or a client inside a transaction. */
export interface Queryable {
  query: pg.Pool['query'];
}

// ---------------------------------------------------------------------------------------------------------------
// shared fragments

/** The latest completed bank deployment of the product `productId` (an SQL expression: `$1`, or an outer column). */
const currentBankSql = (productId: string) =>
  `select deployment_id, result_summary from deployments where product_id = ${productId} and deployment_type = 'patchcore_bank' and status = 'completed'
   order by completed_at desc, deployment_id desc limit 1`;

/** The active anomaly-detection config of the product `productId` (at most one: uq_model_configs_active). */
const activeConfigSql = (productId: string) => `select * from model_configs where product_id = ${productId} and model_type = 'anomaly_detection' and is_active limit 1`;

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
export async function warmBankPath(q: Queryable): Promise<{ bank_path: string | null; bank_sha256: string | null } | undefined> {
  const r = await q.query<{ bank_path: string | null; bank_sha256: string | null }>(
    `select d.result_summary->>'bank_path' as bank_path, d.result_summary->>'bank_sha256' as bank_sha256 from deployments d
       where d.deployment_type = 'patchcore_bank' and d.status = 'completed'
       order by (select max(i.inspection_date) from inspections i where i.product_id = d.product_id) desc nulls last, d.completed_at desc limit 1`,
  );
  return r.rows[0];
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
  /** the bank file's content address (banks built before issue 15 have none) */
  bank_sha256: string | null;
  image_threshold: number | null;
  pixel_threshold: number | null;
}

/**
 * What one inspection needs before it runs, in one round trip: the product (by id or code), whether it is active,
 * its current bank's deployment and file, and its thresholds (null without a config row).
 */
export async function inspectionContext(q: Queryable, ref: { productId: number } | { productCode: string }): Promise<InspectionContextRow | undefined> {
  const r = await q.query<InspectionContextRow>(
    `select p.product_id, p.product_code, p.is_active, b.deployment_id, b.result_summary->>'bank_path' as bank_path,
            b.result_summary->>'bank_sha256' as bank_sha256, mc.image_threshold, mc.pixel_threshold
       from products p
       left join lateral (${currentBankSql('p.product_id')}) b on true
       left join lateral (${activeConfigSql('p.product_id')}) mc on true
       where ${'productId' in ref ? 'p.product_id' : 'p.product_code'} = $1`,
    ['productId' in ref ? ref.productId : ref.productCode],
  );
  return r.rows[0];
}

/** The parameters of INSERT_INSPECTION, in order ($1 … $35). */
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
  /** the artifacts' content-addressed store paths: heatmap, mask, overlay, comparison, anomaly map */
  artifactPaths: string[];
  /** JSON text */
  regions: string;
  /** JSON text */
  details: string;
  guideGenerated: boolean;
  guideContent: string | null;
  /** the UUID the station gave the inspection (journal; unique), or null */
  clientUuid?: string | null;
  /** the station that inspected (stations.station_id), or null */
  stationId?: string | null;
}

/** An inspection already stored under a client UUID (a journal entry forwarded before), or undefined. */
export async function inspectionByClientUuid(q: Queryable, clientUuid: string): Promise<{ inspection_id: number; inspection_code: string } | undefined> {
  const r = await q.query<{ inspection_id: number; inspection_code: string }>('select inspection_id, inspection_code from inspections where client_uuid = $1', [clientUuid]);
  return r.rows[0];
}

/**
 * The four rows of an inspection in one statement (one round trip): the image, its metadata, the inspection (its
 * code from the trigger) and the result with its artifacts' content-addressed paths. Prepared once
 * per connection (the plan of the five-table statement is not made again each time).
 */
const INSERT_INSPECTION = {
  name: 'inspection-insert',
  text: `with img as (
             insert into images (product_id, image_type, file_name, file_path, sha256, file_size, width, height, format, uploaded_by)
             values ($1, 'test', $2, $3, $4, $5, $6, $7, $8, $9) returning image_id
           ), md as (
             insert into image_metadata (image_id, exif_data, preprocessing_applied, embedding_vector, embedding_model, embedding_dim)
             select image_id, $10, $11, $12, $13, $14 from img
           ), ins as (
             insert into inspections (product_id, test_image_id, reference_image_id, inspector_id, inspection_date, status, processing_time, source, deployment_id, client_uuid, station_id)
             select $1, image_id, $15, $9, coalesce($16, now()), 'completed', $17, $18, $19, $34, $35 from img
             returning inspection_id, inspection_code
           ), res as (
             insert into inspection_results (inspection_id, defect_detected, defect_type_id, confidence_score, anomaly_score, similarity_score,
               raw_anomaly_score, raw_max_patch_distance, image_threshold, pixel_threshold, heatmap_path, mask_path, overlay_path, comparison_path,
               detected_regions, details, guide_generated, guide_content)
             select inspection_id, $20, $21, $22, $23, $24, $25, $26, $27, $28,
               ($29::text[])[1], ($29::text[])[2], ($29::text[])[3], ($29::text[])[4],
               $30, $31::jsonb || jsonb_build_object('anomalyMap', ($29::text[])[5]), $32, $33
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
      p.artifactPaths,
      p.regions,
      p.details,
      p.guideGenerated,
      p.guideContent,
      p.clientUuid ?? null,
      p.stationId ?? null,
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
  /** null for a file refused before it was read (too large, not a picture) */
  sha256: string | null;
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

// ===============================================================================================================
// service.ts: products, defect types, manuals and sections, reference images, history, actions and feedback,
// dashboard, thresholds, deployments

export const SEOUL = 'Asia/Seoul';

type Ref = { productId: number } | { productCode: string };

// ---------------------------------------------------------------------------------------------------------------
// products

export interface ProductDbRow {
  product_id: number;
  product_code: string;
  product_name: string;
  description: string | null;
  category: string | null;
  is_active: boolean;
  created_by: number | null;
  created_at: Date;
  updated_at: Date;
  /** bigint counts, as text */
  normal_image_count: string;
  defect_image_count: string;
  defect_type_count: string;
  bank_deployment_id: number | null;
  bank_completed_at: Date | null;
  bank_summary: Record<string, any> | null;
}

const PRODUCT_SELECT = `
  select p.*,
    (select count(*) from images i where i.product_id = p.product_id and i.is_active and i.image_type = 'normal') as normal_image_count,
    (select count(*) from images i where i.product_id = p.product_id and i.is_active and i.image_type = 'defect') as defect_image_count,
    (select count(*) from defect_types d where d.product_id = p.product_id and d.is_active) as defect_type_count,
    b.deployment_id as bank_deployment_id, b.completed_at as bank_completed_at, b.result_summary as bank_summary
  from products p
  left join lateral (
    select deployment_id, completed_at, result_summary from deployments d
    where d.product_id = p.product_id and d.deployment_type = 'patchcore_bank' and d.status = 'completed'
    order by d.completed_at desc, d.deployment_id desc limit 1
  ) b on true`;

export async function listProductRows(q: Queryable, includeInactive: boolean): Promise<ProductDbRow[]> {
  const r = await q.query<ProductDbRow>(`${PRODUCT_SELECT} ${includeInactive ? '' : 'where p.is_active'} order by p.product_code`);
  return r.rows;
}

/** A product with its image and defect-type counts and its current bank, by id or code. */
export async function productRow(q: Queryable, ref: Ref): Promise<ProductDbRow | undefined> {
  const r =
    'productId' in ref
      ? await q.query<ProductDbRow>(`${PRODUCT_SELECT} where p.product_id = $1`, [ref.productId])
      : await q.query<ProductDbRow>(`${PRODUCT_SELECT} where p.product_code = $1`, [ref.productCode]);
  return r.rows[0];
}

export async function productExists(q: Queryable, productId: number): Promise<boolean> {
  const p = await q.query('select 1 from products where product_id = $1', [productId]);
  return Boolean(p.rowCount);
}

/** The code of the product whose code equals `code` ignoring case, if any. */
export async function productCodeIgnoringCase(q: Queryable, code: string): Promise<string | undefined> {
  const dupe = await q.query<{ product_code: string }>('select product_code from products where lower(product_code) = lower($1)', [code]);
  return dupe.rows[0]?.product_code;
}

export async function insertProduct(
  q: Queryable,
  p: { productCode: string; productName: string; description: string | null; category: string | null; createdBy: number | null },
): Promise<number> {
  const r = await q.query<{ product_id: number }>(
    `insert into products (product_code, product_name, description, category, created_by) values ($1, $2, $3, $4, $5) returning product_id`,
    [p.productCode, p.productName, p.description, p.category, p.createdBy],
  );
  return r.rows[0].product_id;
}

/** The product's row, locked for the rest of the transaction. */
export async function lockProduct(q: Queryable, productId: number): Promise<Record<string, any> | undefined> {
  const b = await q.query('select * from products where product_id = $1 for update', [productId]);
  return b.rows[0];
}

/** Updates the fields given (null = keep; the booleans say whether description / category are given). */
export async function updateProductRow(
  q: Queryable,
  p: { productId: number; productName: string | null; setDescription: boolean; description: string | null; setCategory: boolean; category: string | null; isActive: boolean | null },
): Promise<void> {
  await q.query(
    `update products set product_name = coalesce($2, product_name),
           description = case when $3::boolean then $4 else description end,
           category = case when $5::boolean then $6 else category end,
           is_active = coalesce($7, is_active), updated_at = now() where product_id = $1`,
    [p.productId, p.productName, p.setDescription, p.description, p.setCategory, p.category, p.isActive],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// defect types

export interface DefectTypeDbRow {
  defect_type_id: number;
  product_id: number;
  defect_code: string;
  defect_name_ko: string;
  defect_name_en: string | null;
  full_name_ko: string | null;
  description: string | null;
  severity_level: number;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

export async function listDefectTypeRows(q: Queryable, productId: number, includeInactive: boolean): Promise<DefectTypeDbRow[]> {
  const r = await q.query<DefectTypeDbRow>(`select * from defect_types where product_id = $1 ${includeInactive ? '' : 'and is_active'} order by severity_level desc, defect_code`, [productId]);
  return r.rows;
}

export async function defectTypeRow(q: Queryable, defectTypeId: number): Promise<DefectTypeDbRow | undefined> {
  const r = await q.query<DefectTypeDbRow>('select * from defect_types where defect_type_id = $1', [defectTypeId]);
  return r.rows[0];
}

export async function defectCodeTaken(q: Queryable, productId: number, defectCode: string): Promise<boolean> {
  const dupe = await q.query('select 1 from defect_types where product_id = $1 and defect_code = $2', [productId, defectCode]);
  return Boolean(dupe.rowCount);
}

/** Whether the defect type belongs to the product. */
export async function defectTypeOfProduct(q: Queryable, defectTypeId: number | null | undefined, productId: number): Promise<boolean> {
  const d = await q.query('select 1 from defect_types where defect_type_id = $1 and product_id = $2', [defectTypeId, productId]);
  return Boolean(d.rowCount);
}

export async function insertDefectType(
  q: Queryable,
  d: { productId: number; defectCode: string; defectNameKo: string; defectNameEn: string | null; fullNameKo: string | null; description: string | null; severityLevel: number },
): Promise<DefectTypeDbRow> {
  const r = await q.query<DefectTypeDbRow>(
    `insert into defect_types (product_id, defect_code, defect_name_ko, defect_name_en, full_name_ko, description, severity_level)
         values ($1, $2, $3, $4, $5, $6, $7) returning *`,
    [d.productId, d.defectCode, d.defectNameKo, d.defectNameEn, d.fullNameKo, d.description, d.severityLevel],
  );
  return r.rows[0];
}

/** The defect type with its product's code, locked for the rest of the transaction. */
export async function lockDefectType(q: Queryable, defectTypeId: number): Promise<(DefectTypeDbRow & { product_code: string }) | undefined> {
  const b = await q.query<DefectTypeDbRow & { product_code: string }>(
    'select d.*, p.product_code from defect_types d join products p using (product_id) where defect_type_id = $1 for update of d',
    [defectTypeId],
  );
  return b.rows[0];
}

/** Updates the fields given (null = keep; the booleans say whether the nullable fields are given). */
export async function updateDefectTypeRow(
  q: Queryable,
  d: {
    defectTypeId: number;
    defectNameKo: string | null;
    setDefectNameEn: boolean;
    defectNameEn: string | null;
    setFullNameKo: boolean;
    fullNameKo: string | null;
    setDescription: boolean;
    description: string | null;
    severityLevel: number | null;
    isActive: boolean | null;
  },
): Promise<DefectTypeDbRow> {
  const r = await q.query<DefectTypeDbRow>(
    `update defect_types set defect_name_ko = coalesce($2, defect_name_ko),
           defect_name_en = case when $3::boolean then $4 else defect_name_en end,
           full_name_ko = case when $5::boolean then $6 else full_name_ko end,
           description = case when $7::boolean then $8 else description end,
           severity_level = coalesce($9, severity_level), is_active = coalesce($10, is_active), updated_at = now()
         where defect_type_id = $1 returning *`,
    [d.defectTypeId, d.defectNameKo, d.setDefectNameEn, d.defectNameEn, d.setFullNameKo, d.fullNameKo, d.setDescription, d.description, d.severityLevel, d.isActive],
  );
  return r.rows[0];
}

// ---------------------------------------------------------------------------------------------------------------
// manuals and their sections

export interface ManualDbRow {
  manual_id: number;
  product_id: number;
  manual_title: string;
  file_name: string;
  file_path: string;
  /** bigint, as text */
  file_size: string | null;
  file_type: string | null;
  version: string | null;
  upload_date: Date;
  uploaded_by: number | null;
  is_active: boolean;
  vector_indexed: boolean;
  indexed_at: Date | null;
  uploaded_by_name: string | null;
  /** bigint, as text */
  section_count: string;
}

const MANUAL_SELECT = `
  select m.*, u.username as uploaded_by_name,
    (select count(*) from manual_sections s where s.manual_id = m.manual_id) as section_count
  from manuals m left join users u on u.user_id = m.uploaded_by`;

export interface SectionDbRow {
  section_id: number;
  manual_id: number;
  defect_type_id: number | null;
  section_type: 'cause' | 'action' | 'other';
  section_title: string | null;
  section_content: string;
  page_number: number | null;
  chunk_index: number | null;
  embedding_vector: Buffer | null;
  created_at: Date;
  defect_code: string | null;
}

const SECTION_SELECT = `
  select s.*, d.defect_code from manual_sections s left join defect_types d on d.defect_type_id = s.defect_type_id`;

export async function listManualRows(q: Queryable, productId: number, includeInactive: boolean): Promise<ManualDbRow[]> {
  const r = await q.query<ManualDbRow>(`${MANUAL_SELECT} where m.product_id = $1 ${includeInactive ? '' : 'and m.is_active'} order by m.upload_date desc, m.manual_id desc`, [productId]);
  return r.rows;
}

export async function manualRow(q: Queryable, manualId: number): Promise<ManualDbRow | undefined> {
  const r = await q.query<ManualDbRow>(`${MANUAL_SELECT} where m.manual_id = $1`, [manualId]);
  return r.rows[0];
}

/** A manual's sections in their order. */
export async function manualSectionRows(q: Queryable, manualId: number): Promise<SectionDbRow[]> {
  const s = await q.query<SectionDbRow>(`${SECTION_SELECT} where s.manual_id = $1 order by s.chunk_index nulls last, s.section_id`, [manualId]);
  return s.rows;
}

export async function manualVersionTaken(q: Queryable, productId: number, version: string): Promise<boolean> {
  const dupe = await q.query('select 1 from manuals where product_id = $1 and version = $2', [productId, version]);
  return Boolean(dupe.rowCount);
}

/** Whether another manual of the product has this version. */
export async function otherManualHasVersion(q: Queryable, productId: number, version: string, manualId: number): Promise<boolean> {
  const dupe = await q.query('select 1 from manuals where product_id = $1 and version = $2 and manual_id <> $3', [productId, version, manualId]);
  return Boolean(dupe.rowCount);
}

export async function insertManual(
  q: Queryable,
  m: { productId: number; manualTitle: string; fileName: string; filePath: string; fileSize: number | null; fileType: string; version: string | null; uploadedBy: number | null },
): Promise<number> {
  const r = await q.query<{ manual_id: number }>(
    `insert into manuals (product_id, manual_title, file_name, file_path, file_size, file_type, version, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning manual_id`,
    [m.productId, m.manualTitle, m.fileName, m.filePath, m.fileSize, m.fileType, m.version, m.uploadedBy],
  );
  return r.rows[0].manual_id;
}

/** A manual with its product's code and name (the rendered Markdown file names them). */
export async function manualWithProduct(q: Queryable, manualId: number): Promise<Record<string, any> | undefined> {
  const m = await q.query('select m.*, p.product_code, p.product_name from manuals m join products p using (product_id) where manual_id = $1', [manualId]);
  return m.rows[0];
}

export async function setManualFile(q: Queryable, manualId: number, filePath: string, fileName: string, fileSize: number): Promise<void> {
  await q.query('update manuals set file_path = $2, file_name = $3, file_size = $4 where manual_id = $1', [manualId, filePath, fileName, fileSize]);
}

/** The manual's row, locked for the rest of the transaction. */
export async function lockManual(q: Queryable, manualId: number): Promise<Record<string, any> | undefined> {
  const b = await q.query('select * from manuals where manual_id = $1 for update', [manualId]);
  return b.rows[0];
}

/** Locks the manual's row; false when there is none. */
export async function lockManualId(q: Queryable, manualId: number): Promise<boolean> {
  const m = await q.query('select manual_id from manuals where manual_id = $1 for update', [manualId]);
  return Boolean(m.rowCount);
}

export async function updateManualRow(q: Queryable, m: { manualId: number; manualTitle: string | null; setVersion: boolean; version: string | null; isActive: boolean | null }): Promise<void> {
  await q.query(
    `update manuals set manual_title = coalesce($2, manual_title), version = case when $3::boolean then $4 else version end,
           is_active = coalesce($5, is_active) where manual_id = $1`,
    [m.manualId, m.manualTitle, m.setVersion, m.version, m.isActive],
  );
}

/** What the audit keeps of a deleted manual's sections. */
export async function manualSectionsForAudit(q: Queryable, manualId: number): Promise<Record<string, any>[]> {
  const sections = await q.query('select section_type, defect_type_id, section_title, section_content from manual_sections where manual_id = $1', [manualId]);
  return sections.rows;
}

export async function deleteManualRow(q: Queryable, manualId: number): Promise<void> {
  await q.query('delete from manuals where manual_id = $1', [manualId]);
}

/** Whether the defect type belongs to the manual's product. */
export async function defectTypeOfManualProduct(q: Queryable, defectTypeId: number, manualId: number): Promise<boolean> {
  const r = await q.query('select 1 from defect_types d join manuals m on m.product_id = d.product_id where d.defect_type_id = $1 and m.manual_id = $2', [defectTypeId, manualId]);
  return Boolean(r.rowCount);
}

/** A new section (chunk_index null = after the manual's last); returns its id. */
export async function insertSection(
  q: Queryable,
  s: { manualId: number; defectTypeId: number | null; sectionType: string; sectionTitle: string | null; sectionContent: string; pageNumber: number | null; chunkIndex: number | null },
): Promise<number> {
  const r = await q.query<{ section_id: number }>(
    `insert into manual_sections (manual_id, defect_type_id, section_type, section_title, section_content, page_number, chunk_index)
         values ($1, $2, $3, $4, $5, $6, coalesce($7, (select coalesce(max(chunk_index) + 1, 0) from manual_sections where manual_id = $1))) returning section_id`,
    [s.manualId, s.defectTypeId, s.sectionType, s.sectionTitle, s.sectionContent, s.pageNumber, s.chunkIndex],
  );
  return r.rows[0].section_id;
}

export async function sectionRow(q: Queryable, sectionId: number): Promise<SectionDbRow | undefined> {
  const r = await q.query<SectionDbRow>(`${SECTION_SELECT} where s.section_id = $1`, [sectionId]);
  return r.rows[0];
}

/** The section, locked for the rest of the transaction. */
export async function lockSection(q: Queryable, sectionId: number): Promise<SectionDbRow | undefined> {
  const b = await q.query<SectionDbRow>(`${SECTION_SELECT} where s.section_id = $1 for update of s`, [sectionId]);
  return b.rows[0];
}

/** Updates the fields given (null = keep; the booleans say whether the nullable fields are given); new content drops the section's embedding. */
export async function updateSectionRow(
  q: Queryable,
  s: {
    sectionId: number;
    setDefectTypeId: boolean;
    defectTypeId: number | null;
    sectionType: string | null;
    setSectionTitle: boolean;
    sectionTitle: string | null;
    sectionContent: string | null;
    setPageNumber: boolean;
    pageNumber: number | null;
    setChunkIndex: boolean;
    chunkIndex: number | null;
  },
): Promise<void> {
  await q.query(
    `update manual_sections set
           defect_type_id = case when $2::boolean then $3 else defect_type_id end,
           section_type = coalesce($4, section_type),
           section_title = case when $5::boolean then $6 else section_title end,
           section_content = coalesce($7, section_content),
           page_number = case when $8::boolean then $9 else page_number end,
           chunk_index = case when $10::boolean then $11 else chunk_index end,
           embedding_vector = case when $7 is null then embedding_vector else null end
         where section_id = $1`,
    [s.sectionId, s.setDefectTypeId, s.defectTypeId, s.sectionType, s.setSectionTitle, s.sectionTitle, s.sectionContent, s.setPageNumber, s.pageNumber, s.setChunkIndex, s.chunkIndex],
  );
}

export async function deleteSectionRow(q: Queryable, sectionId: number): Promise<void> {
  await q.query('delete from manual_sections where section_id = $1', [sectionId]);
}

/** The sections of the product's active manuals tagged with the defect type, newest manual first. */
export async function guideSectionRows(q: Queryable, defectTypeId: number): Promise<SectionDbRow[]> {
  const r = await q.query<SectionDbRow>(
    `${SECTION_SELECT} join manuals m on m.manual_id = s.manual_id
       where s.defect_type_id = $1 and m.is_active order by m.upload_date desc, s.chunk_index nulls last, s.section_id`,
    [defectTypeId],
  );
  return r.rows;
}

// ---------------------------------------------------------------------------------------------------------------
// reference images

export interface ImageDbRow {
  image_id: number;
  product_id: number;
  image_type: 'normal' | 'defect' | 'test';
  defect_type_id: number | null;
  file_name: string;
  file_path: string;
  sha256: string;
  /** bigint, as text */
  file_size: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  uploaded_by: number | null;
  uploaded_at: Date;
  is_active: boolean;
  defect_code: string | null;
  uploaded_by_name: string | null;
  has_embedding: boolean;
}

const IMAGE_SELECT = `
  select i.*, d.defect_code, u.username as uploaded_by_name, (md.embedding_vector is not null) as has_embedding
  from images i
  left join defect_types d on d.defect_type_id = i.defect_type_id
  left join users u on u.user_id = i.uploaded_by
  left join image_metadata md on md.image_id = i.image_id`;

/** A page of a product's images (newest first) and how many match. */
export async function listImageRows(q: Queryable, query: ImageListQuery): Promise<{ rows: ImageDbRow[]; total: number }> {
  const conds = ['i.product_id = $1'];
  const params: unknown[] = [query.productId];
  if (query.imageType) conds.push(`i.image_type = $${params.push(query.imageType)}`);
  if (query.defectTypeId) conds.push(`i.defect_type_id = $${params.push(query.defectTypeId)}`);
  if (!query.includeInactive) conds.push('i.is_active');
  const where = conds.join(' and ');
  const total = await q.query<{ n: number }>(`select count(*)::int as n from images i where ${where}`, params);
  const r = await q.query<ImageDbRow>(`${IMAGE_SELECT} where ${where} order by i.image_id desc limit ${query.limit} offset ${query.offset}`, params);
  return { rows: r.rows, total: total.rows[0].n };
}

export async function imageRow(q: Queryable, imageId: number): Promise<ImageDbRow | undefined> {
  const r = await q.query<ImageDbRow>(`${IMAGE_SELECT} where i.image_id = $1`, [imageId]);
  return r.rows[0];
}

/** Serializes reference uploads of one content for one product (transaction-scoped advisory lock). */
export async function lockImageContent(q: Queryable, productId: number, sha256: string): Promise<void> {
  await q.query('select pg_advisory_xact_lock(hashtext($1))', [`images:${productId}:${sha256}`]);
}

/** The product's active reference image with this content, if any. */
export async function activeReferenceWithContent(q: Queryable, productId: number, sha256: string): Promise<{ image_id: number; image_type: string; defect_type_id: number | null } | undefined> {
  const same = await q.query<{ image_id: number; image_type: string; defect_type_id: number | null }>(
    `select image_id, image_type, defect_type_id from images where product_id = $1 and sha256 = $2 and is_active and image_type <> 'test'`,
    [productId, sha256],
  );
  return same.rows[0];
}

/** The id of another active reference image of the product with this content, if any. */
export async function activeImageIdWithContent(q: Queryable, productId: number, sha256: string): Promise<number | undefined> {
  const same = await q.query<{ image_id: number }>("select image_id from images where product_id = $1 and sha256 = $2 and is_active and image_type <> 'test'", [productId, sha256]);
  return same.rows[0]?.image_id;
}

export async function insertReferenceImageRow(
  q: Queryable,
  i: {
    productId: number;
    imageType: 'normal' | 'defect';
    defectTypeId: number | null;
    fileName: string;
    filePath: string;
    sha256: string;
    fileSize: number;
    width: number;
    height: number;
    format: string;
    uploadedBy: number | null;
  },
): Promise<number> {
  const r = await q.query<{ image_id: number }>(
    `insert into images (product_id, image_type, defect_type_id, file_name, file_path, sha256, file_size, width, height, format, uploaded_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning image_id`,
    [i.productId, i.imageType, i.defectTypeId, i.fileName, i.filePath, i.sha256, i.fileSize, i.width, i.height, i.format, i.uploadedBy],
  );
  return r.rows[0].image_id;
}

/** An image's metadata row with what sharp reported (JSON text). */
export async function insertImageMetadata(q: Queryable, imageId: number, exifData: string): Promise<void> {
  await q.query('insert into image_metadata (image_id, exif_data) values ($1, $2)', [imageId, exifData]);
}

/** The image's row, locked for the rest of the transaction. */
export async function lockImage(q: Queryable, imageId: number): Promise<Record<string, any> | undefined> {
  const b = await q.query('select * from images where image_id = $1 for update', [imageId]);
  return b.rows[0];
}

export async function setImageActiveRow(q: Queryable, imageId: number, isActive: boolean): Promise<void> {
  await q.query('update images set is_active = $2 where image_id = $1', [imageId, isActive]);
}

// ---------------------------------------------------------------------------------------------------------------
// inspection history

/**
 * The history: the page of inspections is chosen on `inspections` alone (its trigger-kept summary columns and
 * indexes), then joined to product, first result, defect type and inspector for those rows only.
 */
const INSPECTION_COLUMNS = `
  ins.inspection_id, ins.inspection_code, ins.inspection_date, ins.product_id, p.product_code, p.product_name, ins.source,
  ins.status, ins.defect_detected, ins.defect_type_id, dt.defect_code, dt.defect_name_ko, dt.defect_name_en, dt.severity_level,
  ir.anomaly_score, ir.confidence_score, ir.similarity_score, ins.inspector_id, u.username as inspector,
  ins.action_status, ins.processing_time`;

export interface InspectionListDbRow {
  inspection_id: number;
  inspection_code: string;
  inspection_date: Date;
  product_id: number;
  product_code: string;
  product_name: string;
  source: string;
  status: string;
  defect_detected: boolean | null;
  defect_type_id: number | null;
  defect_code: string | null;
  defect_name_ko: string | null;
  defect_name_en: string | null;
  severity_level: number | null;
  anomaly_score: number | null;
  confidence_score: number | null;
  similarity_score: number | null;
  inspector_id: number | null;
  inspector: string | null;
  action_status: string;
  processing_time: number | null;
  /** columns some callers ask for with `extra` */
  test_image_id?: number | null;
  reference_image_id?: number | null;
  deployment_id?: number | null;
  raw_anomaly_score?: number | null;
  image_threshold?: number | null;
}

function inspectionPageSql(where: string, order: string, limit: number, offset: number, extra = ''): string {
  return `select ${INSPECTION_COLUMNS}${extra}
  from (select * from inspections ins ${where} order by ${order} limit ${limit} offset ${offset}) ins
  join products p on p.product_id = ins.product_id
  left join lateral (select r.* from inspection_results r where r.inspection_id = ins.inspection_id order by r.result_id limit 1) ir on true
  left join defect_types dt on dt.defect_type_id = ins.defect_type_id
  left join users u on u.user_id = ins.inspector_id
  order by ${order}`;
}
export const NEWEST_FIRST = 'ins.inspection_date desc, ins.inspection_id desc';

/** Builds the WHERE clause of the history filters (on `inspections` only). */
export function inspectionWhere(f: InspectionFilter): { sql: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  const add = (cond: string, v: unknown) => {
    params.push(v);
    conds.push(cond.replace('?', `$${params.length}`));
  };
  if (f.productId) add('ins.product_id = ?', f.productId);
  if (f.productCode) add('ins.product_id = (select product_id from products where product_code = ?)', f.productCode);
  if (f.from) add('ins.inspection_date >= ?', f.from);
  if (f.to) add('ins.inspection_date < ?', f.to);
  if (f.verdict === 'defect') conds.push('ins.defect_detected');
  if (f.verdict === 'normal') conds.push('ins.defect_detected = false');
  if (f.actionStatus) add('ins.action_status = ?', f.actionStatus);
  if (f.inspectorId) add('ins.inspector_id = ?', f.inspectorId);
  if (f.defectTypeId) add('ins.defect_type_id = ?', f.defectTypeId);
  if (f.source) add('ins.source = ?', f.source);
  if (f.q) add('ins.inspection_code ilike ?', `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  return { sql: conds.length ? `where ${conds.join(' and ')}` : '', params };
}

/** A page of the history (inspectionPageSql), with the `extra` columns. */
export async function inspectionPage(q: Queryable, where: { sql: string; params: unknown[] }, order: string, limit: number, offset: number, extra = ''): Promise<InspectionListDbRow[]> {
  const r = await q.query<InspectionListDbRow>(inspectionPageSql(where.sql, order, limit, offset, extra), where.params);
  return r.rows;
}

export async function countInspections(q: Queryable, where: { sql: string; params: unknown[] }): Promise<number> {
  const total = await q.query<{ n: number }>(`select count(*)::int as n from inspections ins ${where.sql}`, where.params);
  return total.rows[0].n;
}

export async function firstResultRow(q: Queryable, inspectionId: number): Promise<Record<string, any> | undefined> {
  const r = await q.query('select * from inspection_results where inspection_id = $1 order by result_id limit 1', [inspectionId]);
  return r.rows[0];
}

export interface ActionDbRow {
  action_id: number;
  inspection_id: number;
  action_taken: string;
  action_result: string;
  action_date: Date;
  action_by: number | null;
  notes: string | null;
  action_by_name: string | null;
}

export async function actionRows(q: Queryable, inspectionId: number): Promise<ActionDbRow[]> {
  const r = await q.query<ActionDbRow>(
    'select a.*, u.username as action_by_name from action_logs a left join users u on u.user_id = a.action_by where inspection_id = $1 order by action_date, action_id',
    [inspectionId],
  );
  return r.rows;
}

export interface FeedbackDbRow {
  feedback_id: number;
  inspection_id: number;
  user_id: number | null;
  rating: number;
  feedback_text: string | null;
  feedback_type: string | null;
  created_at: Date;
  username: string | null;
}

export async function feedbackRows(q: Queryable, inspectionId: number): Promise<FeedbackDbRow[]> {
  const r = await q.query<FeedbackDbRow>('select f.*, u.username from feedbacks f left join users u on u.user_id = f.user_id where inspection_id = $1 order by created_at, feedback_id', [
    inspectionId,
  ]);
  return r.rows;
}

export async function inspectionCodeOf(q: Queryable, inspectionId: number): Promise<string | undefined> {
  const i = await q.query<{ inspection_code: string }>('select inspection_code from inspections where inspection_id = $1', [inspectionId]);
  return i.rows[0]?.inspection_code;
}

export async function inspectionExists(q: Queryable, inspectionId: number): Promise<boolean> {
  const i = await q.query('select 1 from inspections where inspection_id = $1', [inspectionId]);
  return Boolean(i.rowCount);
}

/** `clientUuid`/`at`: an action the station journaled (store and forward): written once, at the station's time. */
export async function insertAction(
  q: Queryable,
  a: { inspectionId: number; actionTaken: string; actionResult: string; actionBy: number | null; notes: string | null; clientUuid?: string | null; at?: string | null },
): Promise<ActionDbRow> {
  const r = await q.query<ActionDbRow>(
    `insert into action_logs (inspection_id, action_taken, action_result, action_by, notes, client_uuid, action_date) values ($1, $2, $3, $4, $5, $6, coalesce($7, now()))
         returning *, (select username from users where user_id = $4) as action_by_name`,
    [a.inspectionId, a.actionTaken, a.actionResult, a.actionBy, a.notes, a.clientUuid ?? null, a.at ?? null],
  );
  return r.rows[0];
}

export async function insertFeedback(
  q: Queryable,
  f: { inspectionId: number; userId: number | null; rating: number; feedbackText: string | null; feedbackType: string; clientUuid?: string | null; at?: string | null },
): Promise<FeedbackDbRow> {
  const r = await q.query<FeedbackDbRow>(
    `insert into feedbacks (inspection_id, user_id, rating, feedback_text, feedback_type, client_uuid, created_at) values ($1, $2, $3, $4, $5, $6, coalesce($7, now()))
       returning *, (select username from users where user_id = $2) as username`,
    [f.inspectionId, f.userId, f.rating, f.feedbackText, f.feedbackType, f.clientUuid ?? null, f.at ?? null],
  );
  return r.rows[0];
}

/** Whether a journaled action or feedback (by its UUID) is already written. */
export async function followUpWritten(q: Queryable, kind: 'action' | 'feedback', clientUuid: string): Promise<boolean> {
  const r = await q.query(kind === 'action' ? 'select 1 from action_logs where client_uuid = $1' : 'select 1 from feedbacks where client_uuid = $1', [clientUuid]);
  return r.rowCount! > 0;
}

/** People who have inspected, most inspections first. */
export async function inspectorRows(q: Queryable): Promise<{ user_id: number; username: string; full_name: string | null; n: number }[]> {
  const r = await q.query<{ user_id: number; username: string; full_name: string | null; n: number }>(
    `select u.user_id, u.username, u.full_name, count(*)::int as n
       from inspections ins join users u on u.user_id = ins.inspector_id
       group by u.user_id, u.username, u.full_name order by n desc, u.username`,
  );
  return r.rows;
}

// ---------------------------------------------------------------------------------------------------------------
// dashboard

/** The dashboard_stats view, per product (one product or all). */
export async function dashboardStatsRows(q: Queryable, productId?: number): Promise<Record<string, any>[]> {
  const r = await q.query(`select * from dashboard_stats ${productId ? 'where product_id = $1' : ''} order by product_code`, productId ? [productId] : []);
  return r.rows;
}

/** Inspections and defects per Asia/Seoul day in [from, to), every day of the range present. */
export async function defectRateRows(q: Queryable, from: string, to: string, productId: number | null): Promise<{ day: string; total: number; defects: number }[]> {
  const r = await q.query<{ day: string; total: number; defects: number }>(
    `with days as (
         select generate_series(($1::timestamptz at time zone '${SEOUL}')::date, (($2::timestamptz - interval '1 microsecond') at time zone '${SEOUL}')::date, interval '1 day')::date as day
       ), agg as (
         select (ins.inspection_date at time zone '${SEOUL}')::date as day, count(*)::int as total, (count(*) filter (where ins.defect_detected))::int as defects
         from inspections ins
         where ins.status = 'completed' and ins.inspection_date >= $1 and ins.inspection_date < $2 and ($3::int is null or ins.product_id = $3)
         group by 1
       )
       select to_char(d.day, 'YYYY-MM-DD') as day, coalesce(a.total, 0) as total, coalesce(a.defects, 0) as defects
       from days d left join agg a using (day) order by d.day`,
    [from, to, productId],
  );
  return r.rows;
}

/** Defective inspections per defect type in [from, to), most frequent first. */
export async function defectsByTypeRows(
  q: Queryable,
  from: string,
  to: string,
  productId: number | null,
): Promise<{ defect_type_id: number | null; defect_code: string | null; defect_name_ko: string | null; severity_level: number | null; n: number }[]> {
  const r = await q.query(
    `select ins.defect_type_id, dt.defect_code, dt.defect_name_ko, dt.severity_level, count(*)::int as n
       from inspections ins
       left join defect_types dt on dt.defect_type_id = ins.defect_type_id
       where ins.status = 'completed' and ins.defect_detected and ins.inspection_date >= $1 and ins.inspection_date < $2 and ($3::int is null or ins.product_id = $3)
       group by 1, 2, 3, 4 order by n desc, dt.defect_code nulls last`,
    [from, to, productId],
  );
  return r.rows;
}

// ---------------------------------------------------------------------------------------------------------------
// thresholds (model_configs)

export interface ModelConfigDbRow {
  config_id: number;
  product_id: number;
  model_type: string;
  config_name: string;
  image_threshold: number;
  pixel_threshold: number;
  preprocessing: unknown;
  is_active: boolean;
  updated_at: Date;
  [k: string]: unknown;
}

/** The product's active anomaly-detection config, if any. */
export async function activeModelConfig(q: Queryable, productId: number): Promise<ModelConfigDbRow | undefined> {
  const r = await q.query<ModelConfigDbRow>(activeConfigSql('$1'), [productId]);
  return r.rows[0];
}

/** A new product's config at the given thresholds. */
export async function insertDefaultModelConfig(q: Queryable, productId: number, imageThreshold: number, pixelThreshold: number): Promise<void> {
  await q.query(
    `insert into model_configs (product_id, model_type, config_name, image_threshold, pixel_threshold) values ($1, 'anomaly_detection', 'default', $2, $3)`,
    [productId, imageThreshold, pixelThreshold],
  );
}

/** Sets the product's thresholds (its active config, created when missing). */
export async function upsertThresholds(q: Queryable, productId: number, imageThreshold: number, pixelThreshold: number): Promise<void> {
  await q.query(
    `insert into model_configs (product_id, model_type, config_name, image_threshold, pixel_threshold)
         values ($1, 'anomaly_detection', 'default', $2, $3)
         on conflict (product_id, model_type) where is_active
         do update set image_threshold = excluded.image_threshold, pixel_threshold = excluded.pixel_threshold, updated_at = now()`,
    [productId, imageThreshold, pixelThreshold],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// deployments

export interface DeploymentDbRow {
  deployment_id: number;
  deployment_type: string;
  product_id: number | null;
  status: string;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  deployed_by: number | null;
  config_params: unknown;
  result_summary: unknown;
  error_message: string | null;
  product_code: string | null;
  deployed_by_name: string | null;
}

export async function listDeploymentRows(q: Queryable, productId: number | null, limit: number): Promise<DeploymentDbRow[]> {
  const r = await q.query<DeploymentDbRow>(
    `select d.*, p.product_code, u.username as deployed_by_name from deployments d
       left join products p on p.product_id = d.product_id left join users u on u.user_id = d.deployed_by
       where ($1::int is null or d.product_id = $1) order by d.created_at desc, d.deployment_id desc limit $2`,
    [productId, limit],
  );
  return r.rows;
}

export async function deploymentRow(q: Queryable, deploymentId: number): Promise<DeploymentDbRow | undefined> {
  const r = await q.query<DeploymentDbRow>(
    `select d.*, p.product_code, u.username as deployed_by_name from deployments d
       left join products p on p.product_id = d.product_id left join users u on u.user_id = d.deployed_by where d.deployment_id = $1`,
    [deploymentId],
  );
  return r.rows[0];
}

/** A new deployment in state `pending`; returns its id. */
export async function insertDeployment(q: Queryable, d: { type: string; productId: number; deployedBy: number | null; configParams: string }): Promise<number> {
  const r = await q.query<{ deployment_id: number }>(
    `insert into deployments (deployment_type, product_id, status, deployed_by, config_params) values ($1, $2, 'pending', $3, $4) returning deployment_id`,
    [d.type, d.productId, d.deployedBy, d.configParams],
  );
  return r.rows[0].deployment_id;
}

/** pending → running; false when the deployment was not pending. */
export async function markDeploymentRunning(q: Queryable, deploymentId: number): Promise<boolean> {
  const r = await q.query("update deployments set status = 'running', started_at = now() where deployment_id = $1 and status = 'pending'", [deploymentId]);
  return Boolean(r.rowCount);
}

export async function completeDeployment(q: Queryable, deploymentId: number, summary: string): Promise<void> {
  await q.query(
    "update deployments set status = 'completed', completed_at = now(), started_at = coalesce(started_at, now()), result_summary = $2 where deployment_id = $1",
    [deploymentId, summary],
  );
}

/** A deployment that failed or was cancelled, with the reason. */
export async function endDeployment(q: Queryable, deploymentId: number, status: 'failed' | 'cancelled', error: string): Promise<void> {
  await q.query('update deployments set status = $2, completed_at = now(), error_message = $3 where deployment_id = $1', [deploymentId, status, error]);
}
