import type { PlanText, PromptSegment } from "../plan/plan.js";
import type { Reporter } from "../diagnostics/reporter.js";
import { sourceSpan, type MappedText } from "../syntax/mapped-text.js";

/**
 * A1111's prompt weighting (stable-diffusion-webui, modules/prompt_parser.py,
 * `parse_prompt_attention`; grammar/reference.md, prompt weighting): `(text)` ×1.1, `[text]`
 * ÷1.1, `(text:1.5)`, the escapes `\(` `\)` `\[` `\]` `\\`, `BREAK` between parts, and its
 * extra-network tags (`<lora:name:0.8>`), which are taken out of the text. The weights are
 * A1111's to the last bit: the same multiplications in the same order. Where A1111 is lenient
 * (an unclosed bracket weights the rest of the prompt, `(red:abc)` is text), the reading is still
 * A1111's, and each such place is a problem for the checker to report.
 */

/** The characters that `\` escapes in a prompt; scenec's string literals keep `\(` and the others as written for them. */
export const BRACKETS = "()[]";

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;
/**
 * Brackets open at once, at most: each bracket's factor is applied to everything inside it, so the
 * reading costs the text's length times this (a hostile 4 MB prompt stays fast). 1.1^32 is 21.
 */
export const MAX_BRACKET_DEPTH = 32;
/** Written weights outside this range get a warning (grammar/reference.md says why). */
export const WEIGHT_RANGE = { min: 0, max: 2 } as const;

/** A1111's `re_attention`, alternative for alternative, in its order; `g` walks it like `finditer`. */
const ATTENTION = /\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()[\]:]+|:/g;
/** A1111's `re_break` (`\s*\bBREAK\b\s*`), with Python's Unicode word characters for `\b`. */
const BREAK = /\s*(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])\s*/gu;
/** A1111's extra-network tag (`<(\w+):([^>]+)>`, Python's `\w` being Unicode). */
const EXTRA_NETWORK = /<([\p{L}\p{N}_]+):([^>]+)>/gu;
/** What Python's `float` accepts of the characters A1111's weight pattern allows. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
/**
 * What every piece of the syntax starts with or is: a text without any of them reads as plain
 * text with no problems, which most prompts are, without the full reading's garbage.
 */
const ANY_SYNTAX = /[\\()[\]<]|BREAK/;

type Opening = "(" | "[";
type Closing = ")" | "]";

/** Something A1111 reads leniently or scenec cannot do; offsets are into the text given to `readEmphasis`. */
export type EmphasisProblem =
  | { kind: "unclosed"; start: number; end: number; bracket: Opening }
  /** The bracket past MAX_BRACKET_DEPTH; the reading stops there. */
  | { kind: "tooDeep"; start: number; end: number }
  | { kind: "stray"; start: number; end: number; bracket: Closing }
  /** A `)` that closes `(` while a `[` opened inside it is still open (or the other way round). */
  | { kind: "crossed"; start: number; end: number; bracket: Closing; inner: { start: number; end: number; bracket: Opening } }
  /** `(red:abc)`: text after the group's `:` that is not a weight. */
  | { kind: "notANumber"; start: number; end: number; text: string }
  /** `(red:)`. */
  | { kind: "noWeight"; start: number; end: number }
  /** `(red:1.5.2)`: A1111's weight pattern, but no number (A1111 stops with a Python error). */
  | { kind: "badNumber"; start: number; end: number; text: string }
  | { kind: "breakInBrackets"; start: number; end: number }
  /** A1111's prompt editing, `[from:to:when]` or `[a|b]`, which scenec reads as text. */
  | { kind: "promptEditing"; start: number; end: number; form: "scheduled" | "alternating" }
  | { kind: "weightRange"; start: number; end: number; weight: number }
  | { kind: "extraNetwork"; start: number; end: number; network: string; name: string };

export interface EmphasisReading {
  /** The `BREAK`-separated parts and their weighted segments; undefined when the text uses none of the syntax. */
  parts: PromptSegment[][] | undefined;
  problems: EmphasisProblem[];
}

interface Entry {
  text: string;
  weight: number;
  /** A `BREAK` between parts (A1111's `["BREAK", -1]`). */
  isBreak: boolean;
}

interface Open {
  bracket: Opening;
  at: number;
  /** The last `:` directly in the group: a round group's weight, or a square group's prompt-editing step. */
  colon?: number;
  /** A `|` directly in a square group: A1111's alternation. */
  bar?: boolean;
}

/** The text with its extra-network tags cut out, and the tags; `original` maps an offset in the cut text back. */
function cutExtraNetworks(text: string): { kept: string; original: (at: number) => number; tags: EmphasisProblem[] } {
  const tags: EmphasisProblem[] = [];
  const cuts: { at: number; removed: number }[] = [];
  let kept = "";
  let from = 0;
  let removed = 0;
  for (const m of text.matchAll(EXTRA_NETWORK)) {
    kept += text.slice(from, m.index);
    from = m.index + m[0].length;
    tags.push({ kind: "extraNetwork", start: m.index, end: from, network: m[1]!, name: m[2]!.split(":")[0]! });
    removed += m[0].length;
    cuts.push({ at: kept.length, removed });
  }
  kept += text.slice(from);
  const original = (at: number) => {
    let shift = 0;
    for (const cut of cuts) if (cut.at <= at) shift = cut.removed;
    return at + shift;
  };
  return { kept, original, tags };
}

/** Reads a prompt as A1111 does, with the problems found on the way. */
export function readEmphasis(text: string): EmphasisReading {
  if (!ANY_SYNTAX.test(text)) return { parts: undefined, problems: [] };
  const { kept, original, tags } = cutExtraNetworks(text);
  const problems: EmphasisProblem[] = [];
  const res: Entry[] = [];
  const round: number[] = [];
  const square: number[] = [];
  /** Both kinds in one stack, for what A1111's two stacks cannot see: crossed brackets, colons. */
  const open: Open[] = [];
  let syntax = tags.length > 0;

  const push = (piece: string, isBreak = false) => res.push({ text: piece, weight: 1, isBreak });
  const multiplyRange = (start: number, multiplier: number) => {
    for (let p = start; p < res.length; p++) res[p]!.weight *= multiplier;
  };
  /** Takes the innermost `bracket` off `open`, reporting a closing bracket that crosses another. */
  const close = (bracket: Opening, at: number) => {
    const index = open.map((o) => o.bracket).lastIndexOf(bracket);
    const top = open[open.length - 1]!;
    if (index !== open.length - 1) {
      problems.push({ kind: "crossed", start: at, end: at + 1, bracket: bracket === "(" ? ")" : "]", inner: { start: top.at, end: top.at + 1, bracket: top.bracket } });
    }
    return open.splice(index, 1)[0]!;
  };
  /** A1111's `else` branch: plain text, split at `BREAK`. */
  const plain = (piece: string, at: number) => {
    let from = 0;
    for (const m of piece.matchAll(BREAK)) {
      syntax = true;
      if (open.length > 0) {
        const word = m.index + m[0].indexOf("BREAK");
        problems.push({ kind: "breakInBrackets", start: at + word, end: at + word + "BREAK".length });
      }
      push(piece.slice(from, m.index));
      push("BREAK", true);
      from = m.index + m[0].length;
    }
    push(piece.slice(from));
  };

  for (const m of kept.matchAll(ATTENTION)) {
    const token = m[0];
    const at = m.index;
    const weight = m[1];
    if (token.startsWith("\\") && token.length === 2) {
      syntax = true;
      push(token[1]!);
    } else if (token === "\\") {
      // A1111 drops a backslash that escapes nothing; its own documentation says `\\` is the literal
      // backslash, so a lone one is kept as written (prompts written before weighting keep their meaning).
      push(token);
    } else if (token === "(" || token === "[") {
      syntax = true;
      if (open.length === MAX_BRACKET_DEPTH) {
        problems.push({ kind: "tooDeep", start: at, end: at + 1 });
        break;
      }
      (token === "(" ? round : square).push(res.length);
      open.push({ bracket: token, at });
    } else if (weight !== undefined && round.length > 0) {
      syntax = true;
      const numberAt = at + token.indexOf(weight, 1);
      const end = at + token.length - 1;
      close("(", end);
      let value = ROUND_MULTIPLIER;
      if (DECIMAL.test(weight)) {
        value = Number(weight);
        if (value < WEIGHT_RANGE.min || value > WEIGHT_RANGE.max) problems.push({ kind: "weightRange", start: numberAt, end: numberAt + weight.length, weight: value });
      } else problems.push({ kind: "badNumber", start: numberAt, end: numberAt + weight.length, text: weight });
      multiplyRange(round.pop()!, value);
    } else if (token === ")" && round.length > 0) {
      syntax = true;
      const group = close("(", at);
      if (group.colon !== undefined) {
        const tail = kept.slice(group.colon + 1, at);
        const lead = tail.length - tail.trimStart().length;
        const written = tail.trim();
        if (written === "") problems.push({ kind: "noWeight", start: group.colon, end: group.colon + 1 });
        else problems.push({ kind: "notANumber", start: group.colon + 1 + lead, end: group.colon + 1 + lead + written.length, text: written });
      }
      multiplyRange(round.pop()!, ROUND_MULTIPLIER);
    } else if (token === "]" && square.length > 0) {
      syntax = true;
      const group = close("[", at);
      // A1111 reads these before weighting (its lark grammar); scenec does not do prompt editing.
      const when = group.colon === undefined ? undefined : kept.slice(group.colon + 1, at).trim();
      if (group.bar || (when !== undefined && DECIMAL.test(when)))
        problems.push({ kind: "promptEditing", start: group.at, end: at + 1, form: group.bar ? "alternating" : "scheduled" });
      multiplyRange(square.pop()!, SQUARE_MULTIPLIER);
    } else {
      if (token === ":") {
        const top = open[open.length - 1];
        if (top) top.colon = at;
      } else if (token.includes("|")) {
        const top = open[open.length - 1];
        if (top?.bracket === "[") top.bar = true;
      }
      // A closing bracket with nothing open (or a weight outside round brackets) is text to A1111.
      const stray = token.endsWith(")") ? ")" : token === "]" ? "]" : undefined;
      if (stray) {
        syntax = true;
        problems.push({ kind: "stray", start: at + token.length - 1, end: at + token.length, bracket: stray });
      }
      plain(token, at);
    }
  }

  for (const pos of round) multiplyRange(pos, ROUND_MULTIPLIER);
  for (const pos of square) multiplyRange(pos, SQUARE_MULTIPLIER);
  // Past a bracket too deep the rest is unread, so what is open there is not known to stay open.
  if (!problems.some((p) => p.kind === "tooDeep")) for (const o of open) problems.push({ kind: "unclosed", start: o.at, end: o.at + 1, bracket: o.bracket });

  // A1111 merges neighbours of equal weight (its empty pieces included, which can keep two apart).
  const merged: Entry[] = [];
  for (const entry of res) {
    const last = merged[merged.length - 1];
    if (last && !last.isBreak && !entry.isBreak && last.weight === entry.weight) last.text += entry.text;
    else merged.push({ ...entry });
  }
  const parts: PromptSegment[][] = [[]];
  for (const entry of merged) {
    if (entry.isBreak) parts.push([]);
    else if (entry.text !== "") parts[parts.length - 1]!.push({ text: entry.text, weight: entry.weight });
  }

  const fromKept = problems.map(<P extends { start: number; end: number }>(p: P): P => ({ ...p, start: original(p.start), end: original(p.end - 1) + 1 }));
  for (const p of fromKept) if (p.kind === "crossed") p.inner = { ...p.inner, start: original(p.inner.start), end: original(p.inner.start) + 1 };
  const all = [...tags, ...fromKept].sort((a, b) => a.start - b.start);
  return { parts: syntax ? parts : undefined, problems: all };
}

/** A plan text: the text, and its parts when it uses the syntax. */
export function planText(text: string): PlanText {
  const { parts } = readEmphasis(text);
  return parts ? { text, parts } : { text };
}

const NETWORK_NAMES: Record<string, string> = { lora: "LoRA", lyco: "LyCORIS", hypernet: "hypernetwork" };

/**
 * Reports the problems of a prompt (styles expanded) where they were written. `reported` holds
 * what was reported already, so that a style used by many prompts has its problems reported once.
 */
export function reportEmphasis(reporter: Reporter, prompt: MappedText, reported: Set<string>): void {
  for (const p of readEmphasis(prompt.text).problems) {
    const span = sourceSpan(prompt, p.start, p.end);
    const key = `${p.kind}:${span.file}:${span.start}:${span.end}`;
    if (reported.has(key)) continue;
    reported.add(key);
    switch (p.kind) {
      case "unclosed":
        reporter.report("S2025", span, { variant: "unclosed", bracket: p.bracket });
        break;
      case "tooDeep":
        reporter.report("S2025", span, { variant: "tooDeep", depth: MAX_BRACKET_DEPTH });
        break;
      case "stray":
        reporter.report("S2025", span, { variant: "stray", bracket: p.bracket });
        break;
      case "crossed":
        reporter.report("S2025", span, { variant: "crossed", bracket: p.bracket, inner: p.inner.bracket, related: [{ span: sourceSpan(prompt, p.inner.start, p.inner.end), bracket: p.inner.bracket }] });
        break;
      case "notANumber":
        reporter.report("S2508", span, { variant: "notANumber", text: p.text });
        break;
      case "noWeight":
        reporter.report("S2508", span, { variant: "noWeight" });
        break;
      case "badNumber":
        reporter.report("S2026", span, { variant: "badNumber", text: p.text });
        break;
      case "breakInBrackets":
        reporter.report("S2027", span);
        break;
      case "promptEditing":
        reporter.report("S2507", span, { form: p.form, text: prompt.text.slice(p.start, p.end) });
        break;
      case "weightRange":
        reporter.report("S2505", span, { weight: p.weight, ...WEIGHT_RANGE });
        break;
      case "extraNetwork":
        reporter.report("S2506", span, { network: NETWORK_NAMES[p.network], kind: p.network, name: p.name });
        break;
    }
  }
}
