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
import { because } from '../api/reasons';
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
import { inspectionWhere, NEWEST_FIRST } from './queries';
import { removalsOf } from '../files/queries';
import { FileStore } from '../files/store';
import type { ImageProblem } from './engine/preprocess';
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
    const reason = (e as { reason?: ImageProblem }).reason;
    throw new ApiError('validation', (e as Error).message, because((reason ?? 'unreadable') as ImageProblem));
  }
  throw e;
}

// ---------------------------------------------------------------------------------------------------------------
// row mapping

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
    this.store = new ImageStore(deps.paths.images, new FileStore(() => this.job, deps.paths.images));
  }

  /** The plant's shared files (blobs in the database, this console's cache). */
  get files(): FileStore {
    return this.store.files!;
  }

  get read(): pg.Pool {
    return this.dbs.pool('inspection', 'read');
  }
  get job(): pg.Pool {
    return this.dbs.pool('inspection', 'job');
  }

  /** The outbox forwarder's pool: long statements allowed, never queued behind a resync or a file upload job. */
  get forward(): pg.Pool {
    return this.dbs.pool('inspection', 'forward');
  }

  // ------------------------------------------------------------------------------------------------ products

  async listProducts(opts: { includeInactive?: boolean } = {}): Promise<ProductRow[]> {
    return (await queries.listProductRows(this.read, Boolean(opts.includeInactive))).map(mapProduct);
  }

  async getProduct(ref: { productId: number } | { productCode: string }, q: Q = this.read): Promise<ProductRow> {
    const r = await queries.productRow(q, ref);
    if (!r) throw new ApiError('not_found', 'productId' in ref ? `no product with id ${ref.productId}` : `no product ${ref.productCode}`, because('product_not_found', { product: 'productId' in ref ? ref.productId : ref.productCode }));
    return mapProduct(r);
  }

  async findProduct(code: string): Promise<ProductRow | null> {
    const r = await queries.productRow(this.read, { productCode: code });
    return r ? mapProduct(r) : null;
  }

  async createProduct(input: NewProduct, actor?: SessionUser): Promise<ProductRow> {
    return withTransaction(this.read, async (c) => {
      const dupe = await queries.productCodeIgnoringCase(c, input.productCode);
      if (dupe !== undefined) throw new ApiError('conflict', `product ${dupe} already exists`, because('product_exists', { productCode: dupe }));
      const productId = await queries.insertProduct(c, {
        productCode: input.productCode,
        productName: input.productName,
        description: input.description ?? null,
        category: input.category ?? null,
        createdBy: userRef(actor),
      });
      await queries.insertDefaultModelConfig(c, productId, DEFAULT_IMAGE_THRESHOLD, DEFAULT_PIXEL_THRESHOLD);
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
      const before = await queries.lockProduct(c, input.productId);
      if (!before) throw new ApiError('not_found', `no product with id ${input.productId}`, because('product_not_found', { product: input.productId }));
      await queries.updateProductRow(c, {
        productId: input.productId,
        productName: input.productName ?? null,
        setDescription: input.description !== undefined,
        description: input.description ?? null,
        setCategory: input.category !== undefined,
        category: input.category ?? null,
        isActive: input.isActive ?? null,
      });
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
    return (await queries.listDefectTypeRows(this.read, productId, Boolean(opts.includeInactive))).map(mapDefectType);
  }

  async getDefectType(defectTypeId: number, q: Q = this.read): Promise<DefectTypeRow> {
    const r = await queries.defectTypeRow(q, defectTypeId);
    if (!r) throw new ApiError('not_found', `no defect type with id ${defectTypeId}`, because('defect_type_not_found', { defectTypeId }));
    return mapDefectType(r);
  }

  async createDefectType(input: NewDefectType, actor?: SessionUser): Promise<DefectTypeRow> {
    return withTransaction(this.read, async (c) => {
      const productCode = await queries.productCodeOf(c, input.productId);
      if (productCode === undefined) throw new ApiError('not_found', `no product with id ${input.productId}`, because('product_not_found', { product: input.productId }));
      if (await queries.defectCodeTaken(c, input.productId, input.defectCode)) throw new ApiError('conflict', `${productCode} already has a defect type ${input.defectCode}`, because('defect_code_taken', { productCode, defectCode: input.defectCode }));
      const row = mapDefectType(
        await queries.insertDefectType(c, {
          productId: input.productId,
          defectCode: input.defectCode,
          defectNameKo: input.defectNameKo,
          defectNameEn: input.defectNameEn ?? null,
          fullNameKo: input.fullNameKo ?? null,
          description: input.description ?? null,
          severityLevel: input.severityLevel,
        }),
      );
      await writeAudit(c, actor, { action: 'inspection.defectType.create', table: 'defect_types', operation: 'INSERT', target: `${productCode}/${input.defectCode}`, after: input });
      return row;
    });
  }

  async updateDefectType(input: DefectTypePatch, actor?: SessionUser): Promise<DefectTypeRow> {
    return withTransaction(this.read, async (c) => {
      const b = await queries.lockDefectType(c, input.defectTypeId);
      if (!b) throw new ApiError('not_found', `no defect type with id ${input.defectTypeId}`, because('defect_type_not_found', { defectTypeId: input.defectTypeId }));
      const r = await queries.updateDefectTypeRow(c, {
        defectTypeId: input.defectTypeId,
        defectNameKo: input.defectNameKo ?? null,
        setDefectNameEn: input.defectNameEn !== undefined,
        defectNameEn: input.defectNameEn ?? null,
        setFullNameKo: input.fullNameKo !== undefined,
        fullNameKo: input.fullNameKo ?? null,
        setDescription: input.description !== undefined,
        description: input.description ?? null,
        severityLevel: input.severityLevel ?? null,
        isActive: input.isActive ?? null,
      });
      const before = mapDefectType(b);
      const after = mapDefectType(r);
      await writeAudit(c, actor, {
        action: 'inspection.defectType.update',
        table: 'defect_types',
        operation: 'UPDATE',
        target: `${b.product_code}/${before.defectCode}`,
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
    if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) throw new ApiError('validation', `not a manual file: ${rel}`, because('manual_file_refused', { file: rel }));
    return p;
  }

  async listManuals(productId: number, opts: { includeInactive?: boolean } = {}): Promise<ManualRow[]> {
    return (await queries.listManualRows(this.read, productId, Boolean(opts.includeInactive))).map(mapManual);
  }

  async getManual(manualId: number, q: Q = this.read): Promise<ManualDetail> {
    const r = await queries.manualRow(q, manualId);
    if (!r) throw new ApiError('not_found', `no manual with id ${manualId}`, because('manual_not_found', { manualId }));
    const s = await queries.manualSectionRows(q, manualId);
    return { ...mapManual(r), sections: s.map(mapSection) };
  }

  async createManual(input: NewManual, actor?: SessionUser): Promise<ManualDetail> {
    const code = await queries.productCodeOf(this.read, input.productId);
    if (code === undefined) throw new ApiError('not_found', `no product with id ${input.productId}`, because('product_not_found', { product: input.productId }));
    const productCode: string = code;
    // the file goes in first (content-addressed); a failed insert leaves at most an unreferenced file
    let file: { rel: string; name: string; size: number; type: string; bytes: Buffer; sha: string } | null = null;
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
      if (!(MANUAL_TYPES as readonly string[]).includes(ext)) throw new ApiError('validation', `manual files are ${MANUAL_TYPES.join(', ')}; ${name} is not`, because('manual_type', { name, types: MANUAL_TYPES.join(', ') }));
      if (raw.bytes.length > MAX_IMAGE_BYTES) throw new ApiError('validation', `${name} is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`, because('file_too_large', { name, maxMb: MAX_IMAGE_BYTES / 1024 / 1024 }));
      const sha = crypto.createHash('sha256').update(raw.bytes).digest('hex');
      const rel = `manuals/${productCode}/${sha}.${ext}`;
      writeAtomic(this.manualFile(rel), raw.bytes);
      file = { rel, name, size: raw.bytes.length, type: ext.toUpperCase(), bytes: raw.bytes, sha };
    }
    return withTransaction(this.read, async (c) => {
      if (input.version) {
        if (await queries.manualVersionTaken(c, input.productId, input.version)) throw new ApiError('conflict', `${productCode} already has a manual version ${input.version}`, because('manual_version_taken', { version: input.version }));
      }
      const manualId = await queries.insertManual(c, {
        productId: input.productId,
        manualTitle: input.manualTitle,
        fileName: file?.name ?? 'pending.md',
        filePath: file?.rel ?? 'manuals/pending.md',
        fileSize: file?.size ?? null,
        fileType: file?.type ?? 'MD',
        version: input.version ?? null,
        uploadedBy: userRef(actor),
      });
      if (!file) await this.renderManual(c, manualId);
      // an uploaded file's blob with its row (a written manual is drawn again from its sections)
      else await this.files.putSmall([{ bytes: file.bytes, kind: 'manual', sha256: file.sha }], c);
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
    const man = await queries.manualWithProduct(c, manualId);
    if (!man || (man.file_type !== 'MD' || !/^manuals\/[^/]+\/manual-\d+\.md$|^manuals\/pending\.md$/.test(man.file_path))) return;
    const s = await queries.manualSectionRows(c, manualId);
    const label = { cause: '발생 원인 (cause)', action: '조치 가이드 (action)', other: '기타 (other)' } as const;
    const lines = [`# ${man.manual_title}`, '', `- 제품: ${man.product_name} (${man.product_code})`, `- 버전: ${man.version ?? '-'}`, ''];
    for (const r of s.map(mapSection)) {
      lines.push(`## ${r.sectionTitle ?? label[r.sectionType]}${r.defectCode ? ` — ${r.defectCode}` : ''}`, '', `_${label[r.sectionType]}_`, '', r.sectionContent, '');
    }
    const text = `${lines.join('\n').trimEnd()}\n`;
    const rel = `manuals/${man.product_code}/manual-${manualId}.md`;
    writeAtomic(this.manualFile(rel), text);
    const name = `${safeFileName(man.manual_title).replace(/\.md$/i, '')}.md`;
    await queries.setManualFile(c, manualId, rel, name, Buffer.byteLength(text));
  }

  async updateManual(input: ManualPatch, actor?: SessionUser): Promise<ManualDetail> {
    return withTransaction(this.read, async (c) => {
      const b = await queries.lockManual(c, input.manualId);
      if (!b) throw new ApiError('not_found', `no manual with id ${input.manualId}`, because('manual_not_found', { manualId: input.manualId }));
      if (input.version) {
        if (await queries.otherManualHasVersion(c, b.product_id, input.version, input.manualId)) throw new ApiError('conflict', `this product already has a manual version ${input.version}`, because('manual_version_taken', { version: input.version }));
      }
      await queries.updateManualRow(c, {
        manualId: input.manualId,
        manualTitle: input.manualTitle ?? null,
        setVersion: input.version !== undefined,
        version: input.version ?? null,
        isActive: input.isActive ?? null,
      });
      await this.renderManual(c, input.manualId);
      const row = await this.getManual(input.manualId, c);
      await writeAudit(c, actor, {
        action: 'inspection.manual.update',
        table: 'manuals',
        operation: 'UPDATE',
        target: String(input.manualId),
        before: { manualTitle: b.manual_title, version: b.version, isActive: b.is_active },
        after: { manualTitle: row.manualTitle, version: row.version, isActive: row.isActive },
      });
      return row;
    });
  }

  async deleteManual(manualId: number, actor?: SessionUser): Promise<{ deleted: boolean }> {
    return withTransaction(this.read, async (c) => {
      const b = await queries.lockManual(c, manualId);
      if (!b) throw new ApiError('not_found', `no manual with id ${manualId}`, because('manual_not_found', { manualId }));
      const sections = await queries.manualSectionsForAudit(c, manualId);
      await queries.deleteManualRow(c, manualId);
      await writeAudit(c, actor, {
        action: 'inspection.manual.delete',
        table: 'manuals',
        operation: 'DELETE',
        target: String(manualId),
        before: { manualTitle: b.manual_title, version: b.version, filePath: b.file_path, sections },
      });
      return { deleted: true };
    });
  }

  private async checkSectionDefectType(c: Q, manualId: number, defectTypeId: number | null | undefined): Promise<void> {
    if (defectTypeId == null) return;
    if (!(await queries.defectTypeOfManualProduct(c, defectTypeId, manualId))) throw new ApiError('validation', `defect type ${defectTypeId} does not belong to this manual's product`, because('defect_type_other_product', { defectTypeId }));
  }

  async createSection(input: NewSection, actor?: SessionUser): Promise<SectionRow> {
    return withTransaction(this.read, async (c) => {
      if (!(await queries.lockManualId(c, input.manualId))) throw new ApiError('not_found', `no manual with id ${input.manualId}`, because('manual_not_found', { manualId: input.manualId }));
      await this.checkSectionDefectType(c, input.manualId, input.defectTypeId);
      const sectionId = await queries.insertSection(c, {
        manualId: input.manualId,
        defectTypeId: input.defectTypeId ?? null,
        sectionType: input.sectionType,
        sectionTitle: input.sectionTitle ?? null,
        sectionContent: input.sectionContent,
        pageNumber: input.pageNumber ?? null,
        chunkIndex: input.chunkIndex ?? null,
      });
      await this.renderManual(c, input.manualId);
      const row = mapSection((await queries.sectionRow(c, sectionId))!);
      await writeAudit(c, actor, { action: 'inspection.section.create', table: 'manual_sections', operation: 'INSERT', target: String(row.sectionId), after: input });
      return row;
    });
  }

  async updateSection(input: SectionPatch, actor?: SessionUser): Promise<SectionRow> {
    return withTransaction(this.read, async (c) => {
      const b = await queries.lockSection(c, input.sectionId);
      if (!b) throw new ApiError('not_found', `no section with id ${input.sectionId}`, because('section_not_found', { sectionId: input.sectionId }));
      const before = mapSection(b);
      if (input.defectTypeId !== undefined) await this.checkSectionDefectType(c, before.manualId, input.defectTypeId);
      await queries.updateSectionRow(c, {
        sectionId: input.sectionId,
        setDefectTypeId: input.defectTypeId !== undefined,
        defectTypeId: input.defectTypeId ?? null,
        sectionType: input.sectionType ?? null,
        setSectionTitle: input.sectionTitle !== undefined,
        sectionTitle: input.sectionTitle ?? null,
        sectionContent: input.sectionContent ?? null,
        setPageNumber: input.pageNumber !== undefined,
        pageNumber: input.pageNumber ?? null,
        setChunkIndex: input.chunkIndex !== undefined,
        chunkIndex: input.chunkIndex ?? null,
      });
      await this.renderManual(c, before.manualId);
      const after = mapSection((await queries.sectionRow(c, input.sectionId))!);
      await writeAudit(c, actor, { action: 'inspection.section.update', table: 'manual_sections', operation: 'UPDATE', target: String(input.sectionId), before, after });
      return after;
    });
  }

  async deleteSection(sectionId: number, actor?: SessionUser): Promise<{ deleted: boolean }> {
    return withTransaction(this.read, async (c) => {
      const b = await queries.lockSection(c, sectionId);
      if (!b) throw new ApiError('not_found', `no section with id ${sectionId}`, because('section_not_found', { sectionId }));
      const before = mapSection(b);
      await queries.deleteSectionRow(c, sectionId);
      await this.renderManual(c, before.manualId);
      await writeAudit(c, actor, { action: 'inspection.section.delete', table: 'manual_sections', operation: 'DELETE', target: String(sectionId), before });
      return { deleted: true };
    });
  }

  /** The guide for a defect type: the sections of the product's active manuals tagged with it. */
  async guideFor(defectTypeId: number, q: Q = this.read): Promise<{ cause: SectionRow[]; action: SectionRow[]; other: SectionRow[] }> {
    const rows = (await queries.guideSectionRows(q, defectTypeId)).map(mapSection);
    return { cause: rows.filter((x) => x.sectionType === 'cause'), action: rows.filter((x) => x.sectionType === 'action'), other: rows.filter((x) => x.sectionType === 'other') };
  }

  // ------------------------------------------------------------------------------------------------ images

  async listImages(query: ImageListQuery): Promise<{ rows: ImageRow[]; total: number }> {
    const r = await queries.listImageRows(this.read, query);
    return { rows: r.rows.map(mapImage), total: r.total };
  }

  async getImage(imageId: number, q: Q = this.read): Promise<ImageRow> {
    const r = await queries.imageRow(q, imageId);
    if (!r) throw new ApiError('not_found', `no image with id ${imageId}`, because('image_not_found', { imageId }));
    return mapImage(r);
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
      const productCode = await queries.productCodeOf(c, input.productId);
      if (productCode === undefined) throw new ApiError('not_found', `no product with id ${input.productId}`, because('product_not_found', { product: input.productId }));
      if (input.imageType === 'defect') {
        if (!(await queries.defectTypeOfProduct(c, input.defectTypeId, input.productId))) throw new ApiError('validation', `defect type ${input.defectTypeId} does not belong to ${productCode}`, because('defect_type_other_product', { defectTypeId: String(input.defectTypeId) }));
      }
      return this.insertReferenceImage(c, input.productId, input.imageType, input.defectTypeId ?? null, stored, actor, productCode);
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
    await queries.lockImageContent(c, productId, stored.sha256);
    const s = await queries.activeReferenceWithContent(c, productId, stored.sha256);
    if (s) {
      if (s.image_type === imageType && (s.defect_type_id ?? null) === defectTypeId) return { ...(await this.getImage(s.image_id, c)), existed: true };
      throw new ApiError('conflict', `this image is already a ${s.image_type} reference of ${productCode} (image ${s.image_id}); deactivate it first`, because('already_reference', { imageType: s.image_type, productCode, imageId: s.image_id }));
    }
    const imageId = await queries.insertReferenceImageRow(c, {
      productId,
      imageType,
      defectTypeId,
      fileName: stored.fileName,
      filePath: stored.relPath,
      sha256: stored.sha256,
      fileSize: stored.bytes.length,
      width: stored.width,
      height: stored.height,
      format: stored.format.toUpperCase(),
      uploadedBy: userRef(actor),
    });
    await queries.insertImageMetadata(c, imageId, JSON.stringify(stored.meta));
    // the picture's blob with its row (idempotent): every console on the database can fetch it
    await this.files.putSmall([{ bytes: stored.bytes, kind: 'reference', sha256: stored.sha256 }], c);
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
      const img = await queries.lockImage(c, imageId);
      if (!img) throw new ApiError('not_found', `no image with id ${imageId}`, because('image_not_found', { imageId }));
      if (img.image_type === 'test') throw new ApiError('validation', 'inspected images are history; only reference images can be (de)activated', because('history_image'));
      if (img.is_active === isActive) return this.getImage(imageId, c);
      if (isActive) {
        const same = await queries.activeImageIdWithContent(c, img.product_id, img.sha256);
        if (same !== undefined) throw new ApiError('conflict', `the same image is already active as image ${same}`, because('same_image_active', { imageId: same }));
      }
      await queries.setImageActiveRow(c, imageId, isActive);
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
  async readStoredFile(rel: string): Promise<{ path: string; mime: string; size: number; base64: string }> {
    let abs: string;
    try {
      this.store.abs(rel);
      // another station's file is fetched from the plant database by its content address
      abs = await this.store.local(rel);
    } catch (e) {
      if ((e as Error).name === 'FileNotStoredError') {
        // a picture retention removed says so, with the date (decisions.md, Plant rule 5)
        const [removed] = await removalsOf(this.read, [rel]).catch(() => []);
        if (removed) throw new ApiError('not_found', `removed by retention (${removed.removed_at.toISOString()})`, { ...because('removed_by_retention', { removedAt: removed.removed_at.toISOString() }), removedAt: removed.removed_at.toISOString() });
        throw new ApiError('not_found', `no stored file ${rel}`, because('stored_file_missing', { file: rel }));
      }
      return asInputError(e);
    }
    if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new ApiError('not_found', `no stored file ${rel}`, because('stored_file_missing', { file: rel }));
    const bytes = fs.readFileSync(abs);
    return { path: rel, mime: mimeOf(abs), size: bytes.length, base64: bytes.toString('base64') };
  }

  // ------------------------------------------------------------------------------------------------ inspections

  async listInspections(query: InspectionListQuery): Promise<{ rows: InspectionListRow[]; total: number }> {
    const w = inspectionWhere(query);
    const [total, rows] = await Promise.all([queries.countInspections(this.read, w), queries.inspectionPage(this.read, w, NEWEST_FIRST, query.limit, query.offset)]);
    return { rows: rows.map(mapInspection), total };
  }

  /** The history as CSV (UTF-8 with BOM so spreadsheets read Korean), at most 100 000 rows, newest first. */
  async exportInspectionsCsv(filter: InspectionFilter): Promise<{ fileName: string; csv: string; rows: number }> {
    const w = inspectionWhere(filter);
    const rows = await queries.inspectionPage(this.job, w, NEWEST_FIRST, 100_000, 0, ', ir.raw_anomaly_score, ir.image_threshold');
    const header = [
      'inspection_code', 'inspection_date_utc', 'inspection_date_kst', 'product_code', 'product_name', 'verdict', 'defect_code', 'defect_name_ko',
      'severity_level', 'anomaly_score', 'confidence_score', 'similarity_score', 'raw_anomaly_score', 'image_threshold', 'inspector', 'source',
      'action_status', 'processing_time_s',
    ];
    const lines = [header.join(',')];
    for (const raw of rows) {
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
    return { fileName: `inspections-${filter.productCode ?? (filter.productId ? `p${filter.productId}` : 'all')}-${stamp}.csv`, csv: `\uFEFF${lines.join('\r\n')}\r\n`, rows: rows.length };
  }

  async getInspection(ref: { inspectionId: number } | { inspectionCode: string }): Promise<InspectionDetail> {
    const q = this.read;
    const extra = ', ins.test_image_id, ins.reference_image_id, ins.deployment_id';
    const [row] =
      'inspectionId' in ref
        ? await queries.inspectionPage(q, { sql: 'where ins.inspection_id = $1', params: [ref.inspectionId] }, NEWEST_FIRST, 1, 0, extra)
        : await queries.inspectionPage(q, { sql: 'where ins.inspection_code = $1', params: [ref.inspectionCode] }, NEWEST_FIRST, 1, 0, extra);
    if (!row) throw new ApiError('not_found', 'inspectionId' in ref ? `no inspection with id ${ref.inspectionId}` : `no inspection ${ref.inspectionCode}`, because('inspection_not_found', { inspection: 'inspectionId' in ref ? ref.inspectionId : ref.inspectionCode }));
    const base = mapInspection(row);
    const [x, actions, feedbacks] = await Promise.all([queries.firstResultRow(q, base.inspectionId), queries.actionRows(q, base.inspectionId), queries.feedbackRows(q, base.inspectionId)]);
    const testImage = row.test_image_id ? await this.getImage(row.test_image_id) : null;
    const referenceImage = row.reference_image_id ? await this.getImage(row.reference_image_id) : null;
    // retention removes an inspection's pictures together: its image's record says when
    const removed = testImage ? await removalsOf(q, [testImage.filePath]) : [];
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
      actions: actions.map(mapAction),
      feedbacks: feedbacks.map(mapFeedback),
      picturesRemovedAt: removed[0]?.removed_at.toISOString() ?? null,
    };
  }

  /** `journaled`: the UUID and the station's time of an action the station journaled (follow-ups.ts). */
  async addAction(input: Omit<NewAction, 'clientUuid'> & { inspectionId: number }, actor?: SessionUser, journaled?: { clientUuid: string; at: string }): Promise<ActionRow> {
    return withTransaction(this.read, async (c) => {
      const code = await queries.inspectionCodeOf(c, input.inspectionId);
      if (code === undefined) throw new ApiError('not_found', `no inspection with id ${input.inspectionId}`, because('inspection_not_found', { inspection: input.inspectionId }));
      const r = await queries.insertAction(c, {
        inspectionId: input.inspectionId,
        actionTaken: input.actionTaken,
        actionResult: input.actionResult,
        actionBy: userRef(actor),
        notes: input.notes ?? null,
        clientUuid: journaled?.clientUuid,
        at: journaled?.at,
      });
      await writeAudit(c, actor, { action: 'inspection.action.create', table: 'action_logs', operation: 'INSERT', target: code, after: input });
      return mapAction(r);
    });
  }

  async addFeedback(input: Omit<NewFeedback, 'clientUuid'> & { inspectionId: number }, actor?: SessionUser, journaled?: { clientUuid: string; at: string }): Promise<FeedbackRow> {
    if (!(await queries.inspectionExists(this.read, input.inspectionId))) throw new ApiError('not_found', `no inspection with id ${input.inspectionId}`, because('inspection_not_found', { inspection: input.inspectionId }));
    const r = await queries.insertFeedback(this.read, {
      inspectionId: input.inspectionId,
      userId: userRef(actor),
      rating: input.rating,
      feedbackText: input.feedbackText ?? null,
      feedbackType: input.feedbackType,
      clientUuid: journaled?.clientUuid,
      at: journaled?.at,
    });
    return mapFeedback(r);
  }

  /** People who have inspected, most inspections first (the history's inspector filter). */
  async listInspectors(): Promise<InspectorRow[]> {
    const r = await queries.inspectorRows(this.read);
    return r.map((x) => ({ userId: x.user_id, username: x.username, fullName: x.full_name ?? null, inspections: x.n }));
  }

  /** Defective inspections whose latest action is not `resolved`, oldest first (the worker's to-do list). */
  async pendingActions(opts: { productId?: number; limit?: number } = {}): Promise<InspectionListRow[]> {
    const params: unknown[] = [];
    let where = "where ins.action_status = 'pending' and ins.status = 'completed'";
    if (opts.productId) where += ` and ins.product_id = $${params.push(opts.productId)}`;
    const rows = await queries.inspectionPage(this.read, { sql: where, params }, 'ins.inspection_date, ins.inspection_id', opts.limit ?? 100, 0);
    return rows.map(mapInspection);
  }

  // ------------------------------------------------------------------------------------------------ dashboard

  async dashboardStats(opts: { productId?: number } = {}): Promise<DashboardStatsRow[]> {
    const r = await queries.dashboardStatsRows(this.read, opts.productId);
    return r.map((x) => ({
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
    const r = await queries.defectRateRows(this.read, from, to, q.productId ?? null);
    return r.map((x) => ({ day: x.day, total: x.total, defects: x.defects, rate: x.total ? x.defects / x.total : null }));
  }

  /** Defective inspections per defect type in [from, to), most frequent first; `null` type = unclassified. */
  async defectsByType(q: RangeQuery, now?: Date): Promise<DefectTypeShare[]> {
    const { from, to } = this.range(q, now);
    const r = await queries.defectsByTypeRows(this.read, from, to, q.productId ?? null);
    const all = r.reduce((s, x) => s + x.n, 0);
    return r.map((x) => ({
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
    if (!(await queries.productExists(q, productId))) throw new ApiError('not_found', `no product with id ${productId}`, because('product_not_found', { product: productId }));
    const x = await queries.activeModelConfig(q, productId);
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
      await queries.upsertThresholds(c, input.productId, input.imageThreshold, input.pixelThreshold);
      const after = await this.getModelConfig(input.productId, c);
      const code = (await queries.productCodeOf(c, input.productId))!;
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
    return (await queries.listDeploymentRows(this.read, opts.productId ?? null, opts.limit ?? 50)).map(mapDeployment);
  }

  async getDeployment(deploymentId: number): Promise<DeploymentRow> {
    const r = await queries.deploymentRow(this.read, deploymentId);
    if (!r) throw new ApiError('not_found', `no deployment with id ${deploymentId}`, because('deployment_not_found', { deploymentId }));
    return mapDeployment(r);
  }

  /** A new deployment in state `pending`; the job moves it on. */
  async createDeployment(type: 'patchcore_bank' | 'clip_embedding', productId: number, params: unknown, actor?: SessionUser): Promise<number> {
    return withTransaction(this.read, async (c) => {
      const deploymentId = await queries.insertDeployment(c, { type, productId, deployedBy: userRef(actor), configParams: JSON.stringify(params ?? {}) });
      const code = await queries.productCodeOf(c, productId);
      await writeAudit(c, actor, { action: `inspection.deployment.${type}`, table: 'deployments', operation: 'INSERT', target: code, after: { deploymentId, params } });
      return deploymentId;
    });
  }

  async markDeploymentRunning(deploymentId: number): Promise<void> {
    if (!(await queries.markDeploymentRunning(this.read, deploymentId))) throw new ApiError('conflict', `deployment ${deploymentId} is not pending`, because('deployment_not_pending', { deploymentId }));
  }

  async finishDeployment(deploymentId: number, outcome: { status: 'completed'; summary: unknown } | { status: 'failed' | 'cancelled'; error: string }): Promise<void> {
    if (outcome.status === 'completed') await queries.completeDeployment(this.read, deploymentId, JSON.stringify(outcome.summary));
    else await queries.endDeployment(this.read, deploymentId, outcome.status, outcome.error.slice(0, 4000));
  }

  /**
   * What one inspection needs to know before it runs, in one round trip: the product (by id or code), whether it
   * is active, its current bank's deployment and file, and its thresholds (the design defaults without a config row).
   */
  async inspectionContext(ref: ProductRef): Promise<{
    productId: number;
    productCode: string;
    isActive: boolean;
    bank: { deploymentId: number; summary: { bank_path: string | null; bank_sha256: string | null } } | null;
    imageThreshold: number;
    pixelThreshold: number;
  }> {
    const x = await queries.inspectionContext(this.read, ref);
    if (!x) throw new ApiError('not_found', 'productId' in ref ? `no product with id ${ref.productId}` : `no product ${ref.productCode}`, because('product_not_found', { product: 'productId' in ref ? ref.productId : ref.productCode }));
    return {
      productId: x.product_id,
      productCode: x.product_code,
      isActive: x.is_active,
      bank: x.deployment_id == null ? null : { deploymentId: x.deployment_id, summary: { bank_path: x.bank_path, bank_sha256: x.bank_sha256 } },
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
