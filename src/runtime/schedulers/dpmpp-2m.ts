/**
 * DPM-Solver++(2M) (diffusers `DPMSolverMultistepScheduler` with its defaults: solver_order 2,
 * algorithm_type "dpmsolver++", solver_type "midpoint", lower_order_final, final_sigmas_type
 * "zero"). Latents on the VP scale: `init_noise_sigma` = 1, UNet input not scaled.
 *
 * With α_t = 1/sqrt(σ²+1), σ_t = σ·α_t, λ = log α_t − log σ_t, and D = the x0 prediction
 *   (epsilon: (x − σ_s·ε)/α_s;  v: α_s·x − σ_s·v):
 *   first order:  x ← (σ_t/σ_s)·x − α_t·(e^{−h} − 1)·D0,                 h = λ_t − λ_s
 *   second order: x ← (σ_t/σ_s0)·x − α_t·(e^{−h} − 1)·(D0 + ½·D1),        D1 = (D0 − D_prev)/r0, r0 = h0/h
 * First order on the first step (or the first after a jump in the step index) and on the last step
 * (σ → 0, where it returns D0).
 *
 * Karras sigmas exactly as diffusers: the ρ = 7 ramp over the whole training range
 * (σ(N−1) → σ(0), whatever the spacing), the UNet timestep = round(σ→t) (log-σ interpolation),
 * the solver using the Karras σ itself.
 */
import { VpScheduler, ensureBuffer } from "./base.js";
import type { SchedulerConfig } from "./config.js";
import { dpmTimesteps, karrasSigmas, noiseSchedule, roundHalfEven, sigmaToT } from "./noise-schedule.js";

const f32 = Math.fround;

export class DpmPp2mScheduler extends VpScheduler {
  readonly name = "dpmpp_2m" as const;
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  /** The previous step's x0 prediction. */
  private previousX0: Float32Array | undefined;

  constructor(steps: number, karras: boolean, config: SchedulerConfig) {
    super(steps, config.predictionType);
    const table = noiseSchedule(config);
    const n = config.numTrainTimesteps;
    const spacing = config.timestepSpacing ?? "linspace";
    const timesteps = dpmTimesteps(spacing, steps, n, config.stepsOffset);
    const sigmas = new Float64Array(steps + 1);
    if (karras) {
      const ks = karrasSigmas(table.sigmas[n - 1]!, table.sigmas[0]!, steps);
      for (let i = 0; i < steps; i++) {
        timesteps[i] = roundHalfEven(sigmaToT(ks[i]!, table.logSigmas));
        sigmas[i] = f32(ks[i]!);
      }
    } else {
      for (let i = 0; i < steps; i++) sigmas[i] = table.sigmas[Math.min(n - 1, Math.max(0, timesteps[i]!))]!;
    }
    sigmas[steps] = 0;
    this.timesteps = timesteps;
    this.sigmas = sigmas;
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): void {
    const earlier = this.beginStep(modelOutput, i, sample);
    const n = sample.length;
    const prev = ensureBuffer(this.previousX0, n);
    this.previousX0 = prev;

    const sS = this.sigmas[i]!;
    const alphaS = 1 / Math.sqrt(sS * sS + 1);
    const sigmaS = sS * alphaS;
    // x0 = p·x + q·m
    let p: number;
    let q: number;
    if (this.prediction === "epsilon") {
      p = 1 / alphaS;
      q = -sigmaS / alphaS;
    } else {
      p = alphaS;
      q = -sigmaS;
    }

    const sT = this.sigmas[i + 1]!;
    if (sT === 0) {
      // The last step: first order with σ_t = 0 gives x0 exactly.
      for (let j = 0; j < n; j++) {
        const x0 = p * sample[j]! + q * modelOutput[j]!;
        prev[j] = x0;
        sample[j] = x0;
      }
      return;
    }
    const alphaT = 1 / Math.sqrt(sT * sT + 1);
    const sigmaT = sT * alphaT;
    const lambdaS = Math.log(alphaS) - Math.log(sigmaS);
    const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
    const h = lambdaT - lambdaS;
    const ratio = sigmaT / sigmaS;
    const phi = -alphaT * Math.expm1(-h); // −α_t·(e^{−h} − 1)

    if (earlier === 0) {
      for (let j = 0; j < n; j++) {
        const x = sample[j]!;
        const x0 = p * x + q * modelOutput[j]!;
        prev[j] = x0;
        sample[j] = ratio * x + phi * x0;
      }
      return;
    }
    const sPrev = this.sigmas[i - 1]!;
    const alphaP = 1 / Math.sqrt(sPrev * sPrev + 1);
    const lambdaP = Math.log(alphaP) - Math.log(sPrev * alphaP);
    const r0 = (lambdaS - lambdaP) / h;
    // phi·(D0 + ½(D0 − D_prev)/r0) = c0·D0 + c1·D_prev
    const c0 = phi * (1 + 0.5 / r0);
    const c1 = (-phi * 0.5) / r0;
    for (let j = 0; j < n; j++) {
      const x = sample[j]!;
      const x0 = p * x + q * modelOutput[j]!;
      const before = prev[j]!;
      prev[j] = x0;
      sample[j] = ratio * x + c0 * x0 + c1 * before;
    }
  }

  /** VP add_noise: `α·original + σ_VP·noise` with α = 1/sqrt(σ²+1), σ_VP = σ·α; level = steps returns `original`. */
  protected noiseScales(level: number): [number, number] | undefined {
    const s = this.sigmas[level]!;
    if (s === 0) return undefined;
    const alpha = 1 / Math.sqrt(s * s + 1);
    return [alpha, s * alpha];
  }
}
