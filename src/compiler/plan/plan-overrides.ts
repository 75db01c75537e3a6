import type { Plan } from "./plan.js";
import { guideSteps } from "./planner.js";

export interface PlanOverrides {
  steps?: number;
  seed?: number;
}

/**
 * A plan with the command line's `--steps` / `--seed` applied, and everything that depends on
 * them (guide step counts, cost totals) recomputed.
 */
export function withOverrides(plan: Plan, overrides: PlanOverrides): Plan {
  const steps = overrides.steps ?? plan.steps;
  return {
    ...plan,
    seed: overrides.seed ?? plan.seed,
    steps,
    guides: plan.guides.map((g) => ({ ...g, steps: guideSteps(g.strength, steps) })),
    cost: { ...plan.cost, unetEvaluationsTotal: plan.cost.unetEvaluationsPerStep * steps },
  };
}
