/**
 * Demo data of the inspection workspace (design §4, extended): products prod1…prod3 (cast parts A/B/C) with their
 * defect types (Korean and English names, severity), a manual per product with a cause and an action section
 * per defect type, normal and defect reference images rendered by main/inspection/synth/generate.ts, a memory
 * bank per product (when the models are present), and a few weeks of inspection history with actions and
 * feedback, made by running the real pipeline on further synthetic images.
 *
 * Idempotent: what exists (by product code, defect code, manual version, image content, a completed bank, any
 * inspection of the product) is kept and not made again.
 */
import type { SessionUser } from '../api/kit';
import type { StationPaths } from '../config';
import type { Databases } from '../db/pools';
import type { EventBus } from '../events';
import { log } from '../log';
import { InspectionPipeline } from './pipeline';
import { InspectionService } from './service';
import { generateImage, setSpecs, type DefectKind, type Surface } from './synth/generate';

interface DemoDefect {
  code: DefectKind;
  ko: string;
  en: string;
  fullKo: string;
  severity: number;
  cause: string;
  action: string;
}

const DEFECTS: Record<DefectKind, DemoDefect> = {
  hole: {
    code: 'hole',
    ko: '기공',
    en: 'hole',
    fullKo: '기공 (주조 결함)',
    severity: 4,
    cause: '용탕 내 수소 가스 혼입, 금형 가스 배출(벤트) 불량, 탕구 방안 부적절로 응고 중 가스가 빠져나가지 못해 발생합니다.',
    action: '1) 해당 로트 격리 후 단면 검사. 2) 용탕 탈가스 처리 시간 확인(기준 10분 이상). 3) 금형 벤트 청소 및 막힘 점검. 4) 조치 후 첫 5개 제품 재검사.',
  },
  burr: {
    code: 'burr',
    ko: '버',
    en: 'burr',
    fullKo: '버 (날카로운 돌기)',
    severity: 3,
    cause: '금형 파팅 라인 마모 또는 형체력 부족으로 용탕이 틈새로 새어 나와 얇은 돌기가 생깁니다.',
    action: '1) 디버링 공구로 돌기 제거 후 재검사. 2) 금형 파팅면 마모 상태 점검. 3) 형체력 설정값 확인. 4) 반복 발생 시 금형 보수 요청.',
  },
  scratch: {
    code: 'scratch',
    ko: '긁힘',
    en: 'scratch',
    fullKo: '긁힘 (표면 손상)',
    severity: 2,
    cause: '취출·이송 중 지그나 컨베이어와의 접촉, 적재 시 제품 간 마찰로 표면이 긁힙니다.',
    action: '1) 긁힘 깊이 확인(0.1 mm 이하는 연마로 복구). 2) 이송 지그와 컨베이어 접촉부 점검. 3) 적재 시 간지 사용 여부 확인.',
  },
  crack: {
    code: 'crack',
    ko: '균열',
    en: 'crack',
    fullKo: '균열 (크랙)',
    severity: 5,
    cause: '응고 수축 시 인장 응력, 금형 온도 불균일, 급랭으로 인해 표면 또는 내부에 균열이 생깁니다.',
    action: '1) 즉시 라인 정지 및 해당 로트 전수 격리. 2) 금형 온도 분포 측정. 3) 냉각 조건 점검. 4) 품질팀에 보고 후 재가동 승인.',
  },
  stain: {
    code: 'stain',
    ko: '얼룩',
    en: 'stain',
    fullKo: '얼룩 (표면 오염)',
    severity: 1,
    cause: '이형제 과다 도포, 냉각수·오일 잔류, 보관 중 습기로 표면이 변색됩니다.',
    action: '1) 세척 후 재검사. 2) 이형제 도포량 확인. 3) 보관 구역 습도 점검.',
  },
};

export const DEMO_PRODUCTS: { code: string; name: string; description: string; category: string; surface: Surface; defects: DefectKind[] }[] = [
  { code: 'prod1', name: '주조 제품 A형', description: '주조 공정 제품', category: '주조', surface: 'cast', defects: ['hole', 'burr', 'scratch'] },
  { code: 'prod2', name: '주조 제품 B형', description: '주조 공정 제품 (가공면)', category: '주조', surface: 'machined', defects: ['hole', 'crack', 'scratch'] },
  { code: 'prod3', name: '주조 제품 C형', description: '주조 공정 제품 (브러시 마감)', category: '주조', surface: 'brushed', defects: ['scratch', 'stain', 'burr'] },
];

export interface InspectionDemoOptions {
  now?: Date;
  /** what it does, and how far the seed is (0…1) */
  onProgress?: (message: string, fraction?: number) => void;
  /** normal reference images per product (default 12) */
  normals?: number;
  /** defect exemplars per defect type (default 3) */
  defectsPerType?: number;
  /** inspections of history per product (default 15), spread over the last 14 days */
  history?: number;
  /** build banks and make history (default true; needs the default models) */
  withModels?: boolean;
  /** image side of the synthetic pictures (default 256) */
  size?: number;
  /** model folders (default: the pipeline's) */
  models?: { backbone?: string; embedding?: string };
}

export interface DemoTarget {
  services: { dbs: Databases; paths: StationPaths; bus?: EventBus };
  /** the station's own service and pipeline (the module's seeder); without it the seed makes and stops its own */
  runtime?: { svc: InspectionService; pipeline: InspectionPipeline };
}

const SEED_USER: SessionUser = { userId: 0, username: 'demo', fullName: 'demo seed', role: 'admin' };

async function userByName(svc: InspectionService, name: string): Promise<SessionUser | undefined> {
  const r = await svc.read.query("select user_id, username, full_name from users where username = $1 and is_active", [name]);
  if (!r.rowCount) return undefined;
  return { userId: r.rows[0].user_id, username: r.rows[0].username, fullName: r.rows[0].full_name, role: 'worker' };
}

/** Seeds the inspection demo; returns counts of what was created now (the module's seeder, main/inspection/module.ts). */
export async function seedInspectionDemo(app: DemoTarget, opts: InspectionDemoOptions = {}): Promise<Record<string, number>> {
  const logger = log('inspection-demo');
  const svc = app.runtime?.svc ?? new InspectionService({ dbs: app.services.dbs, paths: app.services.paths, bus: app.services.bus });
  const pipeline = app.runtime?.pipeline ?? new InspectionPipeline(svc, { backboneDir: opts.models?.backbone, embeddingDir: opts.models?.embedding });
  const now = opts.now ?? new Date();
  const normals = opts.normals ?? 12;
  const perType = opts.defectsPerType ?? 3;
  const historyN = opts.history ?? 15;
  const size = opts.size ?? 256;
  const counts = { inspection_products: 0, inspection_defect_types: 0, inspection_manuals: 0, inspection_reference_images: 0, inspection_banks: 0, inspections: 0, inspection_actions: 0, inspection_feedbacks: 0 };
  const manager = (await userByName(svc, 'manager1')) ?? SEED_USER;
  const worker = (await userByName(svc, 'worker1')) ?? SEED_USER;
  const models = opts.withModels === false ? null : pipeline.findModels();
  if (opts.withModels !== false && !models?.ok) opts.onProgress?.(`검사 데모: 메모리 뱅크와 이력 없이 (inspection demo: no banks or history) — ${models?.problem}`);

  try {
    // progress: a third per product; of it the pictures a fifth, the bank two fifths, the history the rest
    const share = (k: number, f: number) => (k + f) / DEMO_PRODUCTS.length;
    for (const [k, def] of DEMO_PRODUCTS.entries()) {
      opts.onProgress?.(`검사 데모: ${def.code} (inspection demo: ${def.code})`, share(k, 0));
      let product = await svc.findProduct(def.code);
      if (!product) {
        product = await svc.createProduct({ productCode: def.code, productName: def.name, description: def.description, category: def.category }, manager);
        counts.inspection_products++;
      }
      const productId = product.productId;

      // defect types
      const existing = new Map((await svc.listDefectTypes(productId, { includeInactive: true })).map((d) => [d.defectCode, d]));
      for (const k of def.defects) {
        if (existing.has(k)) continue;
        const d = DEFECTS[k];
        existing.set(k, await svc.createDefectType({ productId, defectCode: d.code, defectNameKo: d.ko, defectNameEn: d.en, fullNameKo: d.fullKo, description: null, severityLevel: d.severity }, manager));
        counts.inspection_defect_types++;
      }

      // the manual: cause and action per defect type
      const manuals = await svc.listManuals(productId, { includeInactive: true });
      if (!manuals.some((m) => m.version === '1.0')) {
        const m = await svc.createManual({ productId, manualTitle: `${def.name} 불량 대응 매뉴얼`, version: '1.0' }, manager);
        let page = 1;
        for (const k of def.defects) {
          const d = DEFECTS[k];
          const dt = existing.get(k)!;
          await svc.createSection({ manualId: m.manualId, defectTypeId: dt.defectTypeId, sectionType: 'cause', sectionTitle: `${d.ko} 발생 원인`, sectionContent: d.cause, pageNumber: page }, manager);
          await svc.createSection({ manualId: m.manualId, defectTypeId: dt.defectTypeId, sectionType: 'action', sectionTitle: `${d.ko} 조치 가이드`, sectionContent: d.action, pageNumber: page }, manager);
          page++;
        }
        counts.inspection_manuals++;
      }

      // reference images: normals and defect exemplars (same product constants, the "reference" seed)
      const refSpecs = setSpecs({ surface: def.surface, level: 'plain', normals, defectsPerKind: perType, kinds: def.defects, seed: `linedeck-demo-${def.code}-ref`, size });
      for (const spec of refSpecs) {
        const img = await generateImage(spec);
        const dt = spec.label === 'normal' ? null : existing.get(spec.label)!;
        const row = await svc.addReferenceImage(
          { productId, imageType: dt ? 'defect' : 'normal', defectTypeId: dt?.defectTypeId ?? null, image: { base64: img.png.toString('base64'), fileName: `${def.code}_ref_${img.name}` } },
          manager,
        );
        if (!row.existed) counts.inspection_reference_images++;
      }

      if (!models?.ok) continue;
      // the bank: a model that fails here (a broken model folder) leaves this product without bank and history,
      // and the rest of the demo is still seeded
      if (!(await svc.currentBank(productId))) {
        opts.onProgress?.(`검사 데모: ${def.code} 메모리 뱅크 만드는 중 (inspection demo: building the ${def.code} memory bank)`, share(k, 0.2));
        try {
          await pipeline.buildBank(def.code, { actor: manager });
          counts.inspection_banks++;
        } catch (e) {
          const msg = `inspection demo: no memory bank for ${def.code}: ${(e as Error).message}`;
          logger.warn(msg);
          opts.onProgress?.(`검사 데모: ${def.code} 메모리 뱅크 없이 계속 (${msg})`);
          continue;
        }
      }

      // history: a line's worth of inspections over the last 14 days, about a quarter defective
      const has = await svc.read.query('select 1 from inspections where product_id = $1 limit 1', [productId]);
      if (has.rowCount) continue;
      const defectsInHistory = Math.max(1, Math.round(historyN / 4));
      const lineSpecs = [
        ...setSpecs({ surface: def.surface, level: 'plain', normals: historyN - defectsInHistory, defectsPerKind: 0, seed: `linedeck-demo-${def.code}-line`, size }),
        ...setSpecs({ surface: def.surface, level: 'plain', normals: 0, defectsPerKind: Math.ceil(defectsInHistory / def.defects.length), kinds: def.defects, seed: `linedeck-demo-${def.code}-line`, size }).slice(0, defectsInHistory),
      ];
      // interleave defects among normals, oldest first
      const order = lineSpecs.map((s, i) => ({ s, key: (i * 7919) % lineSpecs.length })).sort((a, b) => a.key - b.key).map((x) => x.s);
      const span = 14 * 86400_000;
      opts.onProgress?.(`검사 데모: ${def.code} 검사 이력 (inspection demo: ${def.code} history)`, share(k, 0.6));
      for (let i = 0; i < order.length; i++) {
        const img = await generateImage(order[i]);
        const at = new Date(now.getTime() - span + Math.round(((i + 0.5) / order.length) * span) - 3600_000);
        const r = await pipeline.inspect(def.code, { bytes: img.png, fileName: `${def.code}_line_${img.name}` }, { source: i % 3 === 0 ? 'camera' : 'upload', actor: worker, at });
        counts.inspections++;
        if (r.defect_detected) {
          // older defects were handled; the newest ones still wait for the worker
          if (i < order.length * 0.7) {
            await svc.addAction(
              { inspectionId: r.inspectionId!, actionTaken: r.defect_type ? `${DEFECTS[r.defect_type as DefectKind]?.ko ?? r.defect_type} 조치 — 매뉴얼 절차 수행` : '육안 재검사', actionResult: i % 4 === 0 ? 'pending' : 'resolved', notes: null },
              worker,
            );
            counts.inspection_actions++;
          }
          await svc.addFeedback({ inspectionId: r.inspectionId!, rating: 3 + (i % 3), feedbackText: null, feedbackType: 'guide_quality' }, worker);
          counts.inspection_feedbacks++;
        }
      }
    }
  } finally {
    if (!app.runtime) await pipeline.dispose();
  }
  logger.info(counts, 'inspection demo seeded');
  return counts;
}
