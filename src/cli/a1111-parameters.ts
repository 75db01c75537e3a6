import type { NoiseGenerator, SchedulerName } from "../compiler/plan/plan.js";
import { A1111_KARRAS_SCHEDULE, A1111_RNG, A1111_SAMPLERS } from "./a1111-samplers.js";

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
 * A1111's `re_param_code`, `\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)`, in JavaScript:
 * Python's `\w` matches any Unicode letter or digit (here `[\p{L}\p{N}_]`), and its `.` matches a
 * carriage return where JavaScript's does not (here `[^\n]`; the line has no `\n`).
 */
export const A1111_PARAM_PATTERN = /\s*([\p{L}\p{N}_][\p{L}\p{N}_ \-/]+):\s*("(?:\\[^\n]|[^\\"])+"|[^,]*)(?:,|$)/gu;

/**
 * The longest settings line read. The pattern takes time quadratic in a line's length (at each
 * position it scans the word characters ahead for a `:`), so a PNG's megabyte-long line would
 * take hours; A1111's own lines are a few hundred characters, a few thousand with many extensions.
 */
export const A1111_MAX_SETTINGS_LINE = 16 * 1024;

/** A1111's `re_imagesize`: a value such as `512x768` is read as two keys, `Size-1` and `Size-2`. */
const IMAGE_SIZE = /^(\d+)x(\d+)$/;

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
 * `parse_generation_parameters` without what depends on A1111's settings (styles, defaults for
 * missing keys): the last line is the settings line when the pattern finds three pairs in it
 * (and it is at most {@link A1111_MAX_SETTINGS_LINE} characters long),
 * the lines before a `Negative prompt:` line are the prompt (each stripped), the rest the
 * negative prompt; a quoted value is read as JSON (kept as written when it is not valid JSON).
 */
export function parseA1111Parameters(text: string): A1111Parsed {
  const lines = text.trim().split("\n");
  let last = lines.pop()!;
  if (last.length > A1111_MAX_SETTINGS_LINE || [...last.matchAll(A1111_PARAM_PATTERN)].length < 3) {
    lines.push(last);
    last = "";
  }
  let prompt = "";
  let negativePrompt = "";
  let inNegative = false;
  for (let line of lines) {
    line = line.trim();
    if (line.startsWith("Negative prompt:")) {
      inNegative = true;
      line = line.slice("Negative prompt:".length).trim();
    }
    if (inNegative) negativePrompt += (negativePrompt === "" ? "" : "\n") + line;
    else prompt += (prompt === "" ? "" : "\n") + line;
  }
  const params: Record<string, string> = {};
  const set = (key: string, value: string) => Object.defineProperty(params, key, { value, enumerable: true, writable: true, configurable: true });
  for (const [, key, raw] of last.matchAll(A1111_PARAM_PATTERN)) {
    // A1111 skips an empty value (its `v[0]` raises, and the pair is reported and dropped).
    if (raw === undefined || raw === "") continue;
    const value = raw.startsWith('"') && raw.endsWith('"') ? unquote(raw) : raw;
    const size = IMAGE_SIZE.exec(value);
    if (size) {
      set(`${key}-1`, size[1]!);
      set(`${key}-2`, size[2]!);
    } else set(key!, value);
  }
  return { prompt, negativePrompt, params };
}

/** A1111's `unquote()`: the JSON string's value, or the text as it is when it is not JSON. */
function unquote(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "string" ? value : text;
  } catch {
    return text;
  }
}
