import { LATENT_FACTOR } from "./values.js";

/**
 * One axis of a grid: `count` tiles of `tile` pixels overlapping by `overlap` span
 * `tile + (count - 1) * (tile - overlap)` pixels.
 */
function gridExtent(tile: number, overlap: number, count: number): number {
  return tile + (count - 1) * (tile - overlap);
}

/** The tile count that spans `available` pixels exactly, or undefined. */
export function exactCount(available: number, tile: number, overlap: number): number | undefined {
  const stride = tile - overlap;
  if (stride <= 0 || available < tile) return undefined;
  const steps = (available - tile) / stride;
  return Number.isInteger(steps) ? steps + 1 : undefined;
}

/**
 * What would make a grid axis fit `available` pixels exactly, in words: the spans reachable with
 * the nearest tile counts, and the overlaps and tile sizes (multiples of 8) that would fit.
 */
export function fitSuggestions(available: number, tile: number, overlap: number, axis: "width" | "height"): string {
  const stride = tile - overlap;
  const below = Math.max(1, Math.floor((available - tile) / stride) + 1);
  const counts = [below, below + 1];
  const tips: string[] = [];
  const tileCount = (n: number) => `${n} tile${n === 1 ? "" : "s"}`;
  const spans = counts.map((n) => `${gridExtent(tile, overlap, n)} (${tileCount(n)})`);
  tips.push(`this tiling spans ${spans.join(" or ")} pixels, not ${available}`);
  const overlaps: string[] = [];
  const tiles: string[] = [];
  for (let n = Math.max(2, below - 1); n <= below + 2; n++) {
    // overlap that makes n tiles of `tile` span `available`
    const o = tile - (available - tile) / (n - 1);
    if (Number.isInteger(o) && o % LATENT_FACTOR === 0 && o >= 0 && o < tile) overlaps.push(`overlap ${o} with ${tileCount(n)}`);
    // tile size that makes n tiles with `overlap` span `available`
    const t = (available + (n - 1) * overlap) / n;
    if (Number.isInteger(t) && t % LATENT_FACTOR === 0 && t > overlap) tiles.push(`tile ${axis} ${t} with ${tileCount(n)}`);
  }
  if (overlaps.length) tips.push(`would fit: ${overlaps.slice(0, 3).join(", ")}`);
  if (tiles.length) tips.push(`${overlaps.length ? "or" : "would fit"}: ${tiles.slice(0, 2).join(", ")}`);
  return tips.join("; ");
}
