import type { Plan, PlanRegion } from "../compiler/plan.js";
import { GuideImposer, type ActiveGuide } from "./guides/apply-guides.js";
import type { DiffusionModel } from "./model/diffusion-model.js";
import { mixingShares } from "./mixing-weights.js";
import { NormalNoise } from "./noise.js";
import type { Scheduler } from "./schedulers/scheduler.js";

export class RenderCancelled extends Error {
  constructor() {
    super("render cancelled");
    this.name = "RenderCancelled";
  }
}

export interface StepProgress {
  step: number;
  steps: number;
  /** UNet calls made in this step so far, and in a whole step. */
  tile: number;
  tiles: number;
}

export interface DenoiseOptions {
  model: DiffusionModel;
  plan: Plan;
  scheduler: Scheduler;
  /** `texts[i]`'s embedding ([sequence, hidden]), as the plan's `texts` lists them. */
  embeddings: readonly Float32Array[];
  /** Same-size regions evaluated together per UNet call (each a negative/positive pair). */
  batch: number;
  /** Called after each UNet call; throw RenderCancelled (or return true from shouldStop) to stop. */
  onProgress?: (progress: StepProgress) => void;
  shouldStop?: () => boolean;
  /** Guide images to impose (paper Algorithm 2), encoded, in plan order. */
  guides?: readonly ActiveGuide[];
}

/** Regions that share a UNet call: same latent size, in plan order. */
interface Batch {
  regions: { region: PlanRegion; shares: Float32Array }[];
  height: number;
  width: number;
  /** [2·n, sequence, hidden]: negative then positive embedding for each region. */
  hidden: Float32Array;
  /** Reused input buffer [2·n, 4, h, w]. */
  sample: Float32Array;
}

const CHANNELS = 4;

/**
 * The initial latent noise, [4, H, W]: one seeded standard-normal draw over the whole canvas,
 * with the rectangle of each region that has its own seed re-drawn from that seed.
 */
export function initialNoise(plan: Plan): Float32Array {
  const { width: W, height: H } = plan.latent;
  const noise = new NormalNoise(plan.seed).fill(new Float32Array(CHANNELS * H * W));
  for (const r of plan.regions) {
    if (r.seed === null) continue;
    const { x, y, width: w, height: h } = r.latent;
    const own = new NormalNoise(r.seed).fill(new Float32Array(CHANNELS * h * w));
    for (let c = 0; c < CHANNELS; c++)
      for (let j = 0; j < h; j++) noise.set(own.subarray((c * h + j) * w, (c * h + j + 1) * w), (c * H + y + j) * W + x);
  }
  return noise;
}

/**
 * Mixture of Diffusers (paper Algorithm 1): at every step each region predicts the noise on its
 * crop of the shared latents with its own prompt and guidance scale; the predictions are mixed
 * with normalised kernel weights; one scheduler step moves the whole canvas.
 */
export async function denoise(options: DenoiseOptions): Promise<Float32Array> {
  const { model, plan, scheduler, embeddings } = options;
  const { width: W, height: H } = plan.latent;
  const size = CHANNELS * H * W;
  const noise = initialNoise(plan);
  const latents = new Float32Array(size);
  for (let i = 0; i < size; i++) latents[i] = noise[i]! * scheduler.initNoiseSigma;
  const guides = options.guides?.length ? new GuideImposer(options.guides, scheduler, noise, W, H) : undefined;
  guides?.impose(latents, 0);

  const shares = mixingShares(plan.regions, W, H);
  const batches = makeBatches(plan.regions, shares, embeddings, Math.max(1, options.batch), model.sequenceLength * model.hiddenSize);
  const mixed = new Float32Array(size);
  const ancestral = scheduler.needsNoise ? new NormalNoise(plan.seed, 1) : undefined;
  const stepNoise = ancestral ? new Float32Array(size) : undefined;

  for (let step = 0; step < scheduler.steps; step++) {
    const scale = scheduler.inputScale(step);
    const timestep = scheduler.timesteps[step]!;
    mixed.fill(0);
    for (let b = 0; b < batches.length; b++) {
      if (options.shouldStop?.()) throw new RenderCancelled();
      const batch = batches[b]!;
      const { width: w, height: h, sample } = batch;
      const plane = w * h;
      batch.regions.forEach(({ region }, k) => {
        const { x, y } = region.latent;
        for (let c = 0; c < CHANNELS; c++)
          for (let j = 0; j < h; j++) {
            const from = (c * H + y + j) * W + x;
            const neg = ((2 * k * CHANNELS + c) * h + j) * w;
            const pos = neg + CHANNELS * plane;
            for (let i = 0; i < w; i++) {
              const v = latents[from + i]! * scale;
              sample[neg + i] = v;
              sample[pos + i] = v;
            }
          }
      });
      const n = batch.regions.length;
      const out = await model.unet(sample, [2 * n, CHANNELS, h, w], timestep, batch.hidden);
      batch.regions.forEach(({ region, shares: share }, k) => {
        const { x, y } = region.latent;
        const g = region.guidance;
        for (let c = 0; c < CHANNELS; c++)
          for (let j = 0; j < h; j++) {
            const to = (c * H + y + j) * W + x;
            const neg = ((2 * k * CHANNELS + c) * h + j) * w;
            const pos = neg + CHANNELS * plane;
            const row = j * w;
            for (let i = 0; i < w; i++) {
              const e0 = out[neg + i]!;
              mixed[to + i]! += share[row + i]! * (e0 + g * (out[pos + i]! - e0));
            }
          }
      });
      options.onProgress?.({ step, steps: scheduler.steps, tile: b + 1, tiles: batches.length });
    }
    if (ancestral && stepNoise) ancestral.fill(stepNoise);
    scheduler.step(mixed, step, latents, stepNoise);
    guides?.impose(latents, step + 1);
  }
  return latents;
}

function makeBatches(
  regions: readonly PlanRegion[],
  shares: readonly Float32Array[],
  embeddings: readonly Float32Array[],
  batchSize: number,
  embeddingSize: number,
): Batch[] {
  const bySize = new Map<string, { region: PlanRegion; shares: Float32Array }[]>();
  regions.forEach((region, i) => {
    const key = `${region.latent.width}x${region.latent.height}`;
    const list = bySize.get(key) ?? [];
    list.push({ region, shares: shares[i]! });
    bySize.set(key, list);
  });
  const batches: Batch[] = [];
  for (const list of bySize.values())
    for (let start = 0; start < list.length; start += batchSize) {
      const members = list.slice(start, start + batchSize);
      const { width, height } = members[0]!.region.latent;
      const hidden = new Float32Array(2 * members.length * embeddingSize);
      members.forEach(({ region }, k) => {
        hidden.set(embeddings[region.negativeText]!, 2 * k * embeddingSize);
        hidden.set(embeddings[region.promptText]!, (2 * k + 1) * embeddingSize);
      });
      batches.push({ regions: members, width, height, hidden, sample: new Float32Array(2 * members.length * CHANNELS * width * height) });
    }
  return batches;
}
