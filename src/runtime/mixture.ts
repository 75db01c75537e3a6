import { classifierFreeGuidance, unetItemsPerRegion, type MicroConditioning, type Plan, type PlanRegion, type Rect } from "../compiler/plan/plan.js";
import { shiftedWindows, type ShiftedWindow, type WindowPiece } from "../compiler/plan/shifted-windows.js";
import { GuideImposer, type ActiveGuide } from "./guides/apply-guides.js";
import { TIME_IDS, tileTimeIds, type ConditioningLayout, type PromptEncoding, type TilePlacement } from "./model/conditioning.js";
import { LATENT_FACTOR } from "../compiler/check/values.js";
import { LATENT_CHANNELS, type DiffusionModel } from "./model/diffusion-model.js";
import { planWeightMaps, weightShares } from "../compiler/plan/weight-map.js";
import type { MaskImages } from "../compiler/plan/image-mask.js";
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
  /** `texts[i]`'s encoding, as the plan's `texts` lists them. */
  embeddings: readonly PromptEncoding[];
  /**
   * The empty prompt's encoding (one chunk): a UNet call's items all take the same number of
   * tokens, so a shorter prompt is padded with it, repeated, as Automatic1111 pads a prompt or
   * its negative to the other's length (its `pad_cond_uncond`).
   */
  padding: PromptEncoding;
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
  /** The plan's mask images by sha256 (every one its regions name). */
  masks?: MaskImages;
  /** The canvas's initial noise [4, H, W] from the plan's noise file; absent: drawn from the seed. */
  canvasNoise?: Float32Array;
}

/** What one UNet item paints with: a region's or a shifted grid's prompt and guidance. */
type Paint = Pick<PlanRegion, "promptText" | "negative" | "negativeText" | "guidance" | "microConditioning">;

/**
 * A tile the UNet evaluates every step: a region, whose one piece never moves, or window
 * `window` of shifted grid `grid`, whose pieces are that step's (shifted-windows.ts).
 */
interface Tile {
  paint: Paint;
  width: number;
  height: number;
  /** Its layer's shares of the mix, over `layer` (the region's rectangle, or the grid's area). */
  shares: Float32Array;
  layer: Rect;
  place: { fixed: ShiftedWindow } | { grid: number; window: number };
}

/**
 * A tile in a batch: its first UNet item, `item`, is the negative prompt's and `item + 1` the
 * positive's when `guided`; otherwise `item` is the positive prompt's alone.
 */
interface BatchTile {
  tile: Tile;
  item: number;
  guided: boolean;
}

/**
 * Tiles that share a UNet call: same latent size and same prompt length (the longer of a tile's
 * prompt and negative), in plan order (regions, then shifted windows). Tiles of other lengths go
 * to other calls rather than being padded to the longest, so that a tile's conditioning, and so
 * the picture, does not depend on `--batch`.
 */
interface Batch {
  tiles: BatchTile[];
  /** UNet items in the call: two per guided region, one per unguided. */
  items: number;
  height: number;
  width: number;
  /** Tokens of every item's conditioning. */
  sequenceLength: number;
  /** Input buffers shared by every batch of this size and length: [items, 4, h, w], and the conditioning of as many items. */
  buffers: { sample: Float32Array; hidden: Float32Array; pooled: Float32Array; timeIds: Float32Array };
}

/**
 * The initial latent noise, [4, H, W]: one seeded standard-normal draw over the whole canvas (or
 * `canvasNoise`, the content of the plan's noise file), with the rectangle of each region that has
 * its own seed re-drawn from that seed, by the plan's noise generator.
 */
export function initialNoise(plan: Plan, canvasNoise?: Float32Array): Float32Array {
  const { width: W, height: H } = plan.latent;
  const noise = canvasNoise ? canvasNoise.slice() : initialNoiseDraw(plan.noise, plan.seed, LATENT_CHANNELS * H * W);
  // A shifted grid's seed draws its whole area; regions' own seeds (its cells' among them) then win.
  for (const r of [...(plan.shiftedGrids ?? []), ...plan.regions]) {
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
 * with normalised kernel weights; one scheduler step moves the whole canvas. A shifted grid
 * (SpotDiffusion) takes part as one layer of the mix, over its area: each step its windows, which
 * never overlap, predict every element of the area once with the grid's prompt.
 */
export async function denoise(options: DenoiseOptions): Promise<Float32Array> {
  const { model, plan, scheduler, embeddings, padding } = options;
  const { width: W, height: H } = plan.latent;
  const size = LATENT_CHANNELS * H * W;
  const noise = initialNoise(plan, options.canvasNoise);
  const latents = new Float32Array(size);
  for (let i = 0; i < size; i++) latents[i] = noise[i]! * scheduler.initNoiseSigma;
  const guides = options.guides?.length ? new GuideImposer(options.guides, scheduler, noise, W, H) : undefined;
  guides?.impose(latents, 0);

  const layout = model.conditioning;
  const zeroNegative = (paint: Paint) => paint.negative === null && layout.zeroMissingNegative;
  const lengthOf = ({ paint }: Tile) => {
    const positive = embeddings[paint.promptText]!.sequenceLength;
    // Zeros for a missing negative take the positive's length.
    return classifierFreeGuidance(paint.guidance) && !zeroNegative(paint) ? Math.max(positive, embeddings[paint.negativeText]!.sequenceLength) : positive;
  };
  const batches = makeBatches(tilesOf(plan, options.masks), Math.max(1, options.batch), layout, lengthOf);
  const grids = plan.shiftedGrids ?? [];
  const mixed = new Float32Array(size);
  const ancestral = scheduler.needsNoise ? stepNoiseSource(plan.noise, plan.seed, size) : undefined;
  const stepNoise = ancestral ? new Float32Array(size) : undefined;

  for (let step = 0; step < scheduler.steps; step++) {
    const scale = scheduler.inputScale(step);
    const timestep = scheduler.timesteps[step]!;
    mixed.fill(0);
    const windows = grids.map((grid) => shiftedWindows(grid, plan.seed, step));
    const piecesOf = ({ place }: Tile): ShiftedWindow => ("fixed" in place ? place.fixed : windows[place.grid]![place.window]!);
    for (let b = 0; b < batches.length; b++) {
      if (options.shouldStop?.()) throw new RenderCancelled();
      const batch = batches[b]!;
      const { width: w, height: h, sequenceLength } = batch;
      const n = batch.items;
      const { sample, hidden, pooled, timeIds } = batch.buffers;
      const itemSize = LATENT_CHANNELS * w * h;
      for (const { tile, item, guided } of batch.tiles) {
        const pieces = piecesOf(tile);
        for (const piece of pieces) cropInto(latents, W, H, piece, w, h, scale, sample, item);
        const at = { ...windowOrigin(pieces), width: w * LATENT_FACTOR, height: h * LATENT_FACTOR };
        if (guided) {
          // The negative and the positive prompt see the same crop: written once, then copied.
          sample.copyWithin((item + 1) * itemSize, item * itemSize, (item + 1) * itemSize);
          const negative = zeroNegative(tile.paint) ? undefined : embeddings[tile.paint.negativeText]!;
          conditionItem(batch.buffers, layout, sequenceLength, item, negative, padding, at, tile.paint.microConditioning, true);
        }
        conditionItem(batch.buffers, layout, sequenceLength, guided ? item + 1 : item, embeddings[tile.paint.promptText]!, padding, at, tile.paint.microConditioning, false);
      }
      const out = await model.unet(sample.subarray(0, n * itemSize), [n, LATENT_CHANNELS, h, w], timestep, {
        sequenceLength,
        hidden: hidden.subarray(0, n * sequenceLength * layout.hiddenSize),
        pooled: pooled.subarray(0, n * layout.pooledSize),
        timeIds: timeIds.subarray(0, layout.timeIds ? n * TIME_IDS : 0),
      });
      for (const { tile, item, guided } of batch.tiles)
        for (const piece of piecesOf(tile)) {
          if (guided) mixGuidedInto(out, item, w, h, piece, tile.shares, tile.layer, tile.paint.guidance, mixed, W, H);
          else mixInto(out, item, w, h, piece, tile.shares, tile.layer, mixed, W, H);
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

/** A tile's top-left corner in the canvas, in pixels: where its piece at the tile's own origin is (a wrapped window's pieces start elsewhere). */
function windowOrigin(pieces: ShiftedWindow): { x: number; y: number } {
  const origin = pieces.find((p) => p.tileX === 0 && p.tileY === 0) ?? pieces[0]!;
  return { x: (origin.x - origin.tileX) * LATENT_FACTOR, y: (origin.y - origin.tileY) * LATENT_FACTOR };
}

/**
 * Batch item `item`'s conditioning: a prompt's encoding (zeros when undefined), padded to
 * `sequenceLength` tokens with `padding` repeated, and, for SDXL, the time ids of the tile at `at`
 * with the scene's micro-conditioning (the negative ones for the negative item). The pooled
 * embedding is the prompt's own (its first chunk's).
 */
function conditionItem(
  buffers: Batch["buffers"],
  layout: ConditioningLayout,
  sequenceLength: number,
  item: number,
  encoding: PromptEncoding | undefined,
  padding: PromptEncoding,
  at: TilePlacement,
  micro: MicroConditioning | undefined,
  negative: boolean,
): void {
  const start = item * sequenceLength * layout.hiddenSize;
  const end = start + sequenceLength * layout.hiddenSize;
  if (encoding) {
    buffers.hidden.set(encoding.sequence, start);
    for (let to = start + encoding.sequence.length; to < end; to += padding.sequence.length) buffers.hidden.set(padding.sequence.subarray(0, end - to), to);
  } else buffers.hidden.fill(0, start, end);
  if (layout.pooledSize > 0) {
    if (encoding) buffers.pooled.set(encoding.pooled, item * layout.pooledSize);
    else buffers.pooled.fill(0, item * layout.pooledSize, (item + 1) * layout.pooledSize);
  }
  if (layout.timeIds) tileTimeIds(at, micro, negative, buffers.timeIds, item * TIME_IDS);
}

/**
 * One piece of a tile's crop of the latents, times the input scale, into batch item `item`.
 * Module-level and monomorphic, so V8 keeps this per-element loop tight.
 */
function cropInto(latents: Float32Array, W: number, H: number, piece: WindowPiece, w: number, h: number, scale: number, sample: Float32Array, item: number): void {
  const start = item * LATENT_CHANNELS * w * h;
  const { x, y, width, height, tileX, tileY } = piece;
  for (let c = 0; c < LATENT_CHANNELS; c++)
    for (let j = 0; j < height; j++) {
      const from = (c * H + y + j) * W + x;
      const to = start + (c * h + tileY + j) * w + tileX;
      for (let i = 0; i < width; i++) sample[to + i] = latents[from + i]! * scale;
    }
}

/** Adds an unguided tile's prediction (batch item `first`, its positive prompt) on one piece, weighted by its layer's shares, to the mix. */
function mixInto(out: Float32Array, first: number, w: number, h: number, piece: WindowPiece, share: Float32Array, layer: Rect, mixed: Float32Array, W: number, H: number): void {
  const item = LATENT_CHANNELS * w * h;
  const { x, y, width, height, tileX, tileY } = piece;
  for (let c = 0; c < LATENT_CHANNELS; c++)
    for (let j = 0; j < height; j++) {
      const to = (c * H + y + j) * W + x;
      const pos = first * item + (c * h + tileY + j) * w + tileX;
      const row = (y + j - layer.y) * layer.width + x - layer.x;
      for (let i = 0; i < width; i++) mixed[to + i]! += share[row + i]! * out[pos + i]!;
    }
}

/** Adds a guided tile's prediction `ε_neg + g·(ε_pos − ε_neg)` (items `first`, `first + 1`) on one piece, weighted by its layer's shares, to the mix. */
function mixGuidedInto(out: Float32Array, first: number, w: number, h: number, piece: WindowPiece, share: Float32Array, layer: Rect, g: number, mixed: Float32Array, W: number, H: number): void {
  const item = LATENT_CHANNELS * w * h;
  const { x, y, width, height, tileX, tileY } = piece;
  for (let c = 0; c < LATENT_CHANNELS; c++)
    for (let j = 0; j < height; j++) {
      const to = (c * H + y + j) * W + x;
      const neg = first * item + (c * h + tileY + j) * w + tileX;
      const pos = neg + item;
      const row = (y + j - layer.y) * layer.width + x - layer.x;
      for (let i = 0; i < width; i++) {
        const e0 = out[neg + i]!;
        mixed[to + i]! += share[row + i]! * (e0 + g * (out[pos + i]! - e0));
      }
    }
}

/** Every tile the UNet evaluates each step: the regions, then each shifted grid's windows; with their layers' shares. */
function tilesOf(plan: Plan, masks: MaskImages = new Map()): Tile[] {
  const grids = plan.shiftedGrids ?? [];
  for (const { name, mask } of plan.regions) if (mask && !masks.has(mask.sha256)) throw new Error(`the mask image of \`${name}\` was not loaded (a bug in scenec)`);
  const shares = weightShares(planWeightMaps(plan, masks), plan.latent.width, plan.latent.height);
  const tiles: Tile[] = plan.regions.map((region, i) => {
    const { x, y, width, height } = region.latent;
    return { paint: region, width, height, shares: shares[i]!, layer: region.latent, place: { fixed: [{ x, y, width, height, tileX: 0, tileY: 0 }] } };
  });
  grids.forEach((grid, g) => {
    const layer = shares[plan.regions.length + g]!;
    for (let window = 0; window < grid.columns * grid.rows; window++)
      tiles.push({ paint: grid, width: grid.latentTile.width, height: grid.latentTile.height, shares: layer, layer: grid.latent, place: { grid: g, window } });
  });
  return tiles;
}

function makeBatches(tiles: readonly Tile[], batchSize: number, layout: ConditioningLayout, lengthOf: (tile: Tile) => number): Batch[] {
  const bySize = new Map<string, Tile[]>();
  for (const tile of tiles) {
    const key = `${tile.width}x${tile.height}x${lengthOf(tile)}`;
    const list = bySize.get(key) ?? [];
    list.push(tile);
    bySize.set(key, list);
  }
  const batches: Batch[] = [];
  for (const list of bySize.values()) {
    const { width, height } = list[0]!;
    const sequenceLength = lengthOf(list[0]!);
    const groups: { tiles: BatchTile[]; items: number }[] = [];
    for (let start = 0; start < list.length; start += batchSize) {
      let items = 0;
      const members = list.slice(start, start + batchSize).map((tile) => {
        const member = { tile, item: items, guided: classifierFreeGuidance(tile.paint.guidance) };
        items += unetItemsPerRegion(tile.paint.guidance);
        return member;
      });
      groups.push({ tiles: members, items });
    }
    // UNet calls are awaited one at a time, so one set of buffers per size and length, for its largest batch, serves every batch.
    const most = Math.max(...groups.map((g) => g.items));
    const buffers = {
      sample: new Float32Array(most * LATENT_CHANNELS * width * height),
      hidden: new Float32Array(most * sequenceLength * layout.hiddenSize),
      pooled: new Float32Array(most * layout.pooledSize),
      timeIds: new Float32Array(layout.timeIds ? most * TIME_IDS : 0),
    };
    for (const group of groups) batches.push({ ...group, width, height, sequenceLength, buffers });
  }
  return batches;
}
