import type { Plan, PlanRegion, PlanShiftedGrid, Rect } from "../compiler/plan/plan.js";
import { kernelProfile } from "../compiler/plan/blend-kernels.js";
import { shiftedGridProfiles } from "../compiler/plan/shifted-windows.js";

/** What takes part in the mix: a rectangle of the latent canvas with a separable weight over it. */
export interface MixingLayer {
  latent: Rect;
  weight: number;
  /** The kernel's profile along x (length `latent.width`) and along y (length `latent.height`). */
  across: Float64Array;
  down: Float64Array;
}

/** A region mixes with its own kernel over its rectangle. */
export function regionLayer(r: Pick<PlanRegion, "latent" | "blend" | "weight">): MixingLayer {
  return { latent: r.latent, weight: r.weight, across: kernelProfile(r.blend, r.latent.width), down: kernelProfile(r.blend, r.latent.height) };
}

/** A shifted grid mixes as one layer over its area, with its windows' kernel averaged over their moves. */
export function shiftedGridLayer(g: PlanShiftedGrid): MixingLayer {
  return { latent: g.latent, weight: g.weight, ...shiftedGridProfiles(g.blend, g) };
}

/** Everything a plan mixes, in the order the renderer mixes it: its regions, then its shifted grids. */
export function planLayers(plan: Pick<Plan, "regions" | "shiftedGrids">): MixingLayer[] {
  return [...plan.regions.map(regionLayer), ...(plan.shiftedGrids ?? []).map(shiftedGridLayer)];
}

/**
 * Each layer's share of the mix at each of its latent elements: w_i / Σ_j w_j, with w the
 * layer's kernel times its weight (paper Eq. 3, normalised). Computed once per render, in
 * float64 then stored as float32, so the per-step loop only multiplies and adds.
 * Elements no layer covers (a strength-1 guide's pinned area) have no share anywhere: their
 * mixed prediction is zero, and the guide overwrites them after every step.
 */
export function layerShares(layers: readonly MixingLayer[], width: number, height: number): Float32Array[] {
  const total = new Float64Array(width * height);
  const raw = layers.map(({ latent: { x, y, width: w, height: h }, weight, across, down }) => {
    const weights = new Float64Array(w * h);
    for (let j = 0; j < h; j++)
      for (let i = 0; i < w; i++) {
        const value = weight * down[j]! * across[i]!;
        weights[j * w + i] = value;
        total[(y + j) * width + x + i]! += value;
      }
    return weights;
  });
  return layers.map(({ latent: { x, y, width: w, height: h } }, k) => {
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

/** The regions' shares when they are all there is to mix (see `layerShares`). */
export function mixingShares(regions: readonly PlanRegion[], width: number, height: number): Float32Array[] {
  return layerShares(regions.map(regionLayer), width, height);
}
