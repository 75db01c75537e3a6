import type { Option, OptionKind, OptionOf } from "../syntax/ast.js";
import { CONTEXT_NAMES, OPTIONS_BY_CONTEXT, type OptionContext } from "./option-contexts.js";
import type { Reporter } from "../diagnostics/reporter.js";

/** Where a misplaced option belongs, for the help line. */
const HOME: Partial<Record<OptionKind, string>> = {
  canvas: "write it once at the top level",
  model: "write it once at the top level",
  steps: "write it once at the top level",
  scheduler: "write it once at the top level",
  output: "write it once at the top level",
  seeds: "write it once at the top level (a region's own `seed` re-rolls its noise in every picture)",
  tile: "it belongs in a `grid`",
  overlap: "it belongs in a `grid`",
  columns: "it belongs in a `grid`",
  rows: "it belongs in a `grid`",
  tiling: "it belongs in a `grid`",
  prompts: "it belongs in a `grid`; a region has one `prompt`",
  cell: "it belongs in a `grid`",
  fit: "it belongs in a `guide`",
  strength: "it belongs in a `guide`",
  at: "it belongs in a `region`, `grid` or `guide`",
  size: "it belongs in a `region` or `guide`",
  prompt: "it belongs in a `region`, `grid` or `cell`",
  weight: "it belongs in a `region`, `grid` or `cell`",
  shape: "it belongs in a `region`, a grid's `cell` or a `guide`",
  mask: "it belongs in a `region`, a grid's `cell` or a `guide`",
  original: "it belongs at the top level or in a `region`, `grid` or `cell`",
  crop: "it belongs at the top level or in a `region`, `grid` or `cell`",
  target: "it belongs at the top level or in a `region`, `grid` or `cell`",
  "negative-original": "it belongs at the top level or in a `region`, `grid` or `cell`",
  "negative-crop": "it belongs at the top level or in a `region`, `grid` or `cell`",
  "negative-target": "it belongs at the top level or in a `region`, `grid` or `cell`",
};

/**
 * The options of one block by kind. Reports an option that does not belong in this block and
 * an option given twice (pointing at both); the first occurrence wins.
 */
export function collectOptions(reporter: Reporter, options: readonly Option[], context: OptionContext): Map<OptionKind, Option> {
  const allowed = OPTIONS_BY_CONTEXT[context];
  const seen = new Map<OptionKind, Option>();
  for (const option of options) {
    if (!allowed.includes(option.kind)) {
      reporter.report("S2015", option.keyword, { option: option.kind, where: CONTEXT_NAMES[context], home: HOME[option.kind], allowed });
      continue;
    }
    if (option.kind === "cell") continue; // a grid has many cells; the grid checks them
    const first = seen.get(option.kind);
    if (first) {
      reporter.report("S2016", option.keyword, { variant: "option", option: option.kind, related: [{ span: first.keyword }] });
      continue;
    }
    seen.set(option.kind, option);
  }
  return seen;
}

/** Typed access to one collected option. */
export function optionOf<K extends OptionKind>(map: Map<OptionKind, Option>, kind: K): OptionOf<K> | undefined {
  return map.get(kind) as OptionOf<K> | undefined;
}
