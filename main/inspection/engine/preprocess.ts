/**
 * Image loading and model input preprocessing. sharp decodes (refusing truncated or non-image files and images
 * above a pixel limit), applies the EXIF orientation and converts any colour space (greyscale, CMYK, 16-bit,
 * palette, alpha) to 8-bit sRGB; the resize itself reproduces Pillow (see resample.ts) so that inputs equal those
 * of the Python reference processors. The result is a Float32 NCHW tensor with the manifest's scale, mean and std.
 */
import sharp from 'sharp';
import { resizePil, type Interpolation } from './resample';

export type ResizeMode = 'shortest-edge-center-crop' | 'stretch' | 'none';

export interface InputSpec {
  name: string;
  /** [height, width] of the model input */
  size: [number, number];
  resize: ResizeMode;
  interpolation: Interpolation;
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
  layout: 'NCHW';
}

/** An 8-bit interleaved RGB image. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array; // width * height * 3
  /** set by loadRgb: the source had an alpha channel (so the other alpha rule would decode it differently) */
  hadAlpha?: boolean;
}

export interface PreprocessResult {
  tensor: Float32Array; // [1, 3, H, W]
  dims: [1, 3, number, number];
  /** the RGB image the tensor was made from (after resize/crop), for overlays */
  image: RgbImage;
  /** size of the decoded, orientation-corrected source */
  sourceSize: { width: number; height: number };
  /** crop window in the resized image's coordinates, and the resized size (shortest-edge-center-crop only) */
  crop?: { left: number; top: number; resizedWidth: number; resizedHeight: number };
}

/** Above this many pixels an input is refused (decompression bombs, camera misconfiguration). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * Why an image was refused, for a screen to say in the operator's language (the message says it in English, with
 * the particulars).
 */
export const IMAGE_PROBLEMS = ['encoding', 'empty', 'too_large', 'not_found', 'unreadable', 'format', 'no_size', 'too_many_pixels', 'too_small', 'damaged', 'model_size', 'channels', 'path_refused'] as const;
export type ImageProblem = (typeof IMAGE_PROBLEMS)[number];

/** An image that cannot be accepted; the message says why, for the operator, and `reason` names the case. */
export class ImageInputError extends Error {
  constructor(
    message: string,
    readonly reason: ImageProblem = 'unreadable',
  ) {
    super(message);
    this.name = 'ImageInputError';
  }
}

export type ImageSource = string | Buffer | Uint8Array;

function describe(src: ImageSource): string {
  return typeof src === 'string' ? src : `<${src.length}-byte buffer>`;
}

export interface LoadOptions {
  maxPixels?: number;
  /** what to do with an alpha channel: composite on white (Hugging Face's convert_to_rgb) or drop it (PIL convert('RGB')) */
  alpha?: 'flatten-white' | 'drop';
}

/**
 * Decodes an image file or buffer to 8-bit sRGB, EXIF orientation applied. Throws ImageInputError with a
 * readable reason for missing, truncated, non-image or oversized inputs.
 */
export async function loadRgb(src: ImageSource, opts: LoadOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const input = typeof src === 'string' ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(input, { failOn: 'error', limitInputPixels: false }).metadata();
  } catch (e) {
    const msg = (e as Error).message;
    if (typeof src === 'string' && /missing|no such file/i.test(msg)) throw new ImageInputError(`cannot read image ${src}: file not found`, 'not_found');
    throw new ImageInputError(`cannot read image ${describe(src)}: not a supported image (${msg})`);
  }
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (!(w > 0 && h > 0)) throw new ImageInputError(`cannot read image ${describe(src)}: no dimensions`, 'no_size');
  if (w * h > maxPixels)
    throw new ImageInputError(
      `image ${describe(src)} is ${w}×${h} = ${((w * h) / 1e6).toFixed(1)} MP, above the limit of ${(maxPixels / 1e6).toFixed(1)} MP`,
      'too_many_pixels',
    );
  if ((meta.pages ?? 1) > 1 && meta.format !== 'heif') {
    // animated GIF/WebP, multi-page TIFF: the first page is used (sharp's default)
  }
  try {
    const { image, channels } = await decodePixels(input, { alpha: opts.alpha, hasAlpha: Boolean(meta.hasAlpha), maxPixels });
    if (channels !== 3) throw new ImageInputError(`image ${describe(src)} decoded to ${channels} channels, expected 3`, 'channels');
    return image;
  } catch (e) {
    if (e instanceof ImageInputError) throw e;
    const msg = (e as Error).message;
    throw new ImageInputError(`cannot decode image ${describe(src)}: the file is truncated or damaged (${msg.split('\n')[0]})`, 'damaged');
  }
}

/**
 * The one sharp decode of the engine and the image store: EXIF orientation applied, an alpha channel dropped (PIL
 * convert('RGB')) or composited on white, sRGB, 8-bit interleaved. Sharp's errors pass through; `channels` is what
 * came out (3 unless the input was odd), for the caller's own message.
 */
export async function decodePixels(
  input: string | Buffer,
  opts: { alpha?: LoadOptions['alpha']; hasAlpha: boolean; maxPixels: number },
): Promise<{ image: RgbImage; channels: number }> {
  let p = sharp(input, { failOn: 'error', limitInputPixels: opts.maxPixels }).rotate();
  if (opts.hasAlpha) p = opts.alpha === 'drop' ? p.removeAlpha() : p.flatten({ background: { r: 255, g: 255, b: 255 } });
  const { data, info } = await p.toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { image: { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), hadAlpha: opts.hasAlpha }, channels: info.channels };
}

/** Output size of Hugging Face's resize with {"shortest_edge": s} (default_to_square False): the long side truncated. */
export function shortestEdgeSize(width: number, height: number, shortest: number): { width: number; height: number } {
  if (width <= height) return { width: shortest, height: Math.trunc((shortest * height) / width) };
  return { width: Math.trunc((shortest * width) / height), height: shortest };
}

/** Resizes (and crops) an RGB image the way the manifest says; returns the model-sized image. */
export function resizeForModel(img: RgbImage, spec: Pick<InputSpec, 'size' | 'resize' | 'interpolation'>): { image: RgbImage; crop?: PreprocessResult['crop'] } {
  const [H, W] = spec.size;
  if (spec.resize === 'none') {
    if (img.width !== W || img.height !== H) throw new ImageInputError(`image is ${img.width}×${img.height}, the model needs exactly ${W}×${H} (resize: none)`, 'model_size');
    return { image: img };
  }
  if (spec.resize === 'stretch') {
    return { image: { width: W, height: H, data: resizePil(img.data, img.width, img.height, 3, W, H, spec.interpolation) } };
  }
  // shortest edge to max(H, W) (CLIP: 224), then a centred H×W crop, like CLIPImageProcessor
  const s = Math.max(H, W);
  const r = shortestEdgeSize(img.width, img.height, s);
  const resized = resizePil(img.data, img.width, img.height, 3, r.width, r.height, spec.interpolation);
  // transformers' center_crop: top = (h - crop_h) // 2, left = (w - crop_w) // 2
  const top = Math.floor((r.height - H) / 2);
  const left = Math.floor((r.width - W) / 2);
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= r.height) continue;
    for (let x = 0; x < W; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= r.width) continue;
      const si = (sy * r.width + sx) * 3;
      const di = (y * W + x) * 3;
      out[di] = resized[si];
      out[di + 1] = resized[si + 1];
      out[di + 2] = resized[si + 2];
    }
  }
  return { image: { width: W, height: H, data: out }, crop: { left, top, resizedWidth: r.width, resizedHeight: r.height } };
}

/** RGB uint8 → Float32 NCHW: (v · scale − mean) / std per channel, in float32 like numpy/torch. */
export function toTensor(img: RgbImage, spec: Pick<InputSpec, 'scale' | 'mean' | 'std'>, out?: Float32Array, offset = 0): Float32Array {
  const n = img.width * img.height;
  const t = out ?? new Float32Array(3 * n);
  const f = Math.fround;
  const mean = spec.mean.map(f);
  const std = spec.std.map(f);
  // lookup table per channel: 256 values
  for (let c = 0; c < 3; c++) {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = f(f(f(v * spec.scale) - mean[c]) / std[c]);
    const base = offset + c * n;
    for (let i = 0; i < n; i++) t[base + i] = lut[img.data[i * 3 + c]];
  }
  return t;
}

/** Decode + resize + normalize one image for a model input. */
export async function preprocess(src: ImageSource | RgbImage, spec: InputSpec, opts: LoadOptions = {}): Promise<PreprocessResult> {
  const rgb = isRgb(src) ? src : await loadRgb(src, opts);
  const { image, crop } = resizeForModel(rgb, spec);
  const tensor = toTensor(image, spec);
  return { tensor, dims: [1, 3, spec.size[0], spec.size[1]], image, sourceSize: { width: rgb.width, height: rgb.height }, crop };
}

export function isRgb(x: unknown): x is RgbImage {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && 'data' in x && 'width' in x && 'height' in x;
}
