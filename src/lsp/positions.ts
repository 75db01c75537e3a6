import { pathToFileURL } from "node:url";
import type { Location, Range } from "vscode-languageserver/node";
import type { Position as SourcePosition, SourceFile } from "../compiler/diagnostics/source-file.js";
import type { Span } from "../compiler/diagnostics/span.js";

/**
 * The compiler counts lines and columns from 1 in UTF-16 code units; LSP counts both from 0 in
 * the same units (its default position encoding), so a position converts by subtracting one.
 */
export function lspPosition(p: Pick<SourcePosition, "line" | "column">): { line: number; character: number } {
  return { line: p.line - 1, character: p.column - 1 };
}

export function spanRange(source: SourceFile, span: Pick<Span, "start" | "end">): Range {
  return { start: lspPosition(source.position(span.start)), end: lspPosition(source.position(span.end)) };
}

export function fileUri(file: string): string {
  return pathToFileURL(file).href;
}

/** A span as an LSP location, or undefined when its file was not read. */
export function spanLocation(sources: ReadonlyMap<string, SourceFile>, span: Span): Location | undefined {
  const source = sources.get(span.file);
  return source && { uri: fileUri(span.file), range: spanRange(source, span) };
}

/** Whether `offset` lies in the span, its end included (a cursor just after a name is on it). */
export function touches(span: Pick<Span, "start" | "end">, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
