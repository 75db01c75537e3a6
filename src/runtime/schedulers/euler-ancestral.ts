/**
 * Euler ancestral (diffusers `EulerAncestralDiscreteScheduler`, η = 1):
 *   σ_up = sqrt(σ_to²·(σ_from² − σ_to²)/σ_from²),  σ_down = sqrt(σ_to² − σ_up²)
 *   x ← x + d·(σ_down − σ_from) + σ_up·noise
 * The caller draws `noise` (standard normal over the whole canvas) once per step, after mixing.
 * Karras sigmas are a scenec extension (diffusers' class has no `use_karras_sigmas`): the σ schedule
 * is then Euler's with Karras sigmas.
 */
import type { SchedulerConfig } from "./config.js";
import { SigmaScheduler } from "./sigma-scheduler.js";

export class EulerAncestralScheduler extends SigmaScheduler {
  readonly name = "euler_ancestral" as const;
  readonly needsNoise = true;

  constructor(steps: number, karras: boolean, config: SchedulerConfig) {
    super(steps, karras, config);
  }

  /** σ_up of step i: the standard deviation of the noise the step adds. */
  sigmaUp(i: number): number {
    this.checkIndex(i);
    const from = this.sigmas[i]!;
    const to = this.sigmas[i + 1]!;
    return Math.sqrt((to * to * (from * from - to * to)) / (from * from));
  }

  /** σ_down of step i: the level the deterministic part of the step goes to. */
  sigmaDown(i: number): number {
    const to = this.sigmas[i + 1]!;
    const up = this.sigmaUp(i);
    return Math.sqrt(Math.max(0, to * to - up * up));
  }

  step(modelOutput: Float32Array, i: number, sample: Float32Array, noise?: Float32Array): void {
    const up = this.sigmaUp(i);
    const n = sample.length;
    if (up > 0) {
      if (noise === undefined) throw new Error(`euler_ancestral: step ${i} needs noise (standard normal, one value per latent element)`);
      if (noise.length !== n) throw new RangeError(`euler_ancestral: noise has ${noise.length} elements, the sample ${n}`);
    }
    this.beginStep(modelOutput, i, sample);
    const sigma = this.sigmas[i]!;
    const dt = this.sigmaDown(i) - sigma;
    const cx = this.dx(sigma);
    const cm = this.dm(sigma);
    const a = 1 + dt * cx;
    const b = dt * cm;
    if (up === 0 || noise === undefined) {
      for (let j = 0; j < n; j++) sample[j] = a * sample[j]! + b * modelOutput[j]!;
      return;
    }
    for (let j = 0; j < n; j++) sample[j] = a * sample[j]! + b * modelOutput[j]! + up * noise[j]!;
  }
}
