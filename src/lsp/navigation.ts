import type { Location, TextEdit, WorkspaceEdit } from "vscode-languageserver/node";
import type { Span } from "../compiler/diagnostics/span.js";
import { Identifier } from "../compiler/syntax/tokens.js";
import type { Analysis } from "./analysis.js";
import { fileUri, spanLocation, spanRange, touches } from "./positions.js";
import { styleRefsOf } from "./syntax-walk.js";

/** What a name under the cursor is: a style (declared or `{referenced}`) or a region or grid. */
export type Symbol = { kind: "style"; name: string; at: Span } | { kind: "region"; name: string; at: Span };

/** The style or region named at `offset` of the open file, if any. */
export function symbolAt(analysis: Analysis, offset: number): Symbol | undefined {
  const tree = analysis.parsed.files.get(analysis.path);
  if (!tree) return undefined;
  for (const s of tree.statements) {
    if (s.kind === "style" && touches(s.name.span, offset)) return { kind: "style", name: s.name.name, at: s.name.span };
    if ((s.kind === "region" || s.kind === "grid") && touches(s.name.span, offset)) return { kind: "region", name: s.name.name, at: s.name.span };
  }
  for (const ref of styleRefsOf(tree)) if (ref.span.start < offset && offset < ref.span.end) return { kind: "style", name: ref.name, at: nameSpan(ref.span) };
  return undefined;
}

/** The name inside a `{name}` reference's span. */
function nameSpan(ref: Span): Span {
  return { file: ref.file, start: ref.start + 1, end: ref.end - 1 };
}

/** Where the symbol is declared: the style that `{name}` resolves to (perhaps in an imported file), or the region. */
export function definitionOf(analysis: Analysis, symbol: Symbol): Location | undefined {
  const { styles, sources } = analysis.parsed;
  if (symbol.kind === "style") {
    const style = styles.get(symbol.name);
    return style && spanLocation(sources, style.name.span);
  }
  const declared = regionDeclSpan(analysis, symbol.name);
  return declared && spanLocation(sources, declared);
}

/**
 * Every place the symbol's name is written: for a style, its declaration and each `{name}` in the
 * open file and the files it imports; for a region or grid, its declaration (no other statement
 * names a region yet).
 */
export function occurrencesOf(analysis: Analysis, symbol: Symbol): Span[] {
  const { styles, files } = analysis.parsed;
  if (symbol.kind === "region") {
    const declared = regionDeclSpan(analysis, symbol.name);
    return declared ? [declared] : [];
  }
  const spans: Span[] = [];
  const style = styles.get(symbol.name);
  if (style) spans.push(style.name.span);
  for (const tree of files.values()) for (const ref of styleRefsOf(tree)) if (ref.name === symbol.name) spans.push(nameSpan(ref.span));
  return spans;
}

function regionDeclSpan(analysis: Analysis, name: string): Span | undefined {
  const decl = analysis.parsed.files.get(analysis.path)?.statements.find((s) => (s.kind === "region" || s.kind === "grid") && s.name.name === name);
  return decl && "name" in decl ? decl.name.span : undefined;
}

export function referencesOf(analysis: Analysis, symbol: Symbol): Location[] {
  return occurrencesOf(analysis, symbol).flatMap((span) => spanLocation(analysis.parsed.sources, span) ?? []);
}

/** A whole name, as the lexer reads one. */
const IDENTIFIER = new RegExp(`^(?:${(Identifier.PATTERN as RegExp).source})$`);

/** The edits that rename the symbol everywhere it is written; an error message for a name the language does not allow. */
export function renameEdits(analysis: Analysis, symbol: Symbol, newName: string): WorkspaceEdit | string {
  if (!IDENTIFIER.test(newName)) return `\`${newName}\` is not a name: use letters, digits, \`_\` and \`-\`, starting with a letter or \`_\``;
  if (newName !== symbol.name && taken(analysis, symbol, newName)) return `a ${symbol.kind === "style" ? "style" : "region or grid"} named \`${newName}\` already exists`;
  const changes: Record<string, TextEdit[]> = {};
  for (const span of occurrencesOf(analysis, symbol)) {
    const source = analysis.parsed.sources.get(span.file);
    if (!source) continue;
    (changes[fileUri(span.file)] ??= []).push({ range: spanRange(source, span), newText: newName });
  }
  return { changes };
}

/** Whether `name` is already a visible style (for a style) or a region or grid of the file (for a region). */
function taken(analysis: Analysis, symbol: Symbol, name: string): boolean {
  if (symbol.kind === "style") return analysis.parsed.styles.has(name);
  return regionDeclSpan(analysis, name) !== undefined;
}
