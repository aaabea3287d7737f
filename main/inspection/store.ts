/**
 * The image store: files under LINEDECK_HOME/images, content-addressed by sha-256 in two levels of hashed
 * sub-folders (`ab/cd/abcd…ef.png`), so the same picture uploaded twice is stored once and a folder never holds
 * more than a few hundred files. The database keeps paths relative to the store's root (a station folder can be
 * moved). It is also the local cache of the plant's shared files (main/files/): an inspection's artifacts (heatmap,
 * mask, overlay, comparison, map), banks and manuals are stored the same way, each by its own hash. Inspections
 * made before issue 15 keep their artifacts in a folder named after the image and the inspection code
 * (`ab/cd/<sha>.INS-…/heatmap.png`); those paths still resolve.
 *
 * Every input is decoded with sharp before it is stored: what is not a supported image is refused with a clear
 * message (ImageInputError) and nothing is written.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { contentOf, contentRelPath, type FileStore } from '../files/store';
import { writeAtomic } from '../lib/fsutil';
import { pathProblem } from '../lib/paths';
import { decodePixels, ImageInputError, type RgbImage } from './engine/preprocess';

export { ImageInputError };

export const SUPPORTED_FORMATS = ['jpeg', 'png', 'webp', 'tiff'] as const;
export type StoredFormat = (typeof SUPPORTED_FORMATS)[number];
const EXT: Record<StoredFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', tiff: 'tif' };
const MIME: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', tif: 'image/tiff', tiff: 'image/tiff', md: 'text/markdown', pdf: 'application/pdf', txt: 'text/plain' };

/** Largest file accepted (bytes) and largest picture (pixels): a 50 MB / 60 MP limit keeps a station responsive. */
export const MAX_IMAGE_BYTES = 50 * 1024 * 1024;
export const MAX_IMAGE_PIXELS = 60_000_000;
/** Smallest useful side: below this there is nothing to inspect. */
export const MIN_IMAGE_SIDE = 16;

/**
 * An image as the API receives it: its bytes (IPC structured clone, the host's multipart upload), base64 (optionally
 * a data: URL; the CLI and JSON callers) or a path on this station.
 */
export type ImageInput = { bytes: Uint8Array; fileName?: string } | { base64: string; fileName?: string } | { path: string; fileName?: string };

export interface DecodedImage {
  bytes: Buffer;
  sha256: string;
  format: StoredFormat;
  width: number;
  height: number;
  fileName: string;
  /** what sharp reports that is worth keeping (stored as image_metadata.exif_data) */
  meta: Record<string, unknown>;
  /**
   * with `{ pixels: true }`: the decoded picture through the engine's own decode (decodePixels: EXIF orientation
   * applied, sRGB, alpha dropped), so the inspection decodes once
   */
  rgb?: RgbImage;
}

export interface StoredImage extends DecodedImage {
  /** path relative to the store root, forward slashes */
  relPath: string;
  absPath: string;
  /** true when the same content was already stored */
  existed: boolean;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads the bytes of an ImageInput, without judging them yet. */
export function readImageInput(input: ImageInput): { bytes: Buffer; fileName: string } {
  if ('bytes' in input) {
    const b = input.bytes;
    if (!b.byteLength) throw new ImageInputError('the image is empty', 'empty');
    if (b.byteLength > MAX_IMAGE_BYTES) throw new ImageInputError(`the image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`, 'too_large');
    // a Uint8Array after a structured clone: wrap its memory, no copy
    return { bytes: Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength), fileName: safeFileName(input.fileName ?? 'upload') };
  }
  if ('base64' in input) {
    let s = input.base64.trim();
    const m = /^data:([a-z0-9.+/-]*)?(;[^,]*)?,/i.exec(s);
    if (m) {
      if (!/;base64/i.test(m[2] ?? '')) throw new ImageInputError('the data URL is not base64-encoded', 'encoding');
      s = s.slice(m[0].length);
    }
    s = s.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
    if (!s.length) throw new ImageInputError('the image is empty', 'empty');
    if (!B64.test(s) || s.length % 4 === 1) throw new ImageInputError('the image is not valid base64', 'encoding');
    if ((s.length * 3) / 4 > MAX_IMAGE_BYTES + 4) throw new ImageInputError(`the image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`, 'too_large');
    return { bytes: Buffer.from(s, 'base64'), fileName: safeFileName(input.fileName ?? 'upload') };
  }
  // no UNC, device or URL paths, from any caller (decisions: a share would make the station authenticate to it)
  const problem = pathProblem(input.path);
  if (problem) throw new ImageInputError(`the path ${JSON.stringify(input.path)} ${problem}`, 'path_refused');
  const p = path.resolve(input.path);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new ImageInputError(`no such file: ${p}`, 'not_found');
  }
  if (!st.isFile()) throw new ImageInputError(`not a file: ${p}`, 'not_found');
  if (st.size === 0) throw new ImageInputError(`the file is empty: ${p}`, 'empty');
  if (st.size > MAX_IMAGE_BYTES) throw new ImageInputError(`${p} is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`, 'too_large');
  return { bytes: fs.readFileSync(p), fileName: safeFileName(input.fileName ?? path.basename(p)) };
}

/** Decodes and checks an image (format, size, that its pixels decode); throws ImageInputError when unusable. */
export async function decodeImage(bytes: Buffer, fileName = 'image', opts: { pixels?: boolean } = {}): Promise<DecodedImage> {
  if (!bytes.length) throw new ImageInputError(`${fileName}: the image is empty`, 'empty');
  if (bytes.length > MAX_IMAGE_BYTES) throw new ImageInputError(`${fileName}: larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`, 'too_large');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).metadata();
  } catch (e) {
    throw new ImageInputError(`${fileName}: not a readable image (${shortSharpMessage(e)})`);
  }
  const format = meta.format as string | undefined;
  if (!format || !(SUPPORTED_FORMATS as readonly string[]).includes(format))
    throw new ImageInputError(`${fileName}: unsupported image format ${format ?? 'unknown'} (use JPEG, PNG, WebP or TIFF)`, 'format');
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new ImageInputError(`${fileName}: the image has no size`, 'no_size');
  if (width * height > MAX_IMAGE_PIXELS) throw new ImageInputError(`${fileName}: ${width}×${height} is more than ${MAX_IMAGE_PIXELS / 1e6} megapixels`, 'too_many_pixels');
  if (width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE) throw new ImageInputError(`${fileName}: ${width}×${height} is too small (at least ${MIN_IMAGE_SIDE} pixels a side)`, 'too_small');
  let rgb: DecodedImage['rgb'];
  try {
    // a truncated or corrupt file can have a valid header: decode the pixels once to be sure
    if (opts.pixels) {
      const { image, channels } = await decodePixels(bytes, { alpha: 'drop', hasAlpha: Boolean(meta.hasAlpha), maxPixels: MAX_IMAGE_PIXELS });
      if (channels !== 3) throw new Error(`decoded to ${channels} channels, expected 3`);
      rgb = image;
    } else await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' }).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
  } catch (e) {
    throw new ImageInputError(`${fileName}: the image data is damaged (${shortSharpMessage(e)})`, 'damaged');
  }
  return {
    rgb,
    bytes,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    format: format as StoredFormat,
    width,
    height,
    fileName,
    meta: {
      format,
      width,
      height,
      space: meta.space,
      channels: meta.channels,
      depth: meta.depth,
      density: meta.density,
      hasAlpha: meta.hasAlpha,
      orientation: meta.orientation,
      isProgressive: meta.isProgressive,
      hasExif: Boolean(meta.exif),
      hasIcc: Boolean(meta.icc),
    },
  };
}

function shortSharpMessage(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .split('\n')[0]
    .replace(/^Input buffer (contains|has) /, '')
    .slice(0, 160);
}

/** A file name safe to store in the database and show: no folders, no control characters, at most 200 chars. */
export function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const base = path.basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f<>:"|?*]/g, '_').trim();
  return (base || 'image').slice(0, 200);
}

export function mimeOf(file: string): string {
  return MIME[path.extname(file).slice(1).toLowerCase()] ?? 'application/octet-stream';
}

export class ImageStore {
  /** the plant's shared files (blobs + this cache); without it the store is local only (tests of the stages) */
  files?: FileStore;
  constructor(readonly root: string, files?: FileStore) {
    this.files = files;
  }

  /** Absolute path of a stored relative path; refuses paths that leave the store. */
  abs(relPath: string): string {
    const p = path.resolve(this.root, relPath);
    const rel = path.relative(this.root, p);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw new ImageInputError(`path outside the image store: ${relPath}`, 'not_found');
    return p;
  }

  /** The relative path of an original by content. */
  static relPathFor(sha256: string, format: StoredFormat): string {
    return `${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}.${EXT[format]}`;
  }

  /** Decodes, checks and stores an image (once per content). */
  async put(input: ImageInput | Buffer, fileName?: string): Promise<StoredImage> {
    const raw = Buffer.isBuffer(input) ? { bytes: input, fileName: safeFileName(fileName ?? 'image') } : readImageInput(input);
    const img = await decodeImage(raw.bytes, raw.fileName);
    return this.putDecoded(img);
  }

  /**
   * Stores a decoded image in the local cache by content (once). Its blob goes to the database with the row that
   * names it (InspectionService.insertReferenceImage, the inspection's persist stage), or by `files.upload`.
   */
  putDecoded(img: DecodedImage): StoredImage {
    const relPath = ImageStore.relPathFor(img.sha256, img.format);
    const absPath = this.abs(relPath);
    const existed = fs.existsSync(absPath) && fs.statSync(absPath).size === img.bytes.length;
    if (this.files) this.files.writeLocal(img.bytes, EXT[img.format], img.sha256);
    else if (!existed) writeAtomic(absPath, img.bytes);
    return { ...img, relPath, absPath, existed };
  }

  /**
   * The absolute path of a stored relative path, fetched from the plant database by its content address when this
   * console does not have it (another station's picture). Old-style paths (artifact folders) resolve where they
   * are, or on another console by the content upload-missing recorded for them.
   */
  async local(relPath: string): Promise<string> {
    const abs = this.abs(relPath);
    if (!this.files) return abs;
    if (!contentOf(relPath) && fs.existsSync(abs)) return abs;
    return this.files.resolveRel(relPath);
  }

  /** Writes bytes at a store path unless a file of that size is there (an original by content, from a journal). */
  putBytes(relPath: string, bytes: Buffer): void {
    const absPath = this.abs(relPath);
    const st = fs.statSync(absPath, { throwIfNoEntry: false });
    if (st?.size !== bytes.length) writeAtomic(absPath, bytes);
  }

  /** Path of an artifact or any content-addressed file (`ab/cd/<sha>.<ext>`). */
  static contentPath(sha256: string, ext: string): string {
    return contentRelPath(sha256, ext);
  }
}

export { writeAtomic };
