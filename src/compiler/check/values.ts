import type { NameValue, NumberValue } from "../syntax/ast.js";
import type { Reporter } from "../diagnostics/reporter.js";
import { FIT_MODES, type FitMode } from "../plan/plan.js";
import { suggestionHelp } from "./suggest.js";

/** The latent factor of every Stable Diffusion VAE and of the built-in model. */
export const LATENT_FACTOR = 8;
export const MAX_SEED = Number.MAX_SAFE_INTEGER; // 2^53 - 1

function isIntegerLiteral(raw: string): boolean {
  return /^-?\d+$/.test(raw);
}

/** An integer in [min, max] (checked on the digits as written, so huge seeds are exact), or undefined. */
export function integerIn(reporter: Reporter, v: NumberValue, what: string, min: number, max: number): number | undefined {
  if (!Number.isFinite(v.value)) {
    reporter.report("S2010", v.span, { variant: "range", what, raw: v.raw, min, max });
    return undefined;
  }
  if (!isIntegerLiteral(v.raw)) {
    const rounded = Math.round(v.value);
    reporter.report("S2019", v.span, { what, raw: v.raw, rounded });
    return undefined;
  }
  const big = BigInt(v.raw);
  if (big < BigInt(min) || big > BigInt(max)) {
    reporter.report("S2010", v.span, { variant: "range", what, raw: v.raw, min, max });
    return undefined;
  }
  return Number(big);
}

export interface Range {
  min: number;
  max?: number;
  /** True when min itself is not allowed (weight > 0). */
  exclusiveMin?: boolean;
}

export function numberIn(reporter: Reporter, v: NumberValue, what: string, range: Range): number | undefined {
  const { min, max, exclusiveMin } = range;
  const low = exclusiveMin ? v.value <= min : v.value < min;
  const high = max !== undefined && v.value > max;
  if (!Number.isFinite(v.value) || low || high) {
    reporter.report("S2010", v.span, { variant: "range", what, raw: v.raw, min, max });
    return undefined;
  }
  return v.value;
}

/** The multiples of the latent factor on either side of a value, for "nearest valid values" messages. */
export function nearestMultiples(value: number): [number, number] {
  const below = Math.floor(value / LATENT_FACTOR) * LATENT_FACTOR;
  return [below, below + LATENT_FACTOR];
}

/**
 * A pixel coordinate or length that must be a whole multiple of 8. Positions may be negative (the
 * geometry check then says the region leaves the canvas); overlaps may be zero; sizes must be
 * positive. Returns undefined after reporting a violation.
 */
export function pixels(reporter: Reporter, v: NumberValue, what: string, kind: "position" | "size" | "overlap"): number | undefined {
  if (!Number.isFinite(v.value)) {
    // Too large to represent (`1e400`): no nearest value to suggest.
    reporter.report("S2010", v.span, { variant: "pixelsTooLarge", what, raw: v.raw });
    return undefined;
  }
  if (!isIntegerLiteral(v.raw) || v.value % LATENT_FACTOR !== 0) {
    const [below, above] = nearestMultiples(v.value);
    const options = [below, above].filter((n) => kind === "position" || (kind === "overlap" ? n >= 0 : n > 0));
    reporter.report("S2001", v.span, { variant: "value", what, raw: v.raw, factor: LATENT_FACTOR, nearest: options });
    return undefined;
  }
  if ((kind === "size" && v.value <= 0) || (kind === "overlap" && v.value < 0)) {
    if (kind === "size") reporter.report("S2010", v.span, { variant: "notPositive", what, raw: v.raw, factor: LATENT_FACTOR });
    else reporter.report("S2010", v.span, { variant: "negative", what, raw: v.raw });
    return undefined;
  }
  return v.value;
}

/** A guide's or mask's `fit`, or undefined (S2009 reported) when it names no fit mode. */
export function readFit(reporter: Reporter, value: NameValue): FitMode | undefined {
  if ((FIT_MODES as readonly string[]).includes(value.name)) return value.name as FitMode;
  reporter.report("S2009", value.span, { name: value.name, help: suggestionHelp(value.name, FIT_MODES) });
  return undefined;
}
