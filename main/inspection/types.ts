/** Row and result shapes of the inspection workspace, shared by the service, the contract and the renderer (types only). */

export type ImageType = 'normal' | 'defect' | 'test';
export type InspectionSource = 'upload' | 'camera' | 'watch' | 'cli';
export type ActionResult = 'resolved' | 'pending' | 'failed' | 'deferred';
/** per inspection: resolved = latest action resolved; pending = defect and not resolved; none = no defect */
export type ActionStatus = 'resolved' | 'pending' | 'none';
export type DeploymentStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export type FeedbackType = 'guide_quality' | 'detection_accuracy' | 'defect_type' | 'other';

export interface ProductRow {
  productId: number;
  productCode: string;
  productName: string;
  description: string | null;
  category: string | null;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
  normalImageCount: number;
  defectImageCount: number;
  defectTypeCount: number;
  /** the memory bank in use: the latest completed patchcore_bank deployment */
  bank: { deploymentId: number; completedAt: string; bankSize: [number, number] | null; normalImages: number | null } | null;
}

export interface DefectTypeRow {
  defectTypeId: number;
  productId: number;
  defectCode: string;
  defectNameKo: string;
  defectNameEn: string | null;
  fullNameKo: string | null;
  description: string | null;
  severityLevel: number;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ManualRow {
  manualId: number;
  productId: number;
  manualTitle: string;
  fileName: string;
  /** relative to LINEDECK_HOME */
  filePath: string;
  fileSize: number | null;
  fileType: string | null;
  version: string | null;
  uploadDate: string;
  uploadedBy: string | null;
  isActive: boolean;
  vectorIndexed: boolean;
  sectionCount: number;
}

export interface SectionRow {
  sectionId: number;
  manualId: number;
  defectTypeId: number | null;
  defectCode: string | null;
  sectionType: 'cause' | 'action' | 'other';
  sectionTitle: string | null;
  sectionContent: string;
  pageNumber: number | null;
  chunkIndex: number | null;
  createdAt: string;
}

export interface ManualDetail extends ManualRow {
  sections: SectionRow[];
}

export interface ImageRow {
  imageId: number;
  productId: number;
  imageType: ImageType;
  defectTypeId: number | null;
  defectCode: string | null;
  fileName: string;
  /** relative to the image store (LINEDECK_HOME/images) */
  filePath: string;
  sha256: string;
  fileSize: number | null;
  width: number | null;
  height: number | null;
  format: string | null;
  uploadedAt: string;
  uploadedBy: string | null;
  isActive: boolean;
  hasEmbedding: boolean;
}

export interface Region {
  /** in the original image's pixels */
  x: number;
  y: number;
  width: number;
  height: number;
  /** pixels of the region in the model's map */
  area: number;
  /** highest normalized pixel score inside the region, [0, 1] */
  score: number;
  [k: string]: unknown;
}

export interface Artifacts {
  original: string;
  heatmap: string | null;
  mask: string | null;
  overlay: string | null;
  comparison: string | null;
  /**
   * the normalized anomaly map at the artifacts' size, as an 8-bit greyscale PNG (value = round(score · 255)),
   * for redrawing the mask at another threshold on the client; null for inspections made before it was kept
   */
  anomalyMap: string | null;
}

export interface InspectionListRow {
  inspectionId: number;
  inspectionCode: string;
  inspectionDate: string;
  productId: number;
  productCode: string;
  productName: string;
  source: InspectionSource;
  status: string;
  defectDetected: boolean | null;
  defectTypeId: number | null;
  defectCode: string | null;
  defectNameKo: string | null;
  defectNameEn: string | null;
  severityLevel: number | null;
  anomalyScore: number | null;
  confidenceScore: number | null;
  similarityScore: number | null;
  inspectorId: number | null;
  inspector: string | null;
  actionStatus: ActionStatus;
  processingTime: number | null;
}

export interface ActionRow {
  actionId: number;
  inspectionId: number;
  actionTaken: string;
  actionResult: ActionResult;
  actionDate: string;
  actionBy: string | null;
  notes: string | null;
}

export interface FeedbackRow {
  feedbackId: number;
  inspectionId: number;
  user: string | null;
  rating: number;
  feedbackText: string | null;
  feedbackType: FeedbackType | null;
  createdAt: string;
}

export interface InspectionResultView {
  resultId: number;
  defectDetected: boolean;
  defectTypeId: number | null;
  confidenceScore: number | null;
  anomalyScore: number | null;
  similarityScore: number | null;
  rawAnomalyScore: number | null;
  rawMaxPatchDistance: number | null;
  imageThreshold: number | null;
  pixelThreshold: number | null;
  artifacts: Artifacts;
  regions: Region[];
  details: Record<string, unknown> | null;
  guideGenerated: boolean;
  guideContent: string | null;
}

export interface InspectionDetail extends InspectionListRow {
  testImage: ImageRow | null;
  referenceImage: ImageRow | null;
  deploymentId: number | null;
  result: InspectionResultView | null;
  defectType: DefectTypeRow | null;
  /** the manual sections for the detected defect type (decisions.md inspection 5) */
  guide: { cause: SectionRow[]; action: SectionRow[]; other: SectionRow[] };
  actions: ActionRow[];
  feedbacks: FeedbackRow[];
  /** when retention removed this inspection's pictures (decisions.md, Plant rule 5; ISO 8601), or null */
  picturesRemovedAt: string | null;
}

export interface DashboardStatsRow {
  productId: number;
  productCode: string;
  productName: string;
  normalImageCount: number;
  defectImageCount: number;
  totalInspectionCount: number;
  defectDetectedCount: number;
  resolvedCount: number;
  pendingActionCount: number;
  avgGuideRating: number | null;
  defectRate: number | null;
  lastInspectionAt: string | null;
}

export interface DefectRateDay {
  /** Asia/Seoul calendar day, YYYY-MM-DD */
  day: string;
  total: number;
  defects: number;
  /** defects / total, null when nothing was inspected that day */
  rate: number | null;
}

export interface DefectTypeShare {
  defectTypeId: number | null;
  defectCode: string | null;
  defectNameKo: string | null;
  severityLevel: number | null;
  count: number;
  /** of all defective inspections in the range */
  share: number;
}

export interface ModelConfigView {
  configId: number | null;
  productId: number;
  modelType: 'anomaly_detection';
  imageThreshold: number;
  pixelThreshold: number;
  preprocessing: unknown;
  updatedAt: string | null;
}

export interface DeploymentRow {
  deploymentId: number;
  deploymentType: string;
  productId: number | null;
  productCode: string | null;
  status: DeploymentStatus;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  deployedBy: string | null;
  configParams: unknown;
  resultSummary: unknown;
  errorMessage: string | null;
}

/** What `inspect` returns (CLI `inspect --json` prints these fields). */
export interface InspectOutcome {
  image: string;
  /** the UUID the station gave the inspection (decisions.md Plant 3); the screen shows its start until the code arrives */
  client_uuid: string;
  /** false: the verdict is journaled on the station and waits to be uploaded (inspectionId and the code are null) */
  stored: boolean;
  inspectionId: number | null;
  inspection_code: string | null;
  productCode: string;
  defect_detected: boolean;
  /** normalized [0, 1] */
  anomaly_score: number;
  raw_anomaly_score: number;
  raw_max_patch_distance: number;
  image_threshold: number;
  defect_type: string | null;
  defect_type_name_ko: string | null;
  severity_level: number | null;
  confidence_score: number;
  similarity_score: number | null;
  reference_image_id: number | null;
  regions: Region[];
  /** relative to the image store */
  artifacts: Artifacts;
  processing_ms: number;
  /** the stages' times (prepare, engine, similarity, artifacts, journal or database), ms */
  stages_ms: Record<string, number>;
}

/** An action or feedback journaled on the station (written after the inspection it follows reaches the database). */
export interface QueuedFollowUp {
  queued: true;
  /** the follow-up's own UUID (unique in the database once written) */
  clientUuid: string;
}

/** One result in a station's outbox (`linedeck outbox`, inspection.outbox.get). */
export interface OutboxItem {
  uuid: string;
  kind: string;
  created: string;
  attempts: number;
  last_error: string | null;
  /** set aside: the database refused it MAX_ATTEMPTS times (kept in outbox/refused) */
  refused?: boolean;
}

/** A product by id or by code (what the procedures take). */
export type ProductRef = { productId: number } | { productCode: string };

/**
 * An inspection's verdict before it is written: everything of InspectOutcome the screen shows except the
 * inspection's id and code, its artifact paths and the total time (stages/describe.ts).
 */
export type InspectVerdict = Omit<InspectOutcome, 'inspectionId' | 'inspection_code' | 'artifacts' | 'processing_ms' | 'stages_ms' | 'client_uuid' | 'stored'>;

export interface BankBuildOutcome {
  deployment_id: number;
  bank_size: [number, number];
  image_threshold: number;
  ms: number;
  productCode: string;
  normal_images: number;
  defect_images: number;
  embedded_images: number;
  /** the bank file on this console (its cache entry) */
  bank_path: string;
  /** the bank's content address: the deployment's result_summary.bank_sha256 */
  bank_sha256: string;
  calibration: Record<string, unknown>;
}

/** Who has inspected (the history's inspector filter). */
export interface InspectorRow {
  userId: number;
  username: string;
  fullName: string | null;
  inspections: number;
}

/** One image judged by the threshold preview. */
export interface PreviewItem {
  /** image id for reference images and inspections; null for held-out normals (the bank keeps scores only) */
  imageId: number | null;
  inspectionId?: number;
  /** history items: the verdict stored with the inspection */
  defectDetected?: boolean;
  label: string;
  /** normalized anomaly score, [0, 1] */
  score: number;
  defectCode: string | null;
}

/** How a product's validation images would be judged at a candidate image threshold. */
export interface ThresholdPreview {
  productId: number;
  deploymentId: number | null;
  imageThreshold: number;
  current: { imageThreshold: number; pixelThreshold: number };
  /** the bank's held-out normal images (leave-one-image-out scores stored in the bank): should be OK */
  normals: { items: PreviewItem[]; flagged: number };
  /** the product's active defect exemplars scored against the bank (cached per bank): should be NG */
  defects: { items: PreviewItem[]; caught: number };
  /** recent inspections with their stored scores: how many verdicts would change */
  history: { items: PreviewItem[]; defectsNow: number; defectsAt: number; changed: number };
  /** from cache (no image scored in this call) */
  cached: boolean;
}

/** A watched folder: a line camera drops image files there; each new file is inspected once. */
export interface WatchFolderRow {
  watchId: number;
  productId: number;
  productCode: string;
  folderPath: string;
  isEnabled: boolean;
  updatedAt: string;
  updatedBy: string | null;
  /** files inspected from this folder (all time) and those refused (damaged, unsupported) */
  processed: number;
  failed: number;
  /** the folder exists and can be read now */
  reachable: boolean;
  problem: string | null;
}

export interface WatchQueueItem {
  file: string;
  productCode: string;
  size: number;
  enqueuedAt: string;
}

/** The watch queue: what is waiting, what is being inspected, what happened last. */
export interface WatchQueueState {
  running: boolean;
  folders: number;
  pending: WatchQueueItem[];
  processing: WatchQueueItem | null;
  /** since the station started */
  processed: number;
  failed: number;
  last: {
    file: string;
    productCode: string;
    inspectionId: number | null;
    inspectionCode: string | null;
    defectDetected: boolean | null;
    error: string | null;
    /** the case of a refusal (ApiError details.reason), for the station to say in the operator's language */
    errorReason?: string | null;
    at: string;
  } | null;
  at: string;
}

declare module '../api/events' {
  interface ApiEvents {
    /** an inspection finished (station screen, watch folder) */
    'inspection.completed': { inspectionId: number; inspectionCode: string; productCode: string; source: string; defectDetected: boolean };
    /** the watch-folder queue changed (waiting, in progress, last result) */
    'inspection.queue': WatchQueueState;
    /**
     * a journaled inspection reached the database (the station shows its code instead of "waiting to upload"); a
     * result written at once is announced here too
     */
    'inspection.stored': { clientUuid: string; inspectionId: number; inspectionCode: string };
    /** a station's verdict got its artifacts (drawn after the answer: the verdict before the paperwork) */
    'inspection.drawn': { clientUuid: string; artifacts: Artifacts };
    /** the station's outbox: results not yet in the database, and whether the database is away */
    'outbox.depth': { depth: number; databaseAway: { since: string } | null };
  }
}
