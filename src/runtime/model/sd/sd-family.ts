import { hiddenStatesFeed, idsTensor, type ModelFamily, type TextSide } from "../model-family.js";
import { loadTokenizer } from "../model-files.js";
import { ModelError } from "../model-error.js";
import { outputPort, port, toFloat32 } from "../onnx-ports.js";

/**
 * Stable Diffusion 1.x and 2.x: one CLIP text encoder, whose last hidden state the UNet
 * cross-attends to; no pooled embedding, no micro-conditioning. A missing negative prompt is
 * the empty prompt's encoding, as diffusers' pipelines do.
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
    const layout = { sequenceLength: tokenizer.maxLength, hiddenSize, pooledSize: 0, timeIds: false, zeroMissingNegative: SD_FAMILY.zeroMissingNegative(undefined) };
    const none = new Float32Array(0);
    return {
      layout,
      tokenizer,
      async encode(texts) {
        const out = await text.run({ input_ids: idsTensor(tokenizer, texts, ids.type as "int32" | "int64") });
        const states = toFloat32(out[output.name]!);
        const size = layout.sequenceLength * hiddenSize;
        return texts.map((_, i) => ({ sequence: states.slice(i * size, (i + 1) * size), pooled: none }));
      },
      unetFeeds: (conditioning, items, half) => ({ encoder_hidden_states: hiddenStatesFeed(conditioning.hidden, items, layout, unetFloat, half) }),
      release: () => text.release(),
    };
  },
};
