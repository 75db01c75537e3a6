import type { PlanRegion } from "../compiler/plan/plan.js";
import { kernelProfile } from "../compiler/plan/blend-kernels.js";

/**
 * Each region's share of the mix at each of its latent elements: w_i / Σ_j w_j, with w the
 * region's kernel times its weight (paper Eq. 3, normalised). Computed once per render, in
 * float64 then stored as float32, so the per-step loop only multiplies and adds.
 * Elements no region covers (a strength-1 guide's pinned area) have no share anywhere: their
 * mixed prediction is zero, and the guide overwrites them after every step.
 */
export function mixingShares(regions: readonly PlanRegion[], width: number, height: number): Float32Array[] {
  const total = new Float64Array(width * height);
  const raw = regions.map((r) => {
    const { x, y, width: w, height: h } = r.latent;
    const px = kernelProfile(r.blend, w);
    const py = kernelProfile(r.blend, h);
    const weights = new Float64Array(w * h);
    for (let j = 0; j < h; j++)
      for (let i = 0; i < w; i++) {
        const value = r.weight * py[j]! * px[i]!;
        weights[j * w + i] = value;
        total[(y + j) * width + x + i]! += value;
      }
    return weights;
  });
  return regions.map((r, k) => {
    const { x, y, width: w, height: h } = r.latent;
    const shares = new Float32Array(w * h);
    const weights = raw[k]!;
    for (let j = 0; j < h; j++)
      for (let i = 0; i < w; i++) {
        const sum = total[(y + j) * width + x + i]!;
        shares[j * w + i] = sum > 0 ? weights[j * w + i]! / sum : 0;
      }
    return shares;
  });
}
