/**
 * Overlapping tiles along one axis with linear cross-fades: each tile's raw weight ramps up
 * across its first `overlap` positions (unless it is first) and down across its last (unless it
 * is last); the weights are then divided by their sum at each position, so the tiles' weights
 * add up to exactly 1 everywhere (even where the last tile, flush with the end, overlaps more
 * than one neighbour). Tiling a plane with the product of two axes' weights also sums to 1, so
 * blending needs no separate normalisation. Used by tiled VAE decoding and encoding.
 */
export interface Tile1D {
  start: number;
  size: number;
  /** Weight per position of the tile. */
  weight: Float32Array;
}

export function tiles1D(length: number, tile: number, overlap: number): Tile1D[] {
  if (length <= tile) return [{ start: 0, size: length, weight: new Float32Array(length).fill(1) }];
  if (!(Number.isInteger(tile) && Number.isInteger(overlap) && overlap >= 0 && overlap < tile)) throw new RangeError(`tiles need integer sizes with 0 <= overlap < tile, got tile ${tile}, overlap ${overlap}`);
  const stride = tile - overlap;
  const starts: number[] = [];
  for (let p = 0; ; p += stride) {
    if (p + tile >= length) {
      starts.push(length - tile);
      break;
    }
    starts.push(p);
  }
  const raw = starts.map((_, k) => {
    const w = new Float64Array(tile).fill(1);
    for (let i = 0; i < overlap; i++) {
      const ramp = (i + 1) / (overlap + 1);
      if (k > 0) w[i] = Math.min(w[i]!, ramp);
      if (k < starts.length - 1) w[tile - 1 - i] = Math.min(w[tile - 1 - i]!, ramp);
    }
    return w;
  });
  const sum = new Float64Array(length);
  starts.forEach((start, k) => raw[k]!.forEach((w, i) => (sum[start + i]! += w)));
  return starts.map((start, k) => ({
    start,
    size: tile,
    weight: Float32Array.from(raw[k]!, (w, i) => w / sum[start + i]!),
  }));
}
