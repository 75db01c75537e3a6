/**
 * JSON as Python's `json.dumps` writes it, which is how diffusers and transformers save every
 * config: standard JSON plus the bare words `Infinity`, `-Infinity` and `NaN` (every saved
 * DPMSolverMultistepScheduler config holds `"lambda_min_clipped": -Infinity`). `JSON.parse`
 * refuses those words; this reads them as the numbers they stand for, and is JSON.parse otherwise.
 */

/** A string literal (kept as it is), or one of Python's words outside strings. */
const TOKENS = /("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)(?![\w$])/g;
const MARK = "\u0000python:";

export function parsePythonJson(text: string): unknown {
  let marked = false;
  const standard = text.replace(TOKENS, (match, string: string | undefined, word: string | undefined) => {
    if (string !== undefined || word === undefined) return match;
    marked = true;
    return JSON.stringify(MARK + word);
  });
  if (!marked) return JSON.parse(text) as unknown;
  return JSON.parse(standard, (_key, value: unknown) => {
    if (typeof value !== "string" || !value.startsWith(MARK)) return value;
    const word = value.slice(MARK.length);
    return word === "NaN" ? Number.NaN : word === "Infinity" ? Infinity : -Infinity;
  }) as unknown;
}
