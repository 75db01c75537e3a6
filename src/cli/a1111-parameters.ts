import type { NoiseGenerator, SchedulerName } from "../compiler/plan/plan.js";
import { A1111_KARRAS_SCHEDULE, A1111_RNG, A1111_SAMPLERS } from "./a1111-samplers.js";
import { infotextSize, parseInfotext } from "./import/a1111-infotext.js";

/**
 * Automatic1111's "infotext", the PNG `parameters` text that A1111, Civitai and most SD tools read
 * (PNG Info): the prompt's lines, a `Negative prompt: …` line when there is one, and a last line of
 * `Key: value` pairs joined by `, `. Written as A1111's `create_infotext` (modules/processing.py)
 * writes it, and read back as its `parse_generation_parameters` (modules/infotext_utils.py) reads
 * it, with its own regular expression.
 */

/** What one picture's infotext says: A1111's view of a render, one prompt for the whole canvas. */
export interface A1111Generation {
  prompt: string;
  /** null or "": no `Negative prompt:` line (A1111 leaves it out when empty). */
  negative: string | null;
  steps: number;
  scheduler: { name: SchedulerName; karras: boolean };
  cfgScale: number;
  seed: number;
  width: number;
  height: number;
  model: string;
  noise: NoiseGenerator;
  /** Further `Key: value` pairs, after A1111's own, in order. */
  extra: readonly (readonly [key: string, value: string])[];
}

/**
 * A1111's `quote()`: a value with `,`, `:` or a newline is written as a JSON string
 * (`json.dumps(ensure_ascii=False)`, which escapes what JSON.stringify escapes, the same way),
 * else as it is. Also quoted here: a value the parser would not read back as itself, one that
 * starts with a space (the pattern skips it) or is wrapped in double quotes (it would be unquoted).
 */
export function a1111Quote(value: string): string {
  const a1111Quotes = /[,:\n]/.test(value);
  const misread = /^\s/.test(value) || (value.length >= 2 && value.startsWith('"') && value.endsWith('"'));
  return a1111Quotes || misread ? JSON.stringify(value) : value;
}

/** The infotext of a generation: prompt lines, `Negative prompt:` line, then the settings line. */
export function formatA1111Parameters(g: A1111Generation): string {
  const settings: [string, string][] = [
    ["Steps", String(g.steps)],
    ["Sampler", A1111_SAMPLERS[g.scheduler.name]],
    ...(g.scheduler.karras ? [["Schedule type", A1111_KARRAS_SCHEDULE] as [string, string]] : []),
    ["CFG scale", String(g.cfgScale)],
    ["Seed", String(g.seed)],
    ["Size", `${g.width}x${g.height}`],
    ["Model", g.model],
    ["RNG", A1111_RNG[g.noise]],
    ...g.extra.map(([key, value]): [string, string] => [key, value]),
  ];
  const line = settings.map(([key, value]) => `${key}: ${a1111Quote(value)}`).join(", ");
  const negative = g.negative ? `\nNegative prompt: ${g.negative}` : "";
  // A1111 strips the whole text (Python's str.strip) once assembled.
  return `${g.prompt}${negative}\n${line}`.trim();
}

/** An infotext as A1111 reads it. */
export interface A1111Parsed {
  prompt: string;
  negativePrompt: string;
  /** Key → value, unquoted; `Size: 512x768` is `Size-1: 512` and `Size-2: 768`, as A1111 reads it. */
  params: Record<string, string>;
}

/**
 * An infotext read back as A1111's `parse_generation_parameters` reads it (import/a1111-infotext.ts),
 * its pairs as a plain object, a size (`Size: 512x768`) as A1111's two keys `Size-1` and `Size-2`.
 */
export function parseA1111Parameters(text: string): A1111Parsed {
  const { prompt, negativePrompt, params } = parseInfotext(text);
  // Object.fromEntries defines own properties: a key `__proto__` is data, not the prototype.
  const pairs = [...params].flatMap(([key, value]): [string, string][] => {
    const size = infotextSize(value);
    return size ? [[`${key}-1`, String(size.width)], [`${key}-2`, String(size.height)]] : [[key, value]];
  });
  return { prompt, negativePrompt, params: Object.fromEntries(pairs) };
}
