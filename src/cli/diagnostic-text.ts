import type { Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import type { SourceFile } from "../compiler/diagnostics/source-file.js";
import { painter, type Painter, type Style } from "./terminal.js";

/**
 * The human form of a diagnostic (GNU `file:line:col:` first line, then a code frame):
 *
 *     scenes/bad.scene:12:11: error[S2007]: unknown scheduler `eulr_a`
 *        11 │ steps 30
 *        12 │ scheduler eulr_a
 *           │           ^^^^^^ not a scheduler
 *        = help: did you mean `euler_ancestral`?
 *        = note: <related message> (scenes/bad.scene:4:9)
 *
 * Lines and columns are 1-based, columns in UTF-16 code units (as in the Diagnostic). The frame
 * shows the line before the span (unless it is blank) and the span's first line; a span that goes on
 * to later lines is underlined to the end of its first line. Tabs become spaces up to the next
 * multiple of TAB_WIDTH, in the code and the caret line alike. Lines wider than MAX_LINE_WIDTH
 * are cut to a window around the span, with `…` where text was left out.
 *
 * A frame is at most two lines of MAX_LINE_WIDTH columns, and a file has at most 20 errors
 * (compiler/diagnostics/reporter.ts). A file that is not a scene is never framed: the compiler keeps binary
 * files out of `sources`, and an import that is not a scene is one diagnostic at its `import`.
 */

export interface TextOptions {
  /** ANSI colour codes on or off (a Terminal fits). */
  color: boolean;
}

const TAB_WIDTH = 4;
const MAX_LINE_WIDTH = 160;
/** How many columns of text to keep left of the span when a long line is cut. */
const LEFT_CONTEXT = 40;
/** Code units into a line past which its frame is cut before counting columns (see codeFrame). */
const FAR = 10 * MAX_LINE_WIDTH;
/** Every line of the frame starts with this much indent before the gutter. */
const INDENT = "   ";

const SEVERITY_STYLE: Record<Diagnostic["severity"], Style> = { error: "red", warning: "yellow" };

/** Display columns taken by code point `cp` at display column `column` (a tab runs to the next stop). */
function cellWidth(cp: number, column: number): number {
  return cp === 9 ? TAB_WIDTH - (column % TAB_WIDTH) : 1;
}

/**
 * The display column where code unit `unit` of `text` starts (the second unit of a surrogate pair
 * starts where the pair does), or `limit` if that is smaller: the scan stops there, so a frame
 * costs what it shows, not the length of the line (a 10 MB line, a minified file).
 */
function columnAt(text: string, unit: number, limit = Infinity): number {
  let column = 0;
  let i = 0;
  while (i < unit && i < text.length && column < limit) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    if (i + units > unit) break;
    column += cellWidth(cp, column);
    i += units;
  }
  return Math.min(column, limit);
}

/**
 * The cells of `text` in display columns [begin, begin + MAX_LINE_WIDTH), with `…` where some were
 * cut off (on the left also when `cut`: the text is the end of a longer line). A control
 * character would act on the terminal; it shows as a placeholder instead.
 */
function clip(text: string, begin: number, cut: boolean): string {
  const end = begin + MAX_LINE_WIDTH;
  let column = 0;
  let shown = "";
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const cell = cp === 9 ? " " : cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? "\uFFFD" : String.fromCodePoint(cp);
    for (let w = cellWidth(cp, column); w > 0; w--, column++) {
      if (column >= end) return `${cut ? "…" : ""}${shown}…`;
      if (column >= begin) shown += cell;
    }
    i += cp > 0xffff ? 2 : 1;
  }
  return (cut ? "…" : "") + shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The frame under the header: context line, code line, caret line. Empty when the file is unknown. */
function codeFrame(d: Diagnostic, source: SourceFile | undefined, paint: Painter): string[] {
  if (!source) return [];
  const { start, end } = d.location;
  const lineNo = Math.min(Math.max(start.line, 1), source.lineCount);
  const line = source.lineText(lineNo);
  const spanUnit = Math.min(Math.max(start.column - 1, 0), line.length);
  // Far along a line (minified text, or not a scene at all), columns count from a cut shortly before
  // the span, so that a frame costs what it shows however long the line is.
  const from = spanUnit > FAR ? spanUnit - LEFT_CONTEXT : 0;
  const text = line.slice(from);
  const startUnit = spanUnit - from;
  const endUnit = end.line === lineNo ? Math.min(Math.max(end.column - 1 - from, startUnit), text.length) : text.length;
  const caretStart = columnAt(text, startUnit);
  let caretEnd = Math.max(columnAt(text, endUnit, caretStart + MAX_LINE_WIDTH + 1), caretStart + 1);

  // The window of display columns shown: the whole line when it fits, else a cut around the span.
  let begin = 0;
  const lineWidth = columnAt(text, text.length, caretStart + MAX_LINE_WIDTH + 1);
  if (lineWidth > MAX_LINE_WIDTH) {
    begin = Math.max(0, Math.min(caretStart - LEFT_CONTEXT, lineWidth - MAX_LINE_WIDTH));
    caretEnd = Math.max(caretStart + 1, Math.min(caretEnd, begin + MAX_LINE_WIDTH));
  }
  const cut = begin > 0 || from > 0;
  const shift = cut ? 1 : 0; // the leading `…`

  const width = String(lineNo).length;
  const bar = paint("cyan", "│");
  const numbered = (n: number, code: string) =>
    `${INDENT}${paint("cyan", String(n).padStart(width))} ${bar} ${code}`.trimEnd();

  const lines: string[] = [];
  if (lineNo > 1) {
    const previous = source.lineText(lineNo - 1).slice(from);
    // A blank line, or one that lies wholly left of a cut window, adds nothing.
    if (/\S/.test(previous) && columnAt(previous, previous.length, begin + 1) > begin) lines.push(numbered(lineNo - 1, clip(previous, begin, cut)));
  }
  lines.push(numbered(lineNo, clip(text, begin, cut)));
  const style = SEVERITY_STYLE[d.severity];
  const carets = "^".repeat(caretEnd - caretStart) + (d.label ? ` ${d.label}` : "");
  lines.push(`${INDENT}${" ".repeat(width)} ${bar} ${" ".repeat(caretStart - begin + shift)}${paint(style, carets)}`);
  return lines;
}

/** `   = help: text`, with later lines of a multi-line text indented under the first. */
function subDiagnostic(kind: "help" | "note", text: string, paint: Painter): string {
  const lead = `${INDENT}= ${kind}: `;
  const body = text.split("\n").join("\n" + " ".repeat(lead.length));
  return `${INDENT}${paint("cyan", "=")} ${paint("bold", kind)}: ${body}`;
}

/** One diagnostic as lines of text, with a trailing newline. */
export function renderDiagnostic(
  d: Diagnostic,
  sources: ReadonlyMap<string, SourceFile>,
  options: TextOptions,
): string {
  const paint = painter(options.color);
  const { file, start } = d.location;
  const severity = paint([SEVERITY_STYLE[d.severity], "bold"], `${d.severity}[${d.code}]`);
  const lines = [`${paint("bold", `${file}:${start.line}:${start.column}:`)} ${severity}: ${paint("bold", d.message)}`];
  lines.push(...codeFrame(d, sources.get(file), paint));
  if (d.help) lines.push(subDiagnostic("help", d.help, paint));
  for (const r of d.related) {
    const at = `${r.location.file}:${r.location.start.line}:${r.location.start.column}`;
    lines.push(subDiagnostic("note", `${r.message} (${at})`, paint));
  }
  return lines.join("\n") + "\n";
}

export interface Counts {
  errors: number;
  warnings: number;
}

export function countDiagnostics(diagnostics: readonly Diagnostic[]): Counts {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === "error") errors++;
  return { errors, warnings: diagnostics.length - errors };
}

/** `2 errors, 1 warning`, `1 error`, `3 warnings`, or `no problems`. */
export function summaryLine(counts: Counts, options: TextOptions = { color: false }): string {
  const paint = painter(options.color);
  const parts: string[] = [];
  if (counts.errors > 0) parts.push(paint(["red", "bold"], plural(counts.errors, "error")));
  if (counts.warnings > 0) parts.push(paint(["yellow", "bold"], plural(counts.warnings, "warning")));
  return parts.length > 0 ? parts.join(", ") : "no problems";
}

/**
 * Every diagnostic, a blank line after each, then the summary line. Empty when there are none
 * (a clean run prints nothing).
 */
export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, SourceFile>,
  options: TextOptions,
): string {
  if (diagnostics.length === 0) return "";
  const blocks = diagnostics.map((d) => renderDiagnostic(d, sources, options));
  return blocks.join("\n") + "\n" + summaryLine(countDiagnostics(diagnostics), options) + "\n";
}
