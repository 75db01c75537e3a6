/**
 * DPM-Solver++(2M) (diffusers `DPMSolverMultistepScheduler`, algorithm_type "dpmsolver++",
 * solver_order 2, whatever the config says: the scene names the algorithm). Latents on the VP
 * scale: `init_noise_sigma` = 1, UNet input not scaled.
 *
 * With α_t = 1/sqrt(σ²+1), σ_t = σ·α_t, λ = log α_t − log σ_t, and D = the x0 prediction
 * (epsilon: (x − σ_s·ε)/α_s;  v: α_s·x − σ_s·v), thresholded where the config asks:
 *   first order:  x ← (σ_t/σ_s)·x − α_t·(e^{−h} − 1)·D0,                     h = λ_t − λ_s
 *   second order, D1 = (D0 − D_prev)/r0, r0 = h0/h:
 *     midpoint:   x ← (σ_t/σ_s0)·x − α_t·(e^{−h} − 1)·(D0 + ½·D1)
 *     heun:       x ← (σ_t/σ_s0)·x − α_t·(e^{−h} − 1)·D0 + α_t·((e^{−h} − 1)/h + 1)·D1
 * First order on the first step (or the first after a jump in the step index) and on the last
 * step where diffusers' `lower_order_final` rule says so: `euler_at_final`, or `lower_order_final`
 * with fewer than 15 steps, or `final_sigmas_type` "zero" (σ → 0, where it returns D0).
 *
 * Sigma schedules, as diffusers: the spaced timesteps' σ (below `lambda_min_clipped`'s cut); with
 * Karras sigmas the ρ = 7 ramp over the whole training range (σ(N−1) → σ(0), whatever the
 * spacing); with `use_lu_lambdas` (and no Karras) steps even in log σ over that range; in both the
 * UNet timestep = round(σ→t) (log-σ interpolation) and the solver uses that σ itself. The final σ
 * is 0 or, with `final_sigmas_type: "sigma_min"`, σ(0).
 */
import { VpScheduler, ensureBuffer } from "./base.js";
import { SCHEDULER_DEFAULTS, type SchedulerConfig } from "./config.js";
import { dpmLastTimestep, dpmTimesteps, karrasSigmas, linspace, noiseSchedule, roundHalfEven, sigmaToT } from "./noise-schedule.js";
import { correctX0, x0Correction, type X0Correction } from "./x0-correction.js";

const f32 = Math.fround;

/** diffusers applies lower_order_final only below this many steps. */
const LOWER_ORDER_FINAL_BELOW = 15;

export class DpmPp2mScheduler extends VpScheduler {
  readonly name = "dpmpp_2m" as const;
  readonly timesteps: Float64Array;
  readonly sigmas: Float64Array;
  private readonly heun: boolean;
  /** Whether the last step is first order. */
  private readonly firstOrderLast: boolean;
  private readonly correction: X0Correction | undefined;
  /** This step's and the previous step's x0 prediction (float32, as diffusers keeps them). */
  private currentX0: Float32Array | undefined;
  private previousX0: Float32Array | undefined;
  private scratch: Float32Array | undefined;

  constructor(steps: number, karras: boolean, config: SchedulerConfig) {
    super(steps, config.predictionType);
    const d = SCHEDULER_DEFAULTS;
    const table = noiseSchedule(config);
    const n = config.numTrainTimesteps;
    const sigmas = new Float64Array(steps + 1);
    let timesteps: Float64Array;
    if (karras || (config.useLuLambdas ?? d.useLuLambdas)) {
      const ramp = karras ? karrasSigmas(table.sigmas[n - 1]!, table.sigmas[0]!, steps) : luSigmas(table.logSigmas, steps);
      timesteps = new Float64Array(steps);
      for (let i = 0; i < steps; i++) {
        timesteps[i] = roundHalfEven(sigmaToT(ramp[i]!, table.logSigmas));
        sigmas[i] = f32(ramp[i]!);
      }
    } else {
      const last = dpmLastTimestep(table, config.lambdaMinClipped ?? d.lambdaMinClipped);
      timesteps = dpmTimesteps(config.timestepSpacing ?? "linspace", steps, n, config.stepsOffset, last);
      for (let i = 0; i < steps; i++) sigmas[i] = table.sigmas[Math.min(n - 1, timesteps[i]!)]!;
    }
    const finalType = config.finalSigmasType ?? d.finalSigmasType;
    sigmas[steps] = finalType === "sigma_min" ? table.sigmas[0]! : 0;
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.heun = (config.solverType ?? d.solverType) === "heun";
    this.firstOrderLast =
      (config.eulerAtFinal ?? d.eulerAtFinal) || ((config.lowerOrderFinal ?? d.lowerOrderFinal) && steps < LOWER_ORDER_FINAL_BELOW) || finalType === "zero";
    this.correction = x0Correction(config, false);
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): void {
    const earlier = this.beginStep(modelOutput, i, sample);
    const n = sample.length;
    const x0 = ensureBuffer(this.currentX0, n);
    const before = ensureBuffer(this.previousX0, n);
    // The buffers swap roles: after this step, this step's x0 is the previous one.
    this.currentX0 = before;
    this.previousX0 = x0;

    const sS = this.sigmas[i]!;
    const alphaS = 1 / Math.sqrt(sS * sS + 1);
    const sigmaS = sS * alphaS;
    // x0 = p·x + q·m
    const p = this.prediction === "epsilon" ? 1 / alphaS : alphaS;
    const q = this.prediction === "epsilon" ? -sigmaS / alphaS : -sigmaS;
    for (let j = 0; j < n; j++) x0[j] = p * sample[j]! + q * modelOutput[j]!;
    if (this.correction !== undefined) {
      this.scratch = ensureBuffer(this.scratch, n);
      correctX0(x0, this.correction, this.scratch);
    }

    const sT = this.sigmas[i + 1]!;
    if (sT === 0) {
      // First order with σ_t = 0 gives x0 exactly.
      sample.set(x0);
      return;
    }
    const alphaT = 1 / Math.sqrt(sT * sT + 1);
    const sigmaT = sT * alphaT;
    const lambdaS = Math.log(alphaS) - Math.log(sigmaS);
    const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
    const h = lambdaT - lambdaS;
    const ratio = sigmaT / sigmaS;
    const phi = -alphaT * Math.expm1(-h); // −α_t·(e^{−h} − 1)

    if (earlier === 0 || (i === this.steps - 1 && this.firstOrderLast)) {
      for (let j = 0; j < n; j++) sample[j] = ratio * sample[j]! + phi * x0[j]!;
      return;
    }
    const sPrev = this.sigmas[i - 1]!;
    const alphaP = 1 / Math.sqrt(sPrev * sPrev + 1);
    const lambdaP = Math.log(alphaP) - Math.log(sPrev * alphaP);
    const r0 = (lambdaS - lambdaP) / h;
    // The D1 coefficient: midpoint ½·phi, heun −α_t·((e^{−h} − 1)/h + 1).
    const k = this.heun ? alphaT * (Math.expm1(-h) / h + 1) : 0.5 * phi;
    // phi·D0 + k·(D0 − D_prev)/r0 = c0·D0 + c1·D_prev
    const c0 = phi + k / r0;
    const c1 = -k / r0;
    for (let j = 0; j < n; j++) sample[j] = ratio * sample[j]! + c0 * x0[j]! + c1 * before[j]!;
  }

  /** VP add_noise: `α·original + σ_VP·noise` with α = 1/sqrt(σ²+1), σ_VP = σ·α; level = steps returns `original`. */
  protected noiseScales(level: number): [number, number] | undefined {
    if (level === this.steps) return undefined;
    const s = this.sigmas[level]!;
    const alpha = 1 / Math.sqrt(s * s + 1);
    return [alpha, s * alpha];
  }
}

/**
 * `use_lu_lambdas`: diffusers' `_convert_to_lu` on the flipped log σ table, ρ = 1, i.e. log σ
 * evenly spaced from log σ(N−1) to log σ(0) (float32 logs, as numpy takes them of the float32 table).
 */
function luSigmas(logSigmas: Float64Array, steps: number): Float64Array {
  const hi = f32(logSigmas[logSigmas.length - 1]!);
  const lo = f32(logSigmas[0]!);
  const ramp = linspace(0, 1, steps);
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) out[i] = Math.exp(hi + ramp[i]! * (lo - hi));
  return out;
}
