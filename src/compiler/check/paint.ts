import type { Option, OptionKind, OptionOf, PointValue } from "../syntax/ast.js";
import { optionOf } from "./options.js";
import { BLEND_KERNELS, type BlendKernel, type MicroConditioning, type PlanShape } from "../plan/plan.js";
import { readShape } from "./shapes.js";
import { readMask, type MaskRequest } from "./masks.js";
import { readMicroConditioning } from "./micro-conditioning.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { StyleResolver } from "./styles.js";
import { suggestionHelp } from "./suggest.js";
import { integerIn, MAX_SEED, numberIn } from "./values.js";


/** What a region paints with: the options a region, a grid or a cell may set, and the scene defaults for them. */
export interface Paint {
  prompt: string;
  /** null: no negative prompt anywhere (SDXL then conditions on zeros, as diffusers does; SD 1.x/2.x on ""). */
  negative: string | null;
  guidance: number;
  blend: BlendKernel;
  weight: number;
  seed: number | null;
  /** SDXL micro-conditioning set so far (scene, grid, cell or region); empty: the defaults. */
  micro: MicroConditioning;
  /** Where in its rectangle a region or cell paints; absent: all of it. */
  shape?: PlanShape;
  /** A polygon's corners as written, for the check against the rectangle once it is known (S2029). */
  shapePoints?: readonly PointValue[];
  /** Where in its rectangle a region or cell paints, from an image (a region has a shape or a mask). */
  mask?: MaskRequest;
}

export const DEFAULT_GUIDANCE = 7.5;
const GUIDANCE_RANGE = { min: 0, max: 50 };

export function readBlend(reporter: Reporter, option: OptionOf<"blend">): BlendKernel | undefined {
  const name = option.value.name;
  if ((BLEND_KERNELS as readonly string[]).includes(name)) return name as BlendKernel;
  reporter.report("S2008", option.value.span, { name, help: suggestionHelp(name, BLEND_KERNELS) });
  return undefined;
}

export function readGuidance(reporter: Reporter, option: OptionOf<"guidance">): number | undefined {
  return numberIn(reporter, option.value, "guidance", GUIDANCE_RANGE);
}

export function readSeed(reporter: Reporter, option: OptionOf<"seed">): number | undefined {
  return integerIn(reporter, option.value, "seed", 0, MAX_SEED);
}

/**
 * Applies a block's paint options over inherited values. A value that fails its check keeps the
 * inherited one (the error is reported, so no plan is produced) so later checks can go on.
 */
export function readPaint(reporter: Reporter, styles: StyleResolver, options: Map<OptionKind, Option>, base: Paint, name = ""): Paint {
  const paint = { ...base };
  const prompt = optionOf(options, "prompt");
  if (prompt) paint.prompt = styles.expandPrompt(prompt.value) ?? paint.prompt;
  const negative = optionOf(options, "negative");
  if (negative) paint.negative = styles.expandPrompt(negative.value) ?? paint.negative;
  const guidance = optionOf(options, "guidance");
  if (guidance) paint.guidance = readGuidance(reporter, guidance) ?? paint.guidance;
  const blend = optionOf(options, "blend");
  if (blend) paint.blend = readBlend(reporter, blend) ?? paint.blend;
  const weight = optionOf(options, "weight");
  if (weight) paint.weight = numberIn(reporter, weight.value, "weight", { min: 0, exclusiveMin: true }) ?? paint.weight;
  const seed = optionOf(options, "seed");
  if (seed) paint.seed = readSeed(reporter, seed) ?? paint.seed;
  paint.micro = readMicroConditioning(reporter, options, paint.micro);
  const shape = optionOf(options, "shape");
  if (shape) {
    const read = readShape(reporter, shape);
    if (read) [paint.shape, paint.shapePoints] = [read.shape, read.points];
  }
  const mask = optionOf(options, "mask");
  if (mask && shape) reporter.report("S2020", mask.keyword, { variant: "shapeMask", name, related: [{ span: shape.keyword }] });
  else if (mask) paint.mask = readMask(reporter, styles, mask) ?? paint.mask;
  return paint;
}
