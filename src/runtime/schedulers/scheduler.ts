/**
 * The scheduler interface the mixture loop drives, and `createScheduler`.
 *
 * Every scheduler works on the whole latent canvas in place, computes in float64 and writes
 * float32. Multistep history (LMS's derivatives, DPM++ 2M's previous x0) is held in arrays
 * allocated on the first step and reused; it is kept only while steps are taken in order
 * (i, i+1, ...), so starting at a later step (img2img strength) or starting over at 0 begins with
 * a first-order step, as diffusers does after `set_begin_index`.
 */
import { SCHEDULER_NAMES, type SchedulerName } from "../../compiler/plan/plan.js";
import { checkConfigFor, validateSchedulerConfig, type SchedulerConfig } from "./config.js";
import { DdimScheduler } from "./ddim.js";
import { DpmPp2mScheduler } from "./dpmpp-2m.js";
import { EulerAncestralScheduler } from "./euler-ancestral.js";
import { EulerScheduler } from "./euler.js";
import { LmsScheduler } from "./lms.js";

export { SD_SCHEDULER_CONFIG, SCHEDULER_DEFAULTS, parseSchedulerConfig, validateSchedulerConfig } from "./config.js";
export type { SchedulerConfig, BetaSchedule, PredictionType, TimestepSpacing, InterpolationType, FinalSigmasType, TimestepType, SolverType } from "./config.js";

export { SCHEDULER_NAMES, type SchedulerName } from "../../compiler/plan/plan.js";

export interface Scheduler {
  readonly name: SchedulerName;
  readonly steps: number;
  /** The value given to the UNet at step i (fractional for sigma schedulers with linspace). */
  readonly timesteps: Float64Array;
  /** Initial latents = standard normal noise * initNoiseSigma. */
  readonly initNoiseSigma: number;
  /** True for euler_ancestral. */
  readonly needsNoise: boolean;
  /** scale_model_input at step i is a multiplication by this. */
  inputScale(i: number): number;
  /** One step, in place on `sample` (the whole latent canvas). `noise` (standard normal, same length) only for ancestral. */
  step(modelOutput: Float32Array, i: number, sample: Float32Array, noise?: Float32Array): void;
  /** The scheduler's add_noise at noise level `level` ∈ [0, steps]: level k is where the latents are before step k
   *  (k = 0: the start; k = steps: clean, returns `original`). Writes into `out`. */
  addNoise(original: Float32Array, noise: Float32Array, level: number, out: Float32Array): void;
}

/** What every scheduler here offers beyond {@link Scheduler}. */
export interface SchedulerWithSigmas extends Scheduler {
  /**
   * The noise level of the latents before step k, k = 0..steps, as the k-diffusion σ
   * (x = x0 + σ·ε; in the VP terms the UNet uses, ᾱ = 1/(1+σ²)): for k < steps the level step k
   * takes its input at (and `addNoise` level k). `sigmas[steps]` is where the last step lands: 0,
   * except `final_sigmas_type: "sigma_min"` (Euler, DPM++) or Euler's log-linear interpolation (σ(0),
   * ≈ 0.0292 for SD) and DDIM with `set_alpha_to_one: false` (σ of ᾱ_0, or of ᾱ[t − N//steps] where
   * that is ≥ 0). Float32 values, as diffusers stores them.
   */
  readonly sigmas: Float64Array;
}

export interface SchedulerOptions {
  karras: boolean;
  config: SchedulerConfig;
}

/**
 * One implementation per name of `SCHEDULER_NAMES`, whose `name` is its key: a name without an
 * implementation, or an implementation filed under another's name, is a type error.
 */
const SCHEDULERS: { [N in SchedulerName]: new (steps: number, karras: boolean, config: SchedulerConfig) => SchedulerWithSigmas & { readonly name: N } } = {
  lms: LmsScheduler,
  euler: EulerScheduler,
  euler_ancestral: EulerAncestralScheduler,
  ddim: DdimScheduler,
  dpmpp_2m: DpmPp2mScheduler,
};

export function createScheduler(name: SchedulerName, steps: number, options: SchedulerOptions): SchedulerWithSigmas {
  const { karras, config } = options;
  validateSchedulerConfig(config);
  if (!Number.isInteger(steps) || steps < 1 || steps > config.numTrainTimesteps) {
    throw new RangeError(`steps must be an integer from 1 to ${config.numTrainTimesteps}, got ${steps}`);
  }
  // A plan read from disk is checked against the schema, but a caller may still pass any string.
  if (!Object.hasOwn(SCHEDULERS, name)) {
    throw new Error(`unknown scheduler ${JSON.stringify(name as string)} (known: ${SCHEDULER_NAMES.join(", ")})`);
  }
  checkConfigFor(name, config);
  return new SCHEDULERS[name](steps, karras, config);
}
