import { LATENT_FACTOR } from "../../compiler/check/values.js";
import { MODEL_FAMILIES } from "./model-families.js";
import { LAYOUT_HINT, readJson } from "./model-files.js";
import { ModelError } from "./model-error.js";
import type { ModelSource } from "./model-source.js";

/**
 * What a model folder tells about a render's cost without loading a network: read from its JSON
 * configs only, so `scenec plan --cost` answers in milliseconds for a model of gigabytes.
 */
export interface ModelProfile {
  /** The family that would load it (model-families.ts). */
  family: string;
  textEncoders: number;
  zeroMissingNegative: boolean;
  /** The square picture the model was trained at, in pixels, when its configs or family say. */
  nativeSize?: number;
  /** Where `nativeSize` was read. */
  nativeSizeFrom?: string;
}

export function readModelProfile(source: ModelSource): ModelProfile {
  if (source.pathOf("") !== undefined && !source.exists("")) throw new ModelError(`${source.description}: no such model folder; ${LAYOUT_HINT}`);
  const modelIndex = readJson(source, "model_index.json");
  const family = MODEL_FAMILIES.find((f) => f.matches(source))!;
  const native = nativeSize(source, family.defaultNativeSize);
  return {
    family: family.name,
    textEncoders: family.textEncoders,
    zeroMissingNegative: family.zeroMissingNegative(modelIndex),
    ...(native ? { nativeSize: native.size, nativeSizeFrom: native.from } : {}),
  };
}

/** As diffusers' pipelines choose their default size: the UNet's `sample_size` in latent elements times the VAE's factor. */
function nativeSize(source: ModelSource, familyDefault: number | undefined): { size: number; from: string } | undefined {
  const unet = readJson(source, "unet/config.json")?.["sample_size"];
  if (typeof unet === "number" && unet > 0) return { size: unet * LATENT_FACTOR, from: "unet/config.json" };
  const vae = readJson(source, "vae_decoder/config.json")?.["sample_size"];
  if (typeof vae === "number" && vae > 0) return { size: vae, from: "vae_decoder/config.json" };
  return familyDefault ? { size: familyDefault, from: "the family's default" } : undefined;
}
