/**
 * Procedural part images for demos and for proving the default inspection models (issue 5, item 3).
 *
 * An image is a close-up of a part's surface rendered from an albedo map and a height map (relief is shaded by a
 * light from the upper left), so pits look like pits and burrs like raised lumps. Three surfaces:
 *   - `brushed`:  brushed sheet metal, long streaks along the brushing direction;
 *   - `cast`:     sand-cast grain, fine isotropic relief with low-frequency mottling;
 *   - `machined`: a turned face, concentric turning grooves (arcs around an off-frame centre) with radial sheen.
 * Defect kinds: `hole` (pit), `scratch` (thin long curved groove, bright or dark), `crack` (dark jagged thin
 * path, sometimes branched), `burr` (raised lump with a sliver), `stain` (soft discoloured blob: rust, oil or
 * water mark). Every defect image gets a binary mask.
 *
 * Levels: `plain` — steady lighting, the part almost exactly placed, clear defects. `hard` — brightness, gamma,
 * a lighting gradient and vignetting vary between images, the part is rotated (±6°) and shifted (±10 px at
 * 256 px), defects are small and faint, and sensor noise is stronger.
 *
 * Product-level constants (tint, brushing direction, groove pitch, turning centre) depend only on the surface,
 * never on the seed: two sets with different seeds are two batches of the same product. Each image draws from
 * its own generator derived from (seed, surface, level, label, index), so asking for more images never changes
 * the first ones.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { createRng, fbm, valueNoise, type Rng } from './prng';

export const SURFACES = ['brushed', 'cast', 'machined'] as const;
export type Surface = (typeof SURFACES)[number];
export const DEFECT_KINDS = ['hole', 'scratch', 'crack', 'burr', 'stain'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];
export const LEVELS = ['plain', 'hard'] as const;
export type Level = (typeof LEVELS)[number];
export type SynthLabel = 'normal' | DefectKind;

export interface GenerateOptions {
  surface: Surface;
  level: Level;
  /** number of defect-free images */
  normals: number;
  /** number of images per defect kind (each holds one defect) */
  defectsPerKind: number;
  /** which defect kinds to draw (default: all five) */
  kinds?: readonly DefectKind[];
  seed: string | number;
  /** square image side in pixels (default 256, 64..1024) */
  size?: number;
}

export interface SynthImage {
  /** file name, unique within a set: `normal_000.png`, `hole_002.png`, … */
  name: string;
  label: SynthLabel;
  surface: Surface;
  level: Level;
  /** RGB PNG */
  png: Buffer;
  /** defects only: single-channel PNG, 255 on the defect, 0 elsewhere */
  mask?: Buffer;
  /** defects only: the mask's bounding box [x, y, width, height] in pixels */
  bbox?: [number, number, number, number];
  /** defects only, where the kind has variants: stain `rust`/`oil`/`water`, scratch `bright`/`dark` */
  variant?: string;
}

export interface ImageSpec {
  surface: Surface;
  level: Level;
  label: SynthLabel;
  seed: string | number;
  index: number;
  size?: number;
}

/** Raw render result (before PNG encoding): interleaved RGB bytes and, for defects, the mask bytes. */
export interface RawImage {
  size: number;
  rgb: Uint8Array;
  mask?: Uint8Array;
  bbox?: [number, number, number, number];
  /** defects only, where the kind has variants: stain `rust`/`oil`/`water`, scratch `bright`/`dark` */
  variant?: string;
}

const DEFAULT_SIZE = 256;

function validateSize(size: number): number {
  if (!Number.isInteger(size) || size < 64 || size > 1024) throw new RangeError(`size must be an integer in 64..1024, got ${size}`);
  return size;
}

function validateCount(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new RangeError(`${name} must be an integer in 0..10000, got ${n}`);
  return n;
}

function validateSeed(seed: unknown): string | number {
  if (typeof seed === 'number' && Number.isFinite(seed)) return seed;
  if (typeof seed === 'string' && seed.length > 0 && seed.length <= 200) return seed;
  throw new TypeError('seed must be a finite number or a non-empty string (≤ 200 characters)');
}

function validateSpec(spec: ImageSpec): void {
  if (!SURFACES.includes(spec.surface)) throw new RangeError(`unknown surface '${String(spec.surface)}' (expected ${SURFACES.join(', ')})`);
  if (!LEVELS.includes(spec.level)) throw new RangeError(`unknown level '${String(spec.level)}' (expected ${LEVELS.join(', ')})`);
  if (spec.label !== 'normal' && !DEFECT_KINDS.includes(spec.label)) {
    throw new RangeError(`unknown label '${String(spec.label)}' (expected normal, ${DEFECT_KINDS.join(', ')})`);
  }
  validateSeed(spec.seed);
  if (!Number.isInteger(spec.index) || spec.index < 0) throw new RangeError(`index must be a non-negative integer, got ${spec.index}`);
  validateSize(spec.size ?? DEFAULT_SIZE);
}

// ---------------------------------------------------------------------------------------------------------------
// Scene

interface Scene {
  S: number;
  /** reference scale: sizes below are given for a 256-px image */
  k: number;
  albedo: Float32Array;
  height: Float32Array;
  mulR: Float32Array;
  mulG: Float32Array;
  mulB: Float32Array;
  mask: Uint8Array;
  /** contrast factor of faint (hard-level) defects: rough surfaces need more to stay visible */
  vis: number;
  /** part pose: rotation (rad) and shift (px) */
  theta: number;
  tx: number;
  ty: number;
}

const smoothstep = (e0: number, e1: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};

/** Surface tints (product constants). */
const TINT: Record<Surface, [number, number, number]> = {
  brushed: [0.95, 0.98, 1.03],
  cast: [1.04, 0.99, 0.92],
  machined: [1.0, 1.0, 1.02],
};

/**
 * How much stronger faint defects are drawn on each surface at the hard level, so that they stay visible to a
 * careful eye against that surface's own texture (sand-cast grain hides a faint scratch that brushed metal shows).
 */
const HARD_VISIBILITY: Record<Surface, number> = { brushed: 1, cast: 1.6, machined: 1.15 };

/** Turning centre of the machined face, in part coordinates (reference px), above the frame. */
const TURN_CENTRE: [number, number] = [-40, -250];
const GROOVE_PITCH = 5.2;

function renderSurface(sc: Scene, surface: Surface, rng: Rng): void {
  const { S, k, theta, tx, ty } = sc;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const seeds = [rng.u32() | 0, rng.u32() | 0, rng.u32() | 0, rng.u32() | 0];
  // each part is a different physical piece: random offsets into the noise lattice
  const ou = rng.range(0, 1000);
  const ov = rng.range(0, 1000);
  const sheenPhase = rng.range(-0.25, 0.25);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const dx = (x + 0.5 - S / 2 - tx) / k;
      const dy = (y + 0.5 - S / 2 - ty) / k;
      const u = c * dx + s * dy;
      const v = -s * dx + c * dy;
      let a: number;
      let h: number;
      if (surface === 'brushed') {
        const streak = 0.6 * valueNoise((u + ou) / 90, (v + ov) / 0.9, seeds[0]) + 0.4 * valueNoise((u + ou) / 30, (v + ov) / 2.4, seeds[1]);
        a = 0.64 + 0.07 * streak + 0.03 * fbm((u + ou) / 140, (v + ov) / 140, seeds[2], 2) + 0.012 * valueNoise((u + ou) / 2, (v + ov) / 2, seeds[3]);
        h = 0.06 * valueNoise((u + ou) / 60, (v + ov) / 1.3, seeds[1]);
      } else if (surface === 'cast') {
        const grain = fbm((u + ou) / 2.2, (v + ov) / 2.2, seeds[0], 2);
        a = 0.5 + 0.06 * grain + 0.05 * fbm((u + ou) / 45, (v + ov) / 45, seeds[1], 3);
        h = 0.75 * fbm((u + ou) / 2.6, (v + ov) / 2.6, seeds[2], 3);
      } else {
        const ru = u - TURN_CENTRE[0];
        const rv = v - TURN_CENTRE[1];
        const r = Math.sqrt(ru * ru + rv * rv);
        const phi = Math.atan2(rv, ru);
        const phase = (2 * Math.PI * r) / GROOVE_PITCH + 0.8 * valueNoise(r / 40 + ou, 0.5, seeds[0]);
        const groove = Math.sin(phase);
        a =
          0.66 +
          0.045 * groove +
          0.035 * valueNoise(r / 14 + ov, phi * 4, seeds[1]) +
          0.06 * Math.cos(2 * (phi - Math.PI / 2 - sheenPhase)) +
          0.015 * fbm((u + ou) / 3, (v + ov) / 3, seeds[2], 2);
        h = 0.16 * groove;
      }
      const i = y * S + x;
      sc.albedo[i] = a;
      sc.height[i] = h;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Defects

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function clampBox(sc: Scene, cx: number, cy: number, rx: number, ry = rx): Box {
  return {
    x0: Math.max(0, Math.floor(cx - rx)),
    y0: Math.max(0, Math.floor(cy - ry)),
    x1: Math.min(sc.S - 1, Math.ceil(cx + rx)),
    y1: Math.min(sc.S - 1, Math.ceil(cy + ry)),
  };
}

function polyBox(sc: Scene, pts: number[][], pad: number): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return {
    x0: Math.max(0, Math.floor(x0 - pad)),
    y0: Math.max(0, Math.floor(y0 - pad)),
    x1: Math.min(sc.S - 1, Math.ceil(x1 + pad)),
    y1: Math.min(sc.S - 1, Math.ceil(y1 + pad)),
  };
}

/** Distance from (px, py) to a polyline and the arc-length fraction of the closest point. */
function polyDistance(pts: number[][], cum: number[], px: number, py: number): { d: number; t: number } {
  let best = Infinity;
  let bestT = 0;
  const total = cum[cum.length - 1] || 1;
  for (let j = 0; j + 1 < pts.length; j++) {
    const [ax, ay] = pts[j];
    const [bx, by] = pts[j + 1];
    const ex = bx - ax;
    const ey = by - ay;
    const len2 = ex * ex + ey * ey || 1e-9;
    let t = ((px - ax) * ex + (py - ay) * ey) / len2;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const qx = ax + t * ex - px;
    const qy = ay + t * ey - py;
    const d2 = qx * qx + qy * qy;
    if (d2 < best) {
      best = d2;
      bestT = (cum[j] + t * (cum[j + 1] - cum[j])) / total;
    }
  }
  return { d: Math.sqrt(best), t: bestT };
}

function cumulative(pts: number[][]): number[] {
  const cum = [0];
  for (let j = 1; j < pts.length; j++) cum.push(cum[j - 1] + Math.hypot(pts[j][0] - pts[j - 1][0], pts[j][1] - pts[j - 1][1]));
  return cum;
}

/** A defect's centre: inside the central part of the frame so that pose changes keep it in view. */
function defectCentre(sc: Scene, rng: Rng, margin = 0.2): [number, number] {
  return [rng.range(margin, 1 - margin) * sc.S, rng.range(margin, 1 - margin) * sc.S];
}

function drawHole(sc: Scene, rng: Rng, hard: boolean): void {
  const { k, S } = sc;
  const [cx, cy] = defectCentre(sc, rng);
  const R = k * (hard ? rng.range(3.2, 5) : rng.range(4.5, 8));
  const D = R * (hard ? rng.range(0.3, 0.4) * sc.vis : rng.range(0.5, 0.65));
  const dark = hard ? Math.min(0.8, rng.range(0.22, 0.32) * sc.vis) : rng.range(0.55, 0.7);
  const p1 = rng.range(0, 2 * Math.PI);
  const p2 = rng.range(0, 2 * Math.PI);
  const box = clampBox(sc, cx, cy, R * 1.6 + 2);
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const phi = Math.atan2(dy, dx);
      const Rp = R * (1 + 0.12 * Math.sin(3 * phi + p1) + 0.07 * Math.sin(5 * phi + p2));
      const rr = Math.sqrt(dx * dx + dy * dy) / Rp;
      const i = y * S + x;
      if (rr < 1) sc.height[i] -= D * (1 - rr * rr);
      else if (rr < 1.4) sc.height[i] += 0.12 * D * Math.sin(((rr - 1) / 0.4) * Math.PI);
      sc.albedo[i] *= 1 - dark * (1 - smoothstep(0.55, 1.0, rr));
      if (rr < 1.1) sc.mask[i] = 255;
    }
  }
}

function drawScratch(sc: Scene, rng: Rng, hard: boolean): string {
  const { k, S } = sc;
  const [cx, cy] = defectCentre(sc, rng, 0.3);
  const L = k * (hard ? rng.range(40, 85) : rng.range(60, 130));
  let alpha = rng.range(0, Math.PI);
  // keep scratches visibly off the brushing/turning direction (the part's u axis)
  const rel = (((alpha - sc.theta) % Math.PI) + Math.PI) % Math.PI;
  if (rel < 0.35 || rel > Math.PI - 0.35) alpha += Math.PI / 4;
  const ex = Math.cos(alpha);
  const ey = Math.sin(alpha);
  const bend = rng.range(-0.12, 0.12) * L;
  const pts: number[][] = [];
  const n = 24;
  for (let j = 0; j <= n; j++) {
    const t = j / n - 0.5;
    const off = bend * (1 - 4 * t * t);
    pts.push([cx + ex * t * L - ey * off, cy + ey * t * L + ex * off]);
  }
  const cum = cumulative(pts);
  const w = k * (hard ? rng.range(0.75, 1.1) : rng.range(1.1, 1.8));
  const bright = (hard ? rng.range(0.14, 0.22) * sc.vis : rng.range(0.4, 0.55)) * (rng.next() < 0.65 ? 1 : -0.85);
  const nseed = rng.u32() | 0;
  const box = polyBox(sc, pts, w * 3 + 2);
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) {
      const { d, t } = polyDistance(pts, cum, x + 0.5, y + 0.5);
      if (d > w * 3) continue;
      const taper = smoothstep(0, 0.08, t) * smoothstep(0, 0.08, 1 - t) * (0.75 + 0.25 * valueNoise(t * 10, 0.5, nseed));
      const g = Math.exp(-(d * d) / (w * w)) * taper;
      const i = y * S + x;
      sc.albedo[i] *= 1 + bright * g;
      sc.height[i] -= 0.5 * w * g;
      if (g > 0.3) sc.mask[i] = 255;
    }
  }
  return bright > 0 ? 'bright' : 'dark';
}

function drawCrack(sc: Scene, rng: Rng, hard: boolean): void {
  const { k, S } = sc;
  const [cx, cy] = defectCentre(sc, rng, 0.3);
  const step = 2 * k;
  const steps = hard ? rng.int(16, 28) : rng.int(22, 42);
  const paths: number[][][] = [];
  let dir = rng.range(0, 2 * Math.PI);
  const main: number[][] = [[cx - (Math.cos(dir) * step * steps) / 2, cy - (Math.sin(dir) * step * steps) / 2]];
  for (let j = 0; j < steps; j++) {
    dir += rng.range(-0.45, 0.45);
    const [px, py] = main[main.length - 1];
    main.push([px + Math.cos(dir) * step, py + Math.sin(dir) * step]);
  }
  paths.push(main);
  if (rng.next() < 0.6) {
    const from = main[rng.int(Math.floor(steps / 4), Math.floor((3 * steps) / 4))];
    let bdir = dir + rng.sign() * rng.range(0.5, 1.1);
    const branch: number[][] = [from];
    for (let j = 0; j < Math.floor(steps / 2.5); j++) {
      bdir += rng.range(-0.4, 0.4);
      const [px, py] = branch[branch.length - 1];
      branch.push([px + Math.cos(bdir) * step, py + Math.sin(bdir) * step]);
    }
    paths.push(branch);
  }
  const w0 = k * (hard ? rng.range(0.6, 0.85) : rng.range(0.9, 1.4));
  const dark = hard ? Math.min(0.8, rng.range(0.3, 0.4) * sc.vis) : rng.range(0.6, 0.78);
  const nseed = rng.u32() | 0;
  for (const [pi, pts] of paths.entries()) {
    const cum = cumulative(pts);
    const wScale = pi === 0 ? 1 : 0.75;
    const box = polyBox(sc, pts, w0 * 3 + 2);
    for (let y = box.y0; y <= box.y1; y++) {
      for (let x = box.x0; x <= box.x1; x++) {
        const { d, t } = polyDistance(pts, cum, x + 0.5, y + 0.5);
        const w = w0 * wScale * (0.7 + 0.3 * (1 + valueNoise(t * 12, pi, nseed)) * (pi === 0 ? Math.sin(Math.PI * Math.min(1, t * 1.15 + 0.05)) : 1 - t * 0.6));
        if (d > w * 3) continue;
        const g = Math.exp(-(d * d) / (w * w));
        const i = y * S + x;
        sc.albedo[i] *= 1 - dark * g;
        sc.height[i] -= 0.6 * g;
        if (g > 0.3) sc.mask[i] = 255;
      }
    }
  }
}

function drawBurr(sc: Scene, rng: Rng, hard: boolean): void {
  const { k, S } = sc;
  const [cx, cy] = defectCentre(sc, rng);
  const rx = k * (hard ? rng.range(3.5, 5.5) : rng.range(5, 9));
  const ry = rx * rng.range(0.55, 0.9);
  const rot = rng.range(0, Math.PI);
  const H = Math.min(rx, ry) * (hard ? rng.range(0.45, 0.6) * sc.vis : rng.range(0.8, 1.1));
  const shine = hard ? 0.07 * sc.vis : 0.16;
  const c = Math.cos(rot);
  const s = Math.sin(rot);
  const nseed = rng.u32() | 0;
  // the sliver: a short thin raised flake leaving the lump
  const sl = k * (hard ? rng.range(4, 8) : rng.range(7, 14));
  const sdir = rng.range(0, 2 * Math.PI);
  const sx0 = cx + Math.cos(sdir) * rx * 0.7;
  const sy0 = cy + Math.sin(sdir) * ry * 0.7;
  const sliver = [
    [sx0, sy0],
    [sx0 + Math.cos(sdir) * sl, sy0 + Math.sin(sdir) * sl],
  ];
  const scum = cumulative(sliver);
  const sw = k * (hard ? 0.7 : 1.0);
  const reach = Math.max(rx, ry) * 1.3 + sl + 3;
  const box = clampBox(sc, cx, cy, reach);
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (c * dx + s * dy) / rx;
      const v = (-s * dx + c * dy) / ry;
      const rr = Math.sqrt(u * u + v * v) * (1 + 0.15 * valueNoise(Math.atan2(v, u) * 2, 0.5, nseed));
      const i = y * S + x;
      if (rr < 1) {
        const q = 1 - rr * rr;
        sc.height[i] += H * q * Math.sqrt(q);
        sc.albedo[i] *= 1 + shine * q;
      }
      const { d, t } = polyDistance(sliver, scum, x + 0.5, y + 0.5);
      const g = d < sw * 3 ? Math.exp(-(d * d) / (sw * sw)) * (1 - 0.6 * t) : 0;
      if (g > 0) {
        sc.height[i] += 0.5 * H * g;
        sc.albedo[i] *= 1 + shine * 1.5 * g;
      }
      if (rr < 1.1 || g > 0.3) sc.mask[i] = 255;
    }
  }
}

function drawStain(sc: Scene, rng: Rng, hard: boolean): string {
  const { k, S } = sc;
  const [cx, cy] = defectCentre(sc, rng, 0.25);
  const R = k * (hard ? rng.range(10, 22) : rng.range(14, 30));
  const kind = rng.pick(['rust', 'oil', 'water'] as const);
  const colour: [number, number, number] = kind === 'rust' ? [0.98, 0.8, 0.6] : kind === 'oil' ? [0.74, 0.72, 0.77] : [0.78, 0.77, 0.74];
  const strength = hard ? Math.min(1, rng.range(0.5, 0.65) * sc.vis) : rng.range(0.85, 1.0);
  const nseed = rng.u32() | 0;
  const box = clampBox(sc, cx, cy, R * 1.4 + 2);
  for (let y = box.y0; y <= box.y1; y++) {
    for (let x = box.x0; x <= box.x1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const rr = Math.sqrt(dx * dx + dy * dy) / R + 0.22 * fbm(x / (0.45 * R), y / (0.45 * R), nseed, 2);
      let a = 1 - smoothstep(0.72, 1.0, rr);
      if (a <= 0) continue;
      a *= 0.8 + 0.2 * valueNoise(x / (0.2 * R), y / (0.2 * R), nseed ^ 0x5bd1e995);
      if (kind === 'water') a *= 0.3 + 0.7 * smoothstep(0.55, 0.88, rr); // a tide mark: darker edge
      const i = y * S + x;
      const f = strength * a;
      sc.mulR[i] *= 1 - f * (1 - colour[0]);
      sc.mulG[i] *= 1 - f * (1 - colour[1]);
      sc.mulB[i] *= 1 - f * (1 - colour[2]);
      if (a > 0.35) sc.mask[i] = 255;
    }
  }
  return kind;
}

const DRAW: Record<DefectKind, (sc: Scene, rng: Rng, hard: boolean) => string | void> = {
  hole: drawHole,
  scratch: drawScratch,
  crack: drawCrack,
  burr: drawBurr,
  stain: drawStain,
};

// ---------------------------------------------------------------------------------------------------------------
// Rendering

/** Renders one image to raw RGB bytes (and a mask for a defect). Pure function of the spec. */
export function renderImage(spec: ImageSpec): RawImage {
  validateSpec(spec);
  const S = spec.size ?? DEFAULT_SIZE;
  const hard = spec.level === 'hard';
  const rng = createRng(`${String(spec.seed)}|${spec.surface}|${spec.level}|${spec.label}|${spec.index}`);
  const k = S / 256;
  const n = S * S;
  const sc: Scene = {
    S,
    k,
    albedo: new Float32Array(n),
    height: new Float32Array(n),
    mulR: new Float32Array(n).fill(1),
    mulG: new Float32Array(n).fill(1),
    mulB: new Float32Array(n).fill(1),
    mask: new Uint8Array(n),
    vis: hard ? HARD_VISIBILITY[spec.surface] : 1,
    theta: (hard ? rng.range(-6, 6) : rng.range(-1, 1)) * (Math.PI / 180),
    tx: (hard ? rng.range(-10, 10) : rng.range(-2, 2)) * k,
    ty: (hard ? rng.range(-10, 10) : rng.range(-2, 2)) * k,
  };
  // lighting of this shot
  const brightness = hard ? rng.range(0.82, 1.15) : rng.range(0.97, 1.03);
  const gamma = hard ? rng.range(0.85, 1.18) : 1;
  const grad = hard ? rng.range(0.05, 0.3) : rng.range(0, 0.04);
  const gdir = rng.range(0, 2 * Math.PI);
  const vignette = hard ? rng.range(0, 0.18) : 0;
  const noiseSigma = (hard ? 2.2 : 1.0) / 255;
  const surfaceRng = createRng(`${rng.u32()}:surface`);
  const defectRng = createRng(`${rng.u32()}:defect`);
  const noiseRng = createRng(`${rng.u32()}:noise`);

  renderSurface(sc, spec.surface, surfaceRng);
  const variant = spec.label !== 'normal' ? DRAW[spec.label](sc, defectRng, hard) || undefined : undefined;

  // light from the upper left
  const L = [-0.55, -0.55, 0.63];
  const ln = Math.hypot(L[0], L[1], L[2]);
  const lx = L[0] / ln;
  const ly = L[1] / ln;
  const lz = L[2] / ln;
  const tint = TINT[spec.surface];
  const rgb = new Uint8Array(n * 3);
  const gx = Math.cos(gdir);
  const gy = Math.sin(gdir);
  // gamma through a table (linear interpolation between 4096 steps)
  const LUT_N = 4096;
  const lut = new Float32Array(LUT_N + 2);
  for (let j = 0; j <= LUT_N + 1; j++) lut[j] = Math.pow(Math.min(1, j / LUT_N), gamma);
  const curve = (v: number): number => {
    if (v <= 0) return 0;
    if (v >= 1) return 1;
    const f = v * LUT_N;
    const j = f | 0;
    return lut[j] + (lut[j + 1] - lut[j]) * (f - j);
  };
  // sensor noise: a sum of four uniform bytes of a xorshift32 stream is close enough to a Gaussian here
  const noiseScale = noiseSigma / Math.sqrt((4 * (256 * 256 - 1)) / 12);
  let ns = noiseRng.u32() | 1;
  const noise = (): number => {
    ns ^= ns << 13;
    ns ^= ns >>> 17;
    ns ^= ns << 5;
    return ((ns & 255) + ((ns >>> 8) & 255) + ((ns >>> 16) & 255) + ((ns >>> 24) & 255) - 510) * noiseScale;
  };
  const { albedo, height, mulR, mulG, mulB } = sc;
  const tr = tint[0];
  const tg = tint[1];
  const tb = tint[2];
  const inv2k = 1 / (2 * k);
  for (let y = 0; y < S; y++) {
    const ny = (y + 0.5) / S - 0.5;
    const row = y * S;
    const rowUp = Math.max(0, y - 1) * S;
    const rowDown = Math.min(S - 1, y + 1) * S;
    const rowLight = 1 + grad * 2 * ny * gy;
    for (let x = 0; x < S; x++) {
      const i = row + x;
      const hx = (height[row + (x + 1 < S ? x + 1 : x)] - height[row + (x > 0 ? x - 1 : 0)]) * inv2k;
      const hy = (height[rowDown + x] - height[rowUp + x]) * inv2k;
      const lit = (-hx * lx - hy * ly + lz) / Math.sqrt(hx * hx + hy * hy + 1) / lz;
      const shade = lit > 0 ? lit : 0;
      const nx = (x + 0.5) / S - 0.5;
      const light = brightness * (rowLight + grad * 2 * nx * gx) * (1 - vignette * 2 * (nx * nx + ny * ny));
      const base = albedo[i] * (0.25 + 0.75 * shade) * light;
      const r = Math.round((curve(base * tr * mulR[i]) + noise()) * 255);
      const g = Math.round((curve(base * tg * mulG[i]) + noise()) * 255);
      const b = Math.round((curve(base * tb * mulB[i]) + noise()) * 255);
      const o = i * 3;
      rgb[o] = r < 0 ? 0 : r > 255 ? 255 : r;
      rgb[o + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
      rgb[o + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
    }
  }
  if (spec.label === 'normal') return { size: S, rgb };
  let x0 = S;
  let y0 = S;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      if (sc.mask[y * S + x]) {
        if (x < x0) x0 = x;
        if (y < y0) y0 = y;
        if (x > x1) x1 = x;
        if (y > y1) y1 = y;
      }
    }
  }
  const bbox: [number, number, number, number] = x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
  return { size: S, rgb, mask: sc.mask, bbox, variant };
}

function fileName(label: SynthLabel, index: number): string {
  return `${label}_${String(index).padStart(3, '0')}.png`;
}

/** Renders one image and encodes it (RGB PNG, plus a mask PNG for a defect). */
export async function generateImage(spec: ImageSpec): Promise<SynthImage> {
  const raw = renderImage(spec);
  const png = await sharp(Buffer.from(raw.rgb.buffer, raw.rgb.byteOffset, raw.rgb.byteLength), {
    raw: { width: raw.size, height: raw.size, channels: 3 },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
  const out: SynthImage = { name: fileName(spec.label, spec.index), label: spec.label, surface: spec.surface, level: spec.level, png };
  if (raw.mask) {
    out.mask = await sharp(Buffer.from(raw.mask.buffer, raw.mask.byteOffset, raw.mask.byteLength), {
      raw: { width: raw.size, height: raw.size, channels: 1 },
    })
      .toColourspace('b-w')
      .png({ compressionLevel: 6 })
      .toBuffer();
    out.bbox = raw.bbox;
    if (raw.variant) out.variant = raw.variant;
  }
  return out;
}

/** The specs of a set, in output order: normals first, then each kind's defects. */
export function setSpecs(opts: GenerateOptions): ImageSpec[] {
  if (!opts || typeof opts !== 'object') throw new TypeError('generateSet needs an options object');
  const normals = validateCount('normals', opts.normals);
  const perKind = validateCount('defectsPerKind', opts.defectsPerKind);
  const seed = validateSeed(opts.seed);
  const size = validateSize(opts.size ?? DEFAULT_SIZE);
  const kinds = opts.kinds ?? DEFECT_KINDS;
  for (const kind of kinds) if (!DEFECT_KINDS.includes(kind)) throw new RangeError(`unknown defect kind '${String(kind)}'`);
  const specs: ImageSpec[] = [];
  const base = { surface: opts.surface, level: opts.level, seed, size };
  validateSpec({ ...base, label: 'normal', index: 0 });
  for (let i = 0; i < normals; i++) specs.push({ ...base, label: 'normal', index: i });
  for (const kind of kinds) for (let i = 0; i < perKind; i++) specs.push({ ...base, label: kind, index: i });
  return specs;
}

/** Generates a labelled set: `normals` defect-free images, then `defectsPerKind` images of each defect kind. */
export async function generateSet(opts: GenerateOptions): Promise<SynthImage[]> {
  const specs = setSpecs(opts);
  const out: SynthImage[] = [];
  for (const spec of specs) out.push(await generateImage(spec));
  return out;
}

export interface SetIndexEntry {
  file: string;
  label: SynthLabel;
  surface: Surface;
  level: Level;
  mask?: string;
  bbox?: [number, number, number, number];
  variant?: string;
}

/**
 * Writes a set to a folder: each image as `<name>`, each mask as `<stem>_mask.png`, and `labels.json` listing
 * file, label, surface, level, mask, bbox and variant. Returns the index entries.
 */
export async function writeSet(dir: string, images: readonly SynthImage[]): Promise<SetIndexEntry[]> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('writeSet needs a folder path');
  const names = new Set<string>();
  for (const img of images) {
    if (!/^[A-Za-z0-9_.-]+\.png$/.test(img.name)) throw new RangeError(`bad image name '${img.name}'`);
    if (names.has(img.name)) throw new RangeError(`duplicate image name '${img.name}'`);
    names.add(img.name);
  }
  await mkdir(dir, { recursive: true });
  const index: SetIndexEntry[] = [];
  for (const img of images) {
    await writeFile(path.join(dir, img.name), img.png);
    const entry: SetIndexEntry = { file: img.name, label: img.label, surface: img.surface, level: img.level };
    if (img.mask) {
      entry.mask = img.name.replace(/\.png$/, '_mask.png');
      entry.bbox = img.bbox;
      if (img.variant) entry.variant = img.variant;
      await writeFile(path.join(dir, entry.mask), img.mask);
    }
    index.push(entry);
  }
  await writeFile(path.join(dir, 'labels.json'), `${JSON.stringify(index, null, 2)}\n`);
  return index;
}
