import { kernelProfile } from "./blend-kernels.js";
import { shiftedGridProfiles } from "./shifted-windows.js";
import type { MaskImages } from "./image-mask.js";
import { memberships, type Outline } from "./outline-membership.js";
import type { BlendKernel, Plan, PlanShape, Rect } from "./plan.js";

/**
 * A paint's mixing weight over its latent bounding box: its weight times its kernel times its
 * mask, `w(i, j) = weight · down[j] · across[i] · mask[j·width + i]`. The one place this is
 * computed: the renderer mixes by it, the layout view draws it, and the compiler's coverage
 * (S2003) and dominance (S2502) checks read it. The kernel stays separable (two profiles), so a
 * scene of thousands of full-canvas regions costs their profiles, not their areas; a mask, when
 * there is one, is the full `width × height` map that makes the weight non-separable.
 */
export interface WeightMap {
  latent: Rect;
  weight: number;
  /** The kernel's profile along x (length `latent.width`) and along y (length `latent.height`). */
  across: Float64Array;
  down: Float64Array;
  /** Membership in [0, 1] of each element of the box, row by row; absent: the whole box. */
  mask?: Float32Array;
}

/** What a weight map is made from: a region, with its shape or mask if it has one, or a shifted grid with its lattice of moving windows. */
export interface WeightedPaint {
  /** In pixels; the shape is drawn at this resolution and averaged down to `latent`'s. */
  rect: Rect;
  latent: Rect;
  shape?: PlanShape;
  /** A mask image, by the hash of its file (its pixels are looked up in `weightMaps`'s `images`). */
  mask?: Outline["mask"];
  blend: BlendKernel;
  weight: number;
  shifted?: { latentTile: { width: number; height: number }; columns: number; rows: number };
}

/**
 * The weight maps of `paints`, in order. Regions mix with their own kernel; a shifted grid with
 * its windows' kernel averaged over their moves (shifted-windows.ts). Profiles of one kernel and
 * length are computed once and shared (8,000 identical regions share two), and so are the masks
 * of one image laid the same way over rectangles of one size (a grid's cells). A mask whose image
 * is not in `images` leaves its paint the whole box: the compiler's host may not decode images
 * (then its checks see the rectangle); the renderer always passes them all.
 */
export function weightMaps(paints: readonly WeightedPaint[], images: MaskImages = new Map()): WeightMap[] {
  const profiles = new Map<string, Float64Array>();
  const profile = (kind: BlendKernel, n: number) => {
    const key = `${kind}:${n}`;
    let p = profiles.get(key);
    if (!p) profiles.set(key, (p = kernelProfile(kind, n)));
    return p;
  };
  const membership = memberships(images);
  return paints.map(({ rect, latent, shape, mask, blend, weight, shifted }) => {
    const { across, down } = shifted ? shiftedGridProfiles(blend, shifted) : { across: profile(blend, latent.width), down: profile(blend, latent.height) };
    const inside = membership({ shape, mask }, rect, rect.width / latent.width);
    return inside ? { latent, weight, across, down, mask: inside } : { latent, weight, across, down };
  });
}

/** Everything a plan mixes, in the order the renderer mixes it: its regions, then its shifted grids. */
export function planWeightMaps(plan: Pick<Plan, "regions" | "shiftedGrids">, images?: MaskImages): WeightMap[] {
  return weightMaps([...plan.regions, ...(plan.shiftedGrids ?? []).map((g) => ({ ...g, shifted: g }))], images);
}

/** The weight at element (i, j) of the map's box. */
export function weightAt(map: WeightMap, i: number, j: number): number {
  const value = map.weight * map.down[j]! * map.across[i]!;
  return map.mask ? value * map.mask[j * map.latent.width + i]! : value;
}

/** Whether the paint reaches element (i, j) of its box: everywhere without a mask (kernels and weights are positive), else where its mask is. */
export function reaches(map: WeightMap, i: number, j: number): boolean {
  return !map.mask || map.mask[j * map.latent.width + i]! > 0;
}

/** Σ_k w_k over a `width × height` latent canvas. */
export function weightField(maps: readonly WeightMap[], width: number, height: number): Float64Array {
  const total = new Float64Array(width * height);
  // Row by row, as `weightAt` associates: ((weight · down[j]) · across[i]) · mask (a hot loop: 8,000 regions of a canvas).
  for (const { latent, weight, across, down, mask } of maps) {
    const { x, y, width: w, height: h } = latent;
    for (let j = 0; j < h; j++) {
      const row = (y + j) * width + x;
      const wy = weight * down[j]!;
      if (mask) for (let i = 0; i < w; i++) total[row + i]! += wy * across[i]! * mask[j * w + i]!;
      else for (let i = 0; i < w; i++) total[row + i]! += wy * across[i]!;
    }
  }
  return total;
}

/**
 * Each map's share of the mix at each element of its box: w_k / Σ_j w_j (paper Eq. 3,
 * normalised). Computed once per render, in float64 then stored as float32, so the per-step loop
 * only multiplies and adds. Elements nothing weighs (a strength-1 guide's pinned area) have no
 * share anywhere: their mixed prediction is zero, and the guide overwrites them after every step.
 */
export function weightShares(maps: readonly WeightMap[], width: number, height: number): Float32Array[] {
  const total = weightField(maps, width, height);
  return maps.map((map) => {
    const { x, y, width: w, height: h } = map.latent;
    const shares = new Float32Array(w * h);
    for (let j = 0; j < h; j++)
      for (let i = 0; i < w; i++) {
        const sum = total[(y + j) * width + x + i]!;
        shares[j * w + i] = sum > 0 ? weightAt(map, i, j) / sum : 0;
      }
    return shares;
  });
}
