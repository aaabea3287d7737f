/**
 * The artifacts stage alone: a generated part picture, a normalized map with one hot square, no engine and no
 * database. The pictures are read back and checked pixel by pixel; each file lands in the store by its own hash.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../engine/preprocess';
import { findRegions } from '../engine/regions';
import { generateImage } from '../synth/generate';
import { decodeImage, ImageStore, type DecodedImage } from '../store';
import { ARTIFACT_FILES, ARTIFACT_MAX_SIDE, artifactBase, artifacts, renderArtifacts } from './artifacts';

const MAP = 64;
/** 0.1 everywhere, 1.0 on map rows 16–31 × columns 32–47 */
function hotSquare(): Float32Array {
  const m = new Float32Array(MAP * MAP).fill(0.1);
  for (let y = 16; y < 32; y++) for (let x = 32; x < 48; x++) m[y * MAP + x] = 1;
  return m;
}
/** A pixel of a PNG: one value for a greyscale file, three for RGB. */
async function pixel(png: Buffer, x: number, y: number): Promise<number[]> {
  const { channels } = await sharp(png).metadata();
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const p = (y * info.width + x) * info.channels;
  return [...data.subarray(p, p + Math.min(channels ?? info.channels, info.channels))];
}

describe('artifacts', () => {
  let home: string;
  let decoded: DecodedImage & { rgb: RgbImage };
  const map = hotSquare();
  const pc = (w: number, h: number) => ({ mapSize: [MAP, MAP] as [number, number], normalizedMap: map, geometry: { resize: 'stretch' as const, sourceSize: { width: w, height: h } } });
  const mapRegions = findRegions(map, MAP, MAP, 0.9);

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-stage-art-'));
    const img = await generateImage({ surface: 'cast', level: 'plain', label: 'hole', seed: 'stage-artifacts', index: 0, size: 256 });
    decoded = (await decodeImage(img.png, img.name, { pixels: true })) as typeof decoded;
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('scales the base picture to at most ARTIFACT_MAX_SIDE a side, keeping its aspect; a small picture is used as it is', async () => {
    expect(await artifactBase(decoded.rgb)).toBe(decoded.rgb);
    const big = await decodeImage(await sharp(decoded.bytes).resize(1280, 960, { fit: 'fill' }).png().toBuffer(), 'big.png', { pixels: true });
    const base = await artifactBase(big.rgb!);
    expect([base.width, base.height]).toEqual([ARTIFACT_MAX_SIDE, 384]);
    expect(base.data.length).toBe(ARTIFACT_MAX_SIDE * 384 * 3);
  });

  it('draws heatmap, mask, map, overlay with the region box, and the comparison from the map and the regions', async () => {
    expect(mapRegions).toHaveLength(1);
    const art = await renderArtifacts(decoded.rgb, pc(256, 256), 0.9, mapRegions);
    expect(art.size).toEqual({ width: 256, height: 256 });
    for (const k of ['heatmap', 'mask', 'overlay', 'map'] as const) expect(await sharp(art[k]).metadata()).toMatchObject({ format: 'png', width: 256, height: 256 });
    // the hot square is map columns 32–47, rows 16–31: picture x 128–191, y 64–127
    expect(await pixel(art.mask, 160, 96)).toEqual([255]);
    expect(await pixel(art.mask, 20, 200)).toEqual([0]);
    expect(await pixel(art.map, 160, 96)).toEqual([255]);
    expect(await pixel(art.map, 20, 200)).toEqual([Math.round(0.1 * 255)]);
    // the region's box on the overlay, in the picture's pixels; the picture itself where there is no heat above the floor
    expect(await pixel(art.overlay, 128, 96)).toEqual([255, 45, 45]);
    expect(await pixel(art.heatmap, 160, 96)).not.toEqual(await pixel(art.heatmap, 20, 200));
    // no reference: the inspected picture on both sides, 8 px apart
    expect(await sharp(art.comparison).metadata()).toMatchObject({ width: 256 * 2 + 8, height: 256 });
    const p = (10 * 256 + 10) * 3;
    expect(await pixel(art.comparison, 10, 10)).toEqual([...decoded.rgb.data.subarray(p, p + 3)]);
  });

  it('puts the reference picture at the comparison height on its left', async () => {
    const heights: number[] = [];
    const red = (h: number): Promise<RgbImage> => {
      heights.push(h);
      return Promise.resolve({ width: 100, height: h, data: new Uint8Array(100 * h * 3).map((_, i) => (i % 3 === 0 ? 255 : 0)) });
    };
    const art = await renderArtifacts(decoded.rgb, pc(256, 256), 0.9, mapRegions, red);
    expect(heights).toEqual([256]);
    expect(await sharp(art.comparison).metadata()).toMatchObject({ width: 100 + 8 + 256, height: 256 });
    expect(await pixel(art.comparison, 50, 50)).toEqual([255, 0, 0]);
  });

  it('hands back each file’s bytes, sha256 and content-addressed path, and writes them into the store', async () => {
    const store = new ImageStore(path.join(home, 'images'));
    const { files, written } = await artifacts({ store, decoded, base: artifactBase(decoded.rgb), pc: pc(256, 256), mapRegions, pixelThreshold: 0.9 });
    await written;
    expect(files.original.relPath).toBe(ImageStore.relPathFor(decoded.sha256, 'png'));
    expect(files.original.sha256).toBe(decoded.sha256);
    expect(fs.readFileSync(store.abs(files.original.relPath)).equals(decoded.bytes)).toBe(true);
    expect(Object.keys(files.artifacts).sort()).toEqual(Object.keys(ARTIFACT_FILES).sort());
    for (const f of Object.values(files.artifacts)) {
      expect(f.sha256).toBe(crypto.createHash('sha256').update(f.bytes).digest('hex'));
      expect(f.relPath).toBe(`${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}.png`);
      expect(fs.readFileSync(store.abs(f.relPath)).equals(f.bytes)).toBe(true);
      expect((await sharp(f.bytes).metadata()).format).toBe('png');
    }
    // no staging folder, nothing else written
    expect(fs.readdirSync(store.root, { recursive: true }).map(String).filter((f) => f.includes('staging') || f.endsWith('.tmp'))).toEqual([]);
    expect(files.size).toEqual({ width: 256, height: 256 });
    // plain data and Buffers: what the record keeps survives a structured clone
    const clone = v8.deserialize(v8.serialize(files)) as typeof files;
    expect(Buffer.from(clone.artifacts.heatmap.bytes).equals(files.artifacts.heatmap.bytes)).toBe(true);
    expect(clone.artifacts.mask.relPath).toBe(files.artifacts.mask.relPath);
  });

  it('writes nothing when cancelled after drawing', async () => {
    const store = new ImageStore(path.join(home, 'images-cancelled'));
    const ac = new AbortController();
    ac.abort();
    await expect(artifacts({ store, decoded, base: decoded.rgb, pc: pc(256, 256), mapRegions, pixelThreshold: 0.9, signal: ac.signal })).rejects.toMatchObject({ name: 'CancelledError' });
    expect(fs.existsSync(store.root)).toBe(false);
  });
});
