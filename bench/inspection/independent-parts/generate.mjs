/**
 * A second synthetic part generator, written independently of main/inspection/synth/generate.ts (by someone who
 * had not read it, from the words only: brushed, cast and machined surfaces; hole, scratch, crack, burr and
 * stain; a plain level and a hard level where lighting and pose vary and defects are faint). It exists so the
 * default models are also measured on images they were not tuned on (`npx tsx bench/index.ts
 * inspection-independent`). Other choices than ours on purpose: 320×320 PNG (plain), 400×300 with JPEG test images
 * (hard), a colour-temperature shift of the lighting, rotation ±8°.
 *
 *   node bench/inspection/independent-parts/generate.mjs [outDir] [seed]
 *
 * Layout: <outDir>/<surface>-<level>/train/normal_000…039.png, test/normal_000…019 and <kind>_000…003, and
 * <outDir>/labels.json ({ set: { test file: 0 | 1 } }). Deterministic for a seed.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const OUT = process.argv[2] || path.join(process.cwd(), 'independent-parts');
const GLOBAL_SEED = process.argv[3] ? Number(process.argv[3]) >>> 0 : 0x5eed1234;
const SURFACES = ['brushed', 'cast', 'machined'];
const LEVELS = ['plain', 'hard'];
const KINDS = ['hole', 'scratch', 'crack', 'burr', 'stain'];
const N_TRAIN = 40, N_TEST_NORMAL = 20, N_PER_KIND = 4;

// ---------------- PRNG ----------------
function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function hashStr(s) {
  let h = 2166136261 >>> 0;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
  return h;
}
class Rng {
  constructor(seed) { this.f = mulberry32(seed); this.spare = null; }
  u() { return this.f(); }
  r(a, b) { return a + (b - a) * this.f(); }
  sign() { return this.f() < 0.5 ? -1 : 1; }
  n() {
    if (this.spare !== null) { const s = this.spare; this.spare = null; return s; }
    let u = 0; while (u === 0) u = this.f();
    const v = this.f(), m = Math.sqrt(-2 * Math.log(u));
    this.spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  }
}

// ---------------- noise ----------------
const smooth = (t) => t * t * (3 - 2 * t);
// value noise in [-1,1] with lattice cell sx × sy (pixels)
function vnoise(rng, W, H, sx, sy) {
  const gw = Math.ceil(W / sx) + 3, gh = Math.ceil(H / sy) + 3;
  const g = new Float32Array(gw * gh);
  for (let i = 0; i < g.length; i++) g[i] = rng.u() * 2 - 1;
  const ox = rng.u(), oy = rng.u();
  const ixA = new Int32Array(W), txA = new Float32Array(W);
  for (let x = 0; x < W; x++) { const fx = x / sx + ox; const ix = Math.floor(fx); ixA[x] = ix; txA[x] = smooth(fx - ix); }
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const fy = y / sy + oy, iy = Math.floor(fy), ty = smooth(fy - iy);
    const r0 = iy * gw, r1 = r0 + gw;
    for (let x = 0; x < W; x++) {
      const ix = ixA[x], tx = txA[x];
      const a = g[r0 + ix] + (g[r0 + ix + 1] - g[r0 + ix]) * tx;
      const b = g[r1 + ix] + (g[r1 + ix + 1] - g[r1 + ix]) * tx;
      out[y * W + x] = a + (b - a) * ty;
    }
  }
  return out;
}
function fbm(rng, W, H, s, oct, gain = 0.5) {
  const out = new Float32Array(W * H);
  let amp = 1, tot = 0;
  for (let o = 0; o < oct; o++) {
    const n = vnoise(rng, W, H, s, s);
    for (let i = 0; i < out.length; i++) out[i] += amp * n[i];
    tot += amp; amp *= gain; s = Math.max(1, s / 2);
  }
  for (let i = 0; i < out.length; i++) out[i] /= tot;
  return out;
}

// ---------------- textures (in part/texture coordinates) ----------------
// Each returns {R,G,B} Float32Arrays of size TW*TH, 0..255 scale.
function texBrushed(rng, TW, TH, S) {
  const N = TW * TH;
  const s1 = vnoise(rng, TW, TH, 90, 1);      // long fine streaks
  const s2 = vnoise(rng, TW, TH, 220, 2.5);   // broader streak bands
  const s3 = vnoise(rng, TW, TH, 22, 1);      // short streaks
  const mot = fbm(rng, TW, TH, 120, 2);       // slight mottling
  const R = new Float32Array(N), G = new Float32Array(N), B = new Float32Array(N);
  // sheen band: near-perpendicular to streaks, position jittered a little
  const ang = (80 + rng.r(-6, 6)) * Math.PI / 180;
  const ca = Math.cos(ang), sa = Math.sin(ang);
  const c0 = (TW / 2) * ca + (TH / 2) * sa + rng.r(-0.12, 0.12) * S;
  const bw = 0.22 * S;
  for (let y = 0, i = 0; y < TH; y++) for (let x = 0; x < TW; x++, i++) {
    const d = (x * ca + y * sa - c0) / bw;
    const sheen = 0.22 * Math.exp(-d * d);
    const st = 0.10 * s1[i] + 0.07 * s2[i] + 0.05 * s3[i] + 0.04 * mot[i] + 0.025 * rng.n();
    const L = 138 * (1 + st) * (1 + sheen);
    R[i] = L * 0.97; G[i] = L * 0.99; B[i] = L * 1.03;
  }
  return { R, G, B };
}

function texCast(rng, TW, TH, _S) {
  const N = TW * TH;
  const mot = fbm(rng, TW, TH, 70, 3, 0.55);
  const hue = fbm(rng, TW, TH, 90, 2);
  const med = vnoise(rng, TW, TH, 5, 5);
  const grain = vnoise(rng, TW, TH, 1.6, 1.6);
  const R = new Float32Array(N), G = new Float32Array(N), B = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const L = 1 + 0.13 * mot[i] + 0.07 * med[i] + 0.11 * grain[i] + 0.05 * rng.n();
    const h = 0.05 * hue[i];
    R[i] = 116 * L * (1 + h); G[i] = 106 * L; B[i] = 94 * L * (1 - h);
  }
  // pits: many small dark soft dots, a few bright sand specks
  const nPits = Math.round(0.0035 * N);
  for (let k = 0; k < nPits; k++) {
    const cx = rng.u() * TW, cy = rng.u() * TH;
    const rad = 0.6 + 1.6 * Math.pow(rng.u(), 2);
    const dark = rng.r(0.25, 0.5);
    stampMul(R, G, B, TW, TH, cx, cy, rad, dark);
  }
  const nSpecks = Math.round(0.0012 * N);
  for (let k = 0; k < nSpecks; k++) {
    const cx = rng.u() * TW, cy = rng.u() * TH;
    stampAdd(R, G, B, TW, TH, cx, cy, rng.r(0.5, 1.1), rng.r(15, 35));
  }
  return { R, G, B };
}
function stampMul(R, G, B, TW, TH, cx, cy, rad, dark) {
  const e = Math.ceil(rad * 2.5);
  for (let y = Math.max(0, Math.floor(cy - e)); y <= Math.min(TH - 1, Math.ceil(cy + e)); y++)
    for (let x = Math.max(0, Math.floor(cx - e)); x <= Math.min(TW - 1, Math.ceil(cx + e)); x++) {
      const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (rad * rad);
      const m = 1 - dark * Math.exp(-d2);
      const i = y * TW + x; R[i] *= m; G[i] *= m; B[i] *= m;
    }
}
function stampAdd(R, G, B, TW, TH, cx, cy, rad, v) {
  const e = Math.ceil(rad * 2.5);
  for (let y = Math.max(0, Math.floor(cy - e)); y <= Math.min(TH - 1, Math.ceil(cy + e)); y++)
    for (let x = Math.max(0, Math.floor(cx - e)); x <= Math.min(TW - 1, Math.ceil(cx + e)); x++) {
      const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (rad * rad);
      const a = v * Math.exp(-d2);
      const i = y * TW + x; R[i] += a; G[i] += a; B[i] += a;
    }
}

function texMachined(rng, TW, TH, S, W, _H) {
  const N = TW * TH;
  // turning centre far to the left of the visible frame -> gently curved rings
  const cx = TW / 2 - (W / 2 + 0.55 * S) + rng.r(-0.02, 0.02) * S;
  const cy = TH / 2 + rng.r(-0.03, 0.03) * S;
  const P = 3.4;                          // groove pitch (px)
  const rmax = Math.hypot(TW + Math.abs(cx), TH + Math.abs(cy)) + 10;
  // per-ring depth variation along r
  const nr = Math.ceil(rmax / (P * 2.5)) + 3;
  const ringAmp = new Float32Array(nr);
  for (let i = 0; i < nr; i++) ringAmp[i] = rng.u() * 2 - 1;
  const ph = rng.u() * Math.PI * 2, ph2 = rng.u() * Math.PI * 2;
  const mot = fbm(rng, TW, TH, 100, 2);
  const chat = vnoise(rng, TW, TH, 6, 40); // faint chatter along the rings
  const R = new Float32Array(N), G = new Float32Array(N), B = new Float32Array(N);
  for (let y = 0, i = 0; y < TH; y++) for (let x = 0; x < TW; x++, i++) {
    const r = Math.hypot(x - cx, y - cy);
    const t = r / (P * 2.5), it = Math.floor(t), ft = smooth(t - it);
    const ra = ringAmp[it] + (ringAmp[it + 1] - ringAmp[it]) * ft;
    const c = Math.cos(2 * Math.PI * r / P + ph);
    const groove = Math.sign(c) * Math.pow(Math.abs(c), 0.6);
    const feed = Math.cos(2 * Math.PI * r / (P * 7.3) + ph2);
    const L = 1 + groove * (0.085 + 0.04 * ra) + 0.035 * feed + 0.05 * mot[i] + 0.02 * chat[i] + 0.02 * rng.n();
    const v = 160 * L;
    R[i] = v * 1.0; G[i] = v * 0.99; B[i] = v * 0.965;
  }
  return { R, G, B };
}

// ---------------- defects (drawn in texture coordinates) ----------------
function stampMax(M, TW, TH, cx, cy, sig, val) {
  const e = Math.ceil(sig * 3);
  const x0 = Math.max(0, Math.floor(cx - e)), x1 = Math.min(TW - 1, Math.ceil(cx + e));
  const y0 = Math.max(0, Math.floor(cy - e)), y1 = Math.min(TH - 1, Math.ceil(cy + e));
  const k = 1 / (2 * sig * sig);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    const v = val * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) * k);
    const i = y * TW + x; if (v > M[i]) M[i] = v;
  }
}
function drawPath(M, TW, TH, pts, sig0, sig1) {
  // pts: [[x,y],...]; width tapers sig0 -> sig1
  let total = 0;
  for (let i = 1; i < pts.length; i++) total += Math.hypot(pts[i][0] - pts[i - 1][0], pts[i][1] - pts[i - 1][1]);
  let acc = 0;
  for (let i = 1; i < pts.length; i++) {
    const [ax, ay] = pts[i - 1], [bx, by] = pts[i];
    const L = Math.hypot(bx - ax, by - ay), n = Math.max(1, Math.ceil(L / 0.35));
    for (let j = 0; j < n; j++) {
      const t = j / n, f = (acc + t * L) / total;
      const s = sig0 + (sig1 - sig0) * f;
      stampMax(M, TW, TH, ax + (bx - ax) * t, ay + (by - ay) * t, s, 1);
    }
    acc += L;
  }
}
function applyDark(T, M, k) {
  for (let i = 0; i < M.length; i++) if (M[i] > 0.002) {
    const m = 1 - k * M[i]; T.R[i] *= m; T.G[i] *= m; T.B[i] *= m;
  }
}
function applyBright(T, M, k) {
  for (let i = 0; i < M.length; i++) if (M[i] > 0.002) {
    const a = k * M[i]; T.R[i] += a; T.G[i] += a; T.B[i] += a;
  }
}

function defHole(T, rng, TW, TH, cx, cy, S, hard) {
  const rad = (hard ? rng.r(0.014, 0.022) : rng.r(0.022, 0.034)) * S;
  const depth = hard ? rng.r(0.38, 0.5) : rng.r(0.7, 0.82);
  const rimK = hard ? 22 : 50;
  const la = -Math.PI * 0.75; // light from upper-left (in part coords)
  const lx = Math.cos(la), ly = Math.sin(la);
  const ecc = rng.r(0.85, 1.15), rot = rng.r(0, Math.PI);
  const cr = Math.cos(rot), sr = Math.sin(rot);
  const e = Math.ceil(rad * 1.8) + 2;
  for (let y = Math.max(0, Math.floor(cy - e)); y <= Math.min(TH - 1, cy + e); y++)
    for (let x = Math.max(0, Math.floor(cx - e)); x <= Math.min(TW - 1, cx + e); x++) {
      const dx = x - cx, dy = y - cy;
      const u = (dx * cr + dy * sr) * ecc, v = (-dx * sr + dy * cr) / ecc;
      const d = Math.hypot(u, v) / rad;
      const i = y * TW + x;
      const inside = 1 - smooth(Math.min(1, Math.max(0, (d - 0.85) / 0.3)));
      // inner wall shading: darker on the lit side (wall faces away), floor dark
      const dir = d > 1e-6 ? (dx * lx + dy * ly) / (Math.hypot(dx, dy)) : 0;
      const shade = depth * (0.85 + 0.15 * dir * Math.min(1, d));
      let m = 1 - inside * shade;
      let add = 0;
      // raised rim just outside: bright on lit side, slight shadow opposite
      if (d > 0.8 && d < 1.6) {
        const rr = Math.exp(-(((d - 1.12) / 0.18) ** 2));
        add = rimK * rr * (0.55 - 0.75 * dir);
      }
      T.R[i] = T.R[i] * m + add; T.G[i] = T.G[i] * m + add; T.B[i] = T.B[i] * m + add;
    }
}

function defScratch(T, rng, TW, TH, cx, cy, S, hard, surface) {
  const len = (hard ? rng.r(0.22, 0.38) : rng.r(0.3, 0.5)) * S;
  let ang;
  if (surface === 'brushed') ang = rng.sign() * rng.r(0.35, 1.4) + (rng.u() < 0.5 ? 0 : Math.PI);
  else ang = rng.u() * Math.PI;
  const dx = Math.cos(ang), dy = Math.sin(ang), nx = -dy, ny = dx;
  const bend = rng.sign() * rng.r(0.03, 0.09) * len;
  const pts = [];
  for (let k = 0; k <= 40; k++) {
    const t = k / 40 - 0.5, b = bend * (1 - 4 * t * t);
    pts.push([cx + dx * t * len + nx * b, cy + dy * t * len + ny * b]);
  }
  const M = new Float32Array(TW * TH);
  const sig = hard ? rng.r(0.55, 0.7) : rng.r(0.75, 1.0);
  drawPath(M, TW, TH, pts, sig, sig * 0.6);
  // fade ends
  const bright = rng.u() < 0.5;
  if (bright) applyBright(T, M, hard ? rng.r(28, 38) : rng.r(70, 90));
  else applyDark(T, M, hard ? rng.r(0.22, 0.3) : rng.r(0.5, 0.62));
}

function defCrack(T, rng, TW, TH, cx, cy, S, hard) {
  const M = new Float32Array(TW * TH);
  const len = (hard ? rng.r(0.18, 0.3) : rng.r(0.25, 0.4)) * S;
  const head = rng.u() * Math.PI * 2;
  const walk = (x, y, h, L) => {
    const pts = [[x, y]]; let a = h; const step = 2.2;
    for (let s = 0; s < L; s += step) {
      a += 0.55 * rng.n() * 0.6; a = h + 0.7 * (a - h); // jagged but keeps heading
      x += Math.cos(a) * step; y += Math.sin(a) * step; pts.push([x, y]);
    }
    return pts;
  };
  const sx = cx - Math.cos(head) * len / 2, sy = cy - Math.sin(head) * len / 2;
  const main = walk(sx, sy, head, len);
  const w = hard ? rng.r(0.6, 0.75) : rng.r(0.85, 1.15);
  drawPath(M, TW, TH, main, w, w * 0.45);
  const nb = 1 + Math.floor(rng.u() * 3);
  for (let b = 0; b < nb; b++) {
    const p = main[Math.floor(rng.r(0.2, 0.75) * main.length)];
    const bh = head + rng.sign() * rng.r(0.4, 1.0);
    const br = walk(p[0], p[1], bh, len * rng.r(0.25, 0.5));
    drawPath(M, TW, TH, br, w * 0.75, w * 0.35);
  }
  applyDark(T, M, hard ? rng.r(0.33, 0.42) : rng.r(0.68, 0.78));
}

function defBurr(T, rng, TW, TH, cx, cy, S, hard) {
  const R0 = (hard ? rng.r(0.014, 0.02) : rng.r(0.018, 0.028)) * S;
  const harm = [];
  for (let k = 2; k <= 5; k++) harm.push([k, rng.r(0.05, 0.18) / (k - 1), rng.u() * 6.283]);
  const radAt = (th) => { let f = 1; for (const [k, a, p] of harm) f += a * Math.sin(k * th + p); return R0 * f; };
  const elong = rng.r(1.0, 1.7), rot = rng.u() * Math.PI;
  const cr = Math.cos(rot), sr = Math.sin(rot);
  const lx = -0.7071, ly = -0.7071; // light from upper-left
  const sh = 0.45 * R0; // shadow offset toward lower-right
  const bright = hard ? rng.r(38, 48) : rng.r(75, 95);
  const shadowK = hard ? 0.3 : 0.5;
  const e = Math.ceil(R0 * elong * 1.6 + sh) + 3;
  const shape = (x, y) => {
    const dx = x - cx, dy = y - cy;
    const u = (dx * cr + dy * sr) / elong, v = -dx * sr + dy * cr;
    const th = Math.atan2(v, u), r = Math.hypot(u, v), rb = radAt(th);
    return { d: r / rb, u, v };
  };
  for (let y = Math.max(0, Math.floor(cy - e)); y <= Math.min(TH - 1, cy + e); y++)
    for (let x = Math.max(0, Math.floor(cx - e)); x <= Math.min(TW - 1, cx + e); x++) {
      const i = y * TW + x;
      const s0 = shape(x - sh, y - sh); // shadow
      const shadow = 1 - smooth(Math.min(1, Math.max(0, (s0.d - 0.8) / 0.5)));
      const s = shape(x, y);
      const body = 1 - smooth(Math.min(1, Math.max(0, (s.d - 0.85) / 0.3)));
      let m = 1 - shadowK * shadow * (1 - body);
      let add = 0;
      if (body > 0) {
        // dome shading: normal ~ radial position; highlight toward the light
        const dx = x - cx, dy = y - cy, rr = Math.hypot(dx, dy) + 1e-6;
        const nd = Math.min(1, s.d) * (dx * lx + dy * ly) / rr;
        add = bright * body * (0.55 + 0.45 * nd);
      }
      T.R[i] = T.R[i] * m + add; T.G[i] = T.G[i] * m + add * 0.98; T.B[i] = T.B[i] * m + add * 0.95;
    }
}

function defStain(T, rng, TW, TH, cx, cy, S, hard, surface) {
  const R0 = (hard ? rng.r(0.07, 0.1) : rng.r(0.08, 0.13)) * S;
  const harm = [];
  for (let k = 2; k <= 6; k++) harm.push([k, rng.r(0.04, 0.16) / Math.sqrt(k - 1), rng.u() * 6.283]);
  const type = Math.floor(rng.u() * 3);
  let tint = type === 0 ? [0.97, 0.83, 0.62] : type === 1 ? [0.8, 0.9, 1.12] : [0.9, 0.8, 0.72];
  // on the brownish cast surface use rust-orange / bluish / dark tints that stand out from its mottling
  if (surface === 'cast') tint = type === 0 ? [1.1, 0.86, 0.6] : type === 1 ? [0.82, 0.92, 1.15] : [0.72, 0.68, 0.66];
  const alpha = hard ? rng.r(0.45, 0.55) : rng.r(0.75, 0.9);
  const e = Math.ceil(R0 * 1.8);
  for (let y = Math.max(0, Math.floor(cy - e)); y <= Math.min(TH - 1, cy + e); y++)
    for (let x = Math.max(0, Math.floor(cx - e)); x <= Math.min(TW - 1, cx + e); x++) {
      const dx = x - cx, dy = y - cy, th = Math.atan2(dy, dx);
      let f = 1; for (const [k, a, p] of harm) f += a * Math.sin(k * th + p);
      const d = Math.hypot(dx, dy) / (R0 * f);
      // soft body with slightly darker "tide line" near the edge
      let a = 1 - smooth(Math.min(1, Math.max(0, (d - 0.55) / 0.6)));
      a += 0.35 * Math.exp(-(((d - 0.95) / 0.12) ** 2));
      a *= alpha;
      if (a <= 0.001) continue;
      const i = y * TW + x;
      T.R[i] *= 1 + a * (tint[0] - 1); T.G[i] *= 1 + a * (tint[1] - 1); T.B[i] *= 1 + a * (tint[2] - 1);
    }
}

// ---------------- image assembly ----------------
function renderImage(surface, level, kind, seed) {
  const hard = level === 'hard';
  const W = hard ? 400 : 320, H = hard ? 300 : 320;
  const S = Math.min(W, H);
  const rng = new Rng(seed);
  // pose
  const theta = hard ? rng.r(-8, 8) * Math.PI / 180 : 0;
  const sc = hard ? rng.r(0.95, 1.05) : 1;
  const tx = hard ? rng.r(-0.04, 0.04) * W : 0, ty = hard ? rng.r(-0.04, 0.04) * H : 0;
  const Mg = hard ? Math.ceil(0.15 * Math.max(W, H)) : 0;
  const TW = W + 2 * Mg, TH = H + 2 * Mg;
  const ct = Math.cos(theta), st = Math.sin(theta);
  // output -> texture
  const o2t = (x, y) => {
    const ux = x - W / 2 - tx, uy = y - H / 2 - ty;
    return [(ct * ux + st * uy) / sc + TW / 2, (-st * ux + ct * uy) / sc + TH / 2];
  };
  const texRng = new Rng((seed ^ 0x9e3779b9) >>> 0);
  let T;
  if (surface === 'brushed') T = texBrushed(texRng, TW, TH, S);
  else if (surface === 'cast') T = texCast(texRng, TW, TH, S);
  else T = texMachined(texRng, TW, TH, S, W, H);

  if (kind !== 'normal') {
    const dr = new Rng((seed ^ 0x85ebca6b) >>> 0);
    const [cx, cy] = o2t(dr.r(0.25, 0.75) * W, dr.r(0.25, 0.75) * H);
    if (kind === 'hole') defHole(T, dr, TW, TH, cx, cy, S, hard);
    else if (kind === 'scratch') defScratch(T, dr, TW, TH, cx, cy, S, hard, surface);
    else if (kind === 'crack') defCrack(T, dr, TW, TH, cx, cy, S, hard);
    else if (kind === 'burr') defBurr(T, dr, TW, TH, cx, cy, S, hard);
    else if (kind === 'stain') defStain(T, dr, TW, TH, cx, cy, S, hard, surface);
  }

  // lighting
  const lr = new Rng((seed ^ 0xc2b2ae35) >>> 0);
  let gain = 1, gR = 1, gG = 1, gB = 1;
  let grad = null;
  if (hard) {
    gain = lr.r(0.85, 1.15);
    const t = lr.r(-0.05, 0.05);
    gR = 1 + t; gG = 1 + 0.15 * t; gB = 1 - t;
    if (lr.u() < 0.5) {
      const a = lr.u() * Math.PI * 2, amp = lr.r(0.08, 0.2);
      const ca = Math.cos(a), sa = Math.sin(a), half = 0.5 * Math.hypot(W, H);
      grad = (x, y) => 1 + amp * ((x - W / 2) * ca + (y - H / 2) * sa) / half;
    } else {
      const px = lr.r(0, W), py = lr.r(0, H), amp = lr.r(0.1, 0.22), D = Math.hypot(W, H) * 0.7;
      grad = (x, y) => 1 + amp * (1 - 2 * ((x - px) ** 2 + (y - py) ** 2) / (D * D));
    }
  } else {
    const D = Math.hypot(W, H) / 2;
    grad = (x, y) => 1 - 0.08 * ((x - W / 2) ** 2 + (y - H / 2) ** 2) / (D * D);
  }
  const noiseSig = hard ? 2.5 : 2.0;
  const buf = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let r, g, b;
    if (!hard) { const i = y * TW + x; r = T.R[i]; g = T.G[i]; b = T.B[i]; }
    else {
      const [fx, fy] = o2t(x, y);
      const x0 = Math.min(TW - 2, Math.max(0, Math.floor(fx))), y0 = Math.min(TH - 2, Math.max(0, Math.floor(fy)));
      const ax = Math.min(1, Math.max(0, fx - x0)), ay = Math.min(1, Math.max(0, fy - y0));
      const i = y0 * TW + x0;
      const w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
      r = T.R[i] * w00 + T.R[i + 1] * w10 + T.R[i + TW] * w01 + T.R[i + TW + 1] * w11;
      g = T.G[i] * w00 + T.G[i + 1] * w10 + T.G[i + TW] * w01 + T.G[i + TW + 1] * w11;
      b = T.B[i] * w00 + T.B[i + 1] * w10 + T.B[i + TW] * w01 + T.B[i + TW + 1] * w11;
    }
    const L = gain * grad(x, y);
    const nc = noiseSig * lr.n();
    const o = (y * W + x) * 3;
    buf[o] = clamp(r * L * gR + nc + 0.6 * noiseSig * lr.n());
    buf[o + 1] = clamp(g * L * gG + nc + 0.6 * noiseSig * lr.n());
    buf[o + 2] = clamp(b * L * gB + nc + 0.6 * noiseSig * lr.n());
  }
  return { buf, W, H };
}
const clamp = (v) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

async function save(img, file, jpeg) {
  const s = sharp(img.buf, { raw: { width: img.W, height: img.H, channels: 3 } });
  if (jpeg) await s.jpeg({ quality: 92 }).toFile(file);
  else await s.png().toFile(file);
}

async function main() {
  const t0 = Date.now();
  const labels = {};
  const pad = (n) => String(n).padStart(3, '0');
  let count = 0;
  for (const surface of SURFACES) for (const level of LEVELS) {
    const set = `${surface}-${level}`;
    const dir = path.join(OUT, set);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'train'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'test'), { recursive: true });
    const ext = level === 'hard' ? 'jpg' : 'png';
    labels[set] = {};
    const jobs = [];
    for (let k = 0; k < N_TRAIN; k++) jobs.push(['train', 'normal', k, 'png']);
    for (let k = 0; k < N_TEST_NORMAL; k++) jobs.push(['test', 'normal', k, ext]);
    for (const kind of KINDS) for (let k = 0; k < N_PER_KIND; k++) jobs.push(['test', kind, k, ext]);
    const pending = [];
    for (const [split, kind, k, e] of jobs) {
      const name = `${kind}_${pad(k)}.${e}`;
      const seed = (hashStr(`${set}|${split}|${kind}|${k}`) ^ GLOBAL_SEED) >>> 0;
      const img = renderImage(surface, level, kind, seed);
      pending.push(save(img, path.join(dir, split, name), e === 'jpg'));
      if (split === 'test') labels[set][name] = kind === 'normal' ? 0 : 1;
      count++;
      if (pending.length >= 8) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    console.log(`${set}: ${jobs.length} images (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }
  fs.writeFileSync(path.join(OUT, 'labels.json'), JSON.stringify(labels, null, 1));
  console.log(`done: ${count} images in ${((Date.now() - t0) / 1000).toFixed(1)}s -> ${OUT}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
