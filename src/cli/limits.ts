import { DEFAULT_LIMITS, type Limits } from "../compiler/host.js";
import type { OptionValues } from "./command.js";
import { UsageError } from "./errors.js";

/** The size limits: what every compiling command, and a render farm's worker, holds a scene or plan to. */
export const SIZE_LIMIT_OPTIONS = {
  "max-side": { type: "string" },
  "max-megapixels": { type: "string" },
  "max-guide-megapixels": { type: "string" },
} as const;

/** The options every compiling command accepts, for its parseArgs table and its help. */
export const LIMIT_OPTIONS = {
  ...SIZE_LIMIT_OPTIONS,
  "allow-outside": { type: "boolean" },
} as const;

const { maxCanvasSide, maxCanvasPixels, maxGuidePixels } = DEFAULT_LIMITS;
export const SIZE_LIMIT_OPTIONS_HELP = [
  `  --max-side N         the largest canvas width or height, in pixels (default ${maxCanvasSide})`,
  `  --max-megapixels N   the largest canvas area, in millions of pixels (default ${maxCanvasPixels / 1e6})`,
  "  --max-guide-megapixels N",
  `                       the largest guide or mask image, in millions of pixels (default ${maxGuidePixels / 1e6});`,
  "                       checked from the image's header, before anything is decoded",
].join("\n");
export const LIMIT_OPTIONS_HELP = [
  SIZE_LIMIT_OPTIONS_HELP,
  "  --allow-outside      let the scene's imports, guides and output leave its project root (the",
  "                       folder of the nearest scenec.yaml, else the scene's folder); only for a",
  "                       scene you trust",
].join("\n");

/** `--allow-outside`: the user trusts the scene to reach outside its project root. */
export function allowOutsideFromOptions(values: OptionValues): boolean {
  return values["allow-outside"] === true;
}

function positiveNumber(values: OptionValues, name: string, command: string, integer: boolean): number | undefined {
  const raw = values[name];
  if (typeof raw !== "string") return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} needs a positive ${integer ? "integer" : "number"}, not \`${raw}\``, command);
  }
  return value;
}

/** Compiler limits from `--max-side`, `--max-megapixels` and `--max-guide-megapixels`; absent flags keep the compiler's defaults. */
export function limitsFromOptions(values: OptionValues, command: string): Partial<Limits> {
  const limits: Partial<Limits> = {};
  const side = positiveNumber(values, "max-side", command, true);
  if (side !== undefined) limits.maxCanvasSide = side;
  const megapixels = positiveNumber(values, "max-megapixels", command, false);
  if (megapixels !== undefined) limits.maxCanvasPixels = Math.round(megapixels * 1_000_000);
  const guideMegapixels = positiveNumber(values, "max-guide-megapixels", command, false);
  if (guideMegapixels !== undefined) limits.maxGuidePixels = Math.round(guideMegapixels * 1_000_000);
  return limits;
}
