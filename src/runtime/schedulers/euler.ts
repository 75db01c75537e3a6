/**
 * Euler (diffusers `EulerDiscreteScheduler`, s_churn = 0): x ← x + d·(σ_{i+1} − σ_i). The only σ
 * scheduler whose class has `interpolation_type`, `sigma_min`/`sigma_max`, `final_sigmas_type` and
 * `timestep_type` (see sigma-scheduler.ts).
 */
import type { SchedulerConfig } from "./config.js";
import { SigmaScheduler, eulerSigmaOptions } from "./sigma-scheduler.js";

export class EulerScheduler extends SigmaScheduler {
  readonly name = "euler" as const;
  readonly needsNoise = false;

  constructor(steps: number, karras: boolean, config: SchedulerConfig) {
    super(steps, karras, config, eulerSigmaOptions(config));
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array): void {
    this.beginStep(modelOutput, i, sample);
    const sigma = this.sigmas[i]!;
    const dt = this.sigmas[i + 1]! - sigma;
    const cx = this.dx(sigma);
    const cm = this.dm(sigma);
    // x + dt·(cx·x + cm·m) = (1 + dt·cx)·x + dt·cm·m
    const a = 1 + dt * cx;
    const b = dt * cm;
    const n = sample.length;
    for (let j = 0; j < n; j++) sample[j] = a * sample[j]! + b * modelOutput[j]!;
  }
}
