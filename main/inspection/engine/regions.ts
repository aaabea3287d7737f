/**
 * Defect regions: connected components (8-connectivity) of a thresholded anomaly map, each with its bounding box,
 * area, and the max / mean of the map inside it; plus map geometry helpers (bilinear resize, back-projection onto the
 * source image when the model input was a resize / centre crop of it).
 */
import type { PreprocessResult, ResizeMode } from './preprocess';

export interface Region {
  /** 1-based label, regions sorted by max descending */
  id: number;
  bbox: { x: number; y: number; width: number; height: number };
  /** pixels in the component */
  area: number;
  /** area / (w · h) */
  areaFraction: number;
  max: number;
  mean: number;
  /** map coordinates of the component's maximum */
  peak: { x: number; y: number };
  centroid: { x: number; y: number };
}

export interface RegionOptions {
  /** components smaller than this many pixels are dropped (default 1) */
  minArea?: number;
  /** values for max/mean (default: the thresholded map itself), e.g. the raw map when thresholding the normalized one */
  values?: Float32Array;
  /** at most this many regions, largest max first (default 50) */
  limit?: number;
}

/** 1 where map ≥ threshold. */
export function thresholdMask(map: Float32Array, threshold: number): Uint8Array {
  const m = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) m[i] = map[i] >= threshold ? 1 : 0;
  return m;
}

/** Labels the 8-connected components of a 0/1 mask: labels (0 = background) and the component count. */
export function labelComponents(mask: Uint8Array, w: number, h: number): { labels: Int32Array; count: number } {
  if (mask.length !== w * h) throw new Error(`mask has ${mask.length} pixels, expected ${w}×${h}`);
  const labels = new Int32Array(w * h);
  const stack = new Int32Array(w * h);
  let count = 0;
  for (let start = 0; start < w * h; start++) {
    if (!mask[start] || labels[start]) continue;
    count++;
    let sp = 0;
    stack[sp++] = start;
    labels[start] = count;
    while (sp > 0) {
      const p = stack[--sp];
      const px = p % w;
      const py = (p - px) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const y = py + dy;
        if (y < 0 || y >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const x = px + dx;
          if ((dx === 0 && dy === 0) || x < 0 || x >= w) continue;
          const q = y * w + x;
          if (mask[q] && !labels[q]) {
            labels[q] = count;
            stack[sp++] = q;
          }
        }
      }
    }
  }
  return { labels, count };
}

/** Regions of map ≥ threshold. */
export function findRegions(map: Float32Array, w: number, h: number, threshold: number, opts: RegionOptions = {}): Region[] {
  if (map.length !== w * h) throw new Error(`map has ${map.length} values, expected ${w}×${h}`);
  if (!Number.isFinite(threshold)) throw new Error(`region threshold must be a number, got ${threshold}`);
  const values = opts.values ?? map;
  if (values.length !== map.length) throw new Error('values and map differ in size');
  const { labels, count } = labelComponents(thresholdMask(map, threshold), w, h);
  const acc = Array.from({ length: count + 1 }, () => ({ x0: w, y0: h, x1: -1, y1: -1, area: 0, sum: 0, max: -Infinity, px: 0, py: 0, cx: 0, cy: 0 }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = labels[y * w + x];
      if (!l) continue;
      const a = acc[l];
      const v = values[y * w + x];
      if (x < a.x0) a.x0 = x;
      if (x > a.x1) a.x1 = x;
      if (y < a.y0) a.y0 = y;
      if (y > a.y1) a.y1 = y;
      a.area++;
      a.sum += v;
      a.cx += x;
      a.cy += y;
      if (v > a.max) {
        a.max = v;
        a.px = x;
        a.py = y;
      }
    }
  }
  const minArea = opts.minArea ?? 1;
  const regions = acc
    .slice(1)
    .filter((a) => a.area >= minArea)
    .map((a) => ({
      id: 0,
      bbox: { x: a.x0, y: a.y0, width: a.x1 - a.x0 + 1, height: a.y1 - a.y0 + 1 },
      area: a.area,
      areaFraction: a.area / (w * h),
      max: a.max,
      mean: a.sum / a.area,
      peak: { x: a.px, y: a.py },
      centroid: { x: a.cx / a.area, y: a.cy / a.area },
    }))
    .sort((p, q) => q.max - p.max || q.area - p.area)
    .slice(0, opts.limit ?? 50);
  regions.forEach((r, i) => (r.id = i + 1));
  return regions;
}

/** Bilinear resize of a single-channel map (align_corners false, edge clamped). */
export function resizeMap(map: Float32Array, w: number, h: number, ow: number, oh: number): Float32Array {
  if (ow === w && oh === h) return new Float32Array(map);
  const out = new Float32Array(ow * oh);
  const sx = w / ow;
  const sy = h / oh;
  for (let y = 0; y < oh; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(h - 1, Math.floor(fy));
    const y1 = Math.min(h - 1, y0 + 1);
    const ly = fy - y0;
    for (let x = 0; x < ow; x++) {
      let fx = (x + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      const x0 = Math.min(w - 1, Math.floor(fx));
      const x1 = Math.min(w - 1, x0 + 1);
      const lx = fx - x0;
      out[y * ow + x] = (1 - ly) * ((1 - lx) * map[y0 * w + x0] + lx * map[y0 * w + x1]) + ly * ((1 - lx) * map[y1 * w + x0] + lx * map[y1 * w + x1]);
    }
  }
  return out;
}

/**
 * Projects a map at the model input size back onto the source image's pixels (bilinear), undoing the stretch or
 * the shortest-edge resize + centre crop; source pixels outside the crop get `outside` (default 0).
 */
export function mapToSource(
  map: Float32Array,
  mapW: number,
  mapH: number,
  geometry: { resize: ResizeMode; sourceSize: PreprocessResult['sourceSize']; crop?: PreprocessResult['crop'] },
  outside = 0,
): Float32Array {
  const { width: sw, height: sh } = geometry.sourceSize;
  if (geometry.resize !== 'shortest-edge-center-crop' || !geometry.crop) return resizeMap(map, mapW, mapH, sw, sh);
  const { left, top, resizedWidth: rw, resizedHeight: rh } = geometry.crop;
  const out = new Float32Array(sw * sh);
  const kx = rw / sw;
  const ky = rh / sh;
  for (let y = 0; y < sh; y++) {
    const my = (y + 0.5) * ky - 0.5 - top; // map row coordinate
    for (let x = 0; x < sw; x++) {
      const mx = (x + 0.5) * kx - 0.5 - left;
      if (mx < -0.5 || my < -0.5 || mx > mapW - 0.5 || my > mapH - 0.5) {
        out[y * sw + x] = outside;
        continue;
      }
      const fx = Math.min(Math.max(mx, 0), mapW - 1);
      const fy = Math.min(Math.max(my, 0), mapH - 1);
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const x1 = Math.min(mapW - 1, x0 + 1);
      const y1 = Math.min(mapH - 1, y0 + 1);
      const lx = fx - x0;
      const ly = fy - y0;
      out[y * sw + x] = (1 - ly) * ((1 - lx) * map[y0 * mapW + x0] + lx * map[y0 * mapW + x1]) + ly * ((1 - lx) * map[y1 * mapW + x0] + lx * map[y1 * mapW + x1]);
    }
  }
  return out;
}

/** Scales region boxes from map coordinates to another image size (e.g. the source image after `stretch`). */
export function scaleRegion(r: Region, fromW: number, fromH: number, toW: number, toH: number): Region {
  const kx = toW / fromW;
  const ky = toH / fromH;
  const x = Math.floor(r.bbox.x * kx);
  const y = Math.floor(r.bbox.y * ky);
  return {
    ...r,
    bbox: { x, y, width: Math.min(toW, Math.ceil((r.bbox.x + r.bbox.width) * kx)) - x, height: Math.min(toH, Math.ceil((r.bbox.y + r.bbox.height) * ky)) - y },
    area: Math.round(r.area * kx * ky),
    peak: { x: Math.floor((r.peak.x + 0.5) * kx), y: Math.floor((r.peak.y + 0.5) * ky) },
    centroid: { x: (r.centroid.x + 0.5) * kx - 0.5, y: (r.centroid.y + 0.5) * ky - 0.5 },
  };
}
