import type { MaskImages } from "../compiler/plan/image-mask.js";
import type { Plan } from "../compiler/plan/plan.js";
import { layoutMap } from "../runtime/layout-map.js";

const cache = new WeakMap<Plan, Map<string, number>>();

/**
 * Each region's (and shifted grid's) share of the canvas, as `scenec plan --layout` labels it
 * (layout-map.ts): the fraction of latent elements where its share of the renderer's mixing
 * weight is the largest, masks included (the compile's decoded images). Computed once per plan,
 * when a hover first asks.
 */
export function canvasShares(plan: Plan, masks?: MaskImages): Map<string, number> {
  let shares = cache.get(plan);
  if (!shares) {
    shares = new Map(layoutMap(plan, masks).paints.map((p) => [p.name, p.owned]));
    cache.set(plan, shares);
  }
  return shares;
}
