import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFECT_KINDS, generateImage, generateSet, renderImage, SURFACES, writeSet, type Level, type Surface } from './generate';
import { createRng, hashString } from './prng';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ld-synth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function meanLuma(rgb: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < rgb.length; i += 3) s += 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
  return s / (rgb.length / 3);
}

describe('prng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = createRng('x');
    const b = createRng('x');
    const c = createRng('y');
    const sa = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(sa);
    expect(hashString('abc')).toBe(hashString('abc'));
    expect(hashString('abc')).not.toBe(hashString('abd'));
  });

  it('draws uniform numbers in range with a sane mean', () => {
    const r = createRng(42);
    let s = 0;
    for (let i = 0; i < 20000; i++) {
      const v = r.next();
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      s += v;
    }
    expect(s / 20000).toBeGreaterThan(0.49);
    expect(s / 20000).toBeLessThan(0.51);
  });
});

describe('generateSet', () => {
  it('gives byte-identical PNGs for the same seed and different ones for another seed', async () => {
    const a = await generateSet({ surface: 'cast', level: 'hard', normals: 2, defectsPerKind: 1, seed: 7, size: 96 });
    const b = await generateSet({ surface: 'cast', level: 'hard', normals: 2, defectsPerKind: 1, seed: 7, size: 96 });
    const c = await generateSet({ surface: 'cast', level: 'hard', normals: 2, defectsPerKind: 1, seed: 8, size: 96 });
    expect(a.map((x) => x.png.equals(b[a.indexOf(x)].png))).toEqual(a.map(() => true));
    expect(a.map((x) => x.mask?.equals(b[a.indexOf(x)].mask!) ?? true)).toEqual(a.map(() => true));
    expect(a.some((x, i) => !x.png.equals(c[i].png))).toBe(true);
  });

  it('keeps the first images when more are asked for', async () => {
    const small = await generateSet({ surface: 'machined', level: 'plain', normals: 1, defectsPerKind: 1, kinds: ['hole'], seed: 's', size: 64 });
    const big = await generateSet({ surface: 'machined', level: 'plain', normals: 3, defectsPerKind: 2, kinds: ['hole'], seed: 's', size: 64 });
    expect(big.find((x) => x.name === 'normal_000.png')!.png.equals(small[0].png)).toBe(true);
    expect(big.find((x) => x.name === 'hole_000.png')!.png.equals(small[1].png)).toBe(true);
  });

  it('labels, names, sizes and masks every image', async () => {
    const set = await generateSet({ surface: 'brushed', level: 'plain', normals: 2, defectsPerKind: 2, seed: 'demo', size: 128 });
    expect(set).toHaveLength(2 + 2 * DEFECT_KINDS.length);
    expect(set.map((x) => x.label)).toEqual(['normal', 'normal', ...DEFECT_KINDS.flatMap((k) => [k, k])]);
    expect(new Set(set.map((x) => x.name)).size).toBe(set.length);
    for (const im of set) {
      const meta = await sharp(im.png).metadata();
      expect([meta.width, meta.height, meta.channels]).toEqual([128, 128, 3]);
      expect(im.surface).toBe('brushed');
      if (im.label === 'normal') {
        expect(im.mask).toBeUndefined();
        continue;
      }
      expect((await sharp(im.mask!).metadata()).channels).toBe(1);
      const { data, info } = await sharp(im.mask!).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([128, 128, 1]);
      let on = 0;
      for (const v of data) {
        expect(v === 0 || v === 255).toBe(true);
        if (v) on++;
      }
      // a defect is visible but small: between a few pixels and a fifth of the image
      expect(on).toBeGreaterThan(3);
      expect(on).toBeLessThan(128 * 128 * 0.2);
      const [x, y, w, h] = im.bbox!;
      expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 128 && y + h <= 128).toBe(true);
    }
    expect(set.filter((x) => x.label === 'stain').every((x) => ['rust', 'oil', 'water'].includes(x.variant!))).toBe(true);
    expect(set.filter((x) => x.label === 'scratch').every((x) => ['bright', 'dark'].includes(x.variant!))).toBe(true);
  });

  it('draws the defect where the mask says: pixels under a hole deviate from the image median far more than the rest', () => {
    for (const surface of SURFACES) {
      const raw = renderImage({ surface, level: 'plain', label: 'hole', seed: 'm', index: 0, size: 128 });
      const luma = new Float64Array(128 * 128);
      for (let i = 0; i < luma.length; i++) luma[i] = (raw.rgb[i * 3] + raw.rgb[i * 3 + 1] + raw.rgb[i * 3 + 2]) / 3;
      const sorted = Float64Array.from(luma).sort();
      const median = sorted[sorted.length >> 1];
      let inside = 0;
      let nIn = 0;
      let outside = 0;
      let nOut = 0;
      for (let i = 0; i < luma.length; i++) {
        if (raw.mask![i]) {
          inside += Math.abs(luma[i] - median);
          nIn++;
        } else {
          outside += Math.abs(luma[i] - median);
          nOut++;
        }
      }
      expect(inside / nIn).toBeGreaterThan(2 * (outside / nOut));
    }
  });

  it('varies lighting between images at the hard level, not at the plain level', () => {
    const spread = (level: Level, surface: Surface) => {
      const m = Array.from({ length: 8 }, (_, i) => meanLuma(renderImage({ surface, level, label: 'normal', seed: 'light', index: i, size: 96 }).rgb));
      const mu = m.reduce((a, b) => a + b, 0) / m.length;
      return Math.sqrt(m.reduce((a, b) => a + (b - mu) ** 2, 0) / m.length);
    };
    for (const surface of SURFACES) {
      const plain = spread('plain', surface);
      const hard = spread('hard', surface);
      expect(plain).toBeLessThan(4);
      expect(hard).toBeGreaterThan(2 * plain);
    }
  });

  it('rejects bad options with clear errors', async () => {
    await expect(generateSet({ surface: 'wood' as Surface, level: 'plain', normals: 1, defectsPerKind: 0, seed: 1 })).rejects.toThrow(/unknown surface 'wood'/);
    await expect(generateSet({ surface: 'cast', level: 'easy' as Level, normals: 1, defectsPerKind: 0, seed: 1 })).rejects.toThrow(/unknown level/);
    await expect(generateSet({ surface: 'cast', level: 'plain', normals: -1, defectsPerKind: 0, seed: 1 })).rejects.toThrow(/normals/);
    await expect(generateSet({ surface: 'cast', level: 'plain', normals: 1, defectsPerKind: 1.5, seed: 1 })).rejects.toThrow(/defectsPerKind/);
    await expect(generateSet({ surface: 'cast', level: 'plain', normals: 1, defectsPerKind: 0, seed: '' })).rejects.toThrow(/seed/);
    await expect(generateSet({ surface: 'cast', level: 'plain', normals: 1, defectsPerKind: 0, seed: 1, size: 32 })).rejects.toThrow(/size/);
    await expect(generateSet({ surface: 'cast', level: 'plain', normals: 0, defectsPerKind: 1, kinds: ['dent' as 'hole'], seed: 1 })).rejects.toThrow(/unknown defect kind/);
    await expect(generateImage({ surface: 'cast', level: 'plain', label: 'normal', seed: 1, index: -1 })).rejects.toThrow(/index/);
  });
});

describe('writeSet', () => {
  it('writes images, masks and labels.json', async () => {
    const set = await generateSet({ surface: 'cast', level: 'plain', normals: 1, defectsPerKind: 1, kinds: ['stain', 'crack'], seed: 'w', size: 64 });
    const dir = path.join(tmp, 'set');
    const index = await writeSet(dir, set);
    expect(index.map((e) => e.file)).toEqual(['normal_000.png', 'stain_000.png', 'crack_000.png']);
    const labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8'));
    expect(labels).toEqual(index);
    expect(labels[1]).toMatchObject({ label: 'stain', surface: 'cast', level: 'plain', mask: 'stain_000_mask.png' });
    expect(readFileSync(path.join(dir, 'stain_000.png')).equals(set[1].png)).toBe(true);
    expect(readFileSync(path.join(dir, 'stain_000_mask.png')).equals(set[1].mask!)).toBe(true);
    await expect(writeSet(dir, [set[0], set[0]])).rejects.toThrow(/duplicate/);
  });
});
