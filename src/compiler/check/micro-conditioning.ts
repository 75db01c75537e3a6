import type { Option, OptionKind, PointValue, SizeValue } from "../syntax/ast.js";
import type { MicroConditioning } from "../plan/plan.js";
import type { Reporter } from "../diagnostics/reporter.js";
import { optionOf } from "./options.js";
import { integerIn } from "./values.js";

/**
 * The largest size or crop accepted: far beyond any SDXL training size (≤ 4096), but bounded so
 * a typo of extra digits is caught.
 */
const MAX_PIXELS = 65536;

/** The scene words, and the plan keys they set. */
const SIZES = [
  ["original", "original"],
  ["target", "target"],
  ["negative-original", "negativeOriginal"],
  ["negative-target", "negativeTarget"],
] as const;
const CROPS = [
  ["crop", "crop"],
  ["negative-crop", "negativeCrop"],
] as const;
/** The plan's canonical key order (time ids order, positive first). */
const PLAN_ORDER = ["original", "crop", "target", "negativeOriginal", "negativeCrop", "negativeTarget"] as const;

/**
 * Any whole number of pixels is legal for diffusers, so sizes are positive integers and crops
 * non-negative ones, not multiples of 8 or 64: they are numbers fed to the UNet, not geometry.
 */
function size(reporter: Reporter, value: SizeValue, what: string): { width: number; height: number } | undefined {
  const width = integerIn(reporter, value.width, `${what} width`, 1, MAX_PIXELS);
  const height = integerIn(reporter, value.height, `${what} height`, 1, MAX_PIXELS);
  return width !== undefined && height !== undefined ? { width, height } : undefined;
}

function crop(reporter: Reporter, value: PointValue, what: string): { x: number; y: number } | undefined {
  const x = integerIn(reporter, value.x, `${what} x`, 0, MAX_PIXELS);
  const y = integerIn(reporter, value.y, `${what} y`, 0, MAX_PIXELS);
  return x !== undefined && y !== undefined ? { x, y } : undefined;
}

/**
 * A block's micro-conditioning settings over inherited ones (scene → grid → cell, scene →
 * region), key by key; a value that fails its check keeps the inherited one (the error is
 * reported, so no plan is produced). Keys are kept in the plan's canonical order.
 */
export function readMicroConditioning(reporter: Reporter, options: Map<OptionKind, Option>, base: MicroConditioning): MicroConditioning {
  const read: MicroConditioning = {};
  for (const [word, key] of SIZES) {
    const option = optionOf(options, word);
    const value = option && size(reporter, option.value, word);
    if (value) read[key] = value;
  }
  for (const [word, key] of CROPS) {
    const option = optionOf(options, word);
    const value = option && crop(reporter, option.value, word);
    if (value) read[key] = value;
  }
  const merged: MicroConditioning = { ...base, ...read };
  return Object.fromEntries(PLAN_ORDER.filter((key) => merged[key]).map((key) => [key, merged[key]]));
}
