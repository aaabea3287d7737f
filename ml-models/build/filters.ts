/**
 * Fixed filter kernels for the default models. All kernels are square, odd-sized, returned row-major, and
 * normalised so that responses are comparable across orientations and scales.
 */

export interface Kernel {
  size: number;
  data: Float64Array;
}

function zeroMean(k: Float64Array): void {
  let s = 0;
  for (const v of k) s += v;
  const m = s / k.length;
  for (let i = 0; i < k.length; i++) k[i] -= m;
}

function l1Normalise(k: Float64Array): void {
  let s = 0;
  for (const v of k) s += Math.abs(v);
  for (let i = 0; i < k.length; i++) k[i] /= s;
}

/** Zero mean, then L1 = 2 (so an ideal step or line of contrast 1 gives a response of about 1). */
function normalised(size: number, data: Float64Array): Kernel {
  zeroMean(data);
  l1Normalise(data);
  for (let i = 0; i < data.length; i++) data[i] *= 2;
  return { size, data };
}

/** A kernel whose value depends on the offset along `theta` and across it. Normalised as above. */
function oriented(size: number, theta: number, value: (along: number, across: number) => number): Kernel {
  const r = (size - 1) / 2;
  const data = new Float64Array(size * size);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) data[(y + r) * size + (x + r)] = value(c * x + s * y, -s * x + c * y);
  return normalised(size, data);
}

/**
 * A Gabor pair member oriented at `theta` (the direction of the line/edge it responds to): a Gaussian window
 * elongated along the orientation (σ_along) times a carrier across it with wavelength `lambda`.
 * `phase` 'even' (cosine: lines) or 'odd' (sine: edges). Zero mean, L1 = 2.
 */
export function gabor(size: number, theta: number, lambda: number, sigmaAlong: number, sigmaAcross: number, phase: 'even' | 'odd'): Kernel {
  return oriented(size, theta, (along, across) => {
    const env = Math.exp(-(along * along) / (2 * sigmaAlong * sigmaAlong) - (across * across) / (2 * sigmaAcross * sigmaAcross));
    const arg = (2 * Math.PI * across) / lambda;
    return env * (phase === 'even' ? Math.cos(arg) : Math.sin(arg));
  });
}

/**
 * A ridge detector oriented at `theta`: the negative second derivative across the line of an anisotropic Gaussian
 * (σ_along along it, σ_across across it); positive on a bright line, negative on a dark one. Zero mean, L1 = 2.
 */
export function ridge(size: number, theta: number, sigmaAlong: number, sigmaAcross: number): Kernel {
  return oriented(size, theta, (along, across) => {
    const q = (across * across) / (sigmaAcross * sigmaAcross);
    return (1 - q) * Math.exp(-(along * along) / (2 * sigmaAlong * sigmaAlong) - q / 2);
  });
}

/** Negative Laplacian of Gaussian (positive at the centre of a bright blob of radius ≈ σ√2). Zero mean, L1 = 2. */
export function negLoG(size: number, sigma: number): Kernel {
  const r = (size - 1) / 2;
  const data = new Float64Array(size * size);
  for (let y = -r; y <= r; y++) {
    for (let x = -r; x <= r; x++) {
      const q = (x * x + y * y) / (2 * sigma * sigma);
      data[(y + r) * size + (x + r)] = (1 - q) * Math.exp(-q);
    }
  }
  return normalised(size, data);
}

/** Normalised Gaussian (sum 1). */
export function gaussian(size: number, sigma: number): Kernel {
  const r = (size - 1) / 2;
  const data = new Float64Array(size * size);
  let s = 0;
  for (let y = -r; y <= r; y++) {
    for (let x = -r; x <= r; x++) {
      const v = Math.exp(-(x * x + y * y) / (2 * sigma * sigma));
      data[(y + r) * size + (x + r)] = v;
      s += v;
    }
  }
  for (let i = 0; i < data.length; i++) data[i] /= s;
  return { size, data };
}

/** Stacks kernels into a Conv weight [K, 1, size, size]. */
export function stack(kernels: Kernel[]): { dims: number[]; data: Float64Array } {
  const size = kernels[0].size;
  const data = new Float64Array(kernels.length * size * size);
  kernels.forEach((k, i) => {
    if (k.size !== size) throw new RangeError('stack: kernels of different sizes');
    data.set(k.data, i * size * size);
  });
  return { dims: [kernels.length, 1, size, size], data };
}
