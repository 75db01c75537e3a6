import { stringify } from "yaml";
import type { Plan } from "../compiler/plan.js";

/**
 * A plan as text. Both forms keep the object keys in the order the planner built them (the Plan
 * type's declared order) and never sort arrays, so identical plans give identical bytes.
 */
export type PlanFormat = "yaml" | "json";

export function formatPlan(plan: Plan, format: PlanFormat): string {
  if (format === "json") return JSON.stringify(plan, null, 2) + "\n";
  return stringify(plan, {
    // The planner may share one object between two places (a rect, say): write it twice rather
    // than as a YAML anchor and alias.
    aliasDuplicateObjects: false,
    // Never fold long prompts over several lines.
    lineWidth: 0,
    indent: 2,
  });
}

/** The format for `plan -o FILE`: `--json` wins, else a `.json` file gets JSON, anything else YAML. */
export function planFormatFor(outPath: string | undefined, json: boolean): PlanFormat {
  if (json) return "json";
  if (outPath !== undefined && outPath.toLowerCase().endsWith(".json")) return "json";
  return "yaml";
}
