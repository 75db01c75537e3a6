import type { Plan } from "../compiler/plan/plan.js";
import { planHash } from "../compiler/plan/plan-hash.js";
import { scenecPngText } from "../runtime/image/png-text.js";
import { version } from "./version.js";

/** The text chunks of a rendered PNG: the source it came from, the plan's hash, the seed, scenec's version. */
export function renderedImageText(source: string, plan: Plan): Record<string, string> {
  return scenecPngText({ scene: source, planSha256: planHash(plan), seed: plan.seed, version: version() });
}
