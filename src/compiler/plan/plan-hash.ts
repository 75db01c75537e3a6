import { createHash } from "node:crypto";
import type { Plan } from "./plan.js";

/**
 * The plan's identity: sha256 of its canonical JSON (keys in the planner's order, no spaces).
 * Written into rendered PNGs; guide images' content hashes are part of it.
 */
export function planHash(plan: Plan): string {
  return createHash("sha256").update(JSON.stringify(plan)).digest("hex");
}
