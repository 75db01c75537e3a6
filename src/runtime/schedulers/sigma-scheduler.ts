/**
 * The schedule and common behaviour of the σ-parameterised ("k-diffusion style") schedulers: LMS,
 * Euler and Euler ancestral. Their latents live on the x = x0 + σ·ε scale, so the UNet input is
 * scaled by 1/sqrt(σ²+1) and the initial noise by σmax (or sqrt(σmax²+1) for leading spacing).
 */
import { SchedulerBase } from "./base.js";
import { SCHEDULER_DEFAULTS, type FinalSigmasType, type InterpolationType, type SchedulerConfig, type TimestepSpacing } from "./config.js";
import { interpTable, karrasSigmas, noiseSchedule, sigmaSchedulerTimesteps, sigmaToT, torchLinspaceF32 } from "./noise-schedule.js";

const f32 = Math.fround;

export interface SigmaSchedule {
  readonly spacing: TimestepSpacing;
  /** UNet timesteps, float32 values (fractional for linspace and for Karras sigmas). */
  readonly timesteps: Float64Array;
  /** steps + 1 values, float32: the level before each step, then where the last step lands. */
  readonly sigmas: Float64Array;
  readonly initNoiseSigma: number;
}

/** The σ-schedule options only Euler's class has (LMS's and Euler ancestral's ignore the keys). */
export interface SigmaOptions {
  readonly interpolation: InterpolationType;
  /** The ends of the Karras ramp, where the config sets them. */
  readonly sigmaMin?: number;
  readonly sigmaMax?: number;
  readonly finalSigmas: FinalSigmasType;
  /** `timestep_type: "continuous"` with v_prediction: the UNet is fed 0.25·log σ. */
  readonly continuousTimesteps: boolean;
}

/** What LMS and Euler ancestral do: their classes have none of Euler's options. */
export const PLAIN_SIGMA_OPTIONS: SigmaOptions = { interpolation: "linear", finalSigmas: "zero", continuousTimesteps: false };

/** Euler's options from its config keys (class defaults where absent). */
export function eulerSigmaOptions(config: SchedulerConfig): SigmaOptions {
  const d = SCHEDULER_DEFAULTS;
  return {
    interpolation: config.interpolationType ?? d.interpolationType,
    ...(config.sigmaMin !== undefined ? { sigmaMin: config.sigmaMin } : {}),
    ...(config.sigmaMax !== undefined ? { sigmaMax: config.sigmaMax } : {}),
    finalSigmas: config.finalSigmasType ?? d.finalSigmasType,
    continuousTimesteps: (config.timestepType ?? d.timestepType) === "continuous" && config.predictionType === "v_prediction",
  };
}

/**
 * diffusers' `EulerDiscreteScheduler.set_timesteps` (LMS and Euler ancestral share its default path):
 * - σ_i = interp(t_i) on the σ table; or, for `interpolation_type: "log_linear"`, steps + 1 values
 *   exp(linspace(log σmax, log σmin)) in float32, of which step i goes from the i-th to the next,
 *   so the last step lands on σmin, while the UNet timesteps stay the spaced ones (diffusers' pairing);
 * - with Karras sigmas, the ρ = 7 ramp between the first and the last of those σ (so the ends follow
 *   the spacing), or `sigma_max`/`sigma_min` where the config sets them, and t_i = σ→t of each
 *   Karras σ (log-σ interpolation, fractional);
 * - a final σ of 0, or σ(0) for `final_sigmas_type: "sigma_min"`;
 * - `timestep_type: "continuous"` with v_prediction: t_i = 0.25·log σ_i (with log-linear σ and no
 *   Karras, diffusers makes steps + 1 such timesteps and so runs one step more; here the steps asked).
 * `init_noise_sigma` = max σ for linspace/trailing, sqrt(max σ² + 1) for leading (float32).
 */
function buildSigmaSchedule(steps: number, karras: boolean, config: SchedulerConfig, options: SigmaOptions): SigmaSchedule {
  const table = noiseSchedule(config);
  const n = config.numTrainTimesteps;
  const spacing = config.timestepSpacing ?? "linspace";
  const timesteps = sigmaSchedulerTimesteps(spacing, steps, n, config.stepsOffset);
  let sigmas64: Float64Array;
  if (options.interpolation === "log_linear") {
    const logs = torchLinspaceF32(f32(Math.log(table.sigmas[n - 1]!)), f32(Math.log(table.sigmas[0]!)), steps + 1);
    sigmas64 = logs.map((l) => f32(Math.exp(l)));
  } else {
    sigmas64 = new Float64Array(steps);
    for (let i = 0; i < steps; i++) sigmas64[i] = interpTable(timesteps[i]!, table.sigmas);
  }
  if (karras) {
    const top = options.sigmaMax ?? sigmas64[0]!;
    const bottom = options.sigmaMin ?? sigmas64[sigmas64.length - 1]!;
    sigmas64 = karrasSigmas(top, bottom, steps);
    for (let i = 0; i < steps; i++) timesteps[i] = f32(sigmaToT(sigmas64[i]!, table.logSigmas));
  }
  const sigmas = new Float64Array(steps + 1);
  // log-linear without Karras has one σ more than steps: the last step lands on it.
  for (let i = 0; i < Math.min(sigmas64.length, steps + 1); i++) sigmas[i] = f32(sigmas64[i]!);
  if (sigmas64.length === steps) sigmas[steps] = options.finalSigmas === "sigma_min" ? table.sigmas[0]! : 0;
  if (options.continuousTimesteps) for (let i = 0; i < steps; i++) timesteps[i] = f32(0.25 * f32(Math.log(sigmas[i]!)));
  const max = Math.max(...sigmas);
  const initNoiseSigma = spacing === "leading" ? f32(Math.sqrt(f32(f32(max * max) + 1))) : max;
  return { spacing, timesteps, sigmas, initNoiseSigma };
}

export abstract class SigmaScheduler extends SchedulerBase {
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  readonly initNoiseSigma: number;

  constructor(steps: number, karras: boolean, config: SchedulerConfig, options: SigmaOptions = PLAIN_SIGMA_OPTIONS) {
    super(steps, config.predictionType);
    const schedule = buildSigmaSchedule(steps, karras, config, options);
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
    // Level `steps` means clean, also where the last step lands on σ(0) (final_sigmas_type, log-linear).
    return level === this.steps ? undefined : [1, this.sigmas[level]!];
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
