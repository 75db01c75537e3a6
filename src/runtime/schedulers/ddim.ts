/**
 * DDIM, η = 0 (diffusers `DDIMScheduler`). Latents are on the VP scale
 * (x = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε): `init_noise_sigma` = 1 and the UNet input is not scaled.
 *
 *   epsilon: x0 = (x − sqrt(1−ᾱ_t)·ε)/sqrt(ᾱ_t)
 *   v:       x0 = sqrt(ᾱ_t)·x − sqrt(1−ᾱ_t)·v,  ε = sqrt(ᾱ_t)·v + sqrt(1−ᾱ_t)·x
 *   x0 ← threshold(x0) or clamp(x0, ±clip_sample_range) where the config asks (ε is not changed)
 *   x ← sqrt(ᾱ_prev)·x0 + sqrt(1−ᾱ_prev)·ε
 * with diffusers' previous timestep `prev_t = t − N // steps`: ᾱ_prev = ᾱ[prev_t], or
 * `final_alpha_cumprod` (1 with set_alpha_to_one, the class default, else ᾱ_0) where prev_t < 0.
 * For the default `leading` spacing prev_t is the next scheduled timestep; for `linspace` (and
 * `trailing` when steps does not divide N) it is a little off it, and the next step takes the
 * latents as being at its own timestep, exactly as diffusers does. `clip_sample` is on when the
 * config does not say (the class default), so a config without the key clips as diffusers does.
 *
 * `sigmas[k]` (k < steps) is the level step k takes its input at, σ of ᾱ[timesteps[k]], which is
 * also `addNoise` level k (img2img's add_noise at timesteps[k]); `sigmas[steps]` is where the last
 * step lands: σ of ᾱ_prev of the last step (0 for final_alpha_cumprod = 1, σ(ᾱ_0) ≈ 0.029 for SD
 * with set_alpha_to_one false, or σ(ᾱ[prev_t]) where prev_t ≥ 0 is left, e.g. trailing, 7 steps).
 *
 * Karras sigmas (a scenec extension; diffusers' DDIM has none): the ρ = 7 ramp between σ of the
 * first and of the last spaced timestep (as diffusers' Euler and LMS do, so the range is DDIM's
 * usual one), the UNet timestep round(σ→t) (log-σ interpolation, an integer as DDIM feeds), the step
 * using ᾱ = 1/(1+σ²) of the Karras σ itself, not ᾱ of the rounded timestep (as diffusers' DPM-Solver
 * does with Karras sigmas), so that the steps stay distinct where rounding would make them coincide.
 * Each step lands on the next Karras level, the last on final_alpha_cumprod.
 */
import { VpScheduler, ensureBuffer } from "./base.js";
import { SCHEDULER_DEFAULTS, type SchedulerConfig } from "./config.js";
import { ddimTimesteps, karrasSigmas, noiseSchedule, roundHalfEven, sigmaToT } from "./noise-schedule.js";
import { correctX0, x0Correction, type X0Correction } from "./x0-correction.js";

const f32 = Math.fround;

export class DdimScheduler extends VpScheduler {
  readonly name = "ddim" as const;
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  /** ᾱ that step i takes its input at (ᾱ of timesteps[i]). */
  readonly alphasCumprod: Float64Array;
  /** ᾱ that step i lands on (ᾱ_prev). */
  readonly alphasCumprodPrev: Float64Array;
  private readonly correction: X0Correction | undefined;
  private x0: Float32Array | undefined;
  private scratch: Float32Array | undefined;

  constructor(steps: number, karras: boolean, config: SchedulerConfig) {
    super(steps, config.predictionType);
    const table = noiseSchedule(config);
    const n = config.numTrainTimesteps;
    const spacing = config.timestepSpacing ?? "leading";
    const timesteps = ddimTimesteps(spacing, steps, n, config.stepsOffset);
    const final = (config.setAlphaToOne ?? SCHEDULER_DEFAULTS.setAlphaToOne) ? 1 : table.alphasCumprod[0]!;
    const alphas = new Float64Array(steps);
    const prev = new Float64Array(steps);
    // diffusers indexes ᾱ[t] directly; leading spacing with steps_offset can reach t = N at 1000 steps.
    const at = (t: number) => table.alphasCumprod[Math.min(n - 1, t)]!;
    if (karras) {
      const sigmaAt = (t: number) => table.sigmas[Math.min(n - 1, t)]!;
      const ks = karrasSigmas(sigmaAt(timesteps[0]!), sigmaAt(timesteps[steps - 1]!), steps);
      for (let i = 0; i < steps; i++) {
        const s = f32(ks[i]!);
        timesteps[i] = roundHalfEven(sigmaToT(ks[i]!, table.logSigmas));
        alphas[i] = 1 / (1 + s * s);
      }
      for (let i = 0; i < steps; i++) prev[i] = i + 1 < steps ? alphas[i + 1]! : final;
    } else {
      const ratio = Math.floor(n / steps);
      for (let i = 0; i < steps; i++) {
        const t = timesteps[i]!;
        alphas[i] = at(t);
        prev[i] = t - ratio >= 0 ? at(t - ratio) : final;
      }
    }
    const sigma = (ab: number) => f32(Math.sqrt((1 - ab) / ab));
    const sigmas = new Float64Array(steps + 1);
    for (let k = 0; k < steps; k++) sigmas[k] = sigma(alphas[k]!);
    sigmas[steps] = sigma(prev[steps - 1]!);
    this.timesteps = timesteps;
    this.alphasCumprod = alphas;
    this.alphasCumprodPrev = prev;
    this.sigmas = sigmas;
    this.correction = x0Correction(config, true);
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): void {
    this.beginStep(modelOutput, i, sample);
    const at = this.alphasCumprod[i]!;
    const ap = this.alphasCumprodPrev[i]!;
    const sat = Math.sqrt(at);
    const s1at = Math.sqrt(1 - at);
    const sap = Math.sqrt(ap);
    const s1ap = Math.sqrt(1 - ap);
    const n = sample.length;
    const eps = this.prediction === "epsilon";
    if (this.correction === undefined) {
      // x' = a·x + b·m, expanding the formulas above.
      const a = eps ? sap / sat : sap * sat + s1ap * s1at;
      const b = eps ? s1ap - (sap * s1at) / sat : s1ap * sat - sap * s1at;
      for (let j = 0; j < n; j++) sample[j] = a * sample[j]! + b * modelOutput[j]!;
      return;
    }
    const x0 = ensureBuffer(this.x0, n);
    this.x0 = x0;
    this.scratch = ensureBuffer(this.scratch, n);
    for (let j = 0; j < n; j++) {
      const x = sample[j]!;
      const m = modelOutput[j]!;
      x0[j] = eps ? (x - s1at * m) / sat : sat * x - s1at * m;
    }
    correctX0(x0, this.correction, this.scratch);
    for (let j = 0; j < n; j++) {
      const x = sample[j]!;
      const m = modelOutput[j]!;
      const e = eps ? m : sat * m + s1at * x;
      sample[j] = sap * x0[j]! + s1ap * e;
    }
  }

  /** `sqrt(ᾱ)·original + sqrt(1−ᾱ)·noise` at ᾱ of timesteps[level]; level = steps returns `original`. */
  protected noiseScales(level: number): [number, number] | undefined {
    if (level === this.steps) return undefined;
    const ab = this.alphasCumprod[level]!;
    return [Math.sqrt(ab), Math.sqrt(1 - ab)];
  }
}
