/**
 * Overlapping tiles along one axis with linear cross-fades. As few tiles as cover the length
 * with at most `tile` positions each and at least `overlap` shared with the next, all of one
 * size (the smallest that does it) and spread evenly, so the overlap is paid evenly and no more
 * than needed, rather than a last tile snapped flush to the end overlapping its neighbour by
 * up to a whole tile. Each tile's raw weight ramps up across its overlap with the previous tile
 * and down across its overlap with the next; the weights are then divided by their sum at each
 * position, so the tiles' weights add up to exactly 1 everywhere. Tiling a plane with the
 * product of two axes' weights also sums to 1, so blending needs no separate normalisation.
 * Used by tiled VAE decoding and encoding.
 */
export interface Tile1D {
  start: number;
  size: number;
  /** Weight per position of the tile. */
  weight: Float32Array;
}

/**
 * Tiles of [0, length). With `align`, tiles start and end on multiples of it (the VAE decoder's
 * tiles are whole latent elements: 8 pixels); `length` must then be a multiple of it and the
 * tile and overlap are rounded to it (down and up).
 */
export function tiles1D(length: number, tile: number, overlap: number, align = 1): Tile1D[] {
  if (length <= tile) return [{ start: 0, size: length, weight: new Float32Array(length).fill(1) }];
  if (!(Number.isInteger(tile) && Number.isInteger(overlap) && overlap >= 0 && overlap < tile)) throw new RangeError(`tiles need integer sizes with 0 <= overlap < tile, got tile ${tile}, overlap ${overlap}`);
  if (!(Number.isInteger(align) && align >= 1 && length % align === 0)) throw new RangeError(`tiles aligned to ${align} need a length that is a multiple of it, got ${length}`);
  const [units, unitTile, unitOverlap] = [length / align, Math.floor(tile / align), Math.ceil(overlap / align)];
  if (unitOverlap >= unitTile) throw new RangeError(`tiles aligned to ${align} need overlap < tile after rounding, got tile ${tile}, overlap ${overlap}`);
  // n tiles of size s cover the length with overlaps of at least `overlap` when n·s >= length + (n - 1)·overlap.
  const count = Math.ceil((units - unitOverlap) / (unitTile - unitOverlap));
  const size = Math.ceil((units + (count - 1) * unitOverlap) / count);
  // Advances of floor or ceil of the mean, each at most size - overlap since n·s >= length + (n - 1)·overlap.
  const starts = Array.from({ length: count }, (_, k) => (count === 1 ? 0 : Math.round((k * (units - size)) / (count - 1))) * align);
  const tileLength = size * align;
  const raw = starts.map((start, k) => {
    const w = new Float64Array(tileLength).fill(1);
    const before = k > 0 ? starts[k - 1]! + tileLength - start : 0;
    const after = k < count - 1 ? start + tileLength - starts[k + 1]! : 0;
    for (let i = 0; i < before; i++) w[i] = Math.min(w[i]!, (i + 1) / (before + 1));
    for (let i = 0; i < after; i++) w[tileLength - 1 - i] = Math.min(w[tileLength - 1 - i]!, (i + 1) / (after + 1));
    return w;
  });
  const sum = new Float64Array(length);
  starts.forEach((start, k) => raw[k]!.forEach((w, i) => (sum[start + i]! += w)));
  return starts.map((start, k) => ({
    start,
    size: tileLength,
    weight: Float32Array.from(raw[k]!, (w, i) => w / sum[start + i]!),
  }));
}
