import type { PlanText } from "../../compiler/plan/plan.js";
import type { TokenChunk } from "../text/prompt-chunks.js";
import type { SchedulerConfig } from "../schedulers/scheduler.js";
import type { ConditioningLayout, PromptEncoding, UnetConditioning } from "./conditioning.js";
import type { StagedDecoder } from "../vae/staged-decoder.js";

/** Channels of a latent: the 4 of the Stable Diffusion 1.x, 2.x and XL VAEs and of the built-in model. */
export const LATENT_CHANNELS = 4;

/** Shapes are [batch, channels, height, width]. */
export type Shape4 = readonly [number, number, number, number];

/**
 * What the renderer needs from a diffusion model. The ONNX implementation is the real one; the
 * benchmark substitutes a no-op UNet to measure orchestration alone.
 */
export interface DiffusionModel {
  /** For messages. */
  readonly description: string;
  readonly schedulerConfig: SchedulerConfig;
  readonly scalingFactor: number;
  /** What one UNet item is conditioned on, and how (conditioning.ts). */
  readonly conditioning: ConditioningLayout;
  /** A prompt's chunks of token ids and weights, as the (first) text encoder reads them (text/prompt-chunks.ts). */
  tokenChunks(text: PlanText): TokenChunk[];
  /** Each prompt's encoding, in order: every chunk, weighted (text/weighted-embedding.ts). */
  encodePrompts(texts: readonly PlanText[]): Promise<PromptEncoding[]>;
  /** Noise (or v) prediction for `sample` at `timestep`, with `conditioning` for each of its items. */
  unet(sample: Float32Array, shape: Shape4, timestep: number, conditioning: UnetConditioning): Promise<Float32Array>;
  /** Unscaled latents [1, 4, h, w] → RGB in [-1, 1], [1, 3, 8h, 8w]. */
  decode(latents: Float32Array, shape: Shape4): Promise<Float32Array>;
  /**
   * The decoder cut into steps that decode tile by tile as the whole canvas would (GroupNorms
   * normalise with the canvas's statistics), or why it is not (then tiles are cross-faded).
   */
  stagedDecoder?(): Promise<StagedDecoder | { reason: string }>;
  /** RGB in [-1, 1], [1, 3, H, W] → the mean of the unscaled latent distribution, [1, 4, H/8, W/8]. One image: another batch size is a RangeError. */
  encodeImage(image: Float32Array, shape: Shape4): Promise<Float32Array>;
  release(): Promise<void>;
}
