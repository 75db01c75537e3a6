import { LATENT_FACTOR } from "../../compiler/check/values.js";
import { LATENT_CHANNELS, type DiffusionModel } from "../model/diffusion-model.js";
import { tiles1D } from "../tiles.js";

/**
 * Encodes an image (RGB in [-1, 1], [3, H, W]) to scaled latents [4, H/8, W/8] with the VAE
 * encoder in overlapping tiles blended linearly (like decoding, memory is bounded by a tile).
 * The encoder's mean is used, so the same image always gives the same latents.
 */
export async function encodeImageTiled(model: DiffusionModel, rgb: Float32Array, width: number, height: number, tile = 64, overlap = 16): Promise<Float32Array> {
  const W = width / LATENT_FACTOR;
  const H = height / LATENT_FACTOR;
  const out = new Float32Array(LATENT_CHANNELS * H * W);
  const cols = tiles1D(W, tile, overlap);
  const rows = tiles1D(H, tile, overlap);
  for (const row of rows)
    for (const col of cols) {
      const th = row.size * LATENT_FACTOR;
      const tw = col.size * LATENT_FACTOR;
      const crop = new Float32Array(3 * th * tw);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < th; y++) {
          const from = (c * height + row.start * LATENT_FACTOR + y) * width + col.start * LATENT_FACTOR;
          crop.set(rgb.subarray(from, from + tw), (c * th + y) * tw);
        }
      const latent = await model.encodeImage(crop, [1, 3, th, tw]);
      for (let c = 0; c < LATENT_CHANNELS; c++)
        for (let j = 0; j < row.size; j++)
          for (let i = 0; i < col.size; i++)
            out[(c * H + row.start + j) * W + col.start + i]! += row.weight[j]! * col.weight[i]! * latent[(c * row.size + j) * col.size + i]! * model.scalingFactor;
    }
  return out;
}
