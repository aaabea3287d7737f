/**
 * Inspection artifacts as PNG (sharp): heatmap of an anomaly map with a perceptual colour map (turbo or viridis),
 * binary mask, heatmap overlay on the inspected image (with region boxes), and a side-by-side comparison with a
 * reference image.
 */
import sharp from 'sharp';
import { loadRgb, isRgb, type ImageSource, type RgbImage } from './preprocess';
import { resizeMap, type Region } from './regions';

export type ColorMap = 'turbo' | 'viridis';

function clamp01(x: number) {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Google's polynomial approximation of Turbo (Mikhailov 2019). */
function turbo(x: number): [number, number, number] {
  x = clamp01(x);
  const x2 = x * x;
  const x3 = x2 * x;
  const x4 = x2 * x2;
  const x5 = x4 * x;
  const r = 0.13572138 + 4.6153926 * x - 42.66032258 * x2 + 132.13108234 * x3 - 152.94239396 * x4 + 59.28637943 * x5;
  const g = 0.09140261 + 2.19418839 * x + 4.84296658 * x2 - 14.18503333 * x3 + 4.27729857 * x4 + 2.82956604 * x5;
  const b = 0.1066733 + 12.64194608 * x - 60.58204836 * x2 + 110.36276771 * x3 - 89.90310912 * x4 + 27.34824973 * x5;
  return [clamp01(r), clamp01(g), clamp01(b)];
}

/** Polynomial fit of matplotlib's viridis (degree 6; within 4 levels of matplotlib's table). */
function viridis(t: number): [number, number, number] {
  t = clamp01(t);
  const c = [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
  ];
  const out: [number, number, number] = [0, 0, 0];
  for (let ch = 0; ch < 3; ch++) {
    let v = c[6][ch];
    for (let i = 5; i >= 0; i--) v = c[i][ch] + t * v;
    out[ch] = clamp01(v);
  }
  return out;
}

const luts = new Map<ColorMap, Uint8Array>();

/** 256 × RGB lookup table of a colour map. */
export function colorLut(name: ColorMap): Uint8Array {
  let lut = luts.get(name);
  if (!lut) {
    lut = new Uint8Array(256 * 3);
    const f = name === 'turbo' ? turbo : viridis;
    for (let i = 0; i < 256; i++) {
      const [r, g, b] = f(i / 255);
      lut[i * 3] = Math.round(r * 255);
      lut[i * 3 + 1] = Math.round(g * 255);
      lut[i * 3 + 2] = Math.round(b * 255);
    }
    luts.set(name, lut);
  }
  return lut;
}

export interface ColorizeOptions {
  /** value shown as the colour map's start / end (default 0 / 1: normalized maps) */
  min?: number;
  max?: number;
  colormap?: ColorMap;
}

/** The colour scale of the options: its start `lo`, levels per unit `k` (for colourLevel) and the LUT. */
function colourScale(opts: ColorizeOptions): { lo: number; k: number; lut: Uint8Array } {
  const lo = opts.min ?? 0;
  const hi = opts.max ?? 1;
  if (!(hi > lo)) throw new Error(`colour range must have max > min (got ${lo}..${hi})`);
  return { lo, k: 255 / (hi - lo), lut: colorLut(opts.colormap ?? 'turbo') };
}

/** A value's LUT level 0…255 on a colour scale (rounded, clipped; NaN → 0). */
function colourLevel(v: number, lo: number, k: number): number {
  const q = Math.round((v - lo) * k);
  return q >= 0 ? (q > 255 ? 255 : q) : 0;
}

/** Map → interleaved RGB through the LUT. */
export function colorize(map: Float32Array, opts: ColorizeOptions = {}): Uint8Array {
  const { lo, k, lut } = colourScale(opts);
  const out = new Uint8Array(map.length * 3);
  for (let i = 0; i < map.length; i++) {
    const v = colourLevel(map[i], lo, k);
    out[i * 3] = lut[v * 3];
    out[i * 3 + 1] = lut[v * 3 + 1];
    out[i * 3 + 2] = lut[v * 3 + 2];
  }
  return out;
}

/**
 * zlib levels per kind of picture, from measurements at 512 × 384 (sharp, 2 cores): a colour-mapped or grey
 * anomaly map is smooth, and level 3 keeps it within a quarter of level 6's size at half the time (heatmap
 * 63 vs 50 KiB, 7 vs 14 ms); a picture of a part is noise-rich, and deflate saves at most 30 % of it at any level
 * for 4–7× the time (overlay 577 KiB stored in 3 ms, 402 KiB at level 6 in 20 ms), so overlays and comparisons
 * are stored (level 0) — both can be drawn again from the original and map.png.
 */
export const PNG_LEVEL = { map: 3, mask: 6, picture: 0 } as const;

function png(data: Uint8Array, w: number, h: number, channels: 1 | 3 | 4, compressionLevel: number): Promise<Buffer> {
  let p = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width: w, height: h, channels } });
  if (channels === 1) p = p.toColourspace('b-w');
  return p.png({ compressionLevel }).toBuffer();
}

function checkMap(map: Float32Array, w: number, h: number) {
  if (!(w > 0 && h > 0) || map.length !== w * h) throw new Error(`map has ${map.length} values, expected ${w}×${h}`);
}

/** Heatmap PNG of a map (at the map's size, or scaled to `size`). */
export async function heatmapPng(map: Float32Array, w: number, h: number, opts: ColorizeOptions & { size?: { width: number; height: number } } = {}): Promise<Buffer> {
  checkMap(map, w, h);
  let m = map;
  let W = w;
  let H = h;
  if (opts.size) {
    m = resizeMap(map, w, h, opts.size.width, opts.size.height);
    W = opts.size.width;
    H = opts.size.height;
  }
  return png(colorize(m, opts), W, H, 3, PNG_LEVEL.map);
}

/** Binary mask PNG (greyscale, 255 where map ≥ threshold, or where mask ≠ 0). */
export async function maskPng(map: Float32Array | Uint8Array, w: number, h: number, threshold = 0.5): Promise<Buffer> {
  if (map.length !== w * h) throw new Error(`mask has ${map.length} values, expected ${w}×${h}`);
  const out = new Uint8Array(w * h);
  if (map instanceof Uint8Array) for (let i = 0; i < out.length; i++) out[i] = map[i] ? 255 : 0;
  else for (let i = 0; i < out.length; i++) out[i] = map[i] >= threshold ? 255 : 0;
  return png(out, w, h, 1, PNG_LEVEL.mask);
}

/**
 * A normalized [0, 1] map as an 8-bit greyscale PNG (value = round(v · 255), clipped): what the station screen
 * thresholds on the client to redraw the mask live.
 */
export async function mapPng(map: Float32Array, w: number, h: number): Promise<Buffer> {
  checkMap(map, w, h);
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(map[i] * 255);
    out[i] = v > 0 ? (v < 255 ? v : 255) : 0;
  }
  return png(out, w, h, 1, PNG_LEVEL.map);
}

async function asRgb(img: ImageSource | RgbImage): Promise<RgbImage> {
  return isRgb(img) ? img : loadRgb(img);
}

function drawRect(img: RgbImage, x0: number, y0: number, x1: number, y1: number, color: [number, number, number], thickness: number) {
  const { width: w, height: h, data } = img;
  const set = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    const p = (y * w + x) * 3;
    data[p] = color[0];
    data[p + 1] = color[1];
    data[p + 2] = color[2];
  };
  for (let t = 0; t < thickness; t++) {
    for (let x = x0; x <= x1; x++) {
      set(x, y0 + t);
      set(x, y1 - t);
    }
    for (let y = y0; y <= y1; y++) {
      set(x0 + t, y);
      set(x1 - t, y);
    }
  }
}

export interface OverlayOptions extends ColorizeOptions {
  /** heat opacity at the top of the range (default 0.55) */
  alpha?: number;
  /** values below this are not tinted (default: min) */
  floor?: number;
  /** boxes to draw, in map coordinates */
  regions?: Region[];
  boxColor?: [number, number, number];
}

/**
 * Heat overlay on `base` (file, buffer or RGB): the map is resized to the base image and alpha-blended, opacity
 * growing with the value; region boxes are drawn in base-image pixels.
 */
export async function overlayPng(base: ImageSource | RgbImage, map: Float32Array, w: number, h: number, opts: OverlayOptions = {}): Promise<Buffer> {
  const out = await overlayRgb(base, map, w, h, opts);
  return png(out.data, out.width, out.height, 3, PNG_LEVEL.picture);
}

/** The overlay as RGB pixels (for a comparison drawn from it without decoding its PNG again). */
export async function overlayRgb(base: ImageSource | RgbImage, map: Float32Array, w: number, h: number, opts: OverlayOptions = {}): Promise<RgbImage> {
  checkMap(map, w, h);
  const img = await asRgb(base);
  const W = img.width;
  const H = img.height;
  const m = w === W && h === H ? map : resizeMap(map, w, h, W, H);
  const { lo, k, lut } = colourScale(opts);
  const floor = opts.floor ?? lo;
  const alpha = opts.alpha ?? 0.55;
  // per colour level (the LUT index): the heat opacity in 1/256ths, growing with the value; the blend in integers
  const a256 = new Int32Array(256);
  for (let q = 0; q < 256; q++) a256[q] = Math.round(256 * alpha * (0.35 + 0.65 * (q / 255)));
  const src = img.data;
  const dst = new Uint8Array(src);
  for (let i = 0, p = 0; i < W * H; i++, p += 3) {
    const v = m[i];
    if (!(v > floor)) continue;
    const q = colourLevel(v, lo, k);
    const a = a256[q];
    const b = 256 - a;
    const l = q * 3;
    dst[p] = (src[p] * b + lut[l] * a + 128) >> 8;
    dst[p + 1] = (src[p + 1] * b + lut[l + 1] * a + 128) >> 8;
    dst[p + 2] = (src[p + 2] * b + lut[l + 2] * a + 128) >> 8;
  }
  const out: RgbImage = { width: W, height: H, data: dst };
  if (opts.regions?.length) {
    const kx = W / w;
    const ky = H / h;
    const th = Math.max(1, Math.round(Math.min(W, H) / 200));
    for (const r of opts.regions) {
      drawRect(
        out,
        Math.floor(r.bbox.x * kx),
        Math.floor(r.bbox.y * ky),
        Math.ceil((r.bbox.x + r.bbox.width) * kx) - 1,
        Math.ceil((r.bbox.y + r.bbox.height) * ky) - 1,
        opts.boxColor ?? [255, 255, 255],
        th,
      );
    }
  }
  return out;
}

/**
 * Side by side: reference (left) and inspected image (right, e.g. an overlay PNG), both scaled to the same height
 * (default: the smaller of the two, at most 1024), with a gap.
 */
export async function comparisonPng(reference: ImageSource | RgbImage, inspected: ImageSource | RgbImage, opts: { height?: number; gap?: number; background?: [number, number, number] } = {}): Promise<Buffer> {
  const [a, b] = await Promise.all([asRgb(reference), asRgb(inspected)]);
  const H = Math.max(16, Math.round(opts.height ?? Math.min(1024, a.height, b.height)));
  const gap = opts.gap ?? 8;
  // each side at height H (lanczos3 where it must be scaled), pasted row by row, one PNG encode
  const sides = await Promise.all([a, b].map((img) => atHeight(img, H)));
  const W = sides[0].width + gap + sides[1].width;
  const bg = opts.background ?? [32, 32, 32];
  const out = new Uint8Array(W * H * 3);
  const left = [0, sides[0].width + gap];
  for (let y = 0; y < H; y++) {
    for (let k = 0; k < 2; k++) {
      const row = sides[k].width * 3;
      out.set(sides[k].data.subarray(y * row, (y + 1) * row), (y * W + left[k]) * 3);
    }
    // the gap between them
    for (let x = sides[0].width; x < left[1]; x++) {
      const p = (y * W + x) * 3;
      out[p] = bg[0];
      out[p + 1] = bg[1];
      out[p + 2] = bg[2];
    }
  }
  return png(out, W, H, 3, PNG_LEVEL.picture);
}

/**
 * A picture scaled to height H at its aspect ratio (lanczos3), as a comparison side; the picture itself when it
 * has that height. A caller that shows the same reference again can keep this and pass it to comparisonPng.
 */
export async function atHeight(img: RgbImage, H: number): Promise<RgbImage> {
  const width = Math.max(1, Math.round((img.width * H) / img.height));
  if (width === img.width && H === img.height) return img;
  const { data } = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, H, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width, height: H, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** RGB image → PNG. */
export function rgbPng(img: RgbImage): Promise<Buffer> {
  return png(img.data, img.width, img.height, 3, PNG_LEVEL.picture);
}
