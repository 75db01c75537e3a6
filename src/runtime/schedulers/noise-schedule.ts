/**
 * The discrete noise schedule shared by every scheduler: betas, ᾱ (alphas_cumprod), the σ table,
 * timestep spacing, Karras sigmas and σ→t.
 *
 * Precision: the *tables* reproduce diffusers' float32 values as torch on the CPU makes them: the
 * betas from `torch.linspace(..., dtype=float32)` (computed in float32 from both ends), `1 − β` in
 * float32, the cumulative product accumulated in float64 and rounded at each entry (torch's CPU
 * cumprod), σ = sqrt((1−ᾱ)/ᾱ) in float32. Of the 125 non-zero per-step σ the conformance cases
 * record, 96 come out bit-exact and the rest one float32 ulp off (torch's vectorised `** 0.5` is
 * not correctly rounded); numpy's float32 product, used before, was up to 9 ulps off.
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

/**
 * `torch.linspace(start, stop, num, dtype=torch.float32)` on the CPU, bit for bit: the ends rounded
 * to float32, the step `(stop − start)/(num − 1)` in float32, the first half `start + step·i` and
 * the second `stop − step·(num − 1 − i)`, each in float32.
 */
export function torchLinspaceF32(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const s = f32(start);
  const e = f32(stop);
  if (num === 1) {
    out[0] = s;
    return out;
  }
  const step = f32(f32(e - s) / (num - 1));
  const half = num >> 1;
  for (let i = 0; i < num; i++) out[i] = i < half ? f32(s + f32(step * i)) : f32(e - f32(step * (num - 1 - i)));
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
    const root = torchLinspaceF32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n);
    for (let i = 0; i < n; i++) betas[i] = f32(root[i]! * root[i]!);
  } else {
    betas.set(torchLinspaceF32(config.betaStart, config.betaEnd, n));
  }
  const alphasCumprod = new Float64Array(n);
  const sigmas = new Float64Array(n);
  const logSigmas = new Float64Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    acc *= f32(1 - betas[i]!);
    const ab = f32(acc);
    alphasCumprod[i] = ab;
    sigmas[i] = f32(Math.sqrt(f32(f32(1 - ab) / ab)));
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
 * DPM-Solver's `last_timestep`: N minus the number of timesteps whose λ = log α − log σ (float32,
 * as torch computes it) is below `lambdaMinClipped` (`torch.searchsorted` on the flipped λ); N for
 * the default −∞.
 */
export function dpmLastTimestep(schedule: NoiseSchedule, lambdaMinClipped: number): number {
  let clipped = 0;
  for (let t = schedule.numTrainTimesteps - 1; t >= 0; t--) {
    const ab = schedule.alphasCumprod[t]!;
    const lambda = f32(f32(Math.log(f32(Math.sqrt(ab)))) - f32(Math.log(f32(Math.sqrt(f32(1 - ab))))));
    if (!(lambda < lambdaMinClipped)) break;
    clipped++;
  }
  return schedule.numTrainTimesteps - clipped;
}

/**
 * Integer timesteps of DPM-Solver multistep (`DPMSolverMultistepScheduler.set_timesteps`), which
 * spaces `steps + 1` points below `last` (= N unless `lambda_min_clipped` cuts the top, see
 * {@link dpmLastTimestep}) and drops the last (t = 0, reached through the final σ):
 * - linspace: `np.linspace(0, last−1, steps+1).round()[::-1][:-1]`  (the class default)
 * - leading:  `(arange(steps+1) · (last // (steps+1))).round()[::-1][:-1] + steps_offset`
 * - trailing: `round(last − i·N/steps) − 1`, i < steps; an error where that goes below 0 (diffusers
 *   would run fewer steps than asked).
 */
export function dpmTimesteps(spacing: TimestepSpacing, steps: number, n: number, stepsOffset: number, last = n): Float64Array {
  const out = spacedTimesteps(spacing, steps, n, stepsOffset, { points: steps + 1, linspaceValue: roundHalfEven, last });
  if (out[steps - 1]! < 0) {
    throw new Error(`scheduler_config.json: "lambda_min_clipped" leaves ${last} timesteps, too few for ${steps} "trailing" steps; use fewer steps, another "timestep_spacing", or remove "lambda_min_clipped"`);
  }
  return out;
}

/**
 * The spacing code the schedulers above share: `points` timesteps spread over 0..last−1 (last = N
 * but for DPM-Solver's λ clipping), in decreasing order, of which the first `steps` are kept
 * (`points` − `steps` trailing ones dropped); `linspaceValue` turns a linspace point into a
 * timestep (float32 or rounded to an integer).
 * - linspace: `linspaceValue(np.linspace(0, last−1, points))[::-1][:steps]`; one point gives [last−1]
 * - leading:  `(arange(points) · (last // points))[::-1][:steps] + steps_offset`
 * - trailing: `round(last − i·N/steps) − 1`, i < steps (whatever `points`)
 */
function spacedTimesteps(
  spacing: TimestepSpacing,
  steps: number,
  n: number,
  stepsOffset: number,
  options: { points: number; linspaceValue: (t: number) => number; last?: number },
): Float64Array {
  const { points, linspaceValue, last = n } = options;
  const out = new Float64Array(steps);
  switch (spacing) {
    case "linspace": {
      if (points === 1) {
        out[0] = last - 1;
        break;
      }
      const lin = linspace(0, last - 1, points);
      for (let i = 0; i < steps; i++) out[i] = linspaceValue(lin[points - 1 - i]!);
      break;
    }
    case "leading": {
      const ratio = Math.floor(last / points);
      for (let i = 0; i < steps; i++) out[i] = (points - 1 - i) * ratio + stepsOffset;
      break;
    }
    case "trailing": {
      const ratio = n / steps;
      for (let i = 0; i < steps; i++) out[i] = roundHalfEven(last - i * ratio) - 1;
      break;
    }
  }
  return out;
}
