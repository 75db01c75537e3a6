/**
 * The discrete noise schedule shared by every scheduler: betas, ᾱ (alphas_cumprod), the σ table,
 * timestep spacing, Karras sigmas and σ→t.
 *
 * Precision: the *tables* reproduce diffusers' float32 values (betas from a float64 linspace cast to
 * float32, squared, `1 − β` and the cumulative product in float32, σ = sqrt((1−ᾱ)/ᾱ) in float32), so
 * the schedule a scheduler uses matches the reference numbers to the last printed digit
 * (σ(999) = 14.614655, ᾱ_999 = 0.00466009) and the LMS coefficients to 1e-15. (torch on the CPU
 * accumulates the cumulative product in float64 and rounds each entry, which moves σ(999) by about
 * 4e-7 relative; the reference numbers follow numpy's float32 product, and so does this.)
 * Per-inference-step sigmas are rounded to float32 as diffusers stores them
 * (`astype(np.float32)`); everything computed from them is float64.
 */
import type { SchedulerConfig, TimestepSpacing } from "./config.js";

export { SD_SCHEDULER_CONFIG } from "./config.js";

const f32 = Math.fround;

/** numpy's `round` (half to even), which diffusers' timestep spacing uses. */
export function roundHalfEven(x: number): number {
  if (Math.abs(x % 1) === 0.5) return 2 * Math.round(x / 2);
  return Math.round(x);
}

/** `np.linspace(start, stop, num)` in float64, bit for bit (`i*step + start`, last element = stop). */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/** `np.interp(x, arange(table.length), table)`: linear in t, clamped at both ends. */
export function interpTable(x: number, table: ArrayLike<number>): number {
  const n = table.length;
  if (!(x > 0)) return table[0]!;
  if (x >= n - 1) return table[n - 1]!;
  const lo = Math.floor(x);
  const a = table[lo]!;
  const b = table[lo + 1]!;
  return a + (b - a) * (x - lo);
}

export interface NoiseSchedule {
  readonly numTrainTimesteps: number;
  /** β_t (float32 values). */
  readonly betas: Float64Array;
  /** ᾱ_t = Π(1 − β) (float32 values). */
  readonly alphasCumprod: Float64Array;
  /** σ_t = sqrt((1 − ᾱ_t)/ᾱ_t) (float32 values), increasing in t. */
  readonly sigmas: Float64Array;
  /** log σ_t in float64, for σ→t. */
  readonly logSigmas: Float64Array;
}

const cache = new Map<string, NoiseSchedule>();

export function noiseSchedule(config: SchedulerConfig): NoiseSchedule {
  const key = `${config.numTrainTimesteps}|${config.betaStart}|${config.betaEnd}|${config.betaSchedule}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const n = config.numTrainTimesteps;
  const betas = new Float64Array(n);
  if (config.betaSchedule === "scaled_linear") {
    const root = linspace(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n);
    for (let i = 0; i < n; i++) {
      const r = f32(root[i]!);
      betas[i] = f32(r * r);
    }
  } else {
    const lin = linspace(config.betaStart, config.betaEnd, n);
    for (let i = 0; i < n; i++) betas[i] = f32(lin[i]!);
  }
  const alphasCumprod = new Float64Array(n);
  const sigmas = new Float64Array(n);
  const logSigmas = new Float64Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    acc = f32(acc * f32(1 - betas[i]!));
    alphasCumprod[i] = acc;
    sigmas[i] = f32(Math.sqrt(f32(f32(1 - acc) / acc)));
    logSigmas[i] = Math.log(sigmas[i]!);
  }
  const schedule: NoiseSchedule = { numTrainTimesteps: n, betas, alphasCumprod, sigmas, logSigmas };
  cache.set(key, schedule);
  return schedule;
}

/** The training σ table, σ_t for t = 0..N−1 (float32 values), e.g. for a model that needs σ(t). */
export function trainingSigmas(config: SchedulerConfig): Float64Array {
  return noiseSchedule(config).sigmas.slice();
}

/**
 * diffusers' `_sigma_to_t`: the (fractional) training timestep whose σ is `sigma`, by linear
 * interpolation of log σ between the two neighbouring table entries; clamped to [0, N−1].
 */
export function sigmaToT(sigma: number, logSigmas: ArrayLike<number>): number {
  const n = logSigmas.length;
  const ls = Math.log(Math.max(sigma, 1e-10));
  // low = the last index with logSigmas[i] <= ls (0 when there is none), at most n − 2.
  let lo = 0;
  let hi = n - 1;
  if (!(ls >= logSigmas[0]!)) {
    lo = 0;
  } else {
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (logSigmas[mid]! <= ls) lo = mid;
      else hi = mid - 1;
    }
  }
  if (lo > n - 2) lo = n - 2;
  const low = logSigmas[lo]!;
  const high = logSigmas[lo + 1]!;
  let w = (low - ls) / (low - high);
  if (!(w > 0)) w = 0;
  else if (w > 1) w = 1;
  return (1 - w) * lo + w * (lo + 1);
}

/** Karras et al. (2022) sigmas, ρ = 7: `(σmax^(1/ρ) + ramp·(σmin^(1/ρ) − σmax^(1/ρ)))^ρ`, ramp = linspace(0, 1, n). */
export function karrasSigmas(sigmaMax: number, sigmaMin: number, n: number, rho = 7): Float64Array {
  const ramp = linspace(0, 1, n);
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (maxInv + ramp[i]! * (minInv - maxInv)) ** rho;
  return out;
}

/**
 * Timesteps of the sigma-based schedulers (LMS, Euler, Euler ancestral; identical code in
 * diffusers), as float32 values:
 * - linspace: `np.linspace(0, N−1, steps, dtype=float32)[::-1]` (fractional)
 * - leading:  `(arange(steps) · (N // steps))[::-1] + steps_offset`
 * - trailing: `round(N − i·N/steps) − 1`, i < steps
 *
 * Two deliberate deviations at edges: linspace with one step gives [N−1] (numpy's linspace of one
 * point is its start, 0, i.e. a render that starts almost clean), and trailing always gives exactly
 * `steps` values (diffusers' `np.arange(N, 0, -N/steps)` yields one extra entry for some step
 * counts, e.g. 61, through float rounding).
 */
export function sigmaSchedulerTimesteps(spacing: TimestepSpacing, steps: number, n: number, stepsOffset: number): Float64Array {
  return spacedTimesteps(spacing, steps, n, stepsOffset, { points: steps, linspaceValue: f32 });
}

/**
 * Integer timesteps of DDIM (`DDIMScheduler.set_timesteps`):
 * - linspace: `np.linspace(0, N−1, steps).round()[::-1]`
 * - leading:  `(arange(steps) · (N // steps))[::-1] + steps_offset`  (the class default)
 * - trailing: as for the sigma schedulers.
 * Same edge deviations as {@link sigmaSchedulerTimesteps}.
 */
export function ddimTimesteps(spacing: TimestepSpacing, steps: number, n: number, stepsOffset: number): Float64Array {
  return spacedTimesteps(spacing, steps, n, stepsOffset, { points: steps, linspaceValue: roundHalfEven });
}

/**
 * Integer timesteps of DPM-Solver multistep (`DPMSolverMultistepScheduler.set_timesteps`), which
 * spaces `steps + 1` points and drops the last (t = 0, reached through the final σ = 0):
 * - linspace: `np.linspace(0, N−1, steps+1).round()[::-1][:-1]`  (the class default)
 * - leading:  `(arange(steps+1) · (N // (steps+1))).round()[::-1][:-1] + steps_offset`
 * - trailing: as for the sigma schedulers.
 */
export function dpmTimesteps(spacing: TimestepSpacing, steps: number, n: number, stepsOffset: number): Float64Array {
  return spacedTimesteps(spacing, steps, n, stepsOffset, { points: steps + 1, linspaceValue: roundHalfEven });
}

/**
 * The spacing code the schedulers above share: `points` timesteps spread over 0..N−1, in
 * decreasing order, of which the first `steps` are kept (`points` − `steps` trailing ones dropped);
 * `linspaceValue` turns a linspace point into a timestep (float32 or rounded to an integer).
 * - linspace: `linspaceValue(np.linspace(0, N−1, points))[::-1][:steps]`; one point gives [N−1]
 * - leading:  `(arange(points) · (N // points))[::-1][:steps] + steps_offset`
 * - trailing: `round(N − i·N/steps) − 1`, i < steps (whatever `points`)
 */
function spacedTimesteps(
  spacing: TimestepSpacing,
  steps: number,
  n: number,
  stepsOffset: number,
  options: { points: number; linspaceValue: (t: number) => number },
): Float64Array {
  const { points, linspaceValue } = options;
  const out = new Float64Array(steps);
  switch (spacing) {
    case "linspace": {
      if (points === 1) {
        out[0] = n - 1;
        break;
      }
      const lin = linspace(0, n - 1, points);
      for (let i = 0; i < steps; i++) out[i] = linspaceValue(lin[points - 1 - i]!);
      break;
    }
    case "leading": {
      const ratio = Math.floor(n / points);
      for (let i = 0; i < steps; i++) out[i] = (points - 1 - i) * ratio + stepsOffset;
      break;
    }
    case "trailing": {
      const ratio = n / steps;
      for (let i = 0; i < steps; i++) out[i] = roundHalfEven(n - i * ratio) - 1;
      break;
    }
  }
  return out;
}
