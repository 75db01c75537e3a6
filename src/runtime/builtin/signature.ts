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
