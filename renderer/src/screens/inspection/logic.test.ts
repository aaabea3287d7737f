import { describe, expect, it } from 'vitest';
import type { ThresholdPreview } from '../../../../main/api/types';
import ko from '../../locales/ko/common.json';
import en from '../../locales/en/common.json';
import { refusalReason } from '../../app/ui';
import { mergeSharesByCode, paintHeat, paintMaskOutline, turboLut, defectName, defectRateOption, defectTypeOption, filtersToQuery, EMPTY_FILTERS, judgeAt, maskCount, paintMask, previewOption, regionBox, thresholdByte, totals } from './logic';

/** A greyscale map as the canvas decodes it: RGBA with the value in R, G and B. */
function rgba(values: number[]): Uint8ClampedArray {
  const a = new Uint8ClampedArray(values.length * 4);
  values.forEach((v, i) => a.set([v, v, v, 255], i * 4));
  return a;
}

describe('inspection workbench logic', () => {
  it('thresholds the 8-bit map exactly like score ≥ threshold on round(score · 255)', () => {
    expect(thresholdByte(0)).toBe(0);
    expect(thresholdByte(1)).toBe(255);
    expect(thresholdByte(0.9)).toBe(230); // 229.5 → 230
    // every score s stored as round(s·255) is in the mask iff round(s·255) ≥ ceil(t·255)
    for (const t of [0.1, 0.5, 0.85, 0.9, 0.93]) {
      for (let v = 0; v <= 255; v++) expect(v >= thresholdByte(t)).toBe(v >= Math.ceil(t * 255 - 1e-6));
    }
  });

  it('paints the mask and counts its pixels; a lower threshold grows it', () => {
    const map = rgba([0, 100, 200, 230, 255, 240]);
    const out = new Uint8ClampedArray(map.length);
    expect(paintMask(map, out, 0.9, [1, 2, 3], 99)).toBe(3);
    expect([...out.slice(12, 16)]).toEqual([1, 2, 3, 99]);
    expect(out[3]).toBe(0); // transparent where off
    expect(maskCount(map, 0.5)).toBe(4);
    expect(maskCount(map, 0.3)).toBe(5);
    expect(maskCount(map, 1)).toBe(1);
  });

  it('outlines the mask (edge opaque, inside faint) with the same pixel count', () => {
    // 4×3 map, a 3×3 block of high values at the left
    const v = [240, 240, 240, 0, 240, 240, 240, 0, 240, 240, 240, 0];
    const map = rgba(v);
    const out = new Uint8ClampedArray(map.length);
    expect(paintMaskOutline(map, out, 4, 0.9, [9, 9, 9], 50, 255)).toBe(9);
    const alpha = (x: number, y: number) => out[(y * 4 + x) * 4 + 3];
    expect(alpha(1, 1)).toBe(50); // inside
    expect(alpha(0, 0)).toBe(255); // edge (border of the picture)
    expect(alpha(2, 1)).toBe(255); // edge (next to a low pixel)
    expect(alpha(3, 1)).toBe(0);
  });

  it('colours the heat overlay with turbo, transparent below the floor, opaque at the top', () => {
    const lut = turboLut();
    expect([lut[0], lut[1], lut[2]]).toEqual([35, 23, 27]);
    expect(lut[255 * 3]).toBeGreaterThan(100); // dark red end
    expect(lut[128 * 3 + 1]).toBeGreaterThan(200); // bright green-yellow middle
    const out = new Uint8ClampedArray(12);
    paintHeat(rgba([10, 128, 255]), out, 0.8, 0.25);
    expect(out[3]).toBe(0);
    expect(out[7]).toBeGreaterThan(0);
    expect(out[11]).toBe(Math.round(255 * 0.8));
  });

  it('places region boxes in percent of the picture, clipped', () => {
    expect(regionBox({ x: 50, y: 25, width: 100, height: 50 }, 200, 100)).toEqual({ left: '25.000%', top: '25.000%', width: '50.000%', height: '50.000%' });
    expect(regionBox({ x: -5, y: 0, width: 500, height: 10 }, 200, 100).width).toBe('100.000%');
  });

  it('turns the history filters into the procedure’s filter, with Seoul days and an inclusive end', () => {
    expect(filtersToQuery(EMPTY_FILTERS)).toEqual({});
    expect(filtersToQuery({ ...EMPTY_FILTERS, productId: '2', from: '2026-03-01', to: '2026-03-31', verdict: 'defect', actionStatus: 'pending', inspectorId: '7', q: ' 0001 ' })).toEqual({
      productId: 2,
      from: '2026-03-01T00:00:00+09:00',
      to: '2026-04-01T00:00:00+09:00',
      verdict: 'defect',
      actionStatus: 'pending',
      inspectorId: 7,
      q: '0001',
    });
    expect(filtersToQuery({ ...EMPTY_FILTERS, from: '2026-3-1' })).toEqual({});
  });

  it('names defect types in the UI language', () => {
    const d = { defectNameKo: '기공', defectNameEn: 'hole', defectCode: 'hole' };
    expect(defectName(d, 'ko')).toBe('기공');
    expect(defectName(d, 'en')).toBe('hole');
    expect(defectName({ defectNameKo: '버', defectNameEn: null, defectCode: 'burr' }, 'en')).toBe('burr');
    expect(defectName(null, 'ko')).toBe('—');
  });

  it('judges the preview at any threshold from the returned scores', () => {
    const item = (score: number, extra: object = {}) => ({ imageId: null, label: 'x', score, defectCode: null, ...extra });
    const p: ThresholdPreview = {
      productId: 1,
      deploymentId: 3,
      imageThreshold: 0.85,
      current: { imageThreshold: 0.85, pixelThreshold: 0.9 },
      normals: { items: [item(0.2), item(0.6), item(0.84)], flagged: 0 },
      defects: { items: [item(0.8), item(0.95)], caught: 1 },
      history: { items: [item(0.9, { defectDetected: true, inspectionId: 1 }), item(0.5, { defectDetected: false, inspectionId: 2 }), item(0.87, { defectDetected: true, inspectionId: 3 })], defectsNow: 2, defectsAt: 2, changed: 0 },
      cached: true,
    };
    expect(judgeAt(p, 0.85)).toEqual({ falseNg: 0, normals: 3, caught: 1, defects: 2, defectsAt: 2, changed: 0, history: 3 });
    expect(judgeAt(p, 0.7)).toMatchObject({ falseNg: 1, caught: 2, defectsAt: 2, changed: 0 });
    expect(judgeAt(p, 0.88)).toMatchObject({ falseNg: 0, caught: 1, defectsAt: 1, changed: 1 });
    const opt = previewOption(p, 0.7, { normals: 'n', defects: 'd', history: 'h', threshold: 't' }) as { series: { data: unknown[][]; markLine?: { data: { xAxis: number }[] } }[] };
    expect(opt.series.map((s) => s.data.length)).toEqual([3, 2, 3]);
    expect(opt.series[0].markLine!.data[0].xAxis).toBe(0.7);
  });

  it('builds the overview charts and totals', () => {
    const days = [
      { day: '2026-03-01', total: 4, defects: 1, rate: 0.25 },
      { day: '2026-03-02', total: 0, defects: 0, rate: null },
    ];
    const o = defectRateOption(days, { total: 'T', defects: 'D', rate: 'R' }) as { xAxis: { data: string[] }; series: { data: (number | null)[] }[] };
    expect(o.xAxis.data).toEqual(['03-01', '03-02']);
    expect(o.series[2].data).toEqual([25, null]);
    const shares = [
      { defectTypeId: 1, defectCode: 'hole', defectNameKo: '기공', severityLevel: 4, count: 3, share: 0.75 },
      { defectTypeId: null, defectCode: null, defectNameKo: null, severityLevel: null, count: 1, share: 0.25 },
    ];
    const b = defectTypeOption(shares, 'ko', '미분류') as { yAxis: { data: string[] } };
    expect(b.yAxis.data).toEqual(['미분류', '기공']);
    const merged = mergeSharesByCode([...shares, { defectTypeId: 9, defectCode: 'hole', defectNameKo: '기공', severityLevel: 5, count: 2, share: 0.5 }]);
    expect(merged.map((m) => [m.defectCode, m.count, m.severityLevel])).toEqual([
      ['hole', 5, 5],
      [null, 1, null],
    ]);
    const row = { productId: 1, productCode: 'p', productName: 'p', normalImageCount: 1, defectImageCount: 1, avgGuideRating: null, lastInspectionAt: null, defectRate: null };
    expect(
      totals([
        { ...row, totalInspectionCount: 10, defectDetectedCount: 2, resolvedCount: 1, pendingActionCount: 1 },
        { ...row, totalInspectionCount: 10, defectDetectedCount: 3, resolvedCount: 3, pendingActionCount: 0 },
      ]),
    ).toEqual({ total: 20, detected: 5, resolved: 4, pending: 1, rate: 0.25 });
  });

  it('reads the case main named for a refusal; Korean and English name the same cases', () => {
    const refused = { error: { kind: 'validation', message: 'x.png: the image data is damaged (…)', details: { reason: 'damaged' } } };
    expect(refusalReason(refused)).toBe('damaged');
    expect(refusalReason({ error: { kind: 'validation', message: 'bad', details: { image: ['Required'] } } })).toBeNull();
    expect(refusalReason({ error: { kind: 'internal', message: 'x' } })).toBeNull();
    expect(refusalReason(new Error('plain'))).toBeNull();
    expect(refusalReason(null)).toBeNull();
    expect(refusalReason({ error: { details: { reason: '<b>x</b>' } } })).toBeNull();
    // that every case main names has words is checked on main's side (main/inspection/pipeline.test.ts)
    expect(Object.keys(ko.reasons).sort()).toEqual(Object.keys(en.reasons).sort());
  });
});
