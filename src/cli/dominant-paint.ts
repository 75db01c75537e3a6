import type { Plan, PlanPaint } from "../compiler/plan/plan.js";

/**
 * The paint (prompt, negative prompt, guidance) that covers most of the picture: the one whose
 * regions and shifted grids have the largest total area × weight, the mixing weight each brings
 * to the canvas (for regions of one blend kernel, the integral of its weight field is area ×
 * weight times the same constant). A grid's cells share their grid's paint, so a grid counts as
 * the sum of its cells. Ties go to the paint met first in the plan. This is the prompt an A1111
 * infotext, which has room for one, shows.
 */
export function dominantPaint(plan: Pick<Plan, "regions" | "shiftedGrids">): PlanPaint | undefined {
  const paints = [...plan.regions, ...(plan.shiftedGrids ?? [])];
  const totals = new Map<string, { paint: PlanPaint; total: number }>();
  for (const paint of paints) {
    const key = `${paint.promptText}\0${paint.negativeText}\0${paint.negative === null}\0${paint.guidance}`;
    const share = paint.rect.width * paint.rect.height * paint.weight;
    const entry = totals.get(key);
    if (entry) entry.total += share;
    else totals.set(key, { paint, total: share });
  }
  let best: { paint: PlanPaint; total: number } | undefined;
  for (const entry of totals.values()) if (!best || entry.total > best.total) best = entry;
  return best?.paint;
}
