/**
 * Threshold preview (Products and models screen): how a product's validation images would be judged at a
 * candidate image threshold, before a manager saves it.
 *
 * Three groups, all on the normalized [0, 1] scale the threshold applies to:
 * - the bank's held-out normal images: their leave-one-image-out raw scores are stored in the bank file's header
 *   (engine/bank.ts) and are normalized here with the bank's own mapping; at or above the threshold = a false NG;
 * - the product's active defect exemplars, scored against the current bank once and cached per bank in
 *   `inspection_reference_scores`; below the threshold = a missed defect;
 * - recent inspections with their stored `anomaly_score`: how many verdicts would change.
 * Nothing is written except the cache; the threshold itself is saved by `inspection.config.setThresholds`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { applyMapping, BANK_MAGIC, type BankHeader } from './engine/bank';
import type { InspectionPipeline } from './pipeline';
import { cacheReferenceScore, defectExemplarScores, recentScoredInspections } from './queries';
import type { InspectionService } from './service';
import type { PreviewItem, ThresholdPreview } from './types';

const HISTORY_LIMIT = 500;

/** The JSON header of a bank file, without reading its features. */
export function readBankHeader(file: string): BankHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const pre = Buffer.alloc(12);
    if (fs.readSync(fd, pre, 0, 12, 0) !== 12 || pre.toString('ascii', 0, 8) !== BANK_MAGIC) throw new Error(`${file} is not a LineDeck memory bank file`);
    const hlen = pre.readUInt32LE(8);
    const buf = Buffer.alloc(hlen);
    if (fs.readSync(fd, buf, 0, hlen, 12) !== hlen) throw new Error(`${file}: the bank file is truncated (header)`);
    return JSON.parse(buf.toString('utf8')) as BankHeader;
  } finally {
    fs.closeSync(fd);
  }
}

export async function thresholdPreview(svc: InspectionService, pipeline: InspectionPipeline, productId: number, imageThreshold: number, signal?: AbortSignal): Promise<ThresholdPreview> {
  const cfg = await svc.getModelConfig(productId);
  const bank = await svc.currentBank(productId);
  const th = imageThreshold;
  let cached = true;

  // held-out normals from the bank header
  const normals: PreviewItem[] = [];
  if (bank) {
    const file = path.join(svc.paths.home, String(bank.summary.bank_path));
    if (fs.existsSync(file)) {
      const h = readBankHeader(file);
      const norm = h.normalization;
      if (norm) norm.heldOutScores.forEach((raw, i) => normals.push({ imageId: null, label: `held-out #${i + 1}`, score: applyMapping(raw, norm.image, norm.boundaryScore), defectCode: null }));
    }
  }

  // defect exemplars: cached scores for this bank, the rest scored now
  const defects: PreviewItem[] = [];
  if (bank) {
    const refs = await defectExemplarScores(svc.read, productId, bank.deploymentId);
    const missing = refs.filter((r) => r.score == null);
    if (missing.length) {
      cached = false;
      const scored = await pipeline.scoreStoredImages({ productId }, missing.map((r) => r.file_path), signal);
      // the bank may have changed meanwhile: cache under the bank that scored
      for (let k = 0; k < missing.length; k++) {
        missing[k].score = scored.scores[k];
        await cacheReferenceScore(svc.read, scored.deploymentId, missing[k].image_id, scored.scores[k]);
      }
    }
    for (const r of refs) defects.push({ imageId: r.image_id, label: r.file_name, score: Number(r.score), defectCode: r.defect_code });
  }

  // recent inspections with stored scores
  const hist = await recentScoredInspections(svc.read, productId, HISTORY_LIMIT);
  const history: PreviewItem[] = hist.map((r) => ({ imageId: r.test_image_id, inspectionId: r.inspection_id, defectDetected: r.defect_detected, label: r.inspection_code, score: r.anomaly_score, defectCode: r.defect_code }));
  const defectsNow = hist.filter((r) => r.defect_detected).length;
  const defectsAt = hist.filter((r) => r.anomaly_score >= th).length;
  const changed = hist.filter((r) => r.defect_detected !== r.anomaly_score >= th).length;

  return {
    productId,
    deploymentId: bank?.deploymentId ?? null,
    imageThreshold: th,
    current: { imageThreshold: cfg.imageThreshold, pixelThreshold: cfg.pixelThreshold },
    normals: { items: normals, flagged: normals.filter((n) => n.score >= th).length },
    defects: { items: defects, caught: defects.filter((d) => d.score >= th).length },
    history: { items: history, defectsNow, defectsAt, changed },
    cached,
  };
}
