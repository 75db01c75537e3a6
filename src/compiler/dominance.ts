import { kernelProfile } from "../runtime/blend-kernels.js";
import { intersects, type RegionSpec } from "./geometry.js";
import type { BlendKernel, Rect } from "./plan.js";

/** Below this share of the mixing weight at every one of its elements, a region is "dominated". */
export const DOMINANCE_SHARE = 0.05;
/** Samples per axis when measuring a region's share (its maximum is near its centre for every kernel). */
const SAMPLES = 17;
const BUCKET = 32;

/**
 * The regions whose mixing weight is dominated by overlapping regions everywhere they paint: the
 * largest share `w_i / Σ w` over a lattice of sample points, kernels and weights as the runtime
 * mixes them. Neighbours are found through a bucket grid, so the cost stays linear in the number
 * of regions for tiled scenes.
 */
export function dominatedRegions(regions: readonly RegionSpec[], latentOf: (r: RegionSpec) => Rect): { region: RegionSpec; share: number; by: RegionSpec }[] {
  const rects = regions.map(latentOf);
  const buckets = new Map<number, number[]>();
  const key = (bx: number, by: number) => bx * 1_000_003 + by;
  rects.forEach((r, i) => {
    for (let bx = Math.floor(r.x / BUCKET); bx <= Math.floor((r.x + r.width - 1) / BUCKET); bx++)
      for (let by = Math.floor(r.y / BUCKET); by <= Math.floor((r.y + r.height - 1) / BUCKET); by++) {
        const k = key(bx, by);
        const list = buckets.get(k);
        if (list) list.push(i);
        else buckets.set(k, [i]);
      }
  });

  const profiles = new Map<string, Float64Array>();
  const profile = (kind: BlendKernel, n: number) => {
    const k = `${kind}:${n}`;
    let p = profiles.get(k);
    if (!p) profiles.set(k, (p = kernelProfile(kind, n)));
    return p;
  };
  // Each region's two profiles, looked up once (the inner loop runs millions of times).
  const across = regions.map((spec, i) => profile(spec.blend, rects[i]!.width));
  const down = regions.map((spec, i) => profile(spec.blend, rects[i]!.height));
  const weightAt = (i: number, x: number, y: number) => {
    const r = rects[i]!;
    return regions[i]!.weight * across[i]![x - r.x]! * down[i]![y - r.y]!;
  };

  const stamp = new Int32Array(regions.length).fill(-1);
  const out: { region: RegionSpec; share: number; by: RegionSpec }[] = [];
  rects.forEach((r, i) => {
    const neighbours: number[] = [];
    for (let bx = Math.floor(r.x / BUCKET); bx <= Math.floor((r.x + r.width - 1) / BUCKET); bx++)
      for (let by = Math.floor(r.y / BUCKET); by <= Math.floor((r.y + r.height - 1) / BUCKET); by++)
        for (const j of buckets.get(key(bx, by)) ?? []) {
          if (j === i || stamp[j] === i) continue;
          stamp[j] = i;
          if (intersects(r, rects[j]!)) neighbours.push(j);
        }
    if (neighbours.length === 0) return;
    let best = 0;
    const heaviest = new Map<number, number>();
    const xs = sampleLine(r.x, r.width);
    const ys = sampleLine(r.y, r.height);
    for (const y of ys)
      for (const x of xs) {
        const own = weightAt(i, x, y);
        let total = own;
        for (const j of neighbours) {
          const q = rects[j]!;
          if (x < q.x || x >= q.x + q.width || y < q.y || y >= q.y + q.height) continue;
          const w = weightAt(j, x, y);
          total += w;
          heaviest.set(j, (heaviest.get(j) ?? 0) + w);
        }
        best = Math.max(best, total > 0 ? own / total : 1);
      }
    if (best < DOMINANCE_SHARE) {
      const by = [...heaviest.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      out.push({ region: regions[i]!, share: best, by: regions[by]! });
    }
  });
  return out;
}

function sampleLine(start: number, length: number): number[] {
  if (length <= SAMPLES) return Array.from({ length }, (_, k) => start + k);
  return Array.from({ length: SAMPLES }, (_, k) => start + Math.round((k * (length - 1)) / (SAMPLES - 1)));
}
