/** Argument checks and history bookkeeping shared by the schedulers. */
import type { PredictionType } from "./config.js";
import type { SchedulerName, SchedulerWithSigmas } from "./scheduler.js";

export abstract class SchedulerBase implements SchedulerWithSigmas {
  abstract readonly name: SchedulerName;
  abstract readonly needsNoise: boolean;
  abstract readonly timesteps: Float64Array;
  abstract readonly sigmas: Float64Array;
  abstract readonly initNoiseSigma: number;
  protected readonly prediction: PredictionType;
  /** The last step index taken; history is valid only if the next step is lastStep + 1. */
  private lastStep = -1;
  /** How many consecutive steps the history holds. */
  protected historyLength = 0;
  private historySize = -1;

  constructor(
    readonly steps: number,
    prediction: PredictionType,
  ) {
    this.prediction = prediction;
  }

  abstract inputScale(i: number): number;
  abstract step(modelOutput: Float32Array, i: number, sample: Float32Array, noise?: Float32Array): void;

  /**
   * add_noise as every scheduler here does it: `out = a·original + b·noise` with the level's
   * `[a, b]` from {@link noiseScales}, or `original` itself where the level is clean.
   */
  addNoise(original: Float32Array, noise: Float32Array, level: number, out: Float32Array): void {
    this.checkAddNoise(original, noise, level, out);
    const scales = this.noiseScales(level);
    if (scales === undefined) {
      if (out !== original) out.set(original);
      return;
    }
    const [a, b] = scales;
    for (let j = 0; j < original.length; j++) out[j] = a * original[j]! + b * noise[j]!;
  }

  /** The scales of {@link addNoise} at `level` (a valid level), or undefined where the latents are clean. */
  protected abstract noiseScales(level: number): readonly [original: number, noise: number] | undefined;

  protected checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.steps) {
      throw new RangeError(`${this.name}: step index must be an integer in [0, ${this.steps}), got ${i}`);
    }
  }

  /**
   * Validates a step's arguments and updates the history bookkeeping: returns how many earlier
   * consecutive steps are in the history (0 after a jump, a restart, or a canvas of a new size).
   */
  protected beginStep(modelOutput: Float32Array, i: number, sample: Float32Array): number {
    this.checkIndex(i);
    if (modelOutput.length !== sample.length) {
      throw new RangeError(`${this.name}: model output has ${modelOutput.length} elements, the sample ${sample.length}`);
    }
    if (i !== this.lastStep + 1 || sample.length !== this.historySize) this.historyLength = 0;
    this.historySize = sample.length;
    this.lastStep = i;
    const earlier = this.historyLength;
    this.historyLength++;
    return earlier;
  }

  private checkAddNoise(original: Float32Array, noise: Float32Array, level: number, out: Float32Array): void {
    if (!Number.isInteger(level) || level < 0 || level > this.steps) {
      throw new RangeError(`${this.name}: noise level must be an integer in [0, ${this.steps}], got ${level}`);
    }
    if (noise.length !== original.length || out.length !== original.length) {
      throw new RangeError(`${this.name}: addNoise arrays differ in length (${original.length}, ${noise.length}, ${out.length})`);
    }
  }
}

/** Reuses `buffer` when it has `length` elements, else allocates one. */
export function ensureBuffer(buffer: Float32Array | undefined, length: number): Float32Array {
  return buffer !== undefined && buffer.length === length ? buffer : new Float32Array(length);
}

/**
 * The schedulers whose latents are on the VP scale, x = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε (DDIM,
 * DPM-Solver++): the initial noise is standard normal and the UNet input is not scaled.
 */
export abstract class VpScheduler extends SchedulerBase {
  readonly initNoiseSigma = 1;
  readonly needsNoise = false;

  inputScale(i: number): number {
    this.checkIndex(i);
    return 1;
  }
}
