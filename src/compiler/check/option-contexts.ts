import type { OptionKind } from "../syntax/ast.js";

/** Where an option may be written. The parser accepts any option anywhere; the checker uses this. */
export type OptionContext = "scene" | "region" | "grid" | "cell" | "guide";

/** SDXL micro-conditioning: wherever paint options go. */
const MICRO_CONDITIONING: readonly OptionKind[] = ["original", "crop", "target", "negative-original", "negative-crop", "negative-target"];

export const OPTIONS_BY_CONTEXT: Record<OptionContext, readonly OptionKind[]> = {
  scene: ["canvas", "model", "seed", "seeds", "steps", "scheduler", "guidance", "negative", "blend", "noise", "output", ...MICRO_CONDITIONING],
  region: ["at", "size", "shape", "mask", "prompt", "negative", "guidance", "blend", "weight", "seed", ...MICRO_CONDITIONING],
  grid: ["tile", "overlap", "columns", "rows", "tiling", "at", "prompt", "prompts", "negative", "guidance", "blend", "weight", "seed", "cell", ...MICRO_CONDITIONING],
  cell: ["shape", "mask", "prompt", "negative", "guidance", "blend", "weight", "seed", ...MICRO_CONDITIONING],
  guide: ["at", "size", "fit", "strength", "shape", "mask"],
};

/** Words that start a top-level statement besides options (for "did you mean" on a misspelt statement). */
export const DECLARATION_KEYWORDS = ["style", "import", "region", "grid", "guide"] as const;

export const CONTEXT_NAMES: Record<OptionContext, string> = {
  scene: "at the top level",
  region: "in a region",
  grid: "in a grid",
  cell: "in a grid cell",
  guide: "in a guide",
};
