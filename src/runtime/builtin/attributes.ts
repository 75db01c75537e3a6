import { latentForColour } from "../latent-rgb.js";
import type { WordMeaning } from "./vocabulary.js";

/**
 * The built-in text encoder's output: one attribute vector per token. The UNet sums them over
 * the prompt and turns the sums into the prompt's prior (see builtin-unet.ts).
 */
export const ATTR = {
  /** 4 values: weight · latent of the colour. */
  colour: 0,
  colourWeight: 4,
  logAmplitude: 5,
  logAcross: 6,
  logDown: 7,
  grain: 8,
  textureWeight: 9,
  brightness: 10,
  saturation: 11,
} as const;
export const ATTRIBUTE_DIM = 12;

/** A prompt with no colour words is grey; this is how much grey counts among colour words. */
export const NEUTRAL_COLOUR_WEIGHT = 0.05;
/** A prompt with no texture words has this texture; it counts as one texture word among others. */
export const NEUTRAL_TEXTURE = { amplitude: 0.25, across: 3, down: 3, grain: 0.3 };
export const NEUTRAL_TEXTURE_WEIGHT = 1;
/** Texture amplitude per latent channel: mostly on the two channels that carry luminance. */
export const TEXTURE_CHANNEL_AMPLITUDE = [1, 1, 0.4, 0.4];
/**
 * The prompt's mean colour is scaled by this so that the colours come out as the vocabulary
 * says at a classifier-free guidance scale of about 7.5, as with Stable Diffusion: guidance
 * extrapolates the exact denoisers' difference from the empty prompt's grey.
 */
export const COLOUR_GAIN = 1 / 7.5;

export function attributeVector(meaning: WordMeaning): Float32Array {
  const v = new Float32Array(ATTRIBUTE_DIM);
  if (meaning.colour) {
    const w = meaning.colourWeight ?? 1;
    latentForColour(meaning.colour).forEach((z, i) => (v[ATTR.colour + i] = w * z));
    v[ATTR.colourWeight] = w;
  }
  if (meaning.texture) {
    const w = meaning.textureWeight ?? 1;
    v[ATTR.logAmplitude] = w * Math.log(meaning.texture.amplitude);
    v[ATTR.logAcross] = w * Math.log(meaning.texture.across);
    v[ATTR.logDown] = w * Math.log(meaning.texture.down);
    v[ATTR.grain] = w * meaning.texture.grain;
    v[ATTR.textureWeight] = w;
  }
  v[ATTR.brightness] = meaning.brightness ?? 0;
  v[ATTR.saturation] = meaning.saturation ?? 0;
  return v;
}
