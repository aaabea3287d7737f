/**
 * Pillow's resampling (libImaging/Resample.c), reproduced bit for bit for 8-bit interleaved images: separable
 * convolution with antialiasing (the filter support grows with the downscale factor), fixed-point coefficients
 * (22 fractional bits), a horizontal pass then a vertical pass, each rounded and clipped to uint8. The Hugging Face
 * CLIP image processor resizes with PIL (bicubic, reducing_gap None), so this is what makes our CLIP inputs equal
 * to the reference ones. libvips (sharp) uses a different cubic and a box pre-shrink, which is close but not equal.
 */

export type Interpolation = 'bicubic' | 'bilinear' | 'nearest';

const PRECISION_BITS = 32 - 8 - 2;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

function bilinear(x: number): number {
  if (x < 0) x = -x;
  if (x < 1) return 1 - x;
  return 0;
}

const FILTERS = { bicubic: { fn: bicubic, support: 2 }, bilinear: { fn: bilinear, support: 1 } } as const;

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [xmin, count] per output pixel
  kk: Int32Array; // fixed-point weights, ksize per output pixel
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc. `in0`/`in1` is the source box along this axis. */
function precompute(inSize: number, in0: number, in1: number, outSize: number, filter: { fn: (x: number) => number; support: number }): Coeffs {
  const scale = (in1 - in0) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C's (int) cast truncates toward zero
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      let v = x < xmax ? (ww !== 0 ? k[x] / ww : k[x]) : 0;
      v = v * (1 << PRECISION_BITS);
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v) : Math.trunc(0.5 + v);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  if (v >= 1 << PRECISION_BITS << 8) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/**
 * Resizes an interleaved 8-bit image (`channels` per pixel) like Pillow's `Image.resize(size, resample)` with no
 * reducing gap. Returns a new buffer of outW × outH × channels.
 */
export function resizePil(src: Uint8Array, w: number, h: number, channels: number, outW: number, outH: number, interpolation: Interpolation): Uint8Array {
  if (!(outW > 0 && outH > 0 && Number.isInteger(outW) && Number.isInteger(outH))) throw new Error(`resize: bad output size ${outW}×${outH}`);
  if (src.length !== w * h * channels) throw new Error(`resize: buffer holds ${src.length} bytes, expected ${w * h * channels}`);
  if (outW === w && outH === h) return new Uint8Array(src);
  if (interpolation === 'nearest') return resizeNearest(src, w, h, channels, outW, outH);
  const filter = FILTERS[interpolation];
  const needH = outW !== w;
  const needV = outH !== h;
  const cv = precompute(h, 0, h, outH, filter);
  const ch = precompute(w, 0, w, outW, filter);
  const half = 1 << (PRECISION_BITS - 1);
  let cur = src;
  let curW = w;
  let curH = h;
  let rowOffset = 0;
  if (needH) {
    // only the rows the vertical pass reads
    const yFirst = cv.bounds[0];
    const yLast = cv.bounds[outH * 2 - 2] + cv.bounds[outH * 2 - 1];
    const rows = needV ? yLast - yFirst : h;
    const first = needV ? yFirst : 0;
    const out = new Uint8Array(outW * rows * channels);
    const { ksize, bounds, kk } = ch;
    const acc = new Int32Array(channels);
    if (channels === 3) {
      // the common case, with the sums in locals, in 32-bit integers like Pillow's C (Math.imul and `| 0` keep V8
      // on int32 arithmetic: 1.5–2× faster than the same sums in doubles, measured at 1280×960 → 298 bicubic; the
      // normalized weights keep every partial sum far inside the int32 range)
      for (let y = 0; y < rows; y++) {
        const inRow = (y + first) * w * 3;
        let o = y * outW * 3;
        for (let xx = 0; xx < outW; xx++) {
          const xmin = bounds[xx * 2];
          const xmax = bounds[xx * 2 + 1];
          const kb = xx * ksize;
          let a0 = half;
          let a1 = half;
          let a2 = half;
          let p = inRow + xmin * 3;
          for (let x = 0; x < xmax; x++, p += 3) {
            const wgt = kk[kb + x];
            a0 = (a0 + Math.imul(src[p], wgt)) | 0;
            a1 = (a1 + Math.imul(src[p + 1], wgt)) | 0;
            a2 = (a2 + Math.imul(src[p + 2], wgt)) | 0;
          }
          out[o++] = clip8(a0);
          out[o++] = clip8(a1);
          out[o++] = clip8(a2);
        }
      }
    } else {
      for (let y = 0; y < rows; y++) {
        const inRow = (y + first) * w * channels;
        const outRow = y * outW * channels;
        for (let xx = 0; xx < outW; xx++) {
          const xmin = bounds[xx * 2];
          const xmax = bounds[xx * 2 + 1];
          const kb = xx * ksize;
          for (let c = 0; c < channels; c++) acc[c] = half;
          for (let x = 0; x < xmax; x++) {
            const wgt = kk[kb + x];
            const p = inRow + (x + xmin) * channels;
            for (let c = 0; c < channels; c++) acc[c] = (acc[c] + Math.imul(src[p + c], wgt)) | 0;
          }
          for (let c = 0; c < channels; c++) out[outRow + xx * channels + c] = clip8(acc[c]);
        }
      }
    }
    cur = out;
    curW = outW;
    curH = rows;
    rowOffset = needV ? yFirst : 0;
  }
  if (!needV) return cur;
  const { ksize, bounds, kk } = cv;
  const out = new Uint8Array(curW * outH * channels);
  const rowLen = curW * channels;
  const acc = new Int32Array(rowLen);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2] - rowOffset;
    const ymax = bounds[yy * 2 + 1];
    const kb = yy * ksize;
    acc.fill(half);
    for (let y = 0; y < ymax; y++) {
      const wgt = kk[kb + y];
      if (wgt === 0) continue;
      const p = (y + ymin) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] = (acc[i] + Math.imul(cur[p + i], wgt)) | 0;
    }
    const o = yy * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = clip8(acc[i]);
  }
  void curH;
  return out;
}

/** Pillow's NEAREST resize: ImagingScaleAffine, source coordinates accumulated step by step in double precision. */
function resizeNearest(src: Uint8Array, w: number, h: number, channels: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH * channels);
  const ax = w / outW;
  const ay = h / outH;
  const xin = new Int32Array(outW);
  let xo = ax * 0.5;
  for (let x = 0; x < outW; x++) {
    xin[x] = Math.min(w - 1, xo < 0 ? 0 : Math.trunc(xo));
    xo += ax;
  }
  let yo = ay * 0.5;
  for (let y = 0; y < outH; y++) {
    const yi = Math.min(h - 1, yo < 0 ? 0 : Math.trunc(yo));
    yo += ay;
    for (let x = 0; x < outW; x++) {
      const p = (yi * w + xin[x]) * channels;
      const o = (y * outW + x) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = src[p + c];
    }
  }
  return out;
}
