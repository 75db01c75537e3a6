import { LATENT_FACTOR } from "../compiler/check/values.js";
import { LATENT_CHANNELS, type DiffusionModel } from "./model/diffusion-model.js";
import { RenderCancelled } from "./mixture.js";
import { tiles1D } from "./tiles.js";

export interface DecodeOptions {
  /** Tile size and overlap in latent elements; a tile at least as big as the canvas decodes it whole. */
  tile: number;
  overlap: number;
  onTile?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}

export const DEFAULT_DECODE_TILE = { tile: 64, overlap: 16 };

/**
 * Decodes scaled latents [4, H, W] to 8-bit RGB (interleaved, 8W x 8H) with the VAE decoder in
 * overlapping tiles, cross-faded linearly. Memory is bounded by one band of tiles: rows of the
 * image are finished and converted as soon as no later tile can touch them.
 */
export async function decodeLatents(model: DiffusionModel, latents: Float32Array, width: number, height: number, options: DecodeOptions): Promise<Uint8Array> {
  const W = width * LATENT_FACTOR;
  const H = height * LATENT_FACTOR;
  // Tiles in pixels (their starts stay multiples of 8), so the cross-fades are pixel-smooth.
  const cols = tiles1D(W, options.tile * LATENT_FACTOR, options.overlap * LATENT_FACTOR);
  const rows = tiles1D(H, options.tile * LATENT_FACTOR, options.overlap * LATENT_FACTOR);
  const out = new Uint8Array(W * H * 3);
  const bandHeight = Math.min(options.tile, height) * LATENT_FACTOR;
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
        for (let c = 0; c < 3; c++) {
          const v = (acc[(c * bandHeight + r) * W + x]! + 1) * 127.5;
          out[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
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
