import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type Range, type TextEdit } from "vscode-languageserver/node";
import type { GridDecl, OptionOf } from "../compiler/syntax/ast.js";
import type { Analysis } from "./analysis.js";
import { spanRange } from "./positions.js";

/** What diagnostics.ts keeps of the compiler's diagnostic for these fixes. */
interface DiagnosticData {
  message?: string;
  help?: string;
}

/**
 * Quick fixes from the compiler's own suggestions: a did-you-mean (the misspelt word, quoted
 * first in the message, replaced by the guess), the nearest multiples of 8 of an unaligned value
 * (S2001), and the overlaps or tile sizes that make a grid fit its canvas (S2011, from
 * grid-fit.ts's alternatives).
 */
export function codeActions(analysis: Analysis, uri: string, diagnostics: readonly LspDiagnostic[], offsetAt: (range: Range) => [number, number]): CodeAction[] {
  const actions: CodeAction[] = [];
  const fix = (title: string, diagnostic: LspDiagnostic, edits: TextEdit[], preferred = false): void => {
    actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: preferred, edit: { changes: { [uri]: edits } } });
  };
  for (const d of diagnostics) {
    const data = (d.data ?? {}) as DiagnosticData;
    const help = data.help ?? "";
    const [start, end] = offsetAt(d.range);
    const written = analysis.text.slice(start, end);

    const guess = /did you mean `([^`]+)`\?/.exec(help)?.[1];
    const wrong = /`([^`]+)`/.exec(data.message ?? "")?.[1];
    if (guess !== undefined && wrong !== undefined) {
      // The range is the word itself, or holds it once (`{nam}` for a style).
      const at = written.indexOf(wrong);
      if (at !== -1 && written.indexOf(wrong, at + 1) === -1)
        fix(`change \`${wrong}\` to \`${guess}\``, d, [{ range: rangeAt(analysis, start + at, start + at + wrong.length), newText: guess }], true);
    }

    if (d.code === "S2001" && /^`?-?\d+(\.\d+)?`?$/.test(written)) {
      const nearest = /^use ((?:`-?\d+`(?: or )?)+)/.exec(help)?.[1];
      for (const m of nearest?.matchAll(/`(-?\d+)`/g) ?? []) fix(`snap to ${m[1]} (a multiple of 8)`, d, [{ range: d.range, newText: m[1]! }], m.index === 0);
    }

    if (d.code === "S2011") actions.push(...gridFits(analysis, uri, d, start, data.message ?? "", help));
  }
  return actions;
}

/** "overlap 64 with 3 tiles" and "tile width 320 with 4 tiles": each as an edit of the grid's `overlap` or `tile`. */
function gridFits(analysis: Analysis, uri: string, d: LspDiagnostic, offset: number, message: string, help: string): CodeAction[] {
  const grid = analysis.parsed.files.get(analysis.path)?.statements.find((s): s is GridDecl => s.kind === "grid" && s.span.start <= offset && offset <= s.span.end);
  const axis = /cannot tile the canvas (width|height)/.exec(message)?.[1] as "width" | "height" | undefined;
  if (!grid || !axis) return [];
  const option = (kind: "tile" | "overlap") => grid.options.find((o): o is OptionOf<"tile" | "overlap"> => o.kind === kind);
  const actions: CodeAction[] = [];
  const edit = (title: string, kind: "tile" | "overlap", value: string) => {
    const written = option(kind)?.value[axis];
    if (!written) return;
    actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [d], edit: { changes: { [uri]: [{ range: rangeAt(analysis, written.span.start, written.span.end), newText: value }] } } });
  };
  for (const m of help.matchAll(/overlap (\d+) with (\d+) tiles?/g)) edit(`make the grid fit: overlap ${axis} ${m[1]} (${m[2]} tiles)`, "overlap", m[1]!);
  for (const m of help.matchAll(/tile (?:width|height) (\d+) with (\d+) tiles?/g)) edit(`make the grid fit: tile ${axis} ${m[1]} (${m[2]} tiles)`, "tile", m[1]!);
  return actions;
}

function rangeAt(analysis: Analysis, start: number, end: number): Range {
  return spanRange(analysis.parsed.sources.get(analysis.path)!, { start, end });
}
