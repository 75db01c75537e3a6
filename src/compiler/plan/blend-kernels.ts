import type { BlendKernel } from "./plan.js";

/**
 * The per-region mixing kernels of Mixture of Diffusers, separable into a row profile times a
 * column profile over the region's latent width or height. Language semantics, not runtime: the
 * compiler's dominance check (S2502) and the runtime's mixing read the same profiles. Values
 * match the reference implementation, normalising constants included (they cancel unless kernels
 * are mixed, and keeping them keeps mixed scenes faithful), with the Gaussian centred at (n-1)/2
 * on both axes.
 */
const GAUSSIAN_VARIANCE = 0.01;
const QUARTIC_CONSTANT = 15 / 16;

/** One profile per kernel of `BLEND_KERNELS`: a kernel without one is a type error. */
const PROFILES: Record<BlendKernel, (out: Float64Array) => void> = {
  gaussian(out) {
    const n = out.length;
    const mid = (n - 1) / 2;
    const norm = 1 / Math.sqrt(2 * Math.PI * GAUSSIAN_VARIANCE);
    for (let i = 0; i < n; i++) {
      const u = (i - mid) / n;
      out[i] = Math.exp((-u * u) / (2 * GAUSSIAN_VARIANCE)) * norm;
    }
  },
  quartic(out) {
    const n = out.length;
    // Support rescaled to ±0.995 so the edge weight stays above zero.
    for (let i = 0; i < n; i++) {
      const s = n === 1 ? 0 : (i / (n - 1)) * 1.99 - 1.99 / 2;
      const t = 1 - s * s;
      out[i] = QUARTIC_CONSTANT * t * t;
    }
  },
  constant(out) {
    out.fill(1);
  },
};

/** The kernel's profile over `n` latent elements. */
export function kernelProfile(kind: BlendKernel, n: number): Float64Array {
  const out = new Float64Array(n);
  PROFILES[kind](out);
  return out;
}
