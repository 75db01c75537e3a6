/**
 * Linear multistep, order 4 (diffusers `LMSDiscreteScheduler`, k-diffusion `sample_lms`):
 *   x ← x + Σ_j c_j · d_{i−j},  d = (x − x0)/σ,  order = min(steps in the history + 1, 4)
 * with c_j = ∫_{σ_i}^{σ_{i+1}} ℓ_j(τ) dτ, ℓ_j the Lagrange basis polynomial on the nodes
 * σ_i, σ_{i−1}, …, σ_{i−order+1}. ℓ_j has degree order − 1 ≤ 3, so 2-point Gauss–Legendre
 * quadrature gives the integral exactly (diffusers integrates numerically with scipy `quad`).
 */
import { ensureBuffer } from "./base.js";
import type { SchedulerConfig } from "./config.js";
import { SigmaScheduler } from "./sigma-scheduler.js";

const LMS_ORDER = 4;

const GAUSS_OFFSET = 1 / Math.sqrt(3);

/**
 * The LMS coefficients of step `t` for the given order: `out[j]` multiplies the derivative of step
 * t − j. Exact (2-point Gauss–Legendre on a polynomial of degree ≤ 3).
 */
export function lmsCoefficients(sigmas: ArrayLike<number>, t: number, order: number, out: Float64Array = new Float64Array(order)): Float64Array {
  if (!Number.isInteger(order) || order < 1 || order > LMS_ORDER) throw new RangeError(`LMS order must be 1..${LMS_ORDER}, got ${order}`);
  if (!Number.isInteger(t) || t - order + 1 < 0 || t + 1 >= sigmas.length) {
    throw new RangeError(`LMS step ${t} of order ${order} needs sigmas[${t - order + 1}..${t + 1}] (have ${sigmas.length})`);
  }
  const a = sigmas[t]!;
  const b = sigmas[t + 1]!;
  const mid = (a + b) / 2;
  const half = (b - a) / 2;
  const tau1 = mid - half * GAUSS_OFFSET;
  const tau2 = mid + half * GAUSS_OFFSET;
  for (let j = 0; j < order; j++) {
    const sj = sigmas[t - j]!;
    let p1 = 1;
    let p2 = 1;
    for (let k = 0; k < order; k++) {
      if (k === j) continue;
      const sk = sigmas[t - k]!;
      const denom = sj - sk;
      p1 *= (tau1 - sk) / denom;
      p2 *= (tau2 - sk) / denom;
    }
    out[j] = half * (p1 + p2);
  }
  return out;
}

export class LmsScheduler extends SigmaScheduler {
  readonly name = "lms" as const;
  readonly needsNoise = false;
  /** Ring buffer of the last LMS_ORDER derivatives (float32, as diffusers keeps them). */
  private readonly derivatives: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(LMS_ORDER).fill(undefined);
  private readonly coeffs = new Float64Array(LMS_ORDER);

  constructor(steps: number, karras: boolean, config: SchedulerConfig) {
    super(steps, karras, config);
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): void {
    const earlier = this.beginStep(modelOutput, i, sample);
    const order = Math.min(earlier + 1, LMS_ORDER);
    const n = sample.length;
    const sigma = this.sigmas[i]!;
    const cx = this.dx(sigma);
    const cm = this.dm(sigma);
    const slot = i % LMS_ORDER;
    const d0 = ensureBuffer(this.derivatives[slot], n);
    this.derivatives[slot] = d0;
    const c = lmsCoefficients(this.sigmas, i, order, this.coeffs);
    const c0 = c[0]!;
    if (order === 1) {
      for (let j = 0; j < n; j++) {
        const x = sample[j]!;
        const d = cx * x + cm * modelOutput[j]!;
        d0[j] = d;
        sample[j] = x + c0 * d;
      }
      return;
    }
    const d1 = this.derivatives[(i - 1) % LMS_ORDER]!;
    const c1 = c[1]!;
    if (order === 2) {
      for (let j = 0; j < n; j++) {
        const x = sample[j]!;
        const d = cx * x + cm * modelOutput[j]!;
        d0[j] = d;
        sample[j] = x + c0 * d + c1 * d1[j]!;
      }
      return;
    }
    const d2 = this.derivatives[(i - 2) % LMS_ORDER]!;
    const c2 = c[2]!;
    if (order === 3) {
      for (let j = 0; j < n; j++) {
        const x = sample[j]!;
        const d = cx * x + cm * modelOutput[j]!;
        d0[j] = d;
        sample[j] = x + c0 * d + c1 * d1[j]! + c2 * d2[j]!;
      }
      return;
    }
    const d3 = this.derivatives[(i - 3) % LMS_ORDER]!;
    const c3 = c[3]!;
    for (let j = 0; j < n; j++) {
      const x = sample[j]!;
      const d = cx * x + cm * modelOutput[j]!;
      d0[j] = d;
      sample[j] = x + c0 * d + c1 * d1[j]! + c2 * d2[j]! + c3 * d3[j]!;
    }
  }
}
