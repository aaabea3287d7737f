import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { atHeight, colorize, colorLut, comparisonPng, heatmapPng, maskPng, overlayPng } from './artifacts';
import { findRegions, labelComponents, mapToSource, resizeMap, scaleRegion, thresholdMask } from './regions';

function grid(rows: string[]): { map: Float32Array; w: number; h: number } {
  const h = rows.length;
  const w = rows[0].length;
  const map = new Float32Array(w * h);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (map[y * w + x] = ch === '.' ? 0 : Number(ch) / 10)));
  return { map, w, h };
}

describe('regions', () => {
  it('finds 8-connected components with bbox, area, max and mean', () => {
    const { map, w, h } = grid([
      '9.......', //
      '.8....3.',
      '..7...3.',
      '......3.',
      '5.......',
    ]);
    const { count } = labelComponents(thresholdMask(map, 0.1), w, h);
    expect(count).toBe(3); // the diagonal 9-8-7 is one component under 8-connectivity
    const r = findRegions(map, w, h, 0.1);
    expect(r.map((x) => x.id)).toEqual([1, 2, 3]);
    expect(r[0]).toMatchObject({ bbox: { x: 0, y: 0, width: 3, height: 3 }, area: 3, peak: { x: 0, y: 0 }, centroid: { x: 1, y: 1 } });
    expect(r[0].max).toBeCloseTo(0.9, 6);
    expect(r[0].mean).toBeCloseTo(0.8, 6);
    expect(r[1]).toMatchObject({ bbox: { x: 0, y: 4, width: 1, height: 1 }, area: 1 });
    expect(r[2]).toMatchObject({ bbox: { x: 6, y: 1, width: 1, height: 3 }, area: 3 });
    expect(r[2].areaFraction).toBeCloseTo(3 / 40, 12);
    expect(findRegions(map, w, h, 0.1, { minArea: 2 })).toHaveLength(2);
    expect(findRegions(map, w, h, 0.75)).toHaveLength(1);
    expect(findRegions(map, w, h, 0.95)).toHaveLength(0);
    const raw = new Float32Array(map.length).map((_, i) => map[i] * 10);
    expect(findRegions(map, w, h, 0.1, { values: raw })[0].max).toBeCloseTo(9, 5);
    expect(() => findRegions(map, w + 1, h, 0.1)).toThrow(/expected 9×5/);
  });

  it('maps geometry back to the source image', () => {
    expect(Array.from(resizeMap(new Float32Array([0, 1]), 2, 1, 4, 1))).toEqual([0, 0.25, 0.75, 1]);
    // 640×480 source, shortest edge 224 → 298×224, crop left 37: the map covers source x ≈ 79..560
    const map = new Float32Array(224 * 224).fill(1);
    const src = mapToSource(map, 224, 224, { resize: 'shortest-edge-center-crop', sourceSize: { width: 640, height: 480 }, crop: { left: 37, top: 0, resizedWidth: 298, resizedHeight: 224 } });
    expect(src.length).toBe(640 * 480);
    expect(src[240 * 640 + 20]).toBe(0);
    expect(src[240 * 640 + 320]).toBe(1);
    expect(src[240 * 640 + 620]).toBe(0);
    const stretched = mapToSource(new Float32Array([0, 1, 0, 1]), 2, 2, { resize: 'stretch', sourceSize: { width: 8, height: 8 } });
    expect(stretched.length).toBe(64);
    const r = findRegions(grid(['..', '.9']).map, 2, 2, 0.5)[0];
    expect(scaleRegion(r, 2, 2, 100, 50).bbox).toEqual({ x: 50, y: 25, width: 50, height: 25 });
  });
});

describe('artifacts', () => {
  it('uses perceptual colour maps with the usual end colours', () => {
    const v = colorLut('viridis');
    const near = (got: Uint8Array, want: number[]) => want.forEach((c, i) => expect(Math.abs(got[i] - c)).toBeLessThanOrEqual(4));
    near(v.subarray(0, 3), [68, 1, 84]); // matplotlib viridis(0), (0.5), (1)
    near(v.subarray(128 * 3, 128 * 3 + 3), [33, 145, 140]);
    near(v.subarray(255 * 3), [253, 231, 37]);
    const t = colorLut('turbo'); // polynomial approximation: dark at 0, green-yellow in the middle, dark red at 1
    expect(t[0] + t[1] + t[2]).toBeLessThan(120);
    expect(t[128 * 3 + 1]).toBeGreaterThan(200);
    expect(t[255 * 3]).toBeGreaterThan(110); // dark red
    expect(t[255 * 3 + 1]).toBeLessThan(20);
    const lo = Array.from(v.subarray(0, 3));
    expect(Array.from(colorize(new Float32Array([-1, 2, NaN]), { colormap: 'viridis' }))).toEqual([...lo, ...Array.from(v.subarray(255 * 3)), ...lo]);
    expect(() => colorize(new Float32Array(1), { min: 1, max: 1 })).toThrow(/max > min/);
  });

  it('writes heatmap, mask, overlay and comparison PNGs', async () => {
    const w = 32;
    const h = 24;
    const map = new Float32Array(w * h).map((_, i) => (i % w) / (w - 1));
    const heat = await heatmapPng(map, w, h);
    expect(await sharp(heat).metadata()).toMatchObject({ format: 'png', width: 32, height: 24, channels: 3 });
    const big = await heatmapPng(map, w, h, { size: { width: 64, height: 48 }, colormap: 'viridis' });
    expect((await sharp(big).metadata()).width).toBe(64);

    const mask = await maskPng(map, w, h, 0.5);
    expect(await sharp(mask).metadata()).toMatchObject({ channels: 1, space: 'b-w', width: w, height: h });
    const m = await sharp(mask).extractChannel(0).raw().toBuffer();
    expect(m[0]).toBe(0);
    expect(m[w - 1]).toBe(255);
    expect(m.filter((v) => v !== 0 && v !== 255).length).toBe(0);

    const base = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(100) };
    const regions = findRegions(map, w, h, 0.9);
    const ov = await overlayPng(base, map, w, h, { regions, floor: 0.2 });
    const o = await sharp(ov).raw().toBuffer({ resolveWithObject: true });
    expect([o.info.width, o.info.height]).toEqual([64, 48]);
    expect(Array.from(o.data.subarray(0, 3))).toEqual([100, 100, 100]); // below the floor: untouched
    const mid = (24 * 64 + 50) * 3;
    expect(Array.from(o.data.subarray(mid, mid + 3))).not.toEqual([100, 100, 100]);
    const box = (regions[0].bbox.y * 2 * 64 + regions[0].bbox.x * 2) * 3;
    expect(Array.from(o.data.subarray(box, box + 3))).toEqual([255, 255, 255]);

    const cmp = await comparisonPng(base, ov, { gap: 4 });
    expect(await sharp(cmp).metadata()).toMatchObject({ width: 64 + 4 + 64, height: 48 });
    const tall = { width: 10, height: 96, data: new Uint8Array(10 * 96 * 3) };
    expect(await sharp(await comparisonPng(tall, base)).metadata()).toMatchObject({ height: 48, width: 5 + 8 + 64 });
  });

  it('a reference kept at the comparison height (the pipeline caches it) gives the same comparison, gap included', async () => {
    // a reference with structure, at another size than the inspected picture: it is scaled (lanczos3)
    const ref = { width: 80, height: 60, data: new Uint8Array(80 * 60 * 3).map((_, i) => (i * 37) % 256) };
    const inspected = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).map((_, i) => (i * 11) % 256) };
    const side = await atHeight(ref, 48);
    expect([side.width, side.height]).toEqual([64, 48]);
    expect(await atHeight(inspected, 48)).toBe(inspected);
    const fresh = await sharp(await comparisonPng(ref, inspected, { background: [1, 2, 3] })).raw().toBuffer();
    const kept = await sharp(await comparisonPng(side, inspected, { background: [1, 2, 3] })).raw().toBuffer();
    expect(kept.equals(fresh)).toBe(true);
    // the gap (8 px between the sides) is the background; the sides are the pictures
    const W = 64 + 8 + 64;
    const at = (x: number, y: number) => Array.from(fresh.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
    expect(at(64, 10)).toEqual([1, 2, 3]);
    expect(at(71, 47)).toEqual([1, 2, 3]);
    expect(at(72, 0)).toEqual(Array.from(inspected.data.subarray(0, 3)));
    expect(at(0, 0)).toEqual(Array.from(side.data.subarray(0, 3)));
  });
});
