/**
 * The schedule and common behaviour of the σ-parameterised ("k-diffusion style") schedulers: LMS,
 * Euler and Euler ancestral. Their latents live on the x = x0 + σ·ε scale, so the UNet input is
 * scaled by 1/sqrt(σ²+1) and the initial noise by σmax (or sqrt(σmax²+1) for leading spacing).
 */
import { SchedulerBase } from "./base.js";
import type { SchedulerConfig, TimestepSpacing } from "./config.js";
import { interpTable, karrasSigmas, noiseSchedule, sigmaSchedulerTimesteps, sigmaToT } from "./noise-schedule.js";

const f32 = Math.fround;

export interface SigmaSchedule {
  readonly spacing: TimestepSpacing;
  /** UNet timesteps, float32 values (fractional for linspace and for Karras sigmas). */
  readonly timesteps: Float64Array;
  /** steps + 1 values, float32, ending in 0. */
  readonly sigmas: Float64Array;
  readonly initNoiseSigma: number;
}

/**
 * diffusers' `EulerDiscreteScheduler.set_timesteps` (LMS and Euler ancestral share it):
 * σ_i = interp(t_i) on the σ table; with Karras sigmas, the ρ = 7 ramp between the first and the
 * last of those σ_i (so the endpoints follow the spacing), and t_i = σ→t of each Karras σ
 * (log-σ interpolation, fractional). A final σ = 0 is appended.
 * `init_noise_sigma` = max σ for linspace/trailing, sqrt(max σ² + 1) for leading.
 */
function buildSigmaSchedule(steps: number, karras: boolean, config: SchedulerConfig): SigmaSchedule {
  const table = noiseSchedule(config);
  const spacing = config.timestepSpacing ?? "linspace";
  const timesteps = sigmaSchedulerTimesteps(spacing, steps, config.numTrainTimesteps, config.stepsOffset);
  let sigmas64: Float64Array = new Float64Array(steps);
  for (let i = 0; i < steps; i++) sigmas64[i] = interpTable(timesteps[i]!, table.sigmas);
  if (karras) {
    sigmas64 = karrasSigmas(sigmas64[0]!, sigmas64[steps - 1]!, steps);
    for (let i = 0; i < steps; i++) timesteps[i] = f32(sigmaToT(sigmas64[i]!, table.logSigmas));
  }
  const sigmas = new Float64Array(steps + 1);
  let max = 0;
  for (let i = 0; i < steps; i++) {
    sigmas[i] = f32(sigmas64[i]!);
    if (sigmas[i]! > max) max = sigmas[i]!;
  }
  sigmas[steps] = 0;
  const initNoiseSigma = spacing === "leading" ? Math.sqrt(max * max + 1) : max;
  return { spacing, timesteps, sigmas, initNoiseSigma };
}

export abstract class SigmaScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  readonly initNoiseSigma: number;

  constructor(steps: number, karras: boolean, config: SchedulerConfig) {
    super(steps, config.predictionType);
    const schedule = buildSigmaSchedule(steps, karras, config);
    this.timesteps = schedule.timesteps;
    this.sigmas = schedule.sigmas;
    this.initNoiseSigma = schedule.initNoiseSigma;
  }

  inputScale(i: number): number {
    this.checkIndex(i);
    const s = this.sigmas[i]!;
    return 1 / Math.sqrt(s * s + 1);
  }

  /** `original + σ_level · noise`. */
  protected noiseScales(level: number): [number, number] | undefined {
    const s = this.sigmas[level]!;
    return s === 0 ? undefined : [1, s];
  }

  /**
   * The ODE derivative d = (x − x0)/σ is linear in (x, model output m): d = dx(σ)·x + dm(σ)·m.
   * epsilon: x0 = x − σ·ε, so d = ε (dx = 0, dm = 1).
   * v_prediction: x0 = −σ/sqrt(σ²+1)·v + x/(σ²+1), so d = σ/(σ²+1)·x + 1/sqrt(σ²+1)·v.
   */
  protected dx(sigma: number): number {
    return this.prediction === "epsilon" ? 0 : sigma / (sigma * sigma + 1);
  }

  protected dm(sigma: number): number {
    return this.prediction === "epsilon" ? 1 : 1 / Math.sqrt(sigma * sigma + 1);
  }
}
