import type ort from "onnxruntime-node";
import { TIME_IDS } from "../conditioning.js";
import { textParts } from "../../../compiler/plan/plan.js";
import { promptChunks } from "../../text/prompt-chunks.js";
import { emphasise } from "../../text/weighted-embedding.js";
import { checkSequence, hiddenStatesFeed, idsTensor, sequenceLimit, smallFeed, type ModelFamily, type TextSide } from "../model-family.js";
import { loadTokenizer } from "../model-files.js";
import { ModelError } from "../model-error.js";
import type { ModelSource } from "../model-source.js";
import { port, toFloat32 } from "../onnx-ports.js";

/**
 * SDXL: two CLIP text encoders. As diffusers' StableDiffusionXLPipeline encodes a prompt, the UNet
 * cross-attends to both encoders' penultimate hidden states (`hidden_states[-2]`, before the final
 * layer norm) concatenated along the width, and takes the second encoder's projected pooled output
 * (`text_embeds`) and six micro-conditioning numbers per item (`time_ids`). Both tokenizers see
 * the same prompt; the second pads with "!" (and so maps every literal "!" to the pad id, as
 * transformers does). With `force_zeros_for_empty_prompt` (model_index.json; diffusers' default
 * for SDXL), a region without a negative prompt is conditioned on zeros, not on "".
 *
 * Long and weighted prompts as Automatic1111 encodes them for SDXL (its conditioner runs each
 * embedder on its own): each tokenizer chunks the prompt (text/prompt-chunks.ts), each encoder's
 * chunk is weighted and its mean restored on its own (text/weighted-embedding.ts) before the two
 * are put side by side, and the pooled embedding is the first chunk's, unweighted.
 */
export const SDXL_FAMILY: ModelFamily = {
  name: "sdxl",
  matches: (source) => source.exists("text_encoder_2/model.onnx"),
  textEncoders: 2,
  // diffusers' default_sample_size for SDXL: 128 latent elements.
  defaultNativeSize: 1024,
  zeroMissingNegative: (modelIndex) => modelIndex?.["force_zeros_for_empty_prompt"] !== false,
  async openText({ source, open, unet, unetFloat, modelIndex }): Promise<TextSide> {
    const encoders = [
      { tokenizer: loadTokenizer(source, "tokenizer"), session: await open("text_encoder"), name: "text_encoder" },
      { tokenizer: loadTokenizer(source, "tokenizer_2"), session: await open("text_encoder_2"), name: "text_encoder_2" },
    ];
    const [first, second] = encoders as [(typeof encoders)[0], (typeof encoders)[0]];
    if (first.tokenizer.maxLength !== second.tokenizer.maxLength)
      throw new ModelError(`${source.description}: tokenizer/ and tokenizer_2/ have different lengths (${first.tokenizer.maxLength} and ${second.tokenizer.maxLength}); SDXL's two encoders read the same 77 tokens`, "tokenizer_2/tokenizer_config.json");
    const read = encoders.map(({ session, name }) => ({
      ids: port(source.description, session, name, "input", "input_ids", ["int32", "int64"], [2]).type as "int32" | "int64",
      states: penultimateOutput(source, session, name),
    }));
    const pooledOut = second.session.outputMetadata.find((m) => m.name === "text_embeds");
    if (!pooledOut) throw new ModelError(`${source.description}: text_encoder_2/model.onnx has no output \`text_embeds\` (it has ${second.session.outputNames.map((n) => `\`${n}\``).join(", ")}); export it as optimum exports SDXL's CLIPTextModelWithProjection`, "text_encoder_2/model.onnx");

    const hidden = port(source.description, unet, "unet", "input", "encoder_hidden_states", ["float32", "float16"], [3]);
    const pooled = port(source.description, unet, "unet", "input", "text_embeds", ["float32", "float16"], [2]);
    port(source.description, unet, "unet", "input", "time_ids", ["float32", "float16"], [2]);
    const widths = read.map((r) => r.states.width);
    const hiddenSize = widths[0]! + widths[1]!;
    if (typeof hidden.shape[2] === "number" && hidden.shape[2] !== hiddenSize)
      throw new ModelError(`${source.description}: unet/model.onnx takes encoder_hidden_states ${hidden.shape[2]} wide, but the two text encoders give ${widths[0]} + ${widths[1]} = ${hiddenSize}`, "unet/model.onnx");
    const pooledSize = pooledOut.isTensor && typeof pooledOut.shape[1] === "number" ? pooledOut.shape[1] : typeof pooled.shape[1] === "number" ? pooled.shape[1] : NaN;
    if (!Number.isFinite(pooledSize)) throw new ModelError(`${source.description}: cannot tell the pooled embedding's width from text_encoder_2/model.onnx or unet/model.onnx`, "unet/model.onnx");
    const layout = { hiddenSize, pooledSize, timeIds: true, zeroMissingNegative: SDXL_FAMILY.zeroMissingNegative(modelIndex) };
    const limit = sequenceLimit(hidden);
    const S = first.tokenizer.maxLength;

    return {
      layout,
      chunks: (t) => promptChunks(textParts(t), first.tokenizer),
      async encode(texts) {
        // chunked[e][i]: prompt i's chunks as encoder e's tokenizer packs them.
        const chunked = encoders.map(({ tokenizer }) => texts.map((t) => promptChunks(textParts(t), tokenizer)));
        texts.forEach((t, i) => {
          const [a, b] = [chunked[0]![i]!.length, chunked[1]![i]!.length];
          if (a !== b) throw new ModelError(`${source.description}: tokenizer/ and tokenizer_2/ cut the prompt "${t.text}" into ${a} and ${b} chunks; SDXL's two encoders must read the same chunks`, "tokenizer_2/vocab.json");
          checkSequence(source.description, t, a, S, limit);
        });
        const outs = await Promise.all(encoders.map(({ session }, e) => session.run({ input_ids: idsTensor(chunked[e]!.flat(), read[e]!.ids) })));
        const states = outs.map((out, e) => toFloat32(out[read[e]!.states.name]!));
        const pooledAll = toFloat32(outs[1]![pooledOut.name]!);
        let row = 0;
        return texts.map((_, i) => {
          const count = chunked[0]![i]!.length;
          const sequence = new Float32Array(count * S * hiddenSize);
          const pooledAt = row;
          for (let c = 0; c < count; c++, row++) {
            const weighted = states.map((s, e) => emphasise(s.subarray(row * S * widths[e]!, (row + 1) * S * widths[e]!), chunked[e]![i]![c]!.weights, widths[e]!));
            // Per token, the first encoder's width then the second's.
            for (let t = 0; t < S; t++) {
              let at = (c * S + t) * hiddenSize;
              weighted.forEach((w, e) => {
                const width = widths[e]!;
                sequence.set(w.subarray(t * width, (t + 1) * width), at);
                at += width;
              });
            }
          }
          return { sequenceLength: count * S, sequence, pooled: pooledAll.slice(pooledAt * pooledSize, (pooledAt + 1) * pooledSize) };
        });
      },
      unetFeeds: (conditioning, items, half) => ({
        encoder_hidden_states: hiddenStatesFeed(conditioning, items, layout, unetFloat, half),
        text_embeds: smallFeed(conditioning.pooled, [items, pooledSize], unetFloat),
        time_ids: smallFeed(conditioning.timeIds, [items, TIME_IDS], unetFloat),
      }),
      release: async () => {
        await Promise.all(encoders.map(({ session }) => session.release()));
      },
    };
  },
};

/**
 * The encoder's penultimate hidden states, `hidden_states.{N-1}` of the outputs
 * `hidden_states.0 … hidden_states.N` that optimum's export writes (N is the number of layers:
 * hidden_states.11 for SDXL's first encoder, hidden_states.31 for its second).
 */
function penultimateOutput(source: ModelSource, session: ort.InferenceSession, name: string): { name: string; width: number } {
  const layers = session.outputNames.map((n) => /^hidden_states\.(\d+)$/.exec(n)?.[1]).filter((n): n is string => n !== undefined).map(Number);
  const last = Math.max(...layers);
  if (layers.length < 2 || !layers.includes(last - 1))
    throw new ModelError(
      `${source.description}: ${name}/model.onnx has no hidden_states.N outputs (it has ${session.outputNames.map((n) => `\`${n}\``).join(", ")}); SDXL conditions on each encoder's penultimate layer, so export the encoders with their hidden states (optimum-cli export onnx does)`,
      `${name}/model.onnx`,
    );
  const output = `hidden_states.${last - 1}`;
  const meta = session.outputMetadata.find((m) => m.name === output)!;
  const width = meta.isTensor ? meta.shape[2] : undefined;
  if (typeof width !== "number") throw new ModelError(`${source.description}: ${name}/model.onnx: cannot tell the width of \`${output}\``, `${name}/model.onnx`);
  return { name: output, width };
}
