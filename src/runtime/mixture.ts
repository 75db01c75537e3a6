import { classifierFreeGuidance, unetItemsPerRegion, type Plan, type PlanRegion } from "../compiler/plan/plan.js";
import { GuideImposer, type ActiveGuide } from "./guides/apply-guides.js";
import { LATENT_CHANNELS, type DiffusionModel } from "./model/diffusion-model.js";
import { mixingShares } from "./mixing-weights.js";
import { initialNoiseDraw, stepNoiseSource } from "./noise.js";
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
  /** Same-size regions evaluated together per UNet call (each a negative/positive pair, or its positive alone without guidance). */
  batch: number;
  /** Called after each UNet call; throw RenderCancelled (or return true from shouldStop) to stop. */
  onProgress?: (progress: StepProgress) => void;
  shouldStop?: () => boolean;
  /**
   * Called once a step, after the regions' predictions are mixed and before the scheduler step:
   * the latents at noise level `step` and the mixed model output (noise or v). Both are the
   * loop's own buffers: read them during the call, never keep or change them. For live previews.
   */
  onStep?: (step: number, latents: Float32Array, prediction: Float32Array) => void;
  /** Guide images to impose (paper Algorithm 2), encoded, in plan order. */
  guides?: readonly ActiveGuide[];
  /** The canvas's initial noise [4, H, W] from the plan's noise file; absent: drawn from the seed. */
  canvasNoise?: Float32Array;
}

/**
 * A region in a batch: its first UNet item, `item`, is the negative prompt's and `item + 1` the
 * positive's when `guided`; otherwise `item` is the positive prompt's alone.
 */
interface BatchRegion {
  region: PlanRegion;
  shares: Float32Array;
  item: number;
  guided: boolean;
}

/** Regions that share a UNet call: same latent size, in plan order. */
interface Batch {
  regions: BatchRegion[];
  /** UNet items in the call: two per guided region, one per unguided. */
  items: number;
  height: number;
  width: number;
  /** Input buffers shared by every batch of this size: [items, 4, h, w] and [items, sequence, hidden]. */
  buffers: { sample: Float32Array; hidden: Float32Array };
}

/**
 * The initial latent noise, [4, H, W]: one seeded standard-normal draw over the whole canvas (or
 * `canvasNoise`, the content of the plan's noise file), with the rectangle of each region that has
 * its own seed re-drawn from that seed, by the plan's noise generator.
 */
export function initialNoise(plan: Plan, canvasNoise?: Float32Array): Float32Array {
  const { width: W, height: H } = plan.latent;
  const noise = canvasNoise ? canvasNoise.slice() : initialNoiseDraw(plan.noise, plan.seed, LATENT_CHANNELS * H * W);
  for (const r of plan.regions) {
    if (r.seed === null) continue;
    const { x, y, width: w, height: h } = r.latent;
    const own = initialNoiseDraw(plan.noise, r.seed, LATENT_CHANNELS * h * w);
    for (let c = 0; c < LATENT_CHANNELS; c++)
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
  const size = LATENT_CHANNELS * H * W;
  const noise = initialNoise(plan, options.canvasNoise);
  const latents = new Float32Array(size);
  for (let i = 0; i < size; i++) latents[i] = noise[i]! * scheduler.initNoiseSigma;
  const guides = options.guides?.length ? new GuideImposer(options.guides, scheduler, noise, W, H) : undefined;
  guides?.impose(latents, 0);

  const shares = mixingShares(plan.regions, W, H);
  const embeddingSize = model.sequenceLength * model.hiddenSize;
  const batches = makeBatches(plan.regions, shares, Math.max(1, options.batch), embeddingSize);
  const mixed = new Float32Array(size);
  const ancestral = scheduler.needsNoise ? stepNoiseSource(plan.noise, plan.seed, size) : undefined;
  const stepNoise = ancestral ? new Float32Array(size) : undefined;

  for (let step = 0; step < scheduler.steps; step++) {
    const scale = scheduler.inputScale(step);
    const timestep = scheduler.timesteps[step]!;
    mixed.fill(0);
    for (let b = 0; b < batches.length; b++) {
      if (options.shouldStop?.()) throw new RenderCancelled();
      const batch = batches[b]!;
      const { width: w, height: h } = batch;
      const n = batch.items;
      const { sample, hidden } = batch.buffers;
      for (const { region, item, guided } of batch.regions) {
        cropInto(latents, W, H, region.latent.x, region.latent.y, w, h, scale, sample, item, guided);
        if (guided) hidden.set(embeddings[region.negativeText]!, item * embeddingSize);
        hidden.set(embeddings[region.promptText]!, (guided ? item + 1 : item) * embeddingSize);
      }
      const out = await model.unet(sample.subarray(0, n * LATENT_CHANNELS * w * h), [n, LATENT_CHANNELS, h, w], timestep, hidden.subarray(0, n * embeddingSize));
      for (const { region, shares: share, item, guided } of batch.regions) {
        if (guided) mixGuidedInto(out, item, w, h, share, region.guidance, mixed, W, H, region.latent.x, region.latent.y);
        else mixInto(out, item, w, h, share, mixed, W, H, region.latent.x, region.latent.y);
      }
      options.onProgress?.({ step, steps: scheduler.steps, tile: b + 1, tiles: batches.length });
    }
    options.onStep?.(step, latents, mixed);
    if (ancestral && stepNoise) ancestral.fill(stepNoise);
    scheduler.step(mixed, step, latents, stepNoise);
    guides?.impose(latents, step + 1);
  }
  return latents;
}

/**
 * A region's crop of the latents, times the input scale, into batch item `first` and, when
 * guided, `first + 1` too (negative and positive prompt): written once, then copied.
 * Module-level and monomorphic, so V8 keeps this per-element loop tight.
 */
function cropInto(latents: Float32Array, W: number, H: number, x: number, y: number, w: number, h: number, scale: number, sample: Float32Array, first: number, guided: boolean): void {
  const item = LATENT_CHANNELS * w * h;
  const start = first * item;
  for (let c = 0; c < LATENT_CHANNELS; c++)
    for (let j = 0; j < h; j++) {
      const from = (c * H + y + j) * W + x;
      const to = start + (c * h + j) * w;
      for (let i = 0; i < w; i++) sample[to + i] = latents[from + i]! * scale;
    }
  if (guided) sample.copyWithin(start + item, start, start + item);
}

/** Adds an unguided region's prediction (batch item `first`, its positive prompt), weighted by its shares, to the mix. */
function mixInto(out: Float32Array, first: number, w: number, h: number, share: Float32Array, mixed: Float32Array, W: number, H: number, x: number, y: number): void {
  const item = LATENT_CHANNELS * w * h;
  for (let c = 0; c < LATENT_CHANNELS; c++)
    for (let j = 0; j < h; j++) {
      const to = (c * H + y + j) * W + x;
      const pos = first * item + (c * h + j) * w;
      const row = j * w;
      for (let i = 0; i < w; i++) mixed[to + i]! += share[row + i]! * out[pos + i]!;
    }
}

/** Adds a guided region's prediction `ε_neg + g·(ε_pos − ε_neg)` (items `first`, `first + 1`), weighted by its shares, to the mix. */
function mixGuidedInto(out: Float32Array, first: number, w: number, h: number, share: Float32Array, g: number, mixed: Float32Array, W: number, H: number, x: number, y: number): void {
  const item = LATENT_CHANNELS * w * h;
  for (let c = 0; c < LATENT_CHANNELS; c++)
    for (let j = 0; j < h; j++) {
      const to = (c * H + y + j) * W + x;
      const neg = first * item + (c * h + j) * w;
      const pos = neg + item;
      const row = j * w;
      for (let i = 0; i < w; i++) {
        const e0 = out[neg + i]!;
        mixed[to + i]! += share[row + i]! * (e0 + g * (out[pos + i]! - e0));
      }
    }
}

function makeBatches(regions: readonly PlanRegion[], shares: readonly Float32Array[], batchSize: number, embeddingSize: number): Batch[] {
  const bySize = new Map<string, { region: PlanRegion; shares: Float32Array }[]>();
  regions.forEach((region, i) => {
    const key = `${region.latent.width}x${region.latent.height}`;
    const list = bySize.get(key) ?? [];
    list.push({ region, shares: shares[i]! });
    bySize.set(key, list);
  });
  const batches: Batch[] = [];
  for (const list of bySize.values()) {
    const { width, height } = list[0]!.region.latent;
    const groups: { regions: BatchRegion[]; items: number }[] = [];
    for (let start = 0; start < list.length; start += batchSize) {
      let items = 0;
      const members = list.slice(start, start + batchSize).map(({ region, shares: share }) => {
        const member = { region, shares: share, item: items, guided: classifierFreeGuidance(region.guidance) };
        items += unetItemsPerRegion(region.guidance);
        return member;
      });
      groups.push({ regions: members, items });
    }
    // UNet calls are awaited one at a time, so one pair of buffers per size, for its largest batch, serves every batch.
    const most = Math.max(...groups.map((g) => g.items));
    const buffers = { sample: new Float32Array(most * LATENT_CHANNELS * width * height), hidden: new Float32Array(most * embeddingSize) };
    for (const group of groups) batches.push({ ...group, width, height, buffers });
  }
  return batches;
}
