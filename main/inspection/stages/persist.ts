/**
 * Stage 5 of an inspection: its rows, from a plain record (ids, numbers, strings, the image's store path and the
 * staged artifact files; nothing live), so a record can be kept and written later.
 *
 * One transaction: the four rows (image, metadata, inspection, result) in one prepared statement
 * (queries.ts INSERT_INSPECTION; the result's paths are the folder prefix and the code the inspection trigger
 * gives), then the staging folder is renamed to `<image>.<code>/`, `withinTransaction` runs, and the transaction
 * commits. A transaction that fails leaves no rows and no files (the folder is removed; its code comes again with
 * the next inspection).
 */
import type pg from 'pg';
import { withTransaction } from '../../db/pools';
import { insertInspection } from '../queries';
import { ImageStore } from '../store';
import type { Artifacts, InspectionSource, Region } from '../types';
import { ARTIFACT_FILES, type StagedFiles } from './artifacts';

export interface InspectionRecord {
  productId: number;
  /** the bank used */
  deploymentId: number;
  source: InspectionSource;
  /** users.user_id, or null (CLI, watch folders) */
  inspectorId: number | null;
  /** inspection time as ISO 8601, or null for now() */
  at: string | null;
  processingS: number;
  image: {
    fileName: string;
    sha256: string;
    fileSize: number;
    width: number;
    height: number;
    /** upper case: PNG, JPEG, WEBP, TIFF */
    format: string;
    /** what sharp reported (image_metadata.exif_data) */
    meta: Record<string, unknown>;
  };
  /** the models' input settings and the crop (image_metadata.preprocessing_applied) */
  preprocessing: Record<string, unknown>;
  /** the image's embedding: float32 little-endian bytes (a Buffer, or a Uint8Array after a structured clone), the embedding space's key, the dimension */
  embedding: { vector: Uint8Array; model: string | null; dim: number } | null;
  result: {
    defectDetected: boolean;
    defectTypeId: number | null;
    referenceImageId: number | null;
    confidence: number;
    anomaly: number;
    similarity: number | null;
    rawAnomaly: number;
    rawMaxPatchDistance: number;
    imageThreshold: number;
    pixelThreshold: number;
    regions: Region[];
    details: Record<string, unknown>;
    guideText: string | null;
  };
  /** the stored original and the staged artifacts (artifacts stage) */
  files: Pick<StagedFiles, 'original' | 'staging' | 'files'>;
}

export interface PersistOptions {
  /** settles when the staged files are written (they may still be in flight while the rows are inserted) */
  written?: Promise<unknown>;
  /** runs inside the transaction, after the rows are written and the artifact folder is named */
  withinTransaction?: (c: pg.PoolClient, inspection: { inspectionId: number; inspectionCode: string }) => Promise<void>;
}

export interface Persisted {
  inspectionId: number;
  inspectionCode: string;
  artifacts: Artifacts;
}

export async function persist(db: pg.Pool, store: ImageStore, record: InspectionRecord, opts: PersistOptions = {}): Promise<Persisted> {
  const { image, result, files } = record;
  // the writes may fail while the rows go in: their failure is taken up below, not left unhandled meanwhile
  const written = Promise.resolve(opts.written);
  written.catch(() => undefined);
  let placed: string | null = null;
  try {
    return await withTransaction(db, async (c: pg.PoolClient) => {
      const ins = await insertInspection(c, {
        productId: record.productId,
        fileName: image.fileName,
        filePath: files.original,
        sha256: image.sha256,
        fileSize: image.fileSize,
        width: image.width,
        height: image.height,
        format: image.format,
        inspectorId: record.inspectorId,
        exifData: JSON.stringify(image.meta),
        preprocessing: JSON.stringify(record.preprocessing),
        embeddingVector: record.embedding?.vector ?? null,
        embeddingModel: record.embedding?.model ?? null,
        embeddingDim: record.embedding?.dim ?? null,
        referenceImageId: result.referenceImageId,
        at: record.at,
        processingS: record.processingS,
        source: record.source,
        deploymentId: record.deploymentId,
        defectDetected: result.defectDetected,
        defectTypeId: result.defectTypeId,
        confidence: result.confidence,
        anomaly: result.anomaly,
        similarity: result.similarity,
        rawAnomaly: result.rawAnomaly,
        rawMaxPatchDistance: result.rawMaxPatchDistance,
        imageThreshold: result.imageThreshold,
        pixelThreshold: result.pixelThreshold,
        artifactPrefix: ImageStore.artifactPrefix(files.original),
        regions: JSON.stringify(result.regions),
        details: JSON.stringify(result.details),
        guideGenerated: Boolean(result.guideText),
        guideContent: result.guideText,
      });
      const { inspection_id: inspectionId, inspection_code: inspectionCode } = ins;
      // the files were written while the rows went in; their folder gets its name (the code) before the commit
      await written;
      const paths = store.placeStaged(files.staging, files.original, inspectionCode, files.files);
      placed = store.artifactDir(files.original, inspectionCode);
      if (opts.withinTransaction) await opts.withinTransaction(c, { inspectionId, inspectionCode });
      const artifacts: Artifacts = {
        original: files.original,
        heatmap: paths[ARTIFACT_FILES.heatmap],
        mask: paths[ARTIFACT_FILES.mask],
        overlay: paths[ARTIFACT_FILES.overlay],
        comparison: paths[ARTIFACT_FILES.comparison],
        anomalyMap: paths[ARTIFACT_FILES.anomalyMap],
      };
      return { inspectionId, inspectionCode, artifacts };
    });
  } catch (e) {
    // nothing committed: no files either
    await written.catch(() => undefined);
    try {
      store.discardStaged(files.staging, placed);
    } catch {
      /* best effort, as before */
    }
    throw e;
  }
}
