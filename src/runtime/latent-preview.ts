import { LATENT_RGB_FACTORS } from "./latent-rgb.js";
import type { PredictionType } from "./schedulers/scheduler.js";

/**
 * Live previews of a render in progress, without the VAE: the sampler's estimate of the clean
 * latents at the current step, mapped to RGB with the linear latent→RGB factors (latent-rgb.ts),
 * at latent resolution (one preview pixel per 8 x 8 image pixels), box-filtered down further when
 * the latent canvas is large. For the built-in model the map is its VAE exactly; for SD 1.x it is
 * the usual cheap approximation (ComfyUI's previews).
 */

/** A small RGB picture of a render in progress. */
export interface LatentPreview {
  /** Steps taken (1 … steps). */
  step: number;
  steps: number;
  width: number;
  height: number;
  /** 8-bit RGB, interleaved. */
  rgb: Uint8Array;
}

/** What the preview needs to know about the step: the scheduler's input scale and noise level there. */
export interface PreviewStepInfo {
  /** scale_model_input at this step (the UNet saw latents · inputScale). */
  inputScale: number;
  /** The k-diffusion σ of the latents before this step (ᾱ = 1 / (1 + σ²)). */
  sigma: number;
  predictionType: PredictionType;
}

const DEFAULT_PREVIEW_MAX_SIDE = 256;

/**
 * The preview at one step. `latents` ([4, H, W], the sampler's, at noise level `sigma`) and
 * `prediction` (the mixed model output for them) give the clean-latent estimate
 * x0 = (x_in − √(1−ᾱ)·ε) / √ᾱ (ε-prediction) or x0 = √ᾱ·x_in − √(1−ᾱ)·v (v-prediction), where
 * x_in = latents · inputScale is what the UNet saw; then RGB = factors · x0, averaged over blocks of
 * f x f latent pixels so that neither side exceeds `maxSide`.
 */
export function latentPreview(
  latents: Float32Array,
  prediction: Float32Array,
  width: number,
  height: number,
  step: { index: number; steps: number } & PreviewStepInfo,
  maxSide = DEFAULT_PREVIEW_MAX_SIDE,
): LatentPreview {
  const plane = width * height;
  if (latents.length !== 4 * plane || prediction.length !== 4 * plane) throw new RangeError(`latents of ${width} x ${height} have ${4 * plane} values`);
  const alphaBar = 1 / (1 + step.sigma * step.sigma);
  const a = Math.sqrt(alphaBar);
  const b = Math.sqrt(1 - alphaBar);
  // x0 = p·latent + q·prediction, per element.
  const p = step.predictionType === "v_prediction" ? a * step.inputScale : step.inputScale / a;
  const q = step.predictionType === "v_prediction" ? -b : -b / a;

  const f = Math.max(1, Math.ceil(Math.max(width, height) / Math.max(1, maxSide)));
  const w = Math.max(1, Math.floor(width / f));
  const h = Math.max(1, Math.floor(height / f));
  const rgb = new Uint8Array(w * h * 3);
  const x0 = [0, 0, 0, 0];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      x0.fill(0);
      let n = 0;
      for (let dy = 0; dy < f && y * f + dy < height; dy++)
        for (let dx = 0; dx < f && x * f + dx < width; dx++) {
          const i = (y * f + dy) * width + x * f + dx;
          for (let c = 0; c < 4; c++) x0[c]! += p * latents[c * plane + i]! + q * prediction[c * plane + i]!;
          n++;
        }
      for (let k = 0; k < 3; k++) {
        let v = 0;
        for (let c = 0; c < 4; c++) v += (x0[c]! / n) * LATENT_RGB_FACTORS[c]![k]!;
        const byte = Math.round(((v + 1) / 2) * 255);
        rgb[(y * w + x) * 3 + k] = byte < 0 ? 0 : byte > 255 ? 255 : byte;
      }
    }
  return { step: step.index + 1, steps: step.steps, width: w, height: h, rgb };
}
