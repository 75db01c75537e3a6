import type { Plan } from "../compiler/plan/plan.js";
import { layoutMap } from "../runtime/layout-map.js";

const cache = new WeakMap<Plan, Map<string, number>>();

/**
 * Each region's (and shifted grid's) share of the canvas, as `scenec plan --layout` labels it
 * (layout-map.ts): the fraction of latent elements where its share of the renderer's mixing
 * weight is the largest. Computed once per plan, when a hover first asks.
 */
export function canvasShares(plan: Plan): Map<string, number> {
  let shares = cache.get(plan);
  if (!shares) {
    shares = new Map(layoutMap(plan).paints.map((p) => [p.name, p.owned]));
    cache.set(plan, shares);
  }
  return shares;
}
