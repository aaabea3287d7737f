/**
 * Stage 4 of an inspection: its files. The heatmap, mask, overlay (with the region boxes), comparison (the most
 * similar normal beside the overlay) and `map.png` (the normalized map, 8-bit) are drawn at the picture's aspect
 * ratio, at most ARTIFACT_MAX_SIDE a side, with the engine's drawing functions. Every file is content-addressed
 * (decisions.md, Plant rule 4): the original and each artifact are named by their own sha256 in the image store's
 * layout (`ab/cd/<sha>.png`), written into the local cache on libuv's threads (a file named by its content needs no
 * staging: it is complete or absent, and the same name always means the same bytes). Their blobs go to the
 * database in persist's transaction.
 *
 * What the record keeps of them is plain data: each file's bytes, hash and store path (a journal can carry them
 * before anything is persisted).
 */
import sharp from 'sharp';
import { comparisonPng, heatmapPng, mapPng, maskPng, overlayRgb, rgbPng } from '../engine/artifacts';
import { CancelledError } from '../engine/coreset';
import type { PatchcoreResult } from '../engine/ops';
import type { RgbImage } from '../engine/preprocess';
import { mapToSource, type Region as EngineRegion } from '../engine/regions';
import fs from 'node:fs';
import path from 'node:path';
import { sha256Of } from '../../files/store';
import { ImageStore, type DecodedImage } from '../store';
import { regionToSource } from './score';

/** longest side of the artifact PNGs */
export const ARTIFACT_MAX_SIDE = 512;

/** The artifact files of an inspection by what they show (the names the result's paths end with). */
export const ARTIFACT_FILES = { heatmap: 'heatmap.png', mask: 'mask.png', overlay: 'overlay.png', comparison: 'comparison.png', anomalyMap: 'map.png' } as const;

export interface RenderedArtifacts {
  heatmap: Buffer;
  mask: Buffer;
  overlay: Buffer;
  comparison: Buffer;
  map: Buffer;
  /** the pictures' size */
  size: { width: number; height: number };
}

export type ArtifactName = keyof typeof ARTIFACT_FILES;
export const ARTIFACT_NAMES = Object.keys(ARTIFACT_FILES) as ArtifactName[];

/** One content-addressed file of an inspection: its bytes, their sha256 and its store path (`ab/cd/<sha>.<ext>`). */
export interface StoredFile {
  relPath: string;
  sha256: string;
  bytes: Buffer;
}

/** What the record keeps of an inspection's files (plain data and Buffers). */
export interface InspectionFiles {
  /** the original, stored by content */
  original: StoredFile;
  /** each artifact by what it shows */
  artifacts: Record<ArtifactName, StoredFile>;
  /** the artifacts' size */
  size: { width: number; height: number };
}

export interface ArtifactsInput {
  store: ImageStore;
  decoded: DecodedImage;
  /** the artifacts' base picture (artifactBase of the decoded pixels, started early) */
  base: Promise<RgbImage> | RgbImage;
  pc: Pick<PatchcoreResult, 'mapSize' | 'normalizedMap' | 'geometry'>;
  mapRegions: EngineRegion[];
  pixelThreshold: number;
  /** the reference picture scaled to a height (the comparison's left side), or null: the inspected picture twice */
  referenceAt?: ((height: number) => Promise<RgbImage> | null) | null;
  signal?: AbortSignal;
}

/** The artifacts' size for a picture of `width` × `height`: the longer side at most ARTIFACT_MAX_SIDE. */
export function artifactSize(width: number, height: number): { width: number; height: number } {
  const k = Math.min(1, ARTIFACT_MAX_SIDE / Math.max(width, height));
  if (k === 1) return { width, height };
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

/** The picture the artifacts are drawn on: the decoded image, scaled so its longer side is at most ARTIFACT_MAX_SIDE. */
export async function artifactBase(rgb: RgbImage): Promise<RgbImage> {
  const { width, height } = artifactSize(rgb.width, rgb.height);
  if (width === rgb.width && height === rgb.height) return rgb;
  const { data } = await sharp(Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength), { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Heatmap, mask, overlay (with region boxes), map and comparison PNGs with the engine's drawing functions. */
export async function renderArtifacts(
  base: RgbImage,
  pc: Pick<PatchcoreResult, 'mapSize' | 'normalizedMap' | 'geometry'>,
  pixelThreshold: number,
  mapRegions: EngineRegion[],
  referenceAt?: ((height: number) => Promise<RgbImage> | null) | null,
): Promise<RenderedArtifacts> {
  const W = base.width;
  const H = base.height;
  const [mapH, mapW] = pc.mapSize;
  // the normalized map on the (scaled) picture: crop / stretch undone
  const disp = mapToSource(pc.normalizedMap!, mapW, mapH, { ...pc.geometry, sourceSize: { width: W, height: H } });
  const boxes = mapRegions.map((r) => {
    const s = regionToSource(r, mapW, mapH, { ...pc.geometry, sourceSize: { width: W, height: H } });
    return { ...r, bbox: { x: s.x, y: s.y, width: s.width, height: s.height } };
  });
  // the reference is decoded and the three map pictures encoded on sharp's threads while the overlay is drawn
  // here; the overlay's pixels then feed the comparison directly (no PNG decode of the overlay)
  // a reference that cannot be had (another station's picture with the database away) shows the picture twice
  const reference = (referenceAt?.(H) || Promise.resolve(base)).catch(() => base);
  const maps = Promise.all([heatmapPng(disp, W, H, { min: 0, max: 1 }), maskPng(disp, W, H, pixelThreshold), mapPng(disp, W, H)]);
  maps.catch(() => undefined);
  const overlay = await overlayRgb(base, disp, W, H, { min: 0, max: 1, regions: boxes, boxColor: [255, 45, 45] });
  const [[heatmap, mask, map], overlayFile, comparison] = await Promise.all([maps, rgbPng(overlay), comparisonPng(await reference, overlay, { height: H })]);
  return { heatmap, mask, overlay: overlayFile, comparison, map, size: { width: W, height: H } };
}

/**
 * Draws the artifacts (before the transaction: encoding them while it runs was measured slower, the encodes and
 * the database share the same cores), hashes them and starts writing them (and the original) into the local cache
 * by content. `written` settles when the files are on disk.
 */
export async function artifacts(input: ArtifactsInput & { defer?: boolean }): Promise<{ files: InspectionFiles; written: Promise<void> | null; write: () => Promise<void> }> {
  const art = await renderArtifacts(await input.base, input.pc, input.pixelThreshold, input.mapRegions, input.referenceAt);
  if (input.signal?.aborted) throw new CancelledError('cancelled');
  const d = input.decoded;
  const original: StoredFile = { relPath: ImageStore.relPathFor(d.sha256, d.format), sha256: d.sha256, bytes: d.bytes };
  const pngs: Record<ArtifactName, Buffer> = { heatmap: art.heatmap, mask: art.mask, overlay: art.overlay, comparison: art.comparison, anomalyMap: art.map };
  const out = {} as Record<ArtifactName, StoredFile>;
  for (const name of ARTIFACT_NAMES) {
    const sha256 = sha256Of(pngs[name]);
    out[name] = { relPath: ImageStore.contentPath(sha256, 'png'), sha256, bytes: pngs[name] };
  }
  const write = () => writeFiles(input.store, [original, ...Object.values(out)]);
  // deferred (store and forward): the journal's fsync comes first, without these writes in the same ext4 commit
  const written = input.defer ? null : write();
  written?.catch(() => undefined);
  return { files: { original, artifacts: out, size: art.size }, written, write };
}

/** Writes content-addressed files into the store (on libuv's threads) unless there, and tells the cache. */
export async function writeFiles(store: ImageStore, files: StoredFile[]): Promise<void> {
  await Promise.all(
    files.map(async (f) => {
      const abs = store.abs(f.relPath);
      const st = await fs.promises.stat(abs).catch(() => null);
      if (st?.size !== f.bytes.length) {
        await fs.promises.mkdir(path.dirname(abs), { recursive: true });
        const tmp = `${abs}.${process.pid}.${f.sha256.slice(0, 8)}.${Math.random().toString(36).slice(2, 8)}.tmp`;
        await fs.promises.writeFile(tmp, f.bytes);
        await fs.promises.rename(tmp, abs);
      }
      store.files?.noteWritten(f.sha256, path.extname(f.relPath).slice(1), abs);
    }),
  );
}
