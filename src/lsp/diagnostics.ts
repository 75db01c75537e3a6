import path from "node:path";
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type Range } from "vscode-languageserver/node";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import type { Analysis } from "./analysis.js";
import { fileUri, lspPosition, spanRange } from "./positions.js";
import type { ReferenceDoc } from "./reference-doc.js";

/** Where a diagnostic came from in LSP messages (editors show it beside the code). */
export const SOURCE = "scenec";

/**
 * The diagnostics of an open document, for publishDiagnostics: its own, and each one of a file it
 * imports shown on the `import` line that leads there (the file, line and column in the message,
 * the place itself as related information), so that a broken import is seen where it is used.
 * When the imported file is open too, its own compile shows the error in place, and so do its
 * importers' (`diagnosticsFromImporter`).
 */
export function documentDiagnostics(analysis: Analysis, reference: ReferenceDoc): LspDiagnostic[] {
  const out: LspDiagnostic[] = [];
  if (analysis.configProblem !== undefined)
    out.push({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Error, source: SOURCE, message: analysis.configProblem });
  const foreign: Diagnostic[] = [];
  for (const d of analysis.result.diagnostics) {
    if (d.location.file === analysis.path) out.push(toLsp(d, rangeOf(d), reference));
    else foreign.push(d);
  }
  if (foreign.length === 0) return out;
  const { imports, sources } = analysis.parsed;
  const main = sources.get(analysis.path)!;
  for (const d of foreign) {
    const edge = imports.find((e) => e.reaches.has(d.location.file));
    const where = `${path.relative(path.dirname(analysis.path), d.location.file)}:${d.location.start.line}:${d.location.start.column}`;
    const range = edge ? spanRange(main, edge.decl.path.span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const lsp = toLsp(d, range, reference);
    lsp.message = `${where}: ${lsp.message}`;
    lsp.relatedInformation = [{ location: { uri: fileUri(d.location.file), range: rangeOf(d) }, message: d.label ?? d.message }, ...(lsp.relatedInformation ?? [])];
    out.push(lsp);
  }
  return out;
}

/**
 * The diagnostics that compiling `importer` found in the imported file `file`, in place: an error
 * that only its importer's context shows (one style defined by two of its imports, S2004), for
 * that file's own document.
 */
export function diagnosticsFromImporter(importer: Analysis, file: string, reference: ReferenceDoc): LspDiagnostic[] {
  return importer.result.diagnostics.filter((d) => d.location.file === file).map((d) => toLsp(d, rangeOf(d), reference));
}

/** `extra` without the diagnostics `own` already has (the same code, place and words). */
export function mergeDiagnostics(own: readonly LspDiagnostic[], extra: readonly LspDiagnostic[]): LspDiagnostic[] {
  const key = (d: LspDiagnostic) => JSON.stringify([d.code, d.range, d.message]);
  const seen = new Set(own.map(key));
  const merged = [...own];
  for (const d of extra) {
    if (seen.has(key(d))) continue;
    seen.add(key(d));
    merged.push(d);
  }
  return merged;
}

function rangeOf(d: Pick<Diagnostic, "location">): Range {
  return { start: lspPosition(d.location.start), end: lspPosition(d.location.end) };
}

/** The compiler's diagnostic in LSP terms: the label and help join the message (editors show one text). */
function toLsp(d: Diagnostic, range: Range, reference: ReferenceDoc): LspDiagnostic {
  const lines = [d.message];
  if (d.label) lines[0] += ` (${d.label})`;
  if (d.help) lines.push(`help: ${d.help}`);
  const lsp: LspDiagnostic = {
    range,
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: SOURCE,
    message: lines.join("\n"),
  };
  const href = reference.codeHref(d.code);
  if (href) lsp.codeDescription = { href };
  if (d.related.length > 0) lsp.relatedInformation = d.related.map((r) => ({ location: { uri: fileUri(r.location.file), range: rangeOf(r) }, message: r.message }));
  // The compiler's own words, for code actions (did-you-mean, nearest multiples, grid fits).
  lsp.data = { help: d.help, message: d.message };
  return lsp;
}
