/**
 * DDIM, η = 0 (diffusers `DDIMScheduler`). Latents are on the VP scale
 * (x = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε): `init_noise_sigma` = 1 and the UNet input is not scaled.
 *
 *   epsilon: x0 = (x − sqrt(1−ᾱ_t)·ε)/sqrt(ᾱ_t)
 *   v:       x0 = sqrt(ᾱ_t)·x − sqrt(1−ᾱ_t)·v,  ε = sqrt(ᾱ_t)·v + sqrt(1−ᾱ_t)·x
 *   x ← sqrt(ᾱ_prev)·x0 + sqrt(1−ᾱ_prev)·ε
 * ᾱ_prev after the last step is `final_alpha_cumprod`: 1 with set_alpha_to_one (the class
 * default), else ᾱ_0.
 *
 * Decisions:
 * - The step lands on the *next timestep of the schedule* (ᾱ of timesteps[i+1]). diffusers uses
 *   t − N//steps, which is the same thing for its default `leading` spacing (and for `trailing`
 *   when steps divides N) but for `linspace` can drift off the schedule; here every step ends
 *   exactly where the next one (and `addNoise` for the guides) says the latents are.
 * - Karras sigmas (diffusers' DDIM has none): the ρ = 7 ramp between σ of the first and of the last
 *   spaced timestep (as diffusers' Euler and LMS do, so the range is DDIM's usual one), the UNet
 *   timestep is round(σ→t) (log-σ interpolation, an integer as DDIM feeds), and the step uses
 *   ᾱ = 1/(1+σ²) of the Karras σ itself, not ᾱ of the rounded timestep (as diffusers' DPM-Solver
 *   does with Karras sigmas), so the steps stay distinct where rounding would make them coincide.
 */
import { VpScheduler } from "./base.js";
import type { SchedulerConfig } from "./config.js";
import { ddimTimesteps, karrasSigmas, noiseSchedule, roundHalfEven, sigmaToT } from "./noise-schedule.js";

const f32 = Math.fround;

export class DdimScheduler extends VpScheduler {
  readonly name = "ddim" as const;
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  /** ᾱ at each level 0..steps (the last is final_alpha_cumprod). */
  readonly alphasCumprod: Float64Array;

  constructor(steps: number, karras: boolean, config: SchedulerConfig) {
    super(steps, config.predictionType);
    const table = noiseSchedule(config);
    const n = config.numTrainTimesteps;
    const spacing = config.timestepSpacing ?? "leading";
    const timesteps = ddimTimesteps(spacing, steps, n, config.stepsOffset);
    const alphas = new Float64Array(steps + 1);
    const clampT = (t: number) => Math.min(n - 1, Math.max(0, t));
    if (karras) {
      const ks = karrasSigmas(table.sigmas[clampT(timesteps[0]!)]!, table.sigmas[clampT(timesteps[steps - 1]!)]!, steps);
      for (let i = 0; i < steps; i++) {
        const s = f32(ks[i]!);
        timesteps[i] = roundHalfEven(sigmaToT(ks[i]!, table.logSigmas));
        alphas[i] = 1 / (1 + s * s);
      }
    } else {
      for (let i = 0; i < steps; i++) alphas[i] = table.alphasCumprod[clampT(timesteps[i]!)]!;
    }
    alphas[steps] = (config.setAlphaToOne ?? true) ? 1 : table.alphasCumprod[0]!;
    const sigmas = new Float64Array(steps + 1);
    for (let k = 0; k <= steps; k++) sigmas[k] = f32(Math.sqrt((1 - alphas[k]!) / alphas[k]!));
    this.timesteps = timesteps;
    this.alphasCumprod = alphas;
    this.sigmas = sigmas;
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): void {
    this.beginStep(modelOutput, i, sample);
    const at = this.alphasCumprod[i]!;
    const ap = this.alphasCumprod[i + 1]!;
    const sat = Math.sqrt(at);
    const s1at = Math.sqrt(1 - at);
    const sap = Math.sqrt(ap);
    const s1ap = Math.sqrt(1 - ap);
    // x' = A·x + B·m, expanding the formulas above.
    let a: number;
    let b: number;
    if (this.prediction === "epsilon") {
      a = sap / sat;
      b = s1ap - (sap * s1at) / sat;
    } else {
      a = sap * sat + s1ap * s1at;
      b = s1ap * sat - sap * s1at;
    }
    const n = sample.length;
    for (let j = 0; j < n; j++) sample[j] = a * sample[j]! + b * modelOutput[j]!;
  }

  /** `sqrt(ᾱ)·original + sqrt(1−ᾱ)·noise` at the level's ᾱ; level = steps returns `original`. */
  protected noiseScales(level: number): [number, number] | undefined {
    if (level === this.steps) return undefined;
    const ab = this.alphasCumprod[level]!;
    return [Math.sqrt(ab), Math.sqrt(1 - ab)];
  }
}
