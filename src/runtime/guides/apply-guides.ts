import type { PlanGuide } from "../../compiler/plan/plan.js";
import { LATENT_CHANNELS } from "../model/diffusion-model.js";
import type { Scheduler } from "../schedulers/scheduler.js";
import type { GuideLatents } from "./guide-latents.js";

export interface ActiveGuide {
  guide: PlanGuide;
  encoded: GuideLatents;
}

/**
 * Algorithm 2 of the paper, corrected: while a guide is in force (before each of its first
 * `guide.steps` steps, and once more after the last of them), its rectangle is set to the
 * scheduler's own add_noise of the guide's latents at the level the latents are at, with the
 * fixed initial noise x_T. Its alpha blends (a transparent pixel is not pinned). Guides apply in
 * plan order, so where two overlap the later one wins.
 */
export class GuideImposer {
  private readonly noisy: Float32Array[];
  private readonly noise: Float32Array[];

  constructor(
    private readonly guides: readonly ActiveGuide[],
    private readonly scheduler: Scheduler,
    initialNoise: Float32Array,
    private readonly width: number,
    private readonly height: number,
  ) {
    this.noise = guides.map(({ guide }) => crop(initialNoise, guide, width, height));
    this.noisy = guides.map(({ encoded }) => new Float32Array(encoded.latents.length));
  }

  /** Imposes every guide in force at noise level `level` (0 = the start, k = after step k − 1). */
  impose(latents: Float32Array, level: number): void {
    this.guides.forEach(({ guide, encoded }, k) => {
      if (guide.steps === 0 || level > guide.steps) return;
      const noisy = this.noisy[k]!;
      this.scheduler.addNoise(encoded.latents, this.noise[k]!, level, noisy);
      const { x, y, width: w, height: h } = guide.latent;
      for (let c = 0; c < LATENT_CHANNELS; c++)
        for (let j = 0; j < h; j++)
          for (let i = 0; i < w; i++) {
            const m = encoded.mask[j * w + i]!;
            if (m === 0) continue;
            const at = (c * this.height + y + j) * this.width + x + i;
            const v = noisy[(c * h + j) * w + i]!;
            latents[at] = m === 1 ? v : m * v + (1 - m) * latents[at]!;
          }
    });
  }
}

function crop(canvas: Float32Array, guide: PlanGuide, width: number, height: number): Float32Array {
  const { x, y, width: w, height: h } = guide.latent;
  const out = new Float32Array(LATENT_CHANNELS * w * h);
  for (let c = 0; c < LATENT_CHANNELS; c++)
    for (let j = 0; j < h; j++) out.set(canvas.subarray((c * height + y + j) * width + x, (c * height + y + j) * width + x + w), (c * h + j) * w);
  return out;
}
