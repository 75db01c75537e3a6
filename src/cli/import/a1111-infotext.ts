/**
 * Reading AUTOMATIC1111's "infotext", the `parameters` text chunk of the PNGs it writes, the way
 * A1111 itself reads it back (modules/infotext_utils.py, `parse_generation_parameters`): the
 * prompt's lines, then the lines after `Negative prompt:`, then a last line of `Key: value` pairs
 * (found by A1111's own `re_param` regex, values that hold `,` `:` or newlines JSON-quoted).
 *
 * What A1111 does besides (placeholder defaults for absent keys, styles found in its styles.csv,
 * `<hypernet:…>` appended to the prompt) depends on its installation and is left to the caller,
 * which sees every key as written.
 */

export interface A1111Infotext {
  prompt: string;
  negativePrompt: string;
  /**
   * The last line's pairs, key → value, in the order written (a key written twice keeps its
   * first place and its last value, as in A1111's dict); quoted values unquoted.
   */
  params: Map<string, string>;
}

/** Python's `str.isspace()` characters (what `strip()` and the regex's `\s` take), which JavaScript's `\s` differs from. */
const PY_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
/** Python's `\w` on text: letters, numbers and `_`. */
const PY_WORD = "\\p{L}\\p{N}_";

/**
 * A1111's `re_param_code`, `\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)`, with Python's
 * `\s`, `\w` and `.` (anything but a newline) spelled out.
 */
export const A1111_PARAM_PATTERN = new RegExp(`[${PY_SPACE}]*([${PY_WORD}][${PY_WORD} \\-/]+):[${PY_SPACE}]*("(?:\\\\[^\\n]|[^\\\\"])+"|[^,]*)(?:,|$)`, "gu");
/**
 * The longest settings line read. The pattern takes time quadratic in a line's length (at each
 * position it scans the word characters ahead for a `:`), so a PNG's megabyte-long line would
 * take hours; A1111's own lines are a few hundred characters, a few thousand with many
 * extensions. A longer last line is read as prompt text.
 */
export const A1111_MAX_SETTINGS_LINE = 16 * 1024;

/** A1111's `re_imagesize`, a value such as `512x768` (in ASCII digits, which A1111 writes; Python's `\d` would take any script's). */
const RE_IMAGESIZE = /^(\d+)x(\d+)$/;

const STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "gu");

/** Python's `str.strip()`. */
function strip(text: string): string {
  return text.replace(STRIP, "");
}

/** A1111's `unquote`: a JSON string literal's text, or the text as it is when it is not one. */
function unquote(text: string): string {
  if (text.length === 0 || !text.startsWith('"') || !text.endsWith('"')) return text;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "string" ? value : text;
  } catch {
    return text;
  }
}

/** The `Key: value` pairs of a line, as A1111's `re_param.findall` finds them. */
function paramPairs(line: string): [key: string, value: string][] {
  return [...line.matchAll(A1111_PARAM_PATTERN)].map((m) => [m[1]!, m[2]!]);
}

/** Parses an infotext as A1111's `parse_generation_parameters` does (see the top of this file). */
export function parseInfotext(text: string): A1111Infotext {
  const lines = strip(text).split("\n");
  let lastLine = lines.pop()!;
  // Fewer than three pairs: the last line is part of the prompt (or the negative prompt).
  if (lastLine.length > A1111_MAX_SETTINGS_LINE || paramPairs(lastLine).length < 3) {
    lines.push(lastLine);
    lastLine = "";
  }
  let prompt = "";
  let negativePrompt = "";
  let doneWithPrompt = false;
  for (const raw of lines) {
    let line = strip(raw);
    if (line.startsWith("Negative prompt:")) {
      doneWithPrompt = true;
      line = strip(line.slice("Negative prompt:".length));
    }
    if (doneWithPrompt) negativePrompt += (negativePrompt === "" ? "" : "\n") + line;
    else prompt += (prompt === "" ? "" : "\n") + line;
  }
  const params = new Map<string, string>();
  for (const [key, value] of paramPairs(lastLine)) {
    // A1111 indexes v[0] inside a try: an empty value raises, and the pair is skipped.
    if (value === "") continue;
    params.set(key, value.startsWith('"') && value.endsWith('"') ? unquote(value) : value);
  }
  return { prompt, negativePrompt, params };
}

/** A value A1111 reads as an image size (`Size: 512x768` is its `Size-1` and `Size-2`), or undefined. */
export function infotextSize(value: string): { width: number; height: number } | undefined {
  const m = RE_IMAGESIZE.exec(value);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}
