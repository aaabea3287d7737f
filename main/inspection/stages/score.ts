/**
 * Stage 2 of an inspection: the models and the verdict's numbers. PatchCore (raw and normalized scores, the
 * normalized map, regions at the pixel threshold) and the embedding run at once in the engine's two workers on the
 * decoded pixels; then the verdict (anomaly score ≥ image threshold) and its regions in the original picture's
 * pixels (an anomalous image with no pixel above the pixel threshold gets the peak's own area, ≥ 60 % of the peak).
 *
 * Without a working embedding model the inspection still runs (no reference image, no defect type): the reason is
 * in `embeddingError`.
 */
import { ApiError } from '../../api/kit';
import { log } from '../../log';
import type { InspectionEngine } from '../engine/engine';
import type { ModelEntry } from '../engine/models';
import type { PatchcoreResult } from '../engine/ops';
import { findRegions, type Region as EngineRegion } from '../engine/regions';
import type { Region } from '../types';
import type { Decoded } from './decode';
import { refusal } from './refusals';

export interface ScoreInput {
  engine: InspectionEngine;
  backbone: ModelEntry;
  embedding: ModelEntry | null;
  /** the product's bank file (absolute) */
  bankFile: string;
  image: Decoded;
  productCode: string;
  imageThreshold: number;
  pixelThreshold: number;
  signal?: AbortSignal;
}

export interface Scored {
  /** the engine's PatchCore answer, with its normalized map */
  pc: PatchcoreResult & { anomalyScore: number; normalizedMap: Float32Array };
  /** normalized anomaly score, clipped to [0, 1] */
  anomaly: number;
  defectDetected: boolean;
  /** the regions in the model's map (what the artifacts draw) */
  mapRegions: (EngineRegion & { rawMax?: number })[];
  /** how the regions were found: `pixel_threshold`, `peak_60pct`, or null for a normal verdict */
  regionRule: string | null;
  /** the regions in the original picture's pixels */
  regions: Region[];
  /** the L2-normalized embedding, or null (no embedding model, or it failed) */
  embedding: Float32Array | null;
  embeddingError: string | null;
}

const logger = log('inspection');

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

/** Runs the models on the decoded image and judges it; `onEngine` is told when the engine has answered. */
export async function score(input: ScoreInput, onEngine?: () => void): Promise<Scored> {
  const { decoded, label } = input.image;
  const { productCode } = input;
  const run = await input.engine
    .inspect(
      {
        backbone: input.backbone.dir,
        bank: input.bankFile,
        embedding: input.embedding?.dir,
        image: decoded.rgb,
        // CLIP gets the bytes only when it must composite an alpha
        alphaSource: decoded.meta.hasAlpha ? new Uint8Array(decoded.bytes) : undefined,
        name: label,
        regionThreshold: input.pixelThreshold,
      },
      { signal: input.signal },
    )
    .catch((e) => {
      if (/rebuild the bank/.test((e as Error).message)) throw new ApiError('conflict', `${productCode}: ${(e as Error).message}`, refusal('rebuild_bank', { productCode }));
      throw e;
    });
  const pc = run.patchcore;
  const embeddingError = run.embeddingError;
  if (embeddingError) logger.warn({ productCode, err: embeddingError }, 'embedding failed; inspecting without similarity');
  onEngine?.();
  if (pc.anomalyScore == null || !pc.normalizedMap) throw new ApiError('unavailable', `the memory bank of ${productCode} has no normalization; rebuild the bank`, refusal('rebuild_bank', { productCode }));
  const anomaly = Math.min(1, Math.max(0, pc.anomalyScore));
  const defectDetected = anomaly >= input.imageThreshold;
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
  return {
    pc: pc as Scored['pc'],
    anomaly,
    defectDetected,
    mapRegions,
    regionRule,
    regions,
    embedding: run.embedding?.normalized ?? null,
    embeddingError,
  };
}
