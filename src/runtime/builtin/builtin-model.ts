import { OnnxGraph } from "../onnx/onnx-graph.js";
import { LATENT_RGB_FACTORS, RGB_LATENT_FACTORS } from "../latent-rgb.js";
import { buildBpeVocabulary } from "../text/bpe-vocabulary.js";
import { trainingSigmas, SD_SCHEDULER_CONFIG } from "../schedulers/noise-schedule.js";
import { ATTRIBUTE_DIM, attributeVector } from "./attributes.js";
import { buildUnet } from "./builtin-unet.js";
import { DIFFUSERS_FP32, type ModelSignature } from "./signature.js";
import { NEUTRAL_WORDS, VOCABULARY } from "./vocabulary.js";

/** Bumped whenever the generated model changes, so caches and plans can tell versions apart. */
const BUILTIN_MODEL_VERSION = "1";

const SEQUENCE = 77;

/**
 * The built-in model as the files of a model folder (relative path → bytes), in the diffusers-ONNX
 * layout by default or dressed in another exporter's signature. Deterministic: the same
 * signature gives the same bytes.
 */
export function builtinModelFiles(sig: ModelSignature = DIFFUSERS_FP32): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const text = (path: string, value: unknown) => files.set(path, new TextEncoder().encode(typeof value === "string" ? value : `${JSON.stringify(value, null, 2)}\n`));

  const { vocab, merges } = buildBpeVocabulary([...Object.keys(VOCABULARY), ...NEUTRAL_WORDS]);
  text("tokenizer/vocab.json", vocab);
  text("tokenizer/merges.txt", `#version: 0.2\n${merges.join("\n")}\n`);
  const special = { bos_token: "<|startoftext|>", eos_token: "<|endoftext|>", unk_token: "<|endoftext|>", pad_token: sig.padToken };
  text("tokenizer/special_tokens_map.json", special);
  text("tokenizer/tokenizer_config.json", { ...special, model_max_length: SEQUENCE, do_lower_case: true, tokenizer_class: "CLIPTokenizer" });

  const scheduler: Record<string, unknown> = {
    _class_name: "PNDMScheduler",
    beta_start: SD_SCHEDULER_CONFIG.betaStart,
    beta_end: SD_SCHEDULER_CONFIG.betaEnd,
    beta_schedule: "scaled_linear",
    num_train_timesteps: SD_SCHEDULER_CONFIG.numTrainTimesteps,
    prediction_type: sig.prediction,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    clip_sample: false,
  };
  if (sig.timestepSpacing) scheduler.timestep_spacing = sig.timestepSpacing;
  text("scheduler/scheduler_config.json", scheduler);

  const component = (name: string, built: { model: Uint8Array; weights?: Uint8Array }, weightsName: string) => {
    files.set(`${name}/model.onnx`, built.model);
    if (built.weights) files.set(`${name}/${weightsName}`, built.weights);
  };
  const weightsName = sig.layout === "diffusers" ? "weights.pb" : "model.onnx_data";
  component("text_encoder", buildTextEncoder(sig, vocab), weightsName);
  component("unet", buildUnet(sig, trainingSigmas(SD_SCHEDULER_CONFIG)), weightsName);
  component("vae_decoder", buildVaeDecoder(sig), weightsName);
  component("vae_encoder", buildVaeEncoder(sig), weightsName);

  if (sig.layout === "diffusers") {
    text("model_index.json", {
      _class_name: "OnnxStableDiffusionPipeline",
      _diffusers_version: "0.30.0",
      _scenec_builtin_version: BUILTIN_MODEL_VERSION,
      text_encoder: ["diffusers", "OnnxRuntimeModel"],
      unet: ["diffusers", "OnnxRuntimeModel"],
      vae_decoder: ["diffusers", "OnnxRuntimeModel"],
      vae_encoder: ["diffusers", "OnnxRuntimeModel"],
      tokenizer: ["transformers", "CLIPTokenizer"],
      scheduler: ["diffusers", "PNDMScheduler"],
    });
  } else {
    text("model_index.json", {
      _class_name: "StableDiffusionPipeline",
      _diffusers_version: "0.30.0",
      text_encoder: ["transformers", "CLIPTextModel"],
      unet: ["diffusers", "UNet2DConditionModel"],
      vae: ["diffusers", "AutoencoderKL"],
      tokenizer: ["transformers", "CLIPTokenizer"],
      scheduler: ["diffusers", "PNDMScheduler"],
    });
    const vae = { _class_name: "AutoencoderKL", latent_channels: 4, scaling_factor: sig.scalingFactor };
    text("vae_decoder/config.json", vae);
    text("vae_encoder/config.json", vae);
    text("unet/config.json", { _class_name: "UNet2DConditionModel", in_channels: 4, out_channels: 4, cross_attention_dim: ATTRIBUTE_DIM });
    text("text_encoder/config.json", { architectures: ["CLIPTextModel"], hidden_size: ATTRIBUTE_DIM, max_position_embeddings: SEQUENCE });
  }
  return files;
}

/** Token id → attribute vector, by table lookup; unknown pieces and special tokens carry zeros. */
function buildTextEncoder(sig: ModelSignature, vocab: Record<string, number>) {
  const size = Math.max(...Object.values(vocab)) + 1;
  const table = new Float32Array(size * ATTRIBUTE_DIM);
  for (const [word, meaning] of Object.entries(VOCABULARY)) {
    const id = vocab[`${word}</w>`];
    if (id === undefined) throw new Error(`built-in vocabulary: \`${word}\` did not become one token`);
    table.set(attributeVector(meaning), id * ATTRIBUTE_DIM);
  }
  const g = new OnnxGraph("scenec_builtin_text_encoder");
  const ids = g.input("input_ids", sig.inputIds, ["batch", "sequence"]);
  const hidden = g.node("Gather", [g.constant(table, [size, ATTRIBUTE_DIM]), ids], { axis: 0 });
  const cast = (v: string) => (sig.float === "float32" ? v : g.node("Cast", [v], { to: 10 }));
  g.rename(cast(hidden), "last_hidden_state");
  g.rename(cast(g.node("ReduceMean", [hidden, g.ints([1])], { keepdims: 0 })), "pooler_output");
  g.output("last_hidden_state", sig.float, ["batch", "sequence", ATTRIBUTE_DIM]);
  g.output("pooler_output", sig.float, ["batch", ATTRIBUTE_DIM]);
  return g.build(sig.externalWeights ? { external: { location: sig.layout === "diffusers" ? "weights.pb" : "model.onnx_data", minBytes: 1024 } } : {});
}

/** Unscaled latents → RGB in [-1, 1]: the SD 1.x latent→RGB factors, then ×8 bilinear upsampling. */
function buildVaeDecoder(sig: ModelSignature) {
  const g = new OnnxGraph("scenec_builtin_vae_decoder");
  const input = g.input("latent_sample", sig.float, ["batch", 4, "height", "width"]);
  const latent = sig.float === "float32" ? input : g.node("Cast", [input], { to: 1 });
  const weight = g.constant(transpose(LATENT_RGB_FACTORS.map((row) => row.map((v) => v * sig.scalingFactor))), [3, 4, 1, 1]);
  const rgb = g.node("Conv", [latent, weight]);
  const up = g.node("Resize", [rgb, "", g.constant([1, 1, 8, 8], [4])], { mode: "linear", coordinate_transformation_mode: "half_pixel" });
  g.rename(sig.float === "float32" ? up : g.node("Cast", [up], { to: 10 }), "sample");
  g.output("sample", sig.float, ["batch", 3, "image_height", "image_width"]);
  return g.build();
}

/** RGB in [-1, 1] → unscaled latents: 8 x 8 average pooling, then the factors' pseudo-inverse. */
function buildVaeEncoder(sig: ModelSignature) {
  const g = new OnnxGraph("scenec_builtin_vae_encoder");
  const input = g.input("sample", sig.float, ["batch", 3, "image_height", "image_width"]);
  const image = sig.float === "float32" ? input : g.node("Cast", [input], { to: 1 });
  const pooled = g.node("AveragePool", [image], { kernel_shape: [8, 8], strides: [8, 8] });
  const weight = g.constant(transpose(RGB_LATENT_FACTORS.map((row) => row.map((v) => v / sig.scalingFactor))), [4, 3, 1, 1]);
  let latent = g.node("Conv", [pooled, weight]);
  if (sig.vaeEncoderOutput === "latent_parameters") {
    // mean and log-variance: an exact encoder has no spread, so the log-variance is the floor (−30).
    const logvar = g.node("Add", [g.node("Mul", [latent, g.scalar(0)]), g.scalar(-30)]);
    latent = g.node("Concat", [latent, logvar], { axis: 1 });
  }
  const name = sig.vaeEncoderOutput;
  g.rename(sig.float === "float32" ? latent : g.node("Cast", [latent], { to: 10 }), name);
  g.output(name, sig.float, ["batch", name === "latent_sample" ? 4 : 8, "height", "width"]);
  return g.build();
}

function transpose(rows: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (let c = 0; c < rows[0]!.length; c++) for (const row of rows) out.push(row[c]!);
  return out;
}
