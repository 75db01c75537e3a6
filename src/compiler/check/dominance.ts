import { kernelProfile } from "../plan/blend-kernels.js";
import { shiftedGridProfiles } from "../plan/shifted-windows.js";
import { intersects, type RegionSpec } from "./geometry.js";
import type { BlendKernel, Rect } from "../plan/plan.js";

/**
 * At most this share of the mixing weight at every one of its elements, a region is "dominated":
 * it never holds the majority anywhere, so nowhere is it painted as itself (a small sun at the
 * centre of a full-canvas sky, whose Gaussian peaks there too, holds 48 % at best and vanishes).
 */
export const DOMINANCE_SHARE = 0.5;
/** Samples per axis when measuring a region's share (its maximum is near its centre for every kernel). */
const SAMPLES = 17;

export interface Dominated {
  region: RegionSpec;
  /** The region's largest share of the mix at any sample point. */
  share: number;
  /** The overlapping region with the most weight over this one's sample points; only for the first `namedLimit`. */
  by?: RegionSpec;
}

/**
 * The regions whose mixing weight is dominated by overlapping regions everywhere they paint: the
 * largest share `w_i / Σ w` over a lattice of sample points, kernels and weights as the runtime
 * mixes them. The denominator is the summed weight field over the latent canvas, built once, so
 * the cost is the regions' total area whatever their overlap (a neighbour search is quadratic
 * when thousands of regions share one place, as a hostile scene can make them). The region that
 * drowns each one out is named only for the first `namedLimit` dominated regions: that search
 * visits every overlapping region.
 */
export function dominatedRegions(regions: readonly RegionSpec[], latentOf: (r: RegionSpec) => Rect, namedLimit = Infinity): Dominated[] {
  const rects = regions.map(latentOf);
  if (rects.length < 2) return [];
  // A loop, not Math.max(...): spreading 100,000 values overflows the call stack.
  let width = 0;
  let height = 0;
  for (const r of rects) {
    width = Math.max(width, r.x + r.width);
    height = Math.max(height, r.y + r.height);
  }

  const profiles = new Map<string, Float64Array>();
  const profile = (kind: BlendKernel, n: number) => {
    const k = `${kind}:${n}`;
    let p = profiles.get(k);
    if (!p) profiles.set(k, (p = kernelProfile(kind, n)));
    return p;
  };
  // A shifted grid mixes with its windows' kernel averaged over their moves (shifted-windows.ts).
  const shifted = regions.map((spec, i) => spec.shifted && shiftedGridProfiles(spec.blend, { ...spec.shifted, latentTile: { width: rects[i]!.width / spec.shifted.columns, height: rects[i]!.height / spec.shifted.rows } }));
  const across = regions.map((spec, i) => shifted[i]?.across ?? profile(spec.blend, rects[i]!.width));
  const down = regions.map((spec, i) => shifted[i]?.down ?? profile(spec.blend, rects[i]!.height));
  const weightAt = (i: number, x: number, y: number) => {
    const r = rects[i]!;
    return regions[i]!.weight * across[i]![x - r.x]! * down[i]![y - r.y]!;
  };

  const total = new Float64Array(width * height);
  rects.forEach((r, i) => {
    const a = across[i]!;
    const d = down[i]!;
    const w = regions[i]!.weight;
    for (let y = 0; y < r.height; y++) {
      const row = (r.y + y) * width + r.x;
      const wy = w * d[y]!;
      for (let x = 0; x < r.width; x++) total[row + x]! += wy * a[x]!;
    }
  });

  const out: Dominated[] = [];
  rects.forEach((r, i) => {
    const xs = sampleLine(r.x, r.width);
    const ys = sampleLine(r.y, r.height);
    let best = 0;
    for (const y of ys)
      for (const x of xs) {
        const sum = total[y * width + x]!;
        best = Math.max(best, sum > 0 ? weightAt(i, x, y) / sum : 1);
      }
    if (best > DOMINANCE_SHARE) return;
    const dominated: Dominated = { region: regions[i]!, share: best };
    if (out.length < namedLimit) dominated.by = regions[heaviestOver(i, xs, ys)]!;
    out.push(dominated);
  });
  return out;

  /** The region other than `i` with the most weight summed over `i`'s sample points. */
  function heaviestOver(i: number, xs: readonly number[], ys: readonly number[]): number {
    const r = rects[i]!;
    let heaviest = -1;
    let most = -1;
    rects.forEach((q, j) => {
      if (j === i || !intersects(r, q)) return;
      let sum = 0;
      for (const y of ys) {
        if (y < q.y || y >= q.y + q.height) continue;
        for (const x of xs) if (x >= q.x && x < q.x + q.width) sum += weightAt(j, x, y);
      }
      if (sum > most) [heaviest, most] = [j, sum];
    });
    return heaviest;
  }
}

function sampleLine(start: number, length: number): number[] {
  if (length <= SAMPLES) return Array.from({ length }, (_, k) => start + k);
  return Array.from({ length: SAMPLES }, (_, k) => start + Math.round((k * (length - 1)) / (SAMPLES - 1)));
}
