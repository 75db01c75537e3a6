import ort from "onnxruntime-node";
import { float32ToHalfArray } from "../onnx/float16.js";
import type { PlanText } from "../../compiler/plan/plan.js";
import type { TokenChunk } from "../text/prompt-chunks.js";
import type { ConditioningLayout, PromptEncoding, UnetConditioning } from "./conditioning.js";
import { ModelError } from "./model-error.js";
import type { HalfInputs } from "./half-inputs.js";
import type { ModelSource } from "./model-source.js";
import type { FloatType } from "./onnx-ports.js";

/**
 * A family of Stable Diffusion models (sd/: SD 1.x and 2.x; sdxl/: SDXL): how its prompts are
 * tokenized and encoded, and which conditioning inputs its UNet takes. Everything else (the
 * UNet's sample and timestep, the VAE, the scheduler) the families share. Adding a family is a
 * folder beside those two and a line in model-families.ts.
 */
export interface ModelFamily {
  readonly name: string;
  /** Whether `source` holds a model of this family (the first family that matches loads it). */
  matches(source: ModelSource): boolean;
  /** Text encoders each prompt runs through. */
  readonly textEncoders: number;
  /** The picture size the family's models are trained at when a folder's configs do not say (pixels, square). */
  readonly defaultNativeSize?: number;
  /** Whether a region without a negative prompt is conditioned on zeros (never encoded), given model_index.json. */
  zeroMissingNegative(modelIndex: Record<string, unknown> | undefined): boolean;
  openText(context: FamilyContext): Promise<TextSide>;
}

export interface FamilyContext {
  source: ModelSource;
  /** Opens `name`/model.onnx; the loader releases it if loading fails later. */
  open(name: string): Promise<ort.InferenceSession>;
  /** The UNet, already open: the family checks the conditioning inputs it takes. */
  unet: ort.InferenceSession;
  unetFloat: FloatType;
  /** model_index.json, when the folder has one. */
  modelIndex: Record<string, unknown> | undefined;
}

/** A loaded family's text side. */
export interface TextSide {
  readonly layout: ConditioningLayout;
  /** A prompt's chunks as the (first) tokenizer packs them (prompt-chunks.ts). */
  chunks(text: PlanText): TokenChunk[];
  /** Each prompt's encoding, in order: its chunks' weighted embeddings, concatenated. */
  encode(texts: readonly PlanText[]): Promise<PromptEncoding[]>;
  /** The UNet's conditioning inputs for a call of `items` items; float16 UNets get their embeddings through `half`. */
  unetFeeds(conditioning: UnetConditioning, items: number, half: HalfInputs): Record<string, ort.Tensor>;
  release(): Promise<void>;
}

/** `encoder_hidden_states`, [items, sequence, hidden], in the UNet's float type (float16 embeddings are converted once per content). */
export function hiddenStatesFeed(conditioning: UnetConditioning, items: number, layout: ConditioningLayout, type: FloatType, half: HalfInputs): ort.Tensor {
  const { hidden, sequenceLength } = conditioning;
  const dims = [items, sequenceLength, layout.hiddenSize];
  return type === "float16" ? new ort.Tensor("float16", half.embedding(hidden), dims) : new ort.Tensor("float32", hidden, dims);
}

/** A small float input (pooled embeddings, time ids) in the UNet's float type. */
export function smallFeed(values: Float32Array, dims: readonly number[], type: FloatType): ort.Tensor {
  return type === "float16" ? new ort.Tensor("float16", float32ToHalfArray(values), dims) : new ort.Tensor("float32", values, dims);
}

/** Token ids of `chunks`, one row each, as the encoder's `input_ids` type wants them. */
export function idsTensor(chunks: readonly TokenChunk[], type: "int32" | "int64"): ort.Tensor {
  const length = chunks[0]?.ids.length ?? 0;
  const ids = new Int32Array(chunks.length * length);
  chunks.forEach((chunk, i) => ids.set(chunk.ids, i * length));
  return type === "int32" ? new ort.Tensor("int32", ids, [chunks.length, length]) : new ort.Tensor("int64", BigInt64Array.from(ids, (v) => BigInt(v)), [chunks.length, length]);
}

/**
 * The longest sequence a UNet takes: its `encoder_hidden_states`' sequence axis when the export
 * fixed it (then prompts longer than that many chunks cannot be read), else unbounded.
 */
export function sequenceLimit(hidden: { shape: readonly (number | string)[] }): number {
  const fixed = hidden.shape[1];
  return typeof fixed === "number" ? fixed : Infinity;
}

/** Throws, naming the prompt, when `chunks` of `chunkLength` tokens are longer than the UNet's `limit`. */
export function checkSequence(description: string, text: PlanText, chunks: number, chunkLength: number, limit: number): void {
  if (chunks * chunkLength <= limit) return;
  const shown = text.text.length > 60 ? `${text.text.slice(0, 57)}...` : text.text;
  throw new ModelError(
    `${description}: unet/model.onnx takes encoder_hidden_states of a fixed ${limit} tokens, but the prompt "${shown}" needs ${chunks} chunks of ${chunkLength} (${chunks * chunkLength} tokens); shorten it to ${Math.floor(limit / chunkLength) * (chunkLength - 2)} tokens, or export the UNet with a dynamic sequence axis (diffusers and optimum do)`,
    "unet/model.onnx",
  );
}
