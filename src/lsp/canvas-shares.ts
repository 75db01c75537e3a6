import type { Plan } from "../compiler/plan/plan.js";
import { layerShares, regionLayer, shiftedGridLayer } from "../runtime/mixing-weights.js";

const cache = new WeakMap<Plan, Map<string, number>>();

/**
 * Each region's (and shifted grid's) share of the canvas: the fraction of latent elements where
 * its mixing weight is the largest, with the weights the renderer mixes with (mixing-weights.ts).
 * Ties go to the one declared first. Computed once per plan, when a hover first asks.
 */
export function canvasShares(plan: Plan): Map<string, number> {
  let shares = cache.get(plan);
  if (shares) return shares;
  const paints = [...plan.regions, ...(plan.shiftedGrids ?? [])];
  const layers = [...plan.regions.map(regionLayer), ...(plan.shiftedGrids ?? []).map(shiftedGridLayer)];
  const { width, height } = plan.latent;
  const perLayer = layerShares(layers, width, height);
  const best = new Float32Array(width * height);
  const owner = new Int32Array(width * height).fill(-1);
  layers.forEach(({ latent }, k) => {
    const s = perLayer[k]!;
    for (let j = 0; j < latent.height; j++)
      for (let i = 0; i < latent.width; i++) {
        const at = (latent.y + j) * width + latent.x + i;
        if (s[j * latent.width + i]! > best[at]!) [best[at], owner[at]] = [s[j * latent.width + i]!, k];
      }
  });
  const counts = new Array<number>(layers.length).fill(0);
  for (const k of owner) if (k >= 0) counts[k]!++;
  shares = new Map(paints.map((p, k) => [p.name, counts[k]! / (width * height)]));
  cache.set(plan, shares);
  return shares;
}
