/**
 * Stage 3 of an inspection: the verdict as the screen shows it. The most similar active normal reference
 * (cosine of the L2-normalized embeddings, clamped to [0, 1]: `similarity_score`, `reference_image_id`); when the
 * image is anomalous, the defect type of the nearest defect exemplar (candidates per type kept for the record);
 * the confidence in the verdict (0.5 at the threshold, 1 at the ends of the scale); the defect type's names and
 * the cause and action sections of the product's active manuals for it.
 *
 * The verdict is everything the screen needs except the inspection code and the artifact paths, as plain data:
 * it can be answered before anything is written.
 */
import { bytesToF32 } from '../embeddings';
import type { ReferenceEmbeddingRow } from '../queries';
import type { InspectionService } from '../service';
import type { InspectVerdict } from '../types';
import type { Scored } from './score';
import { dot } from '../engine/vectors';

export interface DefectCandidate {
  defectTypeId: number;
  defectCode: string;
  similarity: number;
  imageId: number;
}

export interface DescribeInput {
  productCode: string;
  /** the image's label (decode stage) */
  label: string;
  scored: Pick<Scored, 'anomaly' | 'defectDetected' | 'regions' | 'embedding'> & { pc: { imageScore: number; maxPatchDistance: number } };
  imageThreshold: number;
  /** the embeddings of the product's references in the embedding's space (null without an embedding model) */
  references: ReferenceEmbeddingRow[] | Promise<ReferenceEmbeddingRow[]> | null;
}

export interface Described {
  verdict: InspectVerdict;
  /** the defect type of the verdict (null when normal or unclassified) */
  defectTypeId: number | null;
  /** the store path of the most similar normal reference (the comparison artifact shows it) */
  referencePath: string | null;
  /** the nearest defect exemplar per defect type, most similar first */
  candidates: DefectCandidate[];
  /** the guide's cause and action sections as text, or null when there are none */
  guideText: string | null;
}

/** The defect type and guide lookups describe needs (InspectionService has them). */
export type DefectCatalog = Pick<InspectionService, 'getDefectType' | 'guideFor'>;

export async function describe(input: DescribeInput, catalog: DefectCatalog): Promise<Described> {
  const { scored } = input;
  const { anomaly, defectDetected } = scored;
  // similarity: most similar normal reference; defect type from the nearest defect exemplars
  let similarity: number | null = null;
  let referenceImageId: number | null = null;
  let referencePath: string | null = null;
  let defectTypeId: number | null = null;
  let candidates: DefectCandidate[] = [];
  const embeddingVec = scored.embedding;
  if (embeddingVec && input.references) {
    const refs = await input.references;
    let bestNormal = -Infinity;
    const perType = new Map<number, { defectCode: string; similarity: number; imageId: number }>();
    for (const r of refs) {
      const v = bytesToF32(r.embedding_vector);
      if (v.length !== embeddingVec.length) continue;
      const d = dot(v, embeddingVec);
      if (r.image_type === 'normal') {
        if (d > bestNormal) {
          bestNormal = d;
          referenceImageId = r.image_id;
          referencePath = r.file_path;
        }
      } else if (r.defect_type_id != null) {
        const prev = perType.get(r.defect_type_id);
        if (!prev || d > prev.similarity) perType.set(r.defect_type_id, { defectCode: r.defect_code!, similarity: d, imageId: r.image_id });
      }
    }
    if (referenceImageId != null) similarity = Math.min(1, Math.max(0, bestNormal));
    candidates = [...perType.entries()].map(([id, v]) => ({ defectTypeId: id, ...v })).sort((a, b) => b.similarity - a.similarity);
    if (defectDetected && candidates.length) defectTypeId = candidates[0].defectTypeId;
  }
  // confidence in the verdict: 0.5 at the threshold, 1 at the ends of the scale
  const th = input.imageThreshold;
  const confidence = Math.min(1, Math.max(0, defectDetected ? 0.5 + (0.5 * (anomaly - th)) / (1 - th) : 0.5 + (0.5 * (th - anomaly)) / th));
  const [defectType, guide] = defectTypeId ? await Promise.all([catalog.getDefectType(defectTypeId), catalog.guideFor(defectTypeId)]) : [null, null];
  const guideText =
    guide && guide.cause.length + guide.action.length
      ? [
          ...guide.cause.map((s) => `[원인] ${s.sectionTitle ? `${s.sectionTitle}: ` : ''}${s.sectionContent}`),
          ...guide.action.map((s) => `[조치] ${s.sectionTitle ? `${s.sectionTitle}: ` : ''}${s.sectionContent}`),
        ].join('\n')
      : null;
  return {
    verdict: {
      image: input.label,
      productCode: input.productCode,
      defect_detected: defectDetected,
      anomaly_score: anomaly,
      raw_anomaly_score: scored.pc.imageScore,
      raw_max_patch_distance: scored.pc.maxPatchDistance,
      image_threshold: input.imageThreshold,
      defect_type: defectType?.defectCode ?? null,
      defect_type_name_ko: defectType?.defectNameKo ?? null,
      severity_level: defectType?.severityLevel ?? null,
      confidence_score: confidence,
      similarity_score: similarity,
      reference_image_id: referenceImageId,
      regions: scored.regions,
    },
    defectTypeId,
    referencePath,
    candidates,
    guideText,
  };
}
