/** Procedures of the inspection workspace. Names are `inspection.<noun>[.<verb>]`; see main/api/kit.ts for proc(). */
import { z } from 'zod';
import { proc, type ProcedureTable } from '../api/kit';
import type {
  OutboxItem,
  QueuedFollowUp,
  ActionRow,
  DashboardStatsRow,
  DefectRateDay,
  DefectTypeRow,
  DefectTypeShare,
  DeploymentRow,
  FeedbackRow,
  ImageRow,
  InspectionDetail,
  InspectionListRow,
  InspectOutcome,
  InspectorRow,
  ManualDetail,
  ManualRow,
  ModelConfigView,
  ProductRow,
  SectionRow,
  ThresholdPreview,
  WatchFolderRow,
  WatchQueueState,
} from './types';

const id = z.number().int().positive();
const isoDateTime = z.iso.datetime({ offset: true });
const trimmed = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

export const productCodeSchema = z
  .string()
  .trim()
  .min(2, 'at least 2 characters')
  .max(50)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only (it names the model folder)');
export const defectCodeSchema = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, dash and underscore only (e.g. hole, burr, scratch)');

/**
 * Bytes of an upload: a Uint8Array (Buffer included) as IPC's structured clone and the browser host's multipart
 * parts deliver them. The renderer sends this form; base64 stays for the CLI and JSON callers.
 */
const bytesSchema = z.instanceof(Uint8Array, { message: 'expected the bytes of a file' }).refine((b) => b.byteLength > 0, 'the file is empty');
/** An image: its bytes, base64 (a data: URL is fine) or a path on this station. */
export const imageInputSchema = z.union([
  z.object({ bytes: bytesSchema, fileName: z.string().max(255).optional() }),
  z.object({ base64: z.string().min(1, 'the image is empty'), fileName: z.string().max(255).optional() }),
  z.object({ path: z.string().trim().min(1, 'give a file path'), fileName: z.string().max(255).optional() }),
]);
/** A manual file: its bytes, base64 or a path, with its name (the extension gives the type). */
export const fileInputSchema = z.union([
  z.object({ bytes: bytesSchema, fileName: z.string().trim().min(1).max(255) }),
  z.object({ base64: z.string().min(1), fileName: z.string().trim().min(1).max(255) }),
  z.object({ path: z.string().trim().min(1), fileName: z.string().trim().max(255).optional() }),
]);

/** One product by id or by code. */
export const productRefSchema = z.union([z.object({ productId: id }), z.object({ productCode: productCodeSchema })]);

export const newProductSchema = z.object({
  productCode: productCodeSchema,
  productName: trimmed(100),
  description: optionalText(4000),
  category: optionalText(50),
});
export const productPatchSchema = z.object({
  productId: id,
  productName: trimmed(100).optional(),
  description: optionalText(4000),
  category: optionalText(50),
  isActive: z.boolean().optional(),
});

export const newDefectTypeSchema = z.object({
  productId: id,
  defectCode: defectCodeSchema,
  defectNameKo: trimmed(100),
  defectNameEn: optionalText(100),
  fullNameKo: optionalText(200),
  description: optionalText(4000),
  severityLevel: z.number().int().min(1, 'severity is 1..5').max(5, 'severity is 1..5').default(3),
});
export const defectTypePatchSchema = z.object({
  defectTypeId: id,
  defectNameKo: trimmed(100).optional(),
  defectNameEn: optionalText(100),
  fullNameKo: optionalText(200),
  description: optionalText(4000),
  severityLevel: z.number().int().min(1).max(5).optional(),
  isActive: z.boolean().optional(),
});

export const newManualSchema = z.object({
  productId: id,
  manualTitle: trimmed(200),
  version: z.string().trim().min(1).max(20).nullable().optional(),
  /** the manual's file; without one, the station writes the manual's sections as a Markdown file */
  file: fileInputSchema.optional(),
});
export const manualPatchSchema = z.object({
  manualId: id,
  manualTitle: trimmed(200).optional(),
  version: z.string().trim().min(1).max(20).nullable().optional(),
  isActive: z.boolean().optional(),
});
export const sectionTypeSchema = z.enum(['cause', 'action', 'other']);
export const newSectionSchema = z.object({
  manualId: id,
  defectTypeId: id.nullable().optional(),
  sectionType: sectionTypeSchema,
  sectionTitle: optionalText(200),
  sectionContent: trimmed(20000),
  pageNumber: z.number().int().min(1).nullable().optional(),
  chunkIndex: z.number().int().min(0).nullable().optional(),
});
export const sectionPatchSchema = z.object({
  sectionId: id,
  defectTypeId: id.nullable().optional(),
  sectionType: sectionTypeSchema.optional(),
  sectionTitle: optionalText(200),
  sectionContent: trimmed(20000).optional(),
  pageNumber: z.number().int().min(1).nullable().optional(),
  chunkIndex: z.number().int().min(0).nullable().optional(),
});

export const newReferenceImageSchema = z
  .object({
    productId: id,
    imageType: z.enum(['normal', 'defect']),
    defectTypeId: id.nullable().optional(),
    image: imageInputSchema,
  })
  .refine((v) => (v.imageType === 'defect') === (v.defectTypeId != null), {
    message: 'a defect image needs its defectTypeId; a normal image has none',
    path: ['defectTypeId'],
  });
export const imageListSchema = z.object({
  productId: id,
  imageType: z.enum(['normal', 'defect', 'test']).optional(),
  defectTypeId: id.optional(),
  includeInactive: z.boolean().default(false),
  limit: z.number().int().min(1).max(1000).default(200),
  offset: z.number().int().min(0).default(0),
});

export const inspectionFilterSchema = z
  .object({
    productId: id.optional(),
    productCode: productCodeSchema.optional(),
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    verdict: z.enum(['defect', 'normal']).optional(),
    actionStatus: z.enum(['resolved', 'pending', 'none']).optional(),
    inspectorId: id.optional(),
    defectTypeId: id.optional(),
    source: z.enum(['upload', 'camera', 'watch', 'cli']).optional(),
    /** part of an inspection code */
    q: z.string().trim().max(50).optional(),
  })
  .refine((v) => !v.from || !v.to || Date.parse(v.from) < Date.parse(v.to), { message: '`from` must be before `to`', path: ['to'] });
export const inspectionListSchema = z.intersection(
  inspectionFilterSchema,
  z.object({ limit: z.number().int().min(1).max(1000).default(100), offset: z.number().int().min(0).default(0) }),
);
export const inspectionRefSchema = z.union([z.object({ inspectionId: id }), z.object({ inspectionCode: z.string().trim().regex(/^INS-\d{8}-\d{4,}$/, 'like INS-20260301-0001') })]);

export const inspectSchema = z.intersection(
  productRefSchema,
  z.object({
    image: imageInputSchema,
    source: z.enum(['upload', 'camera', 'watch', 'cli']).default('upload'),
    /**
     * wait up to 1.5 s for the database to take the result and answer with its code (the command line always does);
     * by default the verdict is answered at once and the code follows as `inspection.stored`
     */
    wait: z.boolean().default(false),
  }),
);
/**
 * The inspection an action or feedback is about: its id, or — while it waits in the station's outbox — the UUID
 * the station gave it (the action then queues behind it).
 */
const followUpTarget = { inspectionId: id.optional(), clientUuid: z.string().uuid('a UUID').optional() };
const oneTarget = (x: { inspectionId?: number; clientUuid?: string }) => (x.inspectionId == null) !== (x.clientUuid == null);
const oneTargetMessage = { message: 'give inspectionId or clientUuid (one of them)', path: ['inspectionId'] };
export const newActionSchema = z
  .object({
    ...followUpTarget,
    actionTaken: trimmed(4000),
    actionResult: z.enum(['resolved', 'pending', 'failed', 'deferred']),
    notes: optionalText(4000),
  })
  .refine(oneTarget, oneTargetMessage);
export const newFeedbackSchema = z
  .object({
    ...followUpTarget,
    rating: z.number().int().min(1, 'rating is 1..5').max(5, 'rating is 1..5'),
    feedbackText: optionalText(4000),
    feedbackType: z.enum(['guide_quality', 'detection_accuracy', 'defect_type', 'other']).default('guide_quality'),
  })
  .refine(oneTarget, oneTargetMessage);
export const rangeSchema = z
  .object({ productId: id.optional(), from: isoDateTime.optional(), to: isoDateTime.optional() })
  .refine((v) => !v.from || !v.to || Date.parse(v.from) < Date.parse(v.to), { message: '`from` must be before `to`', path: ['to'] })
  .refine((v) => !v.from || !v.to || Date.parse(v.to) - Date.parse(v.from) <= 3 * 366 * 86400_000, { message: 'at most 3 years', path: ['to'] });
export const thresholdsSchema = z.object({
  productId: id,
  imageThreshold: z.number().gt(0, 'between 0 and 1').lt(1, 'between 0 and 1'),
  pixelThreshold: z.number().gt(0, 'between 0 and 1').lt(1, 'between 0 and 1'),
});
export const bankBuildSchema = z.intersection(
  productRefSchema,
  z.object({ coresetRatio: z.number().gt(0).max(1).optional() }),
);

export type NewProduct = z.output<typeof newProductSchema>;
export type ProductPatch = z.output<typeof productPatchSchema>;
export type NewDefectType = z.output<typeof newDefectTypeSchema>;
export type DefectTypePatch = z.output<typeof defectTypePatchSchema>;
export type NewManual = z.output<typeof newManualSchema>;
export type ManualPatch = z.output<typeof manualPatchSchema>;
export type NewSection = z.output<typeof newSectionSchema>;
export type SectionPatch = z.output<typeof sectionPatchSchema>;
export type NewReferenceImage = z.output<typeof newReferenceImageSchema>;
export type ImageListQuery = z.output<typeof imageListSchema>;
export type InspectionFilter = z.output<typeof inspectionFilterSchema>;
export type InspectionListQuery = z.output<typeof inspectionListSchema>;
export type NewAction = z.output<typeof newActionSchema>;
export type NewFeedback = z.output<typeof newFeedbackSchema>;
export type RangeQuery = z.output<typeof rangeSchema>;
export type Thresholds = z.output<typeof thresholdsSchema>;

export const inspectionProcedures = {
  // products and defect types
  'inspection.products.list': proc<ProductRow[]>()({ role: 'viewer', input: z.object({ includeInactive: z.boolean().default(false) }), summary: 'products with image counts and their bank' }),
  'inspection.products.get': proc<ProductRow>()({ role: 'viewer', input: productRefSchema, summary: 'one product' }),
  'inspection.products.create': proc<ProductRow>()({ role: 'manager', input: newProductSchema, summary: 'create a product (with default thresholds)' }),
  'inspection.products.update': proc<ProductRow>()({ role: 'manager', input: productPatchSchema, summary: 'rename, describe or (de)activate a product' }),
  'inspection.defectTypes.list': proc<DefectTypeRow[]>()({ role: 'viewer', input: z.object({ productId: id, includeInactive: z.boolean().default(false) }), summary: 'a product’s defect types' }),
  'inspection.defectTypes.create': proc<DefectTypeRow>()({ role: 'manager', input: newDefectTypeSchema, summary: 'add a defect type' }),
  'inspection.defectTypes.update': proc<DefectTypeRow>()({ role: 'manager', input: defectTypePatchSchema, summary: 'change a defect type' }),

  // manuals and their sections (the guide)
  'inspection.manuals.list': proc<ManualRow[]>()({ role: 'viewer', input: z.object({ productId: id, includeInactive: z.boolean().default(false) }), summary: 'a product’s manuals' }),
  'inspection.manuals.get': proc<ManualDetail>()({ role: 'viewer', input: z.object({ manualId: id }), summary: 'a manual with its sections' }),
  'inspection.manuals.create': proc<ManualDetail>()({ role: 'manager', input: newManualSchema, summary: 'add a manual (file optional)' }),
  'inspection.manuals.update': proc<ManualDetail>()({ role: 'manager', input: manualPatchSchema, summary: 'rename, re-version or (de)activate a manual' }),
  'inspection.manuals.delete': proc<{ deleted: boolean }>()({ role: 'manager', input: z.object({ manualId: id }), summary: 'delete a manual and its sections' }),
  'inspection.sections.create': proc<SectionRow>()({ role: 'manager', input: newSectionSchema, summary: 'add a cause/action section to a manual' }),
  'inspection.sections.update': proc<SectionRow>()({ role: 'manager', input: sectionPatchSchema, summary: 'change a section' }),
  'inspection.sections.delete': proc<{ deleted: boolean }>()({ role: 'manager', input: z.object({ sectionId: id }), summary: 'delete a section' }),
  'inspection.guide.get': proc<{ cause: SectionRow[]; action: SectionRow[]; other: SectionRow[] }>()({
    role: 'viewer',
    input: z.object({ defectTypeId: id }),
    summary: 'the manual sections for a defect type (cause and action)',
  }),

  // reference images
  'inspection.images.list': proc<{ rows: ImageRow[]; total: number }>()({ role: 'viewer', input: imageListSchema, summary: 'a product’s images' }),
  'inspection.images.add': proc<ImageRow & { existed: boolean }>()({ role: 'manager', input: newReferenceImageSchema, summary: 'upload a normal or defect reference image' }),
  'inspection.images.setActive': proc<ImageRow>()({ role: 'manager', input: z.object({ imageId: id, isActive: z.boolean() }), summary: 'deactivate (or re-activate) a reference image' }),
  'inspection.file.get': proc<{ path: string; mime: string; size: number; base64: string }>()({
    role: 'viewer',
    input: z.object({ path: z.string().trim().min(1).max(500) }),
    summary: 'a stored image or artifact (path relative to the image store)',
  }),

  // inspections
  'inspection.inspect': proc<InspectOutcome>()({ role: 'worker', input: inspectSchema, summary: 'inspect one image (base64 or a path on this station)' }),
  'inspection.outbox.get': proc<{ depth: number; databaseAway: { since: string } | null; items: OutboxItem[] }>()({
    role: 'viewer',
    input: z.object({}),
    summary: 'this station’s results waiting to be uploaded to the database',
  }),
  'inspection.inspections.list': proc<{ rows: InspectionListRow[]; total: number }>()({ role: 'viewer', input: inspectionListSchema, summary: 'inspection history, newest first' }),
  'inspection.inspections.export': proc<{ fileName: string; csv: string; rows: number }>()({ role: 'viewer', input: inspectionFilterSchema, summary: 'inspection history as CSV (UTF-8 with BOM)' }),
  'inspection.inspections.get': proc<InspectionDetail>()({ role: 'viewer', input: inspectionRefSchema, summary: 'one inspection with result, artifacts, guide, actions and feedback' }),
  'inspection.inspectors.list': proc<InspectorRow[]>()({ role: 'viewer', input: z.object({}), summary: 'people who have inspected (history filter)' }),
  'inspection.actions.create': proc<ActionRow | QueuedFollowUp>()({
    role: 'worker',
    input: newActionSchema,
    summary: 'record an action taken on an inspection (queued on the station behind an inspection not yet uploaded, or while the database is away)',
  }),
  'inspection.actions.pending': proc<InspectionListRow[]>()({
    role: 'viewer',
    input: z.object({ productId: id.optional(), limit: z.number().int().min(1).max(1000).default(100) }),
    summary: 'defective inspections whose latest action is not resolved, oldest first',
  }),
  'inspection.feedbacks.create': proc<FeedbackRow | QueuedFollowUp>()({
    role: 'worker',
    input: newFeedbackSchema,
    summary: 'rate an inspection’s guide or detection (1–5); queued like actions',
  }),

  // dashboard
  'inspection.dashboard.stats': proc<DashboardStatsRow[]>()({ role: 'viewer', input: z.object({ productId: id.optional() }), summary: 'dashboard_stats per product' }),
  'inspection.dashboard.defectRate': proc<DefectRateDay[]>()({ role: 'viewer', input: rangeSchema, summary: 'defect rate per Asia/Seoul day (default: the last 30 days)' }),
  'inspection.dashboard.defectTypes': proc<DefectTypeShare[]>()({ role: 'viewer', input: rangeSchema, summary: 'defective inspections per defect type' }),

  // thresholds, banks, deployments
  'inspection.config.get': proc<ModelConfigView>()({ role: 'viewer', input: z.object({ productId: id }), summary: 'a product’s anomaly thresholds' }),
  'inspection.config.setThresholds': proc<ModelConfigView>()({ role: 'manager', input: thresholdsSchema, summary: 'set image and pixel thresholds (audited)' }),
  'inspection.config.preview': proc<ThresholdPreview>()({
    role: 'manager',
    input: z.object({ productId: id, imageThreshold: z.number().gt(0, 'between 0 and 1').lt(1, 'between 0 and 1') }),
    summary: 'how the held-out normals, defect exemplars and recent inspections would be judged at a candidate image threshold',
  }),

  // watch folders (a line camera drops files; each is inspected once)
  'inspection.watch.list': proc<WatchFolderRow[]>()({ role: 'viewer', input: z.object({}), summary: 'watched folders per product' }),
  'inspection.watch.set': proc<WatchFolderRow>()({
    role: 'manager',
    input: z.object({ productId: id, folderPath: z.string().trim().min(1, 'give a folder').max(1000), isEnabled: z.boolean().optional() }),
    summary: 'set (or disable) a product’s watch folder; created when missing (audited)',
  }),
  'inspection.watch.remove': proc<{ deleted: boolean }>()({ role: 'manager', input: z.object({ productId: id }), summary: 'stop watching a product’s folder (audited)' }),
  'inspection.queue.get': proc<WatchQueueState>()({ role: 'viewer', input: z.object({}), summary: 'the watch queue: waiting, in progress, last result' }),

  'inspection.deployments.list': proc<DeploymentRow[]>()({
    role: 'viewer',
    input: z.object({ productId: id.optional(), limit: z.number().int().min(1).max(500).default(50) }),
    summary: 'bank builds and other deployments, newest first',
  }),
  'inspection.models.status': proc<{ ok: boolean; backbone: { name: string; dir: string } | null; embedding: { name: string; dir: string } | null; problem: string | null }>()({
    role: 'viewer',
    input: z.object({}),
    summary: 'which backbone and embedding model folders this station uses, or what is missing',
  }),
  'inspection.bank.build': proc<{ jobId: string; deploymentId: number }>()({
    role: 'manager',
    input: bankBuildSchema,
    summary: 'build and deploy a product’s memory bank and reference embeddings, as a job (progress, cancel)',
  }),
} satisfies ProcedureTable;

