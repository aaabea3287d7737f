/**
 * The inspection workspace's services: products, defect types, manuals and their sections (the worker's guide),
 * reference images, inspection history and its CSV export, actions and feedback, dashboard figures, thresholds
 * and deployments. The model work (bank builds and inspections) is orchestrated in ./pipeline.ts on top of the
 * engine (./engine/), and reaches the database through this class.
 *
 * Every change a manager makes is audited in the same transaction (main/audit/audit.ts). Times go out as ISO
 * strings in UTC; calendar days (defect rate per day, inspection codes) are Asia/Seoul days.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { ApiError, type SessionUser } from '../api/kit';
import { writeAudit } from '../audit/audit';
import type { StationPaths } from '../config';
import { withTransaction, type Databases } from '../db/pools';
import type { EventBus } from '../events';
import type {
  DefectTypePatch,
  ImageListQuery,
  InspectionFilter,
  InspectionListQuery,
  ManualPatch,
  NewAction,
  NewDefectType,
  NewFeedback,
  NewManual,
  NewProduct,
  NewReferenceImage,
  NewSection,
  ProductPatch,
  RangeQuery,
  SectionPatch,
  Thresholds,
} from './contract';
import * as queries from './queries';
import { activeConfigSql } from './queries';
import { ImageInputError, ImageStore, mimeOf, readImageInput, safeFileName, writeAtomic, MAX_IMAGE_BYTES, type DecodedImage, type ImageInput } from './store';
import type {
  ActionRow,
  ActionStatus,
  DashboardStatsRow,
  DefectRateDay,
  DefectTypeRow,
  DefectTypeShare,
  DeploymentRow,
  FeedbackRow,
  ImageRow,
  InspectionDetail,
  InspectionListRow,
  InspectorRow,
  ManualDetail,
  ManualRow,
  ModelConfigView,
  ProductRef,
  ProductRow,
  Region,
  SectionRow,
} from './types';

export const DEFAULT_IMAGE_THRESHOLD = 0.85;
export const DEFAULT_PIXEL_THRESHOLD = 0.9;
export const SEOUL = 'Asia/Seoul';
const MANUAL_TYPES = ['pdf', 'docx', 'doc', 'hwp', 'hwpx', 'md', 'txt', 'html', 'xlsx', 'pptx'] as const;

export interface InspectionServiceDeps {
  dbs: Databases;
  paths: StationPaths;
  bus?: EventBus;
}

type Q = pg.Pool | pg.PoolClient;

const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());
const isoNN = (d: Date | string): string => new Date(d).toISOString();

/** A user id for a foreign key: the CLI acts as user 0, which has no row. */
export function userRef(actor: SessionUser | undefined): number | null {
  return actor && actor.userId > 0 ? actor.userId : null;
}

/** Maps image-input problems to validation errors (what the operator must fix). */
export function asInputError(e: unknown): never {
  if (e instanceof ImageInputError || (e as Error)?.name === 'ImageInputError') {
    // `reason` lets a screen say it in the operator's language (it crosses the engine's worker boundary too)
    const reason = (e as { reason?: string }).reason;
    throw new ApiError('validation', (e as Error).message, reason ? { reason } : undefined);
  }
  throw e;
}

// ---------------------------------------------------------------------------------------------------------------
// row mapping

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

function mapProduct(r: Record<string, any>): ProductRow {
  const s = r.bank_summary as { bank_size?: [number, number]; normal_images?: number } | null;
  return {
    productId: r.product_id,
    productCode: r.product_code,
    productName: r.product_name,
    description: r.description,
    category: r.category,
    isActive: r.is_active,
    createdAt: isoNN(r.created_at),
    updatedAt: isoNN(r.updated_at),
    normalImageCount: Number(r.normal_image_count),
    defectImageCount: Number(r.defect_image_count),
    defectTypeCount: Number(r.defect_type_count),
    bank: r.bank_deployment_id
      ? { deploymentId: r.bank_deployment_id, completedAt: isoNN(r.bank_completed_at), bankSize: s?.bank_size ?? null, normalImages: s?.normal_images ?? null }
      : null,
  };
}

function mapDefectType(r: Record<string, any>): DefectTypeRow {
  return {
    defectTypeId: r.defect_type_id,
    productId: r.product_id,
    defectCode: r.defect_code,
    defectNameKo: r.defect_name_ko,
    defectNameEn: r.defect_name_en,
    fullNameKo: r.full_name_ko,
    description: r.description,
    severityLevel: r.severity_level,
    isActive: r.is_active,
    createdAt: isoNN(r.created_at),
    updatedAt: isoNN(r.updated_at),
  };
}

const MANUAL_SELECT = `
  select m.*, u.username as uploaded_by_name,
    (select count(*) from manual_sections s where s.manual_id = m.manual_id) as section_count
  from manuals m left join users u on u.user_id = m.uploaded_by`;

function mapManual(r: Record<string, any>): ManualRow {
  return {
    manualId: r.manual_id,
    productId: r.product_id,
    manualTitle: r.manual_title,
    fileName: r.file_name,
    filePath: r.file_path,
    fileSize: r.file_size == null ? null : Number(r.file_size),
    fileType: r.file_type,
    version: r.version,
    uploadDate: isoNN(r.upload_date),
    uploadedBy: r.uploaded_by_name ?? null,
    isActive: r.is_active,
    vectorIndexed: r.vector_indexed,
    sectionCount: Number(r.section_count ?? 0),
  };
}

const SECTION_SELECT = `
  select s.*, d.defect_code from manual_sections s left join defect_types d on d.defect_type_id = s.defect_type_id`;

function mapSection(r: Record<string, any>): SectionRow {
  return {
    sectionId: r.section_id,
    manualId: r.manual_id,
    defectTypeId: r.defect_type_id,
    defectCode: r.defect_code ?? null,
    sectionType: r.section_type,
    sectionTitle: r.section_title,
    sectionContent: r.section_content,
    pageNumber: r.page_number,
    chunkIndex: r.chunk_index,
    createdAt: isoNN(r.created_at),
  };
}

const IMAGE_SELECT = `
  select i.*, d.defect_code, u.username as uploaded_by_name, (md.embedding_vector is not null) as has_embedding
  from images i
  left join defect_types d on d.defect_type_id = i.defect_type_id
  left join users u on u.user_id = i.uploaded_by
  left join image_metadata md on md.image_id = i.image_id`;

function mapImage(r: Record<string, any>): ImageRow {
  return {
    imageId: r.image_id,
    productId: r.product_id,
    imageType: r.image_type,
    defectTypeId: r.defect_type_id,
    defectCode: r.defect_code ?? null,
    fileName: r.file_name,
    filePath: r.file_path,
    sha256: r.sha256,
    fileSize: r.file_size == null ? null : Number(r.file_size),
    width: r.width,
    height: r.height,
    format: r.format,
    uploadedAt: isoNN(r.uploaded_at),
    uploadedBy: r.uploaded_by_name ?? null,
    isActive: r.is_active,
    hasEmbedding: Boolean(r.has_embedding),
  };
}

/**
 * The history: the page of inspections is chosen on `inspections` alone (its trigger-kept summary columns and
 * indexes), then joined to product, first result, defect type and inspector for those rows only.
 */
const INSPECTION_COLUMNS = `
  ins.inspection_id, ins.inspection_code, ins.inspection_date, ins.product_id, p.product_code, p.product_name, ins.source,
  ins.status, ins.defect_detected, ins.defect_type_id, dt.defect_code, dt.defect_name_ko, dt.defect_name_en, dt.severity_level,
  ir.anomaly_score, ir.confidence_score, ir.similarity_score, ins.inspector_id, u.username as inspector,
  ins.action_status, ins.processing_time`;

function inspectionPageSql(where: string, order: string, limit: number, offset: number, extra = ''): string {
  return `select ${INSPECTION_COLUMNS}${extra}
  from (select * from inspections ins ${where} order by ${order} limit ${limit} offset ${offset}) ins
  join products p on p.product_id = ins.product_id
  left join lateral (select r.* from inspection_results r where r.inspection_id = ins.inspection_id order by r.result_id limit 1) ir on true
  left join defect_types dt on dt.defect_type_id = ins.defect_type_id
  left join users u on u.user_id = ins.inspector_id
  order by ${order}`;
}
const NEWEST_FIRST = 'ins.inspection_date desc, ins.inspection_id desc';

function mapInspection(r: Record<string, any>): InspectionListRow {
  return {
    inspectionId: r.inspection_id,
    inspectionCode: r.inspection_code,
    inspectionDate: isoNN(r.inspection_date),
    productId: r.product_id,
    productCode: r.product_code,
    productName: r.product_name,
    source: r.source,
    status: r.status,
    defectDetected: r.defect_detected ?? null,
    defectTypeId: r.defect_type_id ?? null,
    defectCode: r.defect_code ?? null,
    defectNameKo: r.defect_name_ko ?? null,
    defectNameEn: r.defect_name_en ?? null,
    severityLevel: r.severity_level ?? null,
    anomalyScore: r.anomaly_score ?? null,
    confidenceScore: r.confidence_score ?? null,
    similarityScore: r.similarity_score ?? null,
    inspectorId: r.inspector_id ?? null,
    inspector: r.inspector ?? null,
    actionStatus: r.action_status as ActionStatus,
    processingTime: r.processing_time ?? null,
  };
}

function mapAction(r: Record<string, any>): ActionRow {
  return {
    actionId: r.action_id,
    inspectionId: r.inspection_id,
    actionTaken: r.action_taken,
    actionResult: r.action_result,
    actionDate: isoNN(r.action_date),
    actionBy: r.action_by_name ?? null,
    notes: r.notes,
  };
}

function mapFeedback(r: Record<string, any>): FeedbackRow {
  return {
    feedbackId: r.feedback_id,
    inspectionId: r.inspection_id,
    user: r.username ?? null,
    rating: r.rating,
    feedbackText: r.feedback_text,
    feedbackType: r.feedback_type,
    createdAt: isoNN(r.created_at),
  };
}

function mapDeployment(r: Record<string, any>): DeploymentRow {
  return {
    deploymentId: r.deployment_id,
    deploymentType: r.deployment_type,
    productId: r.product_id,
    productCode: r.product_code ?? null,
    status: r.status,
    createdAt: isoNN(r.created_at),
    startedAt: iso(r.started_at),
    completedAt: iso(r.completed_at),
    deployedBy: r.deployed_by_name ?? null,
    configParams: r.config_params,
    resultSummary: r.result_summary,
    errorMessage: r.error_message,
  };
}

/** Builds the WHERE clause of the history filters (on `inspections` only). */
function inspectionWhere(f: InspectionFilter): { sql: string; params: unknown[] } {
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

/** CSV field per RFC 4180; formula-looking text is prefixed with ' so spreadsheets do not run it. */
export function csvField(v: unknown): string {
  if (v == null) return '';
  let s = typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const ACTION_LABEL: Record<ActionStatus, string> = { resolved: '조치완료', pending: '미조치', none: '정상' };

/** Seoul date-time "YYYY-MM-DD HH:mm:ss" for the CSV. */
function seoulLocal(isoString: string): string {
  const d = new Date(Date.parse(isoString) + 9 * 3600_000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export class InspectionService {
  readonly store: ImageStore;
  readonly dbs: Databases;
  readonly paths: StationPaths;
  readonly bus?: EventBus;

  constructor(deps: InspectionServiceDeps) {
    this.dbs = deps.dbs;
    this.paths = deps.paths;
    this.bus = deps.bus;
    this.store = new ImageStore(deps.paths.images);
  }

  get read(): pg.Pool {
    return this.dbs.pool('inspection', 'read');
  }
  get job(): pg.Pool {
    return this.dbs.pool('inspection', 'job');
  }

  // ------------------------------------------------------------------------------------------------ products

  async listProducts(opts: { includeInactive?: boolean } = {}): Promise<ProductRow[]> {
    const r = await this.read.query(`${PRODUCT_SELECT} ${opts.includeInactive ? '' : 'where p.is_active'} order by p.product_code`);
    return r.rows.map(mapProduct);
  }

  async getProduct(ref: { productId: number } | { productCode: string }, q: Q = this.read): Promise<ProductRow> {
    const r =
      'productId' in ref
        ? await q.query(`${PRODUCT_SELECT} where p.product_id = $1`, [ref.productId])
        : await q.query(`${PRODUCT_SELECT} where p.product_code = $1`, [ref.productCode]);
    if (!r.rowCount) throw new ApiError('not_found', 'productId' in ref ? `no product with id ${ref.productId}` : `no product ${ref.productCode}`);
    return mapProduct(r.rows[0]);
  }

  async findProduct(code: string): Promise<ProductRow | null> {
    const r = await this.read.query(`${PRODUCT_SELECT} where p.product_code = $1`, [code]);
    return r.rowCount ? mapProduct(r.rows[0]) : null;
  }

  async createProduct(input: NewProduct, actor?: SessionUser): Promise<ProductRow> {
    return withTransaction(this.read, async (c) => {
      const dupe = await c.query('select product_code from products where lower(product_code) = lower($1)', [input.productCode]);
      if (dupe.rowCount) throw new ApiError('conflict', `product ${dupe.rows[0].product_code} already exists`);
      const r = await c.query<{ product_id: number }>(
        `insert into products (product_code, product_name, description, category, created_by) values ($1, $2, $3, $4, $5) returning product_id`,
        [input.productCode, input.productName, input.description ?? null, input.category ?? null, userRef(actor)],
      );
      const productId = r.rows[0].product_id;
      await c.query(
        `insert into model_configs (product_id, model_type, config_name, image_threshold, pixel_threshold) values ($1, 'anomaly_detection', 'default', $2, $3)`,
        [productId, DEFAULT_IMAGE_THRESHOLD, DEFAULT_PIXEL_THRESHOLD],
      );
      const row = await this.getProduct({ productId }, c);
      await writeAudit(c, actor, { action: 'inspection.product.create', table: 'products', operation: 'INSERT', target: input.productCode, after: input });
      return row;
    });
  }

  /** The product with this code, created (name = code) when it does not exist yet; for the CLI and watch folders. */
  async ensureProduct(code: string, actor?: SessionUser): Promise<ProductRow> {
    const found = await this.findProduct(code);
    if (found) return found;
    try {
      return await this.createProduct({ productCode: code, productName: code, description: null, category: null }, actor);
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'conflict') return this.getProduct({ productCode: code });
      throw e;
    }
  }

  async updateProduct(input: ProductPatch, actor?: SessionUser): Promise<ProductRow> {
    return withTransaction(this.read, async (c) => {
      const b = await c.query('select * from products where product_id = $1 for update', [input.productId]);
      if (!b.rowCount) throw new ApiError('not_found', `no product with id ${input.productId}`);
      const before = b.rows[0];
      await c.query(
        `update products set product_name = coalesce($2, product_name),
           description = case when $3::boolean then $4 else description end,
           category = case when $5::boolean then $6 else category end,
           is_active = coalesce($7, is_active), updated_at = now() where product_id = $1`,
        [input.productId, input.productName ?? null, input.description !== undefined, input.description ?? null, input.category !== undefined, input.category ?? null, input.isActive ?? null],
      );
      const row = await this.getProduct({ productId: input.productId }, c);
      await writeAudit(c, actor, {
        action: 'inspection.product.update',
        table: 'products',
        operation: 'UPDATE',
        target: before.product_code,
        before: { productName: before.product_name, description: before.description, category: before.category, isActive: before.is_active },
        after: { productName: row.productName, description: row.description, category: row.category, isActive: row.isActive },
      });
      return row;
    });
  }

  // ------------------------------------------------------------------------------------------------ defect types

  async listDefectTypes(productId: number, opts: { includeInactive?: boolean } = {}): Promise<DefectTypeRow[]> {
    const r = await this.read.query(`select * from defect_types where product_id = $1 ${opts.includeInactive ? '' : 'and is_active'} order by severity_level desc, defect_code`, [productId]);
    return r.rows.map(mapDefectType);
  }

  async getDefectType(defectTypeId: number, q: Q = this.read): Promise<DefectTypeRow> {
    const r = await q.query('select * from defect_types where defect_type_id = $1', [defectTypeId]);
    if (!r.rowCount) throw new ApiError('not_found', `no defect type with id ${defectTypeId}`);
    return mapDefectType(r.rows[0]);
  }

  async createDefectType(input: NewDefectType, actor?: SessionUser): Promise<DefectTypeRow> {
    return withTransaction(this.read, async (c) => {
      const p = await c.query('select product_code from products where product_id = $1', [input.productId]);
      if (!p.rowCount) throw new ApiError('not_found', `no product with id ${input.productId}`);
      const dupe = await c.query('select 1 from defect_types where product_id = $1 and defect_code = $2', [input.productId, input.defectCode]);
      if (dupe.rowCount) throw new ApiError('conflict', `${p.rows[0].product_code} already has a defect type ${input.defectCode}`);
      const r = await c.query(
        `insert into defect_types (product_id, defect_code, defect_name_ko, defect_name_en, full_name_ko, description, severity_level)
         values ($1, $2, $3, $4, $5, $6, $7) returning *`,
        [input.productId, input.defectCode, input.defectNameKo, input.defectNameEn ?? null, input.fullNameKo ?? null, input.description ?? null, input.severityLevel],
      );
      const row = mapDefectType(r.rows[0]);
      await writeAudit(c, actor, { action: 'inspection.defectType.create', table: 'defect_types', operation: 'INSERT', target: `${p.rows[0].product_code}/${input.defectCode}`, after: input });
      return row;
    });
  }

  async updateDefectType(input: DefectTypePatch, actor?: SessionUser): Promise<DefectTypeRow> {
    return withTransaction(this.read, async (c) => {
      const b = await c.query('select d.*, p.product_code from defect_types d join products p using (product_id) where defect_type_id = $1 for update of d', [input.defectTypeId]);
      if (!b.rowCount) throw new ApiError('not_found', `no defect type with id ${input.defectTypeId}`);
      const r = await c.query(
        `update defect_types set defect_name_ko = coalesce($2, defect_name_ko),
           defect_name_en = case when $3::boolean then $4 else defect_name_en end,
           full_name_ko = case when $5::boolean then $6 else full_name_ko end,
           description = case when $7::boolean then $8 else description end,
           severity_level = coalesce($9, severity_level), is_active = coalesce($10, is_active), updated_at = now()
         where defect_type_id = $1 returning *`,
        [
          input.defectTypeId,
          input.defectNameKo ?? null,
          input.defectNameEn !== undefined,
          input.defectNameEn ?? null,
          input.fullNameKo !== undefined,
          input.fullNameKo ?? null,
          input.description !== undefined,
          input.description ?? null,
          input.severityLevel ?? null,
          input.isActive ?? null,
        ],
      );
      const before = mapDefectType(b.rows[0]);
      const after = mapDefectType(r.rows[0]);
      await writeAudit(c, actor, {
        action: 'inspection.defectType.update',
        table: 'defect_types',
        operation: 'UPDATE',
        target: `${b.rows[0].product_code}/${before.defectCode}`,
        before: { ...before, createdAt: undefined, updatedAt: undefined },
        after: { ...after, createdAt: undefined, updatedAt: undefined },
      });
      return after;
    });
  }

  // ------------------------------------------------------------------------------------------------ manuals

  private manualsRoot(): string {
    return path.join(this.paths.home, 'manuals');
  }

  /** Absolute path of a manual file (relative to LINEDECK_HOME), refusing paths outside the manuals folder. */
  manualFile(rel: string): string {
    const p = path.resolve(this.paths.home, rel);
    const inside = path.relative(this.manualsRoot(), p);
    if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) throw new ApiError('validation', `not a manual file: ${rel}`);
    return p;
  }

  async listManuals(productId: number, opts: { includeInactive?: boolean } = {}): Promise<ManualRow[]> {
    const r = await this.read.query(`${MANUAL_SELECT} where m.product_id = $1 ${opts.includeInactive ? '' : 'and m.is_active'} order by m.upload_date desc, m.manual_id desc`, [productId]);
    return r.rows.map(mapManual);
  }

  async getManual(manualId: number, q: Q = this.read): Promise<ManualDetail> {
    const r = await q.query(`${MANUAL_SELECT} where m.manual_id = $1`, [manualId]);
    if (!r.rowCount) throw new ApiError('not_found', `no manual with id ${manualId}`);
    const s = await q.query(`${SECTION_SELECT} where s.manual_id = $1 order by s.chunk_index nulls last, s.section_id`, [manualId]);
    return { ...mapManual(r.rows[0]), sections: s.rows.map(mapSection) };
  }

  async createManual(input: NewManual, actor?: SessionUser): Promise<ManualDetail> {
    const p = await this.read.query('select product_code from products where product_id = $1', [input.productId]);
    if (!p.rowCount) throw new ApiError('not_found', `no product with id ${input.productId}`);
    const productCode: string = p.rows[0].product_code;
    // the file goes in first (content-addressed); a failed insert leaves at most an unreferenced file
    let file: { rel: string; name: string; size: number; type: string } | null = null;
    if (input.file) {
      const raw = (() => {
        try {
          return readImageInput(input.file as ImageInput);
        } catch (e) {
          return asInputError(e);
        }
      })();
      const name = safeFileName(input.file.fileName ?? raw.fileName);
      const ext = path.extname(name).slice(1).toLowerCase();
      if (!(MANUAL_TYPES as readonly string[]).includes(ext)) throw new ApiError('validation', `manual files are ${MANUAL_TYPES.join(', ')}; ${name} is not`);
      if (raw.bytes.length > MAX_IMAGE_BYTES) throw new ApiError('validation', `${name} is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`);
      const sha = crypto.createHash('sha256').update(raw.bytes).digest('hex');
      const rel = `manuals/${productCode}/${sha}.${ext}`;
      writeAtomic(this.manualFile(rel), raw.bytes);
      file = { rel, name, size: raw.bytes.length, type: ext.toUpperCase() };
    }
    return withTransaction(this.read, async (c) => {
      if (input.version) {
        const dupe = await c.query('select 1 from manuals where product_id = $1 and version = $2', [input.productId, input.version]);
        if (dupe.rowCount) throw new ApiError('conflict', `${productCode} already has a manual version ${input.version}`);
      }
      const r = await c.query<{ manual_id: number }>(
        `insert into manuals (product_id, manual_title, file_name, file_path, file_size, file_type, version, uploaded_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning manual_id`,
        [input.productId, input.manualTitle, file?.name ?? 'pending.md', file?.rel ?? 'manuals/pending.md', file?.size ?? null, file?.type ?? 'MD', input.version ?? null, userRef(actor)],
      );
      const manualId = r.rows[0].manual_id;
      if (!file) await this.renderManual(c, manualId);
      const row = await this.getManual(manualId, c);
      await writeAudit(c, actor, {
        action: 'inspection.manual.create',
        table: 'manuals',
        operation: 'INSERT',
        target: `${productCode}/${row.manualTitle}`,
        after: { manualTitle: row.manualTitle, version: row.version, fileName: row.fileName, fileSize: row.fileSize },
      });
      return row;
    });
  }

  /**
   * For a manual written at the station (no uploaded file): writes its sections as a Markdown file, so the
   * manual's file always shows what the guide shows. Uploaded files are never rewritten.
   */
  private async renderManual(c: pg.PoolClient, manualId: number): Promise<void> {
    const m = await c.query('select m.*, p.product_code, p.product_name from manuals m join products p using (product_id) where manual_id = $1', [manualId]);
    const man = m.rows[0];
    if (!man || (man.file_type !== 'MD' || !/^manuals\/[^/]+\/manual-\d+\.md$|^manuals\/pending\.md$/.test(man.file_path))) return;
    const s = await c.query(`${SECTION_SELECT} where s.manual_id = $1 order by s.chunk_index nulls last, s.section_id`, [manualId]);
    const label = { cause: '발생 원인 (cause)', action: '조치 가이드 (action)', other: '기타 (other)' } as const;
    const lines = [`# ${man.manual_title}`, '', `- 제품: ${man.product_name} (${man.product_code})`, `- 버전: ${man.version ?? '-'}`, ''];
    for (const r of s.rows.map(mapSection)) {
      lines.push(`## ${r.sectionTitle ?? label[r.sectionType]}${r.defectCode ? ` — ${r.defectCode}` : ''}`, '', `_${label[r.sectionType]}_`, '', r.sectionContent, '');
    }
    const text = `${lines.join('\n').trimEnd()}\n`;
    const rel = `manuals/${man.product_code}/manual-${manualId}.md`;
    writeAtomic(this.manualFile(rel), text);
    const name = `${safeFileName(man.manual_title).replace(/\.md$/i, '')}.md`;
    await c.query('update manuals set file_path = $2, file_name = $3, file_size = $4 where manual_id = $1', [manualId, rel, name, Buffer.byteLength(text)]);
  }

  async updateManual(input: ManualPatch, actor?: SessionUser): Promise<ManualDetail> {
    return withTransaction(this.read, async (c) => {
      const b = await c.query('select * from manuals where manual_id = $1 for update', [input.manualId]);
      if (!b.rowCount) throw new ApiError('not_found', `no manual with id ${input.manualId}`);
      if (input.version) {
        const dupe = await c.query('select 1 from manuals where product_id = $1 and version = $2 and manual_id <> $3', [b.rows[0].product_id, input.version, input.manualId]);
        if (dupe.rowCount) throw new ApiError('conflict', `this product already has a manual version ${input.version}`);
      }
      await c.query(
        `update manuals set manual_title = coalesce($2, manual_title), version = case when $3::boolean then $4 else version end,
           is_active = coalesce($5, is_active) where manual_id = $1`,
        [input.manualId, input.manualTitle ?? null, input.version !== undefined, input.version ?? null, input.isActive ?? null],
      );
      await this.renderManual(c, input.manualId);
      const row = await this.getManual(input.manualId, c);
      await writeAudit(c, actor, {
        action: 'inspection.manual.update',
        table: 'manuals',
        operation: 'UPDATE',
        target: String(input.manualId),
        before: { manualTitle: b.rows[0].manual_title, version: b.rows[0].version, isActive: b.rows[0].is_active },
        after: { manualTitle: row.manualTitle, version: row.version, isActive: row.isActive },
      });
      return row;
    });
  }

  async deleteManual(manualId: number, actor?: SessionUser): Promise<{ deleted: boolean }> {
    return withTransaction(this.read, async (c) => {
      const b = await c.query('select * from manuals where manual_id = $1 for update', [manualId]);
      if (!b.rowCount) throw new ApiError('not_found', `no manual with id ${manualId}`);
      const sections = await c.query('select section_type, defect_type_id, section_title, section_content from manual_sections where manual_id = $1', [manualId]);
      await c.query('delete from manuals where manual_id = $1', [manualId]);
      await writeAudit(c, actor, {
        action: 'inspection.manual.delete',
        table: 'manuals',
        operation: 'DELETE',
        target: String(manualId),
        before: { manualTitle: b.rows[0].manual_title, version: b.rows[0].version, filePath: b.rows[0].file_path, sections: sections.rows },
      });
      return { deleted: true };
    });
  }

  private async checkSectionDefectType(c: Q, manualId: number, defectTypeId: number | null | undefined): Promise<void> {
    if (defectTypeId == null) return;
    const r = await c.query('select 1 from defect_types d join manuals m on m.product_id = d.product_id where d.defect_type_id = $1 and m.manual_id = $2', [defectTypeId, manualId]);
    if (!r.rowCount) throw new ApiError('validation', `defect type ${defectTypeId} does not belong to this manual's product`);
  }

  async createSection(input: NewSection, actor?: SessionUser): Promise<SectionRow> {
    return withTransaction(this.read, async (c) => {
      const m = await c.query('select manual_id from manuals where manual_id = $1 for update', [input.manualId]);
      if (!m.rowCount) throw new ApiError('not_found', `no manual with id ${input.manualId}`);
      await this.checkSectionDefectType(c, input.manualId, input.defectTypeId);
      const r = await c.query<{ section_id: number }>(
        `insert into manual_sections (manual_id, defect_type_id, section_type, section_title, section_content, page_number, chunk_index)
         values ($1, $2, $3, $4, $5, $6, coalesce($7, (select coalesce(max(chunk_index) + 1, 0) from manual_sections where manual_id = $1))) returning section_id`,
        [input.manualId, input.defectTypeId ?? null, input.sectionType, input.sectionTitle ?? null, input.sectionContent, input.pageNumber ?? null, input.chunkIndex ?? null],
      );
      await this.renderManual(c, input.manualId);
      const row = mapSection((await c.query(`${SECTION_SELECT} where s.section_id = $1`, [r.rows[0].section_id])).rows[0]);
      await writeAudit(c, actor, { action: 'inspection.section.create', table: 'manual_sections', operation: 'INSERT', target: String(row.sectionId), after: input });
      return row;
    });
  }

  async updateSection(input: SectionPatch, actor?: SessionUser): Promise<SectionRow> {
    return withTransaction(this.read, async (c) => {
      const b = await c.query(`${SECTION_SELECT} where s.section_id = $1 for update of s`, [input.sectionId]);
      if (!b.rowCount) throw new ApiError('not_found', `no section with id ${input.sectionId}`);
      const before = mapSection(b.rows[0]);
      if (input.defectTypeId !== undefined) await this.checkSectionDefectType(c, before.manualId, input.defectTypeId);
      await c.query(
        `update manual_sections set
           defect_type_id = case when $2::boolean then $3 else defect_type_id end,
           section_type = coalesce($4, section_type),
           section_title = case when $5::boolean then $6 else section_title end,
           section_content = coalesce($7, section_content),
           page_number = case when $8::boolean then $9 else page_number end,
           chunk_index = case when $10::boolean then $11 else chunk_index end,
           embedding_vector = case when $7 is null then embedding_vector else null end
         where section_id = $1`,
        [
          input.sectionId,
          input.defectTypeId !== undefined,
          input.defectTypeId ?? null,
          input.sectionType ?? null,
          input.sectionTitle !== undefined,
          input.sectionTitle ?? null,
          input.sectionContent ?? null,
          input.pageNumber !== undefined,
          input.pageNumber ?? null,
          input.chunkIndex !== undefined,
          input.chunkIndex ?? null,
        ],
      );
      await this.renderManual(c, before.manualId);
      const after = mapSection((await c.query(`${SECTION_SELECT} where s.section_id = $1`, [input.sectionId])).rows[0]);
      await writeAudit(c, actor, { action: 'inspection.section.update', table: 'manual_sections', operation: 'UPDATE', target: String(input.sectionId), before, after });
      return after;
    });
  }

  async deleteSection(sectionId: number, actor?: SessionUser): Promise<{ deleted: boolean }> {
    return withTransaction(this.read, async (c) => {
      const b = await c.query(`${SECTION_SELECT} where s.section_id = $1 for update of s`, [sectionId]);
      if (!b.rowCount) throw new ApiError('not_found', `no section with id ${sectionId}`);
      const before = mapSection(b.rows[0]);
      await c.query('delete from manual_sections where section_id = $1', [sectionId]);
      await this.renderManual(c, before.manualId);
      await writeAudit(c, actor, { action: 'inspection.section.delete', table: 'manual_sections', operation: 'DELETE', target: String(sectionId), before });
      return { deleted: true };
    });
  }

  /** The guide for a defect type: the sections of the product's active manuals tagged with it. */
  async guideFor(defectTypeId: number, q: Q = this.read): Promise<{ cause: SectionRow[]; action: SectionRow[]; other: SectionRow[] }> {
    const r = await q.query(
      `${SECTION_SELECT} join manuals m on m.manual_id = s.manual_id
       where s.defect_type_id = $1 and m.is_active order by m.upload_date desc, s.chunk_index nulls last, s.section_id`,
      [defectTypeId],
    );
    const rows = r.rows.map(mapSection);
    return { cause: rows.filter((x) => x.sectionType === 'cause'), action: rows.filter((x) => x.sectionType === 'action'), other: rows.filter((x) => x.sectionType === 'other') };
  }

  // ------------------------------------------------------------------------------------------------ images

  async listImages(query: ImageListQuery): Promise<{ rows: ImageRow[]; total: number }> {
    const conds = ['i.product_id = $1'];
    const params: unknown[] = [query.productId];
    if (query.imageType) conds.push(`i.image_type = $${params.push(query.imageType)}`);
    if (query.defectTypeId) conds.push(`i.defect_type_id = $${params.push(query.defectTypeId)}`);
    if (!query.includeInactive) conds.push('i.is_active');
    const where = conds.join(' and ');
    const total = await this.read.query<{ n: number }>(`select count(*)::int as n from images i where ${where}`, params);
    const r = await this.read.query(`${IMAGE_SELECT} where ${where} order by i.image_id desc limit ${query.limit} offset ${query.offset}`, params);
    return { rows: r.rows.map(mapImage), total: total.rows[0].n };
  }

  async getImage(imageId: number, q: Q = this.read): Promise<ImageRow> {
    const r = await q.query(`${IMAGE_SELECT} where i.image_id = $1`, [imageId]);
    if (!r.rowCount) throw new ApiError('not_found', `no image with id ${imageId}`);
    return mapImage(r.rows[0]);
  }

  /** Decodes and stores an image input; bad images become validation errors. */
  async storeImage(input: ImageInput | Buffer, fileName?: string) {
    try {
      return await this.store.put(input, fileName);
    } catch (e) {
      return asInputError(e);
    }
  }

  /**
   * Adds a normal or defect reference image (stored once per content). The same content already active for the
   * product is returned as is (`existed`), or refused when it is active as another kind. The memory bank and the
   * embeddings follow at the next bank build.
   */
  async addReferenceImage(input: NewReferenceImage, actor?: SessionUser): Promise<ImageRow & { existed: boolean }> {
    const stored = await this.storeImage(input.image as ImageInput);
    return withTransaction(this.read, async (c) => {
      const p = await c.query('select product_code from products where product_id = $1', [input.productId]);
      if (!p.rowCount) throw new ApiError('not_found', `no product with id ${input.productId}`);
      if (input.imageType === 'defect') {
        const d = await c.query('select 1 from defect_types where defect_type_id = $1 and product_id = $2', [input.defectTypeId, input.productId]);
        if (!d.rowCount) throw new ApiError('validation', `defect type ${input.defectTypeId} does not belong to ${p.rows[0].product_code}`);
      }
      return this.insertReferenceImage(c, input.productId, input.imageType, input.defectTypeId ?? null, stored, actor, p.rows[0].product_code);
    });
  }

  /** Inside a transaction: the active reference row for this content, or a new one. */
  async insertReferenceImage(
    c: pg.PoolClient,
    productId: number,
    imageType: 'normal' | 'defect',
    defectTypeId: number | null,
    stored: DecodedImage & { relPath: string },
    actor: SessionUser | undefined,
    productCode: string,
  ): Promise<ImageRow & { existed: boolean }> {
    await c.query('select pg_advisory_xact_lock(hashtext($1))', [`images:${productId}:${stored.sha256}`]);
    const same = await c.query(
      `select image_id, image_type, defect_type_id from images where product_id = $1 and sha256 = $2 and is_active and image_type <> 'test'`,
      [productId, stored.sha256],
    );
    if (same.rowCount) {
      const s = same.rows[0];
      if (s.image_type === imageType && (s.defect_type_id ?? null) === defectTypeId) return { ...(await this.getImage(s.image_id, c)), existed: true };
      throw new ApiError('conflict', `this image is already a ${s.image_type} reference of ${productCode} (image ${s.image_id}); deactivate it first`);
    }
    const r = await c.query<{ image_id: number }>(
      `insert into images (product_id, image_type, defect_type_id, file_name, file_path, sha256, file_size, width, height, format, uploaded_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning image_id`,
      [productId, imageType, defectTypeId, stored.fileName, stored.relPath, stored.sha256, stored.bytes.length, stored.width, stored.height, stored.format.toUpperCase(), userRef(actor)],
    );
    const imageId = r.rows[0].image_id;
    await c.query('insert into image_metadata (image_id, exif_data) values ($1, $2)', [imageId, JSON.stringify(stored.meta)]);
    await writeAudit(c, actor, {
      action: 'inspection.image.add',
      table: 'images',
      operation: 'INSERT',
      target: `${productCode}/${imageType}/${imageId}`,
      after: { imageId, imageType, defectTypeId, fileName: stored.fileName, sha256: stored.sha256 },
    });
    return { ...(await this.getImage(imageId, c)), existed: false };
  }

  async setImageActive(imageId: number, isActive: boolean, actor?: SessionUser): Promise<ImageRow> {
    return withTransaction(this.read, async (c) => {
      const b = await c.query('select * from images where image_id = $1 for update', [imageId]);
      if (!b.rowCount) throw new ApiError('not_found', `no image with id ${imageId}`);
      const img = b.rows[0];
      if (img.image_type === 'test') throw new ApiError('validation', 'inspected images are history; only reference images can be (de)activated');
      if (img.is_active === isActive) return this.getImage(imageId, c);
      if (isActive) {
        const same = await c.query("select image_id from images where product_id = $1 and sha256 = $2 and is_active and image_type <> 'test'", [img.product_id, img.sha256]);
        if (same.rowCount) throw new ApiError('conflict', `the same image is already active as image ${same.rows[0].image_id}`);
      }
      await c.query('update images set is_active = $2 where image_id = $1', [imageId, isActive]);
      await writeAudit(c, actor, {
        action: isActive ? 'inspection.image.activate' : 'inspection.image.deactivate',
        table: 'images',
        operation: 'UPDATE',
        target: String(imageId),
        before: { isActive: img.is_active },
        after: { isActive },
      });
      return this.getImage(imageId, c);
    });
  }

  /** A stored image or artifact by its store-relative path (for the screens). */
  readStoredFile(rel: string): { path: string; mime: string; size: number; base64: string } {
    let abs: string;
    try {
      abs = this.store.abs(rel);
    } catch (e) {
      return asInputError(e);
    }
    if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new ApiError('not_found', `no stored file ${rel}`);
    const bytes = fs.readFileSync(abs);
    return { path: rel, mime: mimeOf(abs), size: bytes.length, base64: bytes.toString('base64') };
  }

  // ------------------------------------------------------------------------------------------------ inspections

  async listInspections(query: InspectionListQuery): Promise<{ rows: InspectionListRow[]; total: number }> {
    const w = inspectionWhere(query);
    const [total, r] = await Promise.all([
      this.read.query<{ n: number }>(`select count(*)::int as n from inspections ins ${w.sql}`, w.params),
      this.read.query(inspectionPageSql(w.sql, NEWEST_FIRST, query.limit, query.offset), w.params),
    ]);
    return { rows: r.rows.map(mapInspection), total: total.rows[0].n };
  }

  /** The history as CSV (UTF-8 with BOM so spreadsheets read Korean), at most 100 000 rows, newest first. */
  async exportInspectionsCsv(filter: InspectionFilter): Promise<{ fileName: string; csv: string; rows: number }> {
    const w = inspectionWhere(filter);
    const r = await this.job.query(inspectionPageSql(w.sql, NEWEST_FIRST, 100_000, 0, ', ir.raw_anomaly_score, ir.image_threshold'), w.params);
    const header = [
      'inspection_code', 'inspection_date_utc', 'inspection_date_kst', 'product_code', 'product_name', 'verdict', 'defect_code', 'defect_name_ko',
      'severity_level', 'anomaly_score', 'confidence_score', 'similarity_score', 'raw_anomaly_score', 'image_threshold', 'inspector', 'source',
      'action_status', 'processing_time_s',
    ];
    const lines = [header.join(',')];
    for (const raw of r.rows) {
      const x = mapInspection(raw);
      lines.push(
        [
          x.inspectionCode, x.inspectionDate, seoulLocal(x.inspectionDate), x.productCode, x.productName,
          x.defectDetected == null ? '' : x.defectDetected ? 'defect' : 'normal', x.defectCode, x.defectNameKo, x.severityLevel,
          x.anomalyScore, x.confidenceScore, x.similarityScore, raw.raw_anomaly_score, raw.image_threshold, x.inspector, x.source,
          ACTION_LABEL[x.actionStatus], x.processingTime,
        ].map(csvField).join(','),
      );
    }
    const stamp = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 16).replace(/[-:T]/g, '');
    return { fileName: `inspections-${filter.productCode ?? (filter.productId ? `p${filter.productId}` : 'all')}-${stamp}.csv`, csv: `\uFEFF${lines.join('\r\n')}\r\n`, rows: r.rowCount ?? 0 };
  }

  async getInspection(ref: { inspectionId: number } | { inspectionCode: string }): Promise<InspectionDetail> {
    const q = this.read;
    const extra = ', ins.test_image_id, ins.reference_image_id, ins.deployment_id';
    const r =
      'inspectionId' in ref
        ? await q.query(inspectionPageSql('where ins.inspection_id = $1', NEWEST_FIRST, 1, 0, extra), [ref.inspectionId])
        : await q.query(inspectionPageSql('where ins.inspection_code = $1', NEWEST_FIRST, 1, 0, extra), [ref.inspectionCode]);
    if (!r.rowCount) throw new ApiError('not_found', 'inspectionId' in ref ? `no inspection with id ${ref.inspectionId}` : `no inspection ${ref.inspectionCode}`);
    const row = r.rows[0];
    const base = mapInspection(row);
    const [res, actions, feedbacks] = await Promise.all([
      q.query('select * from inspection_results where inspection_id = $1 order by result_id limit 1', [base.inspectionId]),
      q.query('select a.*, u.username as action_by_name from action_logs a left join users u on u.user_id = a.action_by where inspection_id = $1 order by action_date, action_id', [base.inspectionId]),
      q.query('select f.*, u.username from feedbacks f left join users u on u.user_id = f.user_id where inspection_id = $1 order by created_at, feedback_id', [base.inspectionId]),
    ]);
    const testImage = row.test_image_id ? await this.getImage(row.test_image_id) : null;
    const referenceImage = row.reference_image_id ? await this.getImage(row.reference_image_id) : null;
    const x = res.rows[0];
    const defectType = x?.defect_type_id ? await this.getDefectType(x.defect_type_id) : null;
    return {
      ...base,
      testImage,
      referenceImage,
      deploymentId: row.deployment_id ?? null,
      result: x
        ? {
            resultId: x.result_id,
            defectDetected: x.defect_detected,
            defectTypeId: x.defect_type_id,
            confidenceScore: x.confidence_score,
            anomalyScore: x.anomaly_score,
            similarityScore: x.similarity_score,
            rawAnomalyScore: x.raw_anomaly_score,
            rawMaxPatchDistance: x.raw_max_patch_distance,
            imageThreshold: x.image_threshold,
            pixelThreshold: x.pixel_threshold,
            artifacts: {
              original: testImage?.filePath ?? '',
              heatmap: x.heatmap_path,
              mask: x.mask_path,
              overlay: x.overlay_path,
              comparison: x.comparison_path,
              anomalyMap: typeof x.details?.anomalyMap === 'string' ? x.details.anomalyMap : null,
            },
            regions: (x.detected_regions ?? []) as Region[],
            details: x.details,
            guideGenerated: x.guide_generated,
            guideContent: x.guide_content,
          }
        : null,
      defectType,
      guide: defectType ? await this.guideFor(defectType.defectTypeId) : { cause: [], action: [], other: [] },
      actions: actions.rows.map(mapAction),
      feedbacks: feedbacks.rows.map(mapFeedback),
    };
  }

  async addAction(input: NewAction, actor?: SessionUser): Promise<ActionRow> {
    return withTransaction(this.read, async (c) => {
      const i = await c.query('select inspection_code from inspections where inspection_id = $1', [input.inspectionId]);
      if (!i.rowCount) throw new ApiError('not_found', `no inspection with id ${input.inspectionId}`);
      const r = await c.query(
        `insert into action_logs (inspection_id, action_taken, action_result, action_by, notes) values ($1, $2, $3, $4, $5)
         returning *, (select username from users where user_id = $4) as action_by_name`,
        [input.inspectionId, input.actionTaken, input.actionResult, userRef(actor), input.notes ?? null],
      );
      await writeAudit(c, actor, { action: 'inspection.action.create', table: 'action_logs', operation: 'INSERT', target: i.rows[0].inspection_code, after: input });
      return mapAction(r.rows[0]);
    });
  }

  async addFeedback(input: NewFeedback, actor?: SessionUser): Promise<FeedbackRow> {
    const i = await this.read.query('select 1 from inspections where inspection_id = $1', [input.inspectionId]);
    if (!i.rowCount) throw new ApiError('not_found', `no inspection with id ${input.inspectionId}`);
    const r = await this.read.query(
      `insert into feedbacks (inspection_id, user_id, rating, feedback_text, feedback_type) values ($1, $2, $3, $4, $5)
       returning *, (select username from users where user_id = $2) as username`,
      [input.inspectionId, userRef(actor), input.rating, input.feedbackText ?? null, input.feedbackType],
    );
    return mapFeedback(r.rows[0]);
  }

  /** People who have inspected, most inspections first (the history's inspector filter). */
  async listInspectors(): Promise<InspectorRow[]> {
    const r = await this.read.query(
      `select u.user_id, u.username, u.full_name, count(*)::int as n
       from inspections ins join users u on u.user_id = ins.inspector_id
       group by u.user_id, u.username, u.full_name order by n desc, u.username`,
    );
    return r.rows.map((x) => ({ userId: x.user_id, username: x.username, fullName: x.full_name ?? null, inspections: x.n }));
  }

  /** Defective inspections whose latest action is not `resolved`, oldest first (the worker's to-do list). */
  async pendingActions(opts: { productId?: number; limit?: number } = {}): Promise<InspectionListRow[]> {
    const params: unknown[] = [];
    let where = "where ins.action_status = 'pending' and ins.status = 'completed'";
    if (opts.productId) where += ` and ins.product_id = $${params.push(opts.productId)}`;
    const r = await this.read.query(inspectionPageSql(where, 'ins.inspection_date, ins.inspection_id', opts.limit ?? 100, 0), params);
    return r.rows.map(mapInspection);
  }

  // ------------------------------------------------------------------------------------------------ dashboard

  async dashboardStats(opts: { productId?: number } = {}): Promise<DashboardStatsRow[]> {
    const r = await this.read.query(`select * from dashboard_stats ${opts.productId ? 'where product_id = $1' : ''} order by product_code`, opts.productId ? [opts.productId] : []);
    return r.rows.map((x) => ({
      productId: x.product_id,
      productCode: x.product_code,
      productName: x.product_name,
      normalImageCount: Number(x.normal_image_count),
      defectImageCount: Number(x.defect_image_count),
      totalInspectionCount: Number(x.total_inspection_count),
      defectDetectedCount: Number(x.defect_detected_count),
      resolvedCount: Number(x.resolved_count),
      pendingActionCount: Number(x.pending_action_count),
      avgGuideRating: x.avg_guide_rating == null ? null : Number(x.avg_guide_rating),
      defectRate: Number(x.total_inspection_count) ? Number(x.defect_detected_count) / Number(x.total_inspection_count) : null,
      lastInspectionAt: iso(x.last_inspection_at),
    }));
  }

  /** Range defaults: the last 30 Seoul days up to now. */
  private range(q: RangeQuery, now = new Date()): { from: string; to: string } {
    const to = q.to ?? now.toISOString();
    const from = q.from ?? new Date(Date.parse(to) - 30 * 86400_000).toISOString();
    return { from, to };
  }

  /** Inspections and defects per Asia/Seoul day in [from, to), every day of the range present. */
  async defectRateByDay(q: RangeQuery, now?: Date): Promise<DefectRateDay[]> {
    const { from, to } = this.range(q, now);
    const r = await this.read.query(
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
      [from, to, q.productId ?? null],
    );
    return r.rows.map((x) => ({ day: x.day, total: x.total, defects: x.defects, rate: x.total ? x.defects / x.total : null }));
  }

  /** Defective inspections per defect type in [from, to), most frequent first; `null` type = unclassified. */
  async defectsByType(q: RangeQuery, now?: Date): Promise<DefectTypeShare[]> {
    const { from, to } = this.range(q, now);
    const r = await this.read.query(
      `select ins.defect_type_id, dt.defect_code, dt.defect_name_ko, dt.severity_level, count(*)::int as n
       from inspections ins
       left join defect_types dt on dt.defect_type_id = ins.defect_type_id
       where ins.status = 'completed' and ins.defect_detected and ins.inspection_date >= $1 and ins.inspection_date < $2 and ($3::int is null or ins.product_id = $3)
       group by 1, 2, 3, 4 order by n desc, dt.defect_code nulls last`,
      [from, to, q.productId ?? null],
    );
    const all = r.rows.reduce((s, x) => s + x.n, 0);
    return r.rows.map((x) => ({
      defectTypeId: x.defect_type_id,
      defectCode: x.defect_code,
      defectNameKo: x.defect_name_ko,
      severityLevel: x.severity_level,
      count: x.n,
      share: all ? x.n / all : 0,
    }));
  }

  // ------------------------------------------------------------------------------------------------ thresholds

  async getModelConfig(productId: number, q: Q = this.read): Promise<ModelConfigView> {
    const p = await q.query('select 1 from products where product_id = $1', [productId]);
    if (!p.rowCount) throw new ApiError('not_found', `no product with id ${productId}`);
    const r = await q.query(activeConfigSql('$1'), [productId]);
    const x = r.rows[0];
    return {
      configId: x?.config_id ?? null,
      productId,
      modelType: 'anomaly_detection',
      imageThreshold: x?.image_threshold ?? DEFAULT_IMAGE_THRESHOLD,
      pixelThreshold: x?.pixel_threshold ?? DEFAULT_PIXEL_THRESHOLD,
      preprocessing: x?.preprocessing ?? null,
      updatedAt: iso(x?.updated_at),
    };
  }

  async setThresholds(input: Thresholds, actor?: SessionUser): Promise<ModelConfigView> {
    return withTransaction(this.read, async (c) => {
      const before = await this.getModelConfig(input.productId, c);
      await c.query(
        `insert into model_configs (product_id, model_type, config_name, image_threshold, pixel_threshold)
         values ($1, 'anomaly_detection', 'default', $2, $3)
         on conflict (product_id, model_type) where is_active
         do update set image_threshold = excluded.image_threshold, pixel_threshold = excluded.pixel_threshold, updated_at = now()`,
        [input.productId, input.imageThreshold, input.pixelThreshold],
      );
      const after = await this.getModelConfig(input.productId, c);
      const code = (await c.query('select product_code from products where product_id = $1', [input.productId])).rows[0].product_code;
      await writeAudit(c, actor, {
        action: 'inspection.config.thresholds',
        table: 'model_configs',
        operation: before.configId ? 'UPDATE' : 'INSERT',
        target: code,
        before: { imageThreshold: before.imageThreshold, pixelThreshold: before.pixelThreshold },
        after: { imageThreshold: after.imageThreshold, pixelThreshold: after.pixelThreshold },
      });
      return after;
    });
  }

  // ------------------------------------------------------------------------------------------------ deployments

  async listDeployments(opts: { productId?: number; limit?: number } = {}): Promise<DeploymentRow[]> {
    const r = await this.read.query(
      `select d.*, p.product_code, u.username as deployed_by_name from deployments d
       left join products p on p.product_id = d.product_id left join users u on u.user_id = d.deployed_by
       where ($1::int is null or d.product_id = $1) order by d.created_at desc, d.deployment_id desc limit $2`,
      [opts.productId ?? null, opts.limit ?? 50],
    );
    return r.rows.map(mapDeployment);
  }

  async getDeployment(deploymentId: number): Promise<DeploymentRow> {
    const r = await this.read.query(
      `select d.*, p.product_code, u.username as deployed_by_name from deployments d
       left join products p on p.product_id = d.product_id left join users u on u.user_id = d.deployed_by where d.deployment_id = $1`,
      [deploymentId],
    );
    if (!r.rowCount) throw new ApiError('not_found', `no deployment with id ${deploymentId}`);
    return mapDeployment(r.rows[0]);
  }

  /** A new deployment in state `pending`; the job moves it on. */
  async createDeployment(type: 'patchcore_bank' | 'clip_embedding', productId: number, params: unknown, actor?: SessionUser): Promise<number> {
    return withTransaction(this.read, async (c) => {
      const r = await c.query<{ deployment_id: number }>(
        `insert into deployments (deployment_type, product_id, status, deployed_by, config_params) values ($1, $2, 'pending', $3, $4) returning deployment_id`,
        [type, productId, userRef(actor), JSON.stringify(params ?? {})],
      );
      const code = (await c.query('select product_code from products where product_id = $1', [productId])).rows[0]?.product_code;
      await writeAudit(c, actor, { action: `inspection.deployment.${type}`, table: 'deployments', operation: 'INSERT', target: code, after: { deploymentId: r.rows[0].deployment_id, params } });
      return r.rows[0].deployment_id;
    });
  }

  async markDeploymentRunning(deploymentId: number): Promise<void> {
    const r = await this.read.query("update deployments set status = 'running', started_at = now() where deployment_id = $1 and status = 'pending'", [deploymentId]);
    if (!r.rowCount) throw new ApiError('conflict', `deployment ${deploymentId} is not pending`);
  }

  async finishDeployment(deploymentId: number, outcome: { status: 'completed'; summary: unknown } | { status: 'failed' | 'cancelled'; error: string }): Promise<void> {
    if (outcome.status === 'completed')
      await this.read.query(
        "update deployments set status = 'completed', completed_at = now(), started_at = coalesce(started_at, now()), result_summary = $2 where deployment_id = $1",
        [deploymentId, JSON.stringify(outcome.summary)],
      );
    else
      await this.read.query('update deployments set status = $2, completed_at = now(), error_message = $3 where deployment_id = $1', [deploymentId, outcome.status, outcome.error.slice(0, 4000)]);
  }

  /**
   * What one inspection needs to know before it runs, in one round trip: the product (by id or code), whether it
   * is active, its current bank's deployment and file, and its thresholds (the design defaults without a config row).
   */
  async inspectionContext(ref: ProductRef): Promise<{
    productId: number;
    productCode: string;
    isActive: boolean;
    bank: { deploymentId: number; summary: { bank_path: string | null } } | null;
    imageThreshold: number;
    pixelThreshold: number;
  }> {
    const x = await queries.inspectionContext(this.read, ref);
    if (!x) throw new ApiError('not_found', 'productId' in ref ? `no product with id ${ref.productId}` : `no product ${ref.productCode}`);
    return {
      productId: x.product_id,
      productCode: x.product_code,
      isActive: x.is_active,
      bank: x.deployment_id == null ? null : { deploymentId: x.deployment_id, summary: { bank_path: x.bank_path } },
      imageThreshold: x.image_threshold ?? DEFAULT_IMAGE_THRESHOLD,
      pixelThreshold: x.pixel_threshold ?? DEFAULT_PIXEL_THRESHOLD,
    };
  }

  /** The latest completed bank deployment of a product, or null. */
  async currentBank(productId: number): Promise<{ deploymentId: number; summary: Record<string, any> } | null> {
    const r = await queries.currentBank(this.read, productId);
    return r ? { deploymentId: r.deployment_id, summary: r.result_summary } : null;
  }
}
