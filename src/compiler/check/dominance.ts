import { reaches, weightAt, weightField, type WeightMap } from "../plan/weight-map.js";
import { intersects, type RegionSpec } from "./geometry.js";

/**
 * Below this share of the mixing weight at every one of its elements, a region is "dominated":
 * something else outweighs it everywhere, so nowhere is it painted as itself (a small sun at the
 * centre of a full-canvas sky, whose Gaussian peaks there too, holds 48 % at best and vanishes).
 * An even split (two prompts over one rectangle, blended on purpose) is not.
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
 * largest share `w_i / Σ w` over a lattice of sample points, on the weight maps the runtime mixes
 * by (`maps[i]` is `regions[i]`'s). The denominator is the summed weight field over the latent
 * canvas, built once, so the cost is the regions' total area whatever their overlap (a neighbour search is quadratic
 * when thousands of regions share one place, as a hostile scene can make them). The region that
 * drowns each one out is named only for the first `namedLimit` dominated regions: that search
 * visits every overlapping region.
 */
export function dominatedRegions(regions: readonly RegionSpec[], maps: readonly WeightMap[], namedLimit = Infinity): Dominated[] {
  if (maps.length < 2) return [];
  const rects = maps.map((m) => m.latent);
  // A loop, not Math.max(...): spreading 100,000 values overflows the call stack.
  let width = 0;
  let height = 0;
  for (const r of rects) {
    width = Math.max(width, r.x + r.width);
    height = Math.max(height, r.y + r.height);
  }
  const at = (i: number, x: number, y: number) => weightAt(maps[i]!, x - rects[i]!.x, y - rects[i]!.y);
  const total = weightField(maps, width, height);

  const out: Dominated[] = [];
  rects.forEach((r, i) => {
    let xs = sampleLine(r.x, r.width);
    let ys = sampleLine(r.y, r.height);
    // A thin shape may slip between the samples: then every element of its box is one.
    if (!ys.some((y) => xs.some((x) => reaches(maps[i]!, x - r.x, y - r.y)))) {
      xs = Array.from({ length: r.width }, (_, k) => r.x + k);
      ys = Array.from({ length: r.height }, (_, k) => r.y + k);
    }
    let best = 0;
    // Indexed loops: for…of here allocated an iterator per row, a third of a 1,000-region compile's garbage.
    for (let yi = 0; yi < ys.length; yi++)
      for (let xi = 0; xi < xs.length; xi++) {
        const x = xs[xi]!;
        const y = ys[yi]!;
        // Outside its shape a region does not paint, whatever the others do.
        if (!reaches(maps[i]!, x - r.x, y - r.y)) continue;
        const sum = total[y * width + x]!;
        best = Math.max(best, sum > 0 ? at(i, x, y) / sum : 1);
      }
    if (best >= DOMINANCE_SHARE) return;
    const dominated: Dominated = { region: regions[i]!, share: best };
    if (out.length < namedLimit) dominated.by = regions[heaviestOver(i, xs, ys)]!;
    out.push(dominated);
  });
  return out;

  /** The region other than `i` with the most weight summed over `i`'s sample points inside its shape. */
  function heaviestOver(i: number, xs: readonly number[], ys: readonly number[]): number {
    const r = rects[i]!;
    let heaviest = -1;
    let most = -1;
    rects.forEach((q, j) => {
      if (j === i || !intersects(r, q)) return;
      let sum = 0;
      for (const y of ys) {
        if (y < q.y || y >= q.y + q.height) continue;
        for (const x of xs) if (x >= q.x && x < q.x + q.width && reaches(maps[i]!, x - r.x, y - r.y)) sum += at(j, x, y);
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
