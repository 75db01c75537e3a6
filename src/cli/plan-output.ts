import path from "node:path";
import { stringify } from "yaml";
import type { Plan } from "../compiler/plan/plan.js";

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

/** The names `render` reads as a saved plan rather than a scene. */
export const PLAN_FILE = /\.(json|ya?ml)$/i;

/**
 * The plan as written to `planFile`: the paths it reads (guides, a model folder) made relative to
 * the plan file's folder instead of the scene's, so that `scenec render PLAN` finds them from any
 * working folder. Content hashes are unchanged; `output` stays relative to the file rendered, as
 * a scene's is. A path with no relative form (another drive) is written absolute.
 */
export function planForFile(plan: Plan, sceneFile: string, planFile: string): Plan {
  const from = path.dirname(path.resolve(sceneFile));
  const to = path.dirname(path.resolve(planFile));
  if (from === to) return plan;
  const move = (p: string) => {
    const target = path.resolve(from, p);
    const relative = path.relative(to, target);
    return (path.isAbsolute(relative) ? target : relative).split(path.sep).join("/");
  };
  return {
    ...plan,
    model: plan.model.kind === "path" ? { kind: "path", path: move(plan.model.path) } : plan.model,
    guides: plan.guides.map((g) => ({ ...g, path: move(g.path) })),
  };
}
