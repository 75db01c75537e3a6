/**
 * How a model folder's ONNX files look from the outside: what each exporter writes. The built-in
 * model is generated in the diffusers-ONNX dress; the same generator dresses it in every other
 * exporter's signature for the loader's tests.
 */
export interface ModelSignature {
  layout: "diffusers" | "optimum";
  /** `input_ids` of the text encoder: diffusers exports int32, optimum int64. */
  inputIds: "int32" | "int64";
  /** The UNet's timestep: dtype and rank (diffusers: float [batch]; old exports int64 [batch]; optimum ≥ 1.24 float scalar). */
  timestep: { type: "float32" | "float16" | "int64"; rank: 0 | 1 };
  /** Float inputs and outputs of every model (fp16 exports take and return float16). */
  float: "float32" | "float16";
  /** What the VAE encoder returns: a sample (diffusers, old optimum) or mean and log-variance (optimum ≥ 1.23). */
  vaeEncoderOutput: "latent_sample" | "latent_parameters";
  prediction: "epsilon" | "v_prediction";
  /** Pad token: `<|endoftext|>` (SD 1.x) or `!` = id 0 (SD 2.x). */
  padToken: "<|endoftext|>" | "!";
  /** Where big weights go: diffusers `weights.pb`, optimum `model.onnx_data`, or inline. */
  externalWeights: boolean;
  /** The VAE scaling factor written to `vae_decoder/config.json` (optimum only). */
  scalingFactor: number;
  /** scheduler_config.json's `timestep_spacing` (SD-Turbo uses trailing), absent when undefined. */
  timestepSpacing?: "linspace" | "leading" | "trailing";
}

export const DIFFUSERS_FP32: ModelSignature = {
  layout: "diffusers",
  inputIds: "int32",
  timestep: { type: "float32", rank: 1 },
  float: "float32",
  vaeEncoderOutput: "latent_sample",
  prediction: "epsilon",
  padToken: "<|endoftext|>",
  externalWeights: true,
  scalingFactor: 0.18215,
};

/**
 * diffusers' `convert_stable_diffusion_checkpoint_to_onnx.py` before PR #1173 (commit 11f7d6f3cc,
 * 2022-11-08): it traced the UNet with `torch.LongTensor([0, 1])`, so the timestep is int64
 * `[batch]`. Old Hub `onnx` branches (CompVis/stable-diffusion-v1-4, runwayml/…-v1-5) look like this.
 */
export const DIFFUSERS_INT64_TIMESTEP: ModelSignature = {
  ...DIFFUSERS_FP32,
  timestep: { type: "int64", rank: 1 },
};

/**
 * diffusers' script with `--fp16`: every float input and output is float16, the timestep
 * included (`torch.randn(2).to(dtype)`); `input_ids` stays int32.
 */
export const DIFFUSERS_FP16: ModelSignature = {
  ...DIFFUSERS_FP32,
  timestep: { type: "float16", rank: 1 },
  float: "float16",
};

/**
 * optimum 1.6.0 – 1.22.x (`optimum-cli export onnx`): int64 `input_ids`, int64 timestep of shape
 * `[steps]`, a sampling VAE encoder (`latent_sample`), `config.json` in every component folder
 * (vae_decoder's carries `scaling_factor`) and external weights in `model.onnx_data`.
 */
export const OPTIMUM_LEGACY: ModelSignature = {
  layout: "optimum",
  inputIds: "int64",
  timestep: { type: "int64", rank: 1 },
  float: "float32",
  vaeEncoderOutput: "latent_sample",
  prediction: "epsilon",
  padToken: "<|endoftext|>",
  externalWeights: true,
  scalingFactor: 0.18215,
};

/** optimum 1.23.x (commit d3c56cd5): still an int64 `[steps]` timestep, but the VAE encoder returns `latent_parameters`. */
export const OPTIMUM_1_23: ModelSignature = {
  ...OPTIMUM_LEGACY,
  vaeEncoderOutput: "latent_parameters",
};

/**
 * optimum ≥ 1.24 and optimum-onnx (commit a7a807c9): the timestep is a float scalar of rank 0
 * (`DummyTimestepInputGenerator`: `shape = []`), `latent_parameters`, int64 `input_ids`.
 */
export const OPTIMUM_CURRENT: ModelSignature = {
  ...OPTIMUM_LEGACY,
  timestep: { type: "float32", rank: 0 },
  vaeEncoderOutput: "latent_parameters",
};

/**
 * Stable Diffusion 2.x at 768 px (diffusers-ONNX export): `prediction_type: "v_prediction"` in
 * scheduler_config.json and the OpenCLIP tokenizer's pad token `!` (id 0).
 */
export const SD2_V_PREDICTION: ModelSignature = {
  ...DIFFUSERS_FP32,
  prediction: "v_prediction",
  padToken: "!",
};

/**
 * stabilityai/sd-turbo exported with current optimum: scalar float timestep, `latent_parameters`,
 * SD 2.x's pad token `!`, and `timestep_spacing: "trailing"` in scheduler_config.json.
 */
export const SD_TURBO: ModelSignature = {
  ...OPTIMUM_CURRENT,
  padToken: "!",
  timestepSpacing: "trailing",
};

/** Every preset, by name (for tests that run the loader over each exporter's dress). */
export const SIGNATURES: readonly { name: string; signature: ModelSignature }[] = [
  { name: "DIFFUSERS_FP32", signature: DIFFUSERS_FP32 },
  { name: "DIFFUSERS_INT64_TIMESTEP", signature: DIFFUSERS_INT64_TIMESTEP },
  { name: "DIFFUSERS_FP16", signature: DIFFUSERS_FP16 },
  { name: "OPTIMUM_LEGACY", signature: OPTIMUM_LEGACY },
  { name: "OPTIMUM_1_23", signature: OPTIMUM_1_23 },
  { name: "OPTIMUM_CURRENT", signature: OPTIMUM_CURRENT },
  { name: "SD2_V_PREDICTION", signature: SD2_V_PREDICTION },
  { name: "SD_TURBO", signature: SD_TURBO },
];
