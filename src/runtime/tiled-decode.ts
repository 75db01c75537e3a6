import { LATENT_FACTOR } from "../compiler/check/values.js";
import { LATENT_CHANNELS, type DiffusionModel } from "./model/diffusion-model.js";
import { RenderCancelled } from "./mixture.js";
import type { Tile1D } from "./tiles.js";
import { SD15_DECODER_PROFILE } from "./vae/decoder-cost.js";
import { decodeLayout, decodeWork, type DecodeLayout } from "./vae/decode-layout.js";
import type { GridTile } from "./vae/tile-grid.js";
import type { StagedDecoder } from "./vae/staged-decoder.js";

export interface DecodeOptions {
  /** Bytes the decode may use (default {@link DEFAULT_DECODE_MEMORY}): whole when the decoder's estimated peak fits, else in the largest tiles that fit. */
  memory?: number;
  /** Forces tiles of at most this many latent elements a side, whatever the budget (tests, benches); a tile at least as big as the canvas decodes it whole. */
  tile?: number;
  /** Overlap of the cross-faded tiles, for decoders that cannot be staged (default {@link DEFAULT_DECODE_OVERLAP}). */
  overlap?: number;
  /** Latent elements around each staged tile's core (default: the decoder's receptive field, which makes cores exact). */
  padding?: number;
  /** Progress: tiles done of the total (staged: tiles' worth of the work, since every tile goes through every stage). */
  onTile?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
  /** The tiles chosen and their work, and why a decoder is decoded in cross-faded tiles rather than staged, for debugging (SCENEC_DEBUG). */
  onDebug?: (message: string) => void;
}

/**
 * The default memory budget of a decode: 4 GiB, what a mid-range GPU or a 16 GB machine spares
 * beside the UNet. SD 1.5's decoder (float32) then decodes whole up to about 0.9 megapixels (its
 * mid-block attention's scores grow with the square of the area), and larger canvases in staged
 * tiles of up to about 1.3 megapixels, with work 1.00-1.07 times the canvas's up to 3840 x 2160
 * (decode-layout.ts).
 */
export const DEFAULT_DECODE_MEMORY = 4 * 2 ** 30;

/** Cross-fade width of tiles for decoders that cannot be staged: 128 pixels. */
export const DEFAULT_DECODE_OVERLAP = 16;

/**
 * Padding of staged tiles when the decoder's receptive field cannot be read off its graph (it
 * normally is: 14 latent elements for the tiny conformance VAE, 18 for SD 1.5's).
 */
export const DEFAULT_DECODE_PADDING = 18;

/**
 * Decodes scaled latents [4, H, W] to 8-bit RGB (interleaved, 8W x 8H) with the VAE decoder:
 * whole when it fits the memory budget (or one forced tile); else in tiles, staged where the
 * model's decoder can be (each GroupNorm normalises with the whole canvas's statistics and each
 * attention attends to the whole canvas, so the picture is the whole decode's), else in
 * overlapping tiles cross-faded linearly. The decoder's memory and work are read off its graph
 * (decoder-cost.ts); where it cannot be, SD 1.5's decoder is assumed.
 */
export async function decodeLatents(model: DiffusionModel, latents: Float32Array, width: number, height: number, options: DecodeOptions): Promise<Uint8Array> {
  const forcedWhole = options.tile !== undefined && width <= options.tile && height <= options.tile;
  const staged = forcedWhole || !model.stagedDecoder ? undefined : await model.stagedDecoder();
  const decoder = staged && !("reason" in staged) ? staged : undefined;
  const request = {
    width,
    height,
    profile: decoder?.profile ?? SD15_DECODER_PROFILE,
    memory: options.memory ?? DEFAULT_DECODE_MEMORY,
    overlap: options.overlap ?? DEFAULT_DECODE_OVERLAP,
    ...(options.tile !== undefined ? { tile: options.tile } : {}),
  };
  const padding = decoder ? (options.padding ?? decoder.receptiveField ?? DEFAULT_DECODE_PADDING) : undefined;
  let layout: DecodeLayout = forcedWhole ? { kind: "whole" } : decodeLayout({ ...request, ...(padding !== undefined ? { padding } : {}) });
  const work = () => decodeWork(layout, width, height, request.profile).toFixed(2);
  if (layout.kind === "staged" && decoder) {
    options.onDebug?.(`${model.description}: decoding ${width} x ${height} latent elements in ${layout.cols} x ${layout.rows} staged tiles (work ${work()}x the canvas's)`);
    try {
      return await stagedDecode(decoder, model.scalingFactor, latents, width, height, layout.grid, options);
    } catch (error) {
      // A segment ONNX Runtime will not run: the picture still comes, cross-faded.
      if (error instanceof RenderCancelled) throw error;
      options.onDebug?.(`${model.description}: decoding in cross-faded tiles, staging failed: ${(error as Error).message}`);
      layout = decodeLayout(request);
    }
  } else if (layout.kind === "crossfaded" && staged && "reason" in staged) options.onDebug?.(`${model.description}: decoding in cross-faded tiles, not staged: ${staged.reason}`);
  const whole = (length: number): Tile1D[] => [{ start: 0, size: length * LATENT_FACTOR, weight: new Float32Array(length * LATENT_FACTOR).fill(1) }];
  const [cols, rows] = layout.kind === "crossfaded" ? [layout.cols, layout.rows] : [whole(width), whole(height)];
  if (layout.kind === "crossfaded") options.onDebug?.(`${model.description}: decoding ${width} x ${height} latent elements in ${cols.length} x ${rows.length} cross-faded tiles (work ${work()}x the canvas's)`);
  return crossFadedDecode(model, latents, width, height, cols, rows, options);
}

async function stagedDecode(decoder: StagedDecoder, scalingFactor: number, latents: Float32Array, width: number, height: number, grid: GridTile[], options: DecodeOptions): Promise<Uint8Array> {
  const W = width * LATENT_FACTOR;
  const out = new Uint8Array(W * height * LATENT_FACTOR * 3);
  const onTile = (tile: GridTile, rgb: Float32Array) => {
    const tw = (tile.x1 - tile.x0) * LATENT_FACTOR;
    const plane = tw * (tile.y1 - tile.y0) * LATENT_FACTOR;
    for (let y = tile.cy0 * LATENT_FACTOR; y < tile.cy1 * LATENT_FACTOR; y++)
      for (let x = tile.cx0 * LATENT_FACTOR; x < tile.cx1 * LATENT_FACTOR; x++) {
        const i = (y - tile.y0 * LATENT_FACTOR) * tw + x - tile.x0 * LATENT_FACTOR;
        for (let c = 0; c < 3; c++) out[(y * W + x) * 3 + c] = toByte(rgb[c * plane + i]!);
      }
  };
  const unscaled = latents.map((v) => v / scalingFactor);
  // Progress in tiles' worth of work: each tile goes through every segment before the last one finishes.
  let reported = 0;
  const onRun = (done: number, total: number) => {
    const tiles = Math.floor((done * grid.length) / total);
    if (tiles > reported) options.onTile?.((reported = tiles), grid.length);
  };
  const finished = await decoder.decode(unscaled, width, height, grid, {
    onTile,
    ...(options.onTile ? { onRun } : {}),
    ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
  });
  if (!finished) throw new RenderCancelled();
  return out;
}

/** [-1, 1] → 0..255. */
function toByte(value: number): number {
  const v = (value + 1) * 127.5;
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/**
 * Overlapping tiles, cross-faded linearly. Memory is bounded by one band of tiles: rows of the
 * image are finished and converted as soon as no later tile can touch them.
 */
async function crossFadedDecode(model: DiffusionModel, latents: Float32Array, width: number, height: number, cols: Tile1D[], rows: Tile1D[], options: DecodeOptions): Promise<Uint8Array> {
  const W = width * LATENT_FACTOR;
  const H = height * LATENT_FACTOR;
  const out = new Uint8Array(W * H * 3);
  const bandHeight = rows[0]!.size;
  // Accumulator for pixel rows [base, base + bandHeight), RGB planar.
  const acc = new Float32Array(3 * bandHeight * W);
  let base = 0;
  const total = cols.length * rows.length;
  let done = 0;

  const emit = (until: number) => {
    for (let y = base; y < until; y++) {
      const r = y - base;
      for (let x = 0; x < W; x++) {
        const o = (y * W + x) * 3;
        for (let c = 0; c < 3; c++) out[o + c] = toByte(acc[(c * bandHeight + r) * W + x]!);
      }
    }
    // Slide the window: rows from `until` move to the top, the rest is cleared.
    const keep = base + bandHeight - until;
    for (let c = 0; c < 3; c++) {
      const plane = acc.subarray(c * bandHeight * W, (c + 1) * bandHeight * W);
      plane.copyWithin(0, (until - base) * W, bandHeight * W);
      plane.fill(0, keep * W);
    }
    base = until;
  };

  for (const row of rows) {
    const top = row.start;
    if (top > base) emit(top);
    for (const col of cols) {
      if (options.shouldStop?.()) throw new RenderCancelled();
      const h = row.size / LATENT_FACTOR;
      const w = col.size / LATENT_FACTOR;
      const y0 = row.start / LATENT_FACTOR;
      const x0 = col.start / LATENT_FACTOR;
      const tile = new Float32Array(LATENT_CHANNELS * h * w);
      for (let c = 0; c < LATENT_CHANNELS; c++)
        for (let j = 0; j < h; j++)
          for (let i = 0; i < w; i++) tile[(c * h + j) * w + i] = latents[(c * height + y0 + j) * width + x0 + i]! / model.scalingFactor;
      const rgb = await model.decode(tile, [1, LATENT_CHANNELS, h, w]);
      const th = row.size;
      const tw = col.size;
      const left = col.start;
      for (let y = 0; y < th; y++) {
        const wy = row.weight[y]!;
        const r = top + y - base;
        for (let x = 0; x < tw; x++) {
          const wgt = wy * col.weight[x]!;
          for (let c = 0; c < 3; c++) acc[(c * bandHeight + r) * W + left + x]! += wgt * rgb[(c * th + y) * tw + x]!;
        }
      }
      options.onTile?.(++done, total);
    }
  }
  emit(H);
  return out;
}
