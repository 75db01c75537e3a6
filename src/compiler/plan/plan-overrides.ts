import type { NoiseGenerator, Plan } from "./plan.js";
import { guideSteps } from "./planner.js";

export interface PlanOverrides {
  steps?: number;
  seed?: number;
  noise?: NoiseGenerator;
}

/**
 * A plan with the command line's `--steps` / `--seed` / `--noise` applied, and everything that depends on
 * them (guide step counts, cost totals) recomputed. A seed makes it one picture: the scene's
 * `seeds` go. Keys keep the plan's canonical order.
 */
export function withOverrides(plan: Plan, overrides: PlanOverrides): Plan {
  const steps = overrides.steps ?? plan.steps;
  // `--noise G` draws the noise with G, in place of the scene's noise file too.
  const dropped = new Set([...(overrides.seed !== undefined ? ["seeds"] : []), ...(overrides.noise !== undefined ? ["noiseFile"] : [])]);
  const kept = Object.fromEntries(Object.entries(plan).filter(([key]) => !dropped.has(key))) as Plan;
  return {
    ...kept,
    seed: overrides.seed ?? plan.seed,
    noise: overrides.noise ?? plan.noise,
    steps,
    guides: plan.guides.map((g) => ({ ...g, steps: guideSteps(g.strength, steps) })),
    cost: { ...plan.cost, unetEvaluationsTotal: plan.cost.unetEvaluationsPerStep * steps },
  };
}
