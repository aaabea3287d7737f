/**
 * Stage 4 of an inspection: its files. The heatmap, mask, overlay (with the region boxes), comparison (the most
 * similar normal beside the overlay) and `map.png` (the normalized map, 8-bit) are drawn at the picture's aspect
 * ratio, at most ARTIFACT_MAX_SIDE a side, with the engine's drawing functions; the original is stored by content
 * and the artifacts are written on libuv's threads into a hidden staging folder next to it, which persist renames
 * to `<image>.<code>/` inside the inspection's transaction.
 *
 * The artifacts are drawn from the score stage's map and regions and the describe stage's reference, apart from
 * the verdict; what the record keeps of them is plain data (store paths and file names).
 */
import sharp from 'sharp';
import { comparisonPng, heatmapPng, mapPng, maskPng, overlayRgb, rgbPng } from '../engine/artifacts';
import { CancelledError } from '../engine/coreset';
import type { PatchcoreResult } from '../engine/ops';
import type { RgbImage } from '../engine/preprocess';
import { mapToSource, type Region as EngineRegion } from '../engine/regions';
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

/** What the record keeps of an inspection's files: store-relative paths and names. */
export interface StagedFiles {
  /** the original, stored by content */
  original: string;
  /** the hidden staging folder holding the artifacts until persist names it */
  staging: string;
  /** the artifact files in it */
  files: string[];
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

/** The picture the artifacts are drawn on: the decoded image, scaled so its longer side is at most ARTIFACT_MAX_SIDE. */
export async function artifactBase(rgb: RgbImage): Promise<RgbImage> {
  const k = Math.min(1, ARTIFACT_MAX_SIDE / Math.max(rgb.width, rgb.height));
  if (k === 1) return rgb;
  const width = Math.max(1, Math.round(rgb.width * k));
  const height = Math.max(1, Math.round(rgb.height * k));
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
  const reference = referenceAt?.(H) || Promise.resolve(base);
  reference.catch(() => undefined);
  const maps = Promise.all([heatmapPng(disp, W, H, { min: 0, max: 1 }), maskPng(disp, W, H, pixelThreshold), mapPng(disp, W, H)]);
  maps.catch(() => undefined);
  const overlay = await overlayRgb(base, disp, W, H, { min: 0, max: 1, regions: boxes, boxColor: [255, 45, 45] });
  const [[heatmap, mask, map], overlayFile, comparison] = await Promise.all([maps, rgbPng(overlay), comparisonPng(await reference, overlay, { height: H })]);
  return { heatmap, mask, overlay: overlayFile, comparison, map, size: { width: W, height: H } };
}

/**
 * Draws the artifacts (before the transaction: encoding them while it runs was measured slower, the encodes and
 * the database share the same cores), stores the original and starts writing the artifacts into a staging folder.
 * `written` settles when the files are on disk (persist awaits it before naming the folder; on failure nothing
 * stays).
 */
export async function artifacts(input: ArtifactsInput): Promise<{ files: StagedFiles; written: Promise<void> }> {
  const art = await renderArtifacts(await input.base, input.pc, input.pixelThreshold, input.mapRegions, input.referenceAt);
  if (input.signal?.aborted) throw new CancelledError('cancelled');
  const stored = input.store.putDecoded(input.decoded);
  const staging = ImageStore.stagingDirFor(stored.relPath);
  const pngs: Record<string, Buffer> = {
    [ARTIFACT_FILES.heatmap]: art.heatmap,
    [ARTIFACT_FILES.mask]: art.mask,
    [ARTIFACT_FILES.overlay]: art.overlay,
    [ARTIFACT_FILES.comparison]: art.comparison,
    [ARTIFACT_FILES.anomalyMap]: art.map,
  };
  const written = input.store.writeStaged(staging, pngs);
  written.catch(() => undefined);
  return { files: { original: stored.relPath, staging, files: Object.keys(pngs), size: art.size }, written };
}
