import type { Plan, PlanShape, Rect } from "../../compiler/plan/plan.js";

/**
 * Where each region, shifted grid and guide of the plan being rendered lies, in the canvas's
 * pixels: `/regions.json` of the preview, which outlines the one under the editor's cursor.
 * Names are the plan's (`sky`, `mosaic[3,2]`); guides are in the plan's order.
 */
export interface PreviewRegions {
  canvas: { width: number; height: number };
  paints: { name: string; rect: Rect; shape?: PlanShape }[];
  guides: { path: string; rect: Rect }[];
}

export function previewRegions(plan: Plan): PreviewRegions {
  return {
    canvas: { ...plan.canvas },
    paints: [...plan.regions, ...(plan.shiftedGrids ?? [])].map((p) => ({ name: p.name, rect: { ...p.rect }, ...("shape" in p && p.shape ? { shape: p.shape } : {}) })),
    guides: plan.guides.map((g) => ({ path: g.path, rect: { ...g.rect } })),
  };
}
