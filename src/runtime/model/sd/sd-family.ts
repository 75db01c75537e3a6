import { textParts, type PlanText } from "../../../compiler/plan/plan.js";
import { promptChunks } from "../../text/prompt-chunks.js";
import { emphasise } from "../../text/weighted-embedding.js";
import { checkSequence, hiddenStatesFeed, idsTensor, sequenceLimit, type ModelFamily, type TextSide } from "../model-family.js";
import { loadTokenizer } from "../model-files.js";
import { ModelError } from "../model-error.js";
import { outputPort, port, toFloat32 } from "../onnx-ports.js";

/**
 * Stable Diffusion 1.x and 2.x: one CLIP text encoder, whose last hidden state the UNet
 * cross-attends to; no pooled embedding, no micro-conditioning. A missing negative prompt is
 * the empty prompt's encoding, as diffusers' pipelines do. A prompt is encoded chunk by chunk and
 * weighted as Automatic1111 does (text/prompt-chunks.ts, text/weighted-embedding.ts).
 */
export const SD_FAMILY: ModelFamily = {
  name: "sd",
  matches: () => true,
  textEncoders: 1,
  zeroMissingNegative: () => false,
  async openText({ source, open, unet, unetFloat }): Promise<TextSide> {
    const tokenizer = loadTokenizer(source, "tokenizer");
    const text = await open("text_encoder");
    const ids = port(source.description, text, "text_encoder", "input", "input_ids", ["int32", "int64"], [2]);
    const output = outputPort(source.description, text, "text_encoder", "last_hidden_state", ["float32", "float16"], 3);
    const hidden = port(source.description, unet, "unet", "input", "encoder_hidden_states", ["float32", "float16"], [3]);
    const extra = unet.inputMetadata.map((m) => m.name).filter((n) => !["sample", "timestep", "encoder_hidden_states"].includes(n));
    if (extra.length)
      throw new ModelError(
        `${source.description}: unet/model.onnx has inputs ${extra.map((n) => `\`${n}\``).join(", ")} (SDXL conditioning), but the folder has no text_encoder_2/model.onnx; an SDXL folder needs text_encoder_2/ and tokenizer_2/ as optimum exports them`,
        "unet/model.onnx",
      );
    const hiddenSize = typeof hidden.shape[2] === "number" ? hidden.shape[2] : typeof output.shape[2] === "number" ? output.shape[2] : NaN;
    if (!Number.isFinite(hiddenSize)) throw new ModelError(`${source.description}: cannot tell the text embedding width from unet/model.onnx or text_encoder/model.onnx`, "unet/model.onnx");
    const layout = { hiddenSize, pooledSize: 0, timeIds: false, zeroMissingNegative: SD_FAMILY.zeroMissingNegative(undefined) };
    const limit = sequenceLimit(hidden);
    const chunkSize = tokenizer.maxLength * hiddenSize;
    const none = new Float32Array(0);
    const chunksOf = (t: PlanText) => promptChunks(textParts(t), tokenizer);
    return {
      layout,
      chunks: chunksOf,
      async encode(texts) {
        const chunked = texts.map(chunksOf);
        chunked.forEach((chunks, i) => checkSequence(source.description, texts[i]!, chunks.length, tokenizer.maxLength, limit));
        const out = await text.run({ input_ids: idsTensor(chunked.flat(), ids.type as "int32" | "int64") });
        const states = toFloat32(out[output.name]!);
        let row = 0;
        return chunked.map((chunks) => {
          const sequence = new Float32Array(chunks.length * chunkSize);
          chunks.forEach((chunk, c) => {
            sequence.set(emphasise(states.subarray(row * chunkSize, (row + 1) * chunkSize), chunk.weights, hiddenSize), c * chunkSize);
            row++;
          });
          return { sequenceLength: chunks.length * tokenizer.maxLength, sequence, pooled: none };
        });
      },
      unetFeeds: (conditioning, items, half) => ({ encoder_hidden_states: hiddenStatesFeed(conditioning, items, layout, unetFloat, half) }),
      release: () => text.release(),
    };
  },
};
