import type { MicroConditioning } from "../../compiler/plan/plan.js";

/**
 * What a UNet is conditioned on, as records that each model family fills (sd/, sdxl/): the mixture
 * loop batches them without knowing which family made them.
 */

/** A prompt's encoding. */
export interface PromptEncoding {
  /** Tokens in `sequence`: 77 per chunk of the prompt (text/prompt-chunks.ts). */
  sequenceLength: number;
  /** [sequenceLength, hiddenSize]: the token embeddings the UNet cross-attends to. */
  sequence: Float32Array;
  /** [pooledSize]: SDXL's pooled text embedding (text_encoder_2's projection); empty for SD 1.x/2.x. */
  pooled: Float32Array;
}

/** The shape of one UNet item's conditioning; its sequence length is its prompt's (each call's, {@link UnetConditioning}). */
export interface ConditioningLayout {
  hiddenSize: number;
  /** Width of the pooled embedding the UNet takes (`text_embeds`); 0 when it takes none. */
  pooledSize: number;
  /** Whether the UNet takes SDXL's micro-conditioning (`time_ids`, {@link TIME_IDS} numbers an item). */
  timeIds: boolean;
  /**
   * A region without a negative prompt is conditioned on zeros (embeddings and pooled) instead
   * of the empty prompt's encoding: SDXL's `force_zeros_for_empty_prompt`, as diffusers applies it.
   */
  zeroMissingNegative: boolean;
}

/** SDXL's micro-conditioning: original height and width, crop top and left, target height and width, in pixels. */
export const TIME_IDS = 6;

/** One UNet call's conditioning, item-major: [n, sequence, hidden], [n, pooled], [n, TIME_IDS] (the last two empty when the layout has none). */
export interface UnetConditioning {
  /** Tokens per item: every item of a call has the same (mixture.ts pads them). */
  sequenceLength: number;
  hidden: Float32Array;
  pooled: Float32Array;
  timeIds: Float32Array;
}

/** Where a tile sits, for its micro-conditioning: its size and its top-left corner in the canvas, in pixels. */
export interface TilePlacement {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * A UNet item's SDXL time ids. By default original and target size are the tile's own and the
 * crop its offset in the canvas (as diffusers' tiling pipeline conditions each tile on where it
 * was cut from): the UNet paints each tile as a crop of a larger picture, not as a picture of its
 * own. The scene's settings replace any of the three; a negative item takes the `negative` ones,
 * each defaulting to the positive item's value.
 */
export function tileTimeIds(tile: TilePlacement, micro: MicroConditioning | undefined, negative: boolean, out: Float32Array, at: number): void {
  const original = micro?.original ?? tile;
  const crop = micro?.crop ?? tile;
  const target = micro?.target ?? tile;
  const [o, c, t] = negative ? [micro?.negativeOriginal ?? original, micro?.negativeCrop ?? crop, micro?.negativeTarget ?? target] : [original, crop, target];
  out[at] = o.height;
  out[at + 1] = o.width;
  out[at + 2] = c.y;
  out[at + 3] = c.x;
  out[at + 4] = t.height;
  out[at + 5] = t.width;
}
