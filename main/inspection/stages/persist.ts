/**
 * Stage 5 of an inspection: its rows, from a plain record (ids, numbers, strings, and the files: each one's bytes,
 * sha256 and content-addressed store path; nothing live), so a record can be kept and written later.
 *
 * One transaction: the four rows (image, metadata, inspection, result) in one prepared statement
 * (queries.ts INSERT_INSPECTION; the result's paths are the artifacts' content addresses), the blobs of the
 * original and the artifacts (main/files: idempotent, one statement), then `withinTransaction`, and the commit.
 * So a row never names a file the database lacks. A transaction that fails leaves no rows, and the local files it
 * wrote are removed unless another row's blob is the same content.
 */
import type pg from 'pg';
import { withTransaction } from '../../db/pools';
import { insertInspection } from '../queries';
import type { ImageStore } from '../store';
import type { Artifacts, InspectionSource, Region } from '../types';
import { ARTIFACT_NAMES, writeFiles, type InspectionFiles } from './artifacts';

export interface InspectionRecord {
  productId: number;
  /** the bank used */
  deploymentId: number;
  source: InspectionSource;
  /** the UUID the station gave the inspection (unique in the database: a replay writes nothing twice) */
  clientUuid?: string | null;
  /** the station that inspected */
  stationId?: string | null;
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
  /** the original and the artifacts: bytes, sha256, store path (artifacts stage) */
  files: Pick<InspectionFiles, 'original' | 'artifacts'>;
}

export interface PersistOptions {
  /**
   * settles when the files are in the local cache (they may still be in flight while the rows are inserted);
   * without it persist writes them itself (a record from a journal)
   */
  written?: Promise<unknown>;
  /** runs inside the transaction, after the rows and the blobs are written */
  withinTransaction?: (c: pg.PoolClient, inspection: { inspectionId: number; inspectionCode: string }) => Promise<void>;
}

export interface Persisted {
  inspectionId: number;
  inspectionCode: string;
  artifacts: Artifacts;
}

export async function persist(db: pg.Pool, store: ImageStore, record: InspectionRecord, opts: PersistOptions = {}): Promise<Persisted> {
  const { image, result, files } = record;
  const all = [files.original, ...ARTIFACT_NAMES.map((n) => files.artifacts[n])];
  // the writes may fail while the rows go in: their failure is taken up below, not left unhandled meanwhile
  const written = opts.written ? Promise.resolve(opts.written) : writeFiles(store, all);
  written.catch(() => undefined);
  try {
    return await withTransaction(db, async (c: pg.PoolClient) => {
      const ins = await insertInspection(c, {
        productId: record.productId,
        fileName: image.fileName,
        filePath: files.original.relPath,
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
        artifactPaths: ARTIFACT_NAMES.map((n) => files.artifacts[n].relPath),
        regions: JSON.stringify(result.regions),
        details: JSON.stringify(result.details),
        guideGenerated: Boolean(result.guideText),
        guideContent: result.guideText,
        clientUuid: record.clientUuid ?? null,
        stationId: record.stationId ?? null,
      });
      const { inspection_id: inspectionId, inspection_code: inspectionCode } = ins;
      // the blobs in the same transaction: a row never names a file the plant database lacks
      if (store.files) await store.files.putSmall([{ bytes: toBuffer(files.original.bytes), kind: 'image', sha256: files.original.sha256 }, ...ARTIFACT_NAMES.map((n) => ({ bytes: toBuffer(files.artifacts[n].bytes), kind: 'artifact' as const, sha256: files.artifacts[n].sha256 }))], c);
      await written;
      if (opts.withinTransaction) await opts.withinTransaction(c, { inspectionId, inspectionCode });
      const artifacts: Artifacts = {
        original: files.original.relPath,
        heatmap: files.artifacts.heatmap.relPath,
        mask: files.artifacts.mask.relPath,
        overlay: files.artifacts.overlay.relPath,
        comparison: files.artifacts.comparison.relPath,
        anomalyMap: files.artifacts.anomalyMap.relPath,
      };
      return { inspectionId, inspectionCode, artifacts };
    });
  } catch (e) {
    // nothing committed: the files this inspection alone wrote go too
    await written.catch(() => undefined);
    try {
      if (store.files) await store.files.discardUnstored(all.map((f) => ({ sha256: f.sha256, ext: f.relPath.slice(f.relPath.lastIndexOf('.') + 1) })));
    } catch {
      /* best effort: an unreferenced cache file is only space */
    }
    throw e;
  }
}

/** A Buffer over a Uint8Array's memory (a structured clone turns Buffers into Uint8Arrays). */
function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
