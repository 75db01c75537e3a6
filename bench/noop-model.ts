/**
 * A DiffusionModel that does no inference, for measuring the renderer's orchestration alone
 * (everything but `session.run`): its UNet returns a preallocated array of zeros of the right
 * size at once, its text encoder zeros, its decoder a flat grey image. No ONNX is loaded.
 *
 * `onUnet` (optional) hears the time each UNet call starts, so a benchmark can split a step into
 * gathering the crops (before the call) and mixing the predictions (after it).
 */
import { performance } from "node:perf_hooks";
import type { ConditioningLayout, PromptEncoding, UnetConditioning } from "../src/runtime/model/conditioning.js";
import type { DiffusionModel, Shape4 } from "../src/runtime/model/diffusion-model.js";
import type { PlanText } from "../src/compiler/plan/plan.js";
import type { TokenChunk } from "../src/runtime/text/prompt-chunks.js";
import { SD_SCHEDULER_CONFIG } from "../src/runtime/schedulers/scheduler.js";

/** Stable Diffusion 1.5's text embedding: 77 tokens of 768. */
export const SD15_SEQUENCE = 77;
export const SD15_HIDDEN = 768;

export class NoopModel implements DiffusionModel {
  readonly description = "no-op model (benchmark)";
  readonly schedulerConfig = SD_SCHEDULER_CONFIG;
  readonly scalingFactor = 0.18215;
  readonly unetCalls: { count: number } = { count: 0 };
  /** Zeros by length: one array per output size, allocated on first use. */
  private readonly zeros = new Map<number, Float32Array>();
  onUnet?: (startedAt: number) => void;

  readonly conditioning: ConditioningLayout;

  /** Every prompt is one chunk of `sequenceLength` tokens. */
  constructor(
    hiddenSize = SD15_HIDDEN,
    private readonly sequenceLength = SD15_SEQUENCE,
  ) {
    this.conditioning = { hiddenSize, pooledSize: 0, timeIds: false, zeroMissingNegative: false };
  }

  private zerosOf(length: number): Float32Array {
    let z = this.zeros.get(length);
    if (!z) this.zeros.set(length, (z = new Float32Array(length)));
    return z;
  }

  tokenChunks(_text: PlanText): TokenChunk[] {
    return [{ ids: new Int32Array(this.sequenceLength), weights: new Float32Array(this.sequenceLength).fill(1) }];
  }

  encodePrompts(texts: readonly PlanText[]): Promise<PromptEncoding[]> {
    const { sequenceLength } = this;
    return Promise.resolve(texts.map(() => ({ sequenceLength, sequence: new Float32Array(sequenceLength * this.conditioning.hiddenSize), pooled: new Float32Array(0) })));
  }

  unet(_sample: Float32Array, shape: Shape4, _timestep: number, _conditioning: UnetConditioning): Promise<Float32Array> {
    this.onUnet?.(performance.now());
    this.unetCalls.count++;
    return Promise.resolve(this.zerosOf(shape[0] * shape[1] * shape[2] * shape[3]));
  }

  decode(_latents: Float32Array, shape: Shape4): Promise<Float32Array> {
    return Promise.resolve(this.zerosOf(shape[0] * 3 * shape[2] * 8 * shape[3] * 8));
  }

  encodeImage(_image: Float32Array, shape: Shape4): Promise<Float32Array> {
    return Promise.resolve(this.zerosOf(shape[0] * 4 * (shape[2] / 8) * (shape[3] / 8)));
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}
