import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageInputError, loadRgb, preprocess, resizeForModel, shortestEdgeSize, toTensor, type InputSpec } from './preprocess';
import { resizePil } from './resample';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-pre-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** w×h RGB, left half red, right half blue */
function halves(w: number, h: number): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      if (x < w / 2) b[p] = 220;
      else b[p + 2] = 220;
    }
  return b;
}

const CLIP: InputSpec = {
  name: 'pixel_values',
  size: [224, 224],
  resize: 'shortest-edge-center-crop',
  interpolation: 'bicubic',
  scale: 1 / 255,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  layout: 'NCHW',
};

describe('image loading', () => {
  it('applies the EXIF orientation', async () => {
    const jpg = await sharp(halves(40, 20), { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpg).metadata()).orientation).toBe(6);
    const img = await loadRgb(jpg);
    expect([img.width, img.height]).toEqual([20, 40]);
    // orientation 6 = rotate 90° clockwise: the red left half ends up on top
    const top = (2 * 20 + 10) * 3;
    const bottom = (37 * 20 + 10) * 3;
    expect(img.data[top]).toBeGreaterThan(150);
    expect(img.data[top + 2]).toBeLessThan(60);
    expect(img.data[bottom + 2]).toBeGreaterThan(150);
  });

  it('turns greyscale, 16-bit, palette and CMYK images into 8-bit RGB', async () => {
    const grey = await sharp(Buffer.from(Array.from({ length: 64 }, (_, i) => i * 4)), { raw: { width: 8, height: 8, channels: 1 } })
      .png()
      .toBuffer();
    const g = await loadRgb(grey);
    expect(g.data.length).toBe(8 * 8 * 3);
    expect([g.data[3 * 9], g.data[3 * 9 + 1], g.data[3 * 9 + 2]]).toEqual([36, 36, 36]);

    const rgb = halves(16, 8);
    const png16 = await sharp(rgb, { raw: { width: 16, height: 8, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const p16 = await loadRgb(png16);
    expect(p16.data[0]).toBe(220);
    expect(p16.data[(15 * 3) + 2]).toBe(220);

    const pal = await sharp(rgb, { raw: { width: 16, height: 8, channels: 3 } }).png({ palette: true }).toBuffer();
    expect((await sharp(pal).metadata()).isPalette).toBe(true);
    expect((await loadRgb(pal)).data[0]).toBeGreaterThan(200);

    const cmyk = await sharp(rgb, { raw: { width: 16, height: 8, channels: 3 } }).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const c = await loadRgb(cmyk);
    expect(c.data.length).toBe(16 * 8 * 3);
    expect(c.data[(4 * 16 + 2) * 3]).toBeGreaterThan(150); // still red on the left
    const right = (4 * 16 + 13) * 3;
    expect(c.data[right + 2]).toBeGreaterThan(c.data[right] + 60); // blue on the right
  });

  it('composites alpha on white (HF convert_to_rgb) or drops it (PIL convert("RGB"))', async () => {
    const rgba = Buffer.from([10, 20, 30, 0, 10, 20, 30, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const flat = await loadRgb(png);
    expect(Array.from(flat.data)).toEqual([255, 255, 255, 10, 20, 30]);
    const dropped = await loadRgb(png, { alpha: 'drop' });
    expect(Array.from(dropped.data)).toEqual([10, 20, 30, 10, 20, 30]);
  });

  it('refuses oversized, truncated, non-image and missing files with a clear error', async () => {
    const png = await sharp(halves(64, 64), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    await expect(loadRgb(png, { maxPixels: 1000 })).rejects.toThrow(/64×64 = 0\.0 MP, above the limit/);
    await expect(loadRgb(png, { maxPixels: 1000 })).rejects.toBeInstanceOf(ImageInputError);

    const noisy = Buffer.alloc(128 * 128 * 3);
    for (let i = 0; i < noisy.length; i++) noisy[i] = (i * 7919) % 251;
    const bigPng = await sharp(noisy, { raw: { width: 128, height: 128, channels: 3 } }).png().toBuffer();
    const cutPng = path.join(dir, 'cut.png');
    fs.writeFileSync(cutPng, bigPng.subarray(0, Math.floor(bigPng.length * 0.6)));
    await expect(loadRgb(cutPng)).rejects.toThrow(/truncated or damaged/);

    const jpg = await sharp(noisy, { raw: { width: 128, height: 128, channels: 3 } }).jpeg().toBuffer();
    await expect(loadRgb(jpg.subarray(0, Math.floor(jpg.length * 0.5)))).rejects.toThrow(ImageInputError);

    const txt = path.join(dir, 'notes.png');
    fs.writeFileSync(txt, 'this is not an image\n');
    await expect(loadRgb(txt)).rejects.toThrow(/not a supported image/);
    await expect(loadRgb(path.join(dir, 'missing.png'))).rejects.toThrow(/file not found/);
    await expect(loadRgb(Buffer.alloc(0))).rejects.toThrow(ImageInputError);
  });
});

describe('model inputs', () => {
  it('computes the CLIP shortest-edge size like transformers (long side truncated)', () => {
    expect(shortestEdgeSize(640, 480, 224)).toEqual({ width: 298, height: 224 });
    expect(shortestEdgeSize(300, 500, 224)).toEqual({ width: 224, height: 373 });
    expect(shortestEdgeSize(224, 224, 224)).toEqual({ width: 224, height: 224 });
  });

  it('centre-crops after the resize, stretches, or refuses a wrong size for resize none', () => {
    const src = { width: 40, height: 20, data: new Uint8Array(halves(40, 20)) };
    const { image, crop } = resizeForModel(src, { size: [10, 10], resize: 'shortest-edge-center-crop', interpolation: 'bilinear' });
    expect([image.width, image.height]).toEqual([10, 10]);
    expect(crop).toEqual({ left: 5, top: 0, resizedWidth: 20, resizedHeight: 10 });
    const full = resizePil(src.data, 40, 20, 3, 20, 10, 'bilinear');
    expect(Array.from(image.data.subarray(0, 30))).toEqual(Array.from(full.subarray(15, 45)));
    const st = resizeForModel(src, { size: [7, 9], resize: 'stretch', interpolation: 'bicubic' });
    expect([st.image.width, st.image.height]).toEqual([9, 7]);
    expect(() => resizeForModel(src, { size: [10, 10], resize: 'none', interpolation: 'bilinear' })).toThrow(/40×20, the model needs exactly 10×10/);
  });

  it('normalizes to float32 NCHW with scale, mean and std', async () => {
    const img = { width: 2, height: 1, data: new Uint8Array([255, 0, 128, 0, 255, 64]) };
    const t = toTensor(img, { scale: 1 / 255, mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] });
    const f = Math.fround;
    expect(Array.from(t)).toEqual([1, -1, f(-1), f(3), f(f(128 / 255) / 2), f(f(64 / 255) / 2)].map(f));
    const png = await sharp(halves(300, 200), { raw: { width: 300, height: 200, channels: 3 } }).png().toBuffer();
    const pre = await preprocess(png, CLIP);
    expect(pre.dims).toEqual([1, 3, 224, 224]);
    expect(pre.tensor.length).toBe(3 * 224 * 224);
    expect(pre.sourceSize).toEqual({ width: 300, height: 200 });
    // red channel on the left of the crop: (220/255 − mean) / std
    expect(pre.tensor[0]).toBeCloseTo((220 / 255 - CLIP.mean[0]) / CLIP.std[0], 2);
    expect(pre.tensor[2 * 224 * 224 + 223]).toBeCloseTo((220 / 255 - CLIP.mean[2]) / CLIP.std[2], 2);
  });
});
