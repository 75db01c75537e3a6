import type { PlanGuide } from "../../compiler/plan/plan.js";
import type { DiffusionModel } from "../model/diffusion-model.js";
import type { GuidePixels } from "./guide-image.js";
import { encodeImageTiled } from "./tiled-encode.js";

/** A guide ready to impose: its encoded latents and the per-element share it pins. */
export interface GuideLatents {
  /** Scaled latents [4, h, w] of the guide's rectangle. */
  latents: Float32Array;
  /** [h, w]: the image's alpha averaged over each 8 x 8 block. */
  mask: Float32Array;
}

/**
 * Encoded guides, kept per model by image content, size and fit: a re-render with an unchanged
 * guide (watch mode) skips the encoder.
 */
export class GuideLatentCache {
  private readonly cache = new Map<string, GuideLatents>();
  /** How many times the encoder ran (for tests and the watch status line). */
  encodes = 0;

  constructor(private readonly model: DiffusionModel) {}

  async get(guide: PlanGuide, load: () => Promise<GuidePixels>): Promise<GuideLatents> {
    const key = `${guide.sha256}:${guide.rect.width}x${guide.rect.height}:${guide.fit}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const pixels = await load();
    const latents = await encodeImageTiled(this.model, pixels.rgb, pixels.width, pixels.height);
    this.encodes++;
    const value = { latents, mask: poolAlpha(pixels) };
    this.cache.set(key, value);
    return value;
  }
}

function poolAlpha(pixels: GuidePixels): Float32Array {
  const w = pixels.width / 8;
  const h = pixels.height / 8;
  const mask = new Float32Array(w * h);
  for (let y = 0; y < pixels.height; y++)
    for (let x = 0; x < pixels.width; x++) mask[Math.floor(y / 8) * w + Math.floor(x / 8)]! += pixels.alpha[y * pixels.width + x]! / 64;
  return mask;
}
