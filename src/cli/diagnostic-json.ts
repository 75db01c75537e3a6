import type { Diagnostic, Location } from "../compiler/diagnostics/diagnostic.js";
import type { Position } from "../compiler/diagnostics/source-file.js";
import { countDiagnostics } from "./diagnostic-text.js";

/**
 * The machine form of diagnostics, printed by `scenec check --json` as one document on stdout:
 * 1-based line and column, 0-based offset, both in UTF-16 code units; no colour, no other text.
 * The shape is versioned: add optional fields freely, bump `version` for anything else.
 */
const DIAGNOSTICS_JSON_VERSION = 1;

export interface JsonPosition {
  line: number;
  column: number;
  offset: number;
}

export interface JsonRange {
  start: JsonPosition;
  end: JsonPosition;
}

export interface JsonDiagnostic {
  code: string;
  severity: "error" | "warning";
  message: string;
  range: JsonRange;
  label?: string;
  help?: string;
  related: { message: string; file: string; range: JsonRange }[];
}

export interface JsonDiagnosticsDocument {
  version: typeof DIAGNOSTICS_JSON_VERSION;
  files: { file: string; diagnostics: JsonDiagnostic[] }[];
  summary: { errors: number; warnings: number };
}

function position(p: Position): JsonPosition {
  return { line: p.line, column: p.column, offset: p.offset };
}

function range(location: Location): JsonRange {
  return { start: position(location.start), end: position(location.end) };
}

function jsonDiagnostic(d: Diagnostic): JsonDiagnostic {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    range: range(d.location),
    ...(d.label !== undefined ? { label: d.label } : {}),
    ...(d.help !== undefined ? { help: d.help } : {}),
    related: d.related.map((r) => ({ message: r.message, file: r.location.file, range: range(r.location) })),
  };
}

/**
 * Groups diagnostics by the file they point into. Every checked file gets an entry, in the order
 * given, even with no diagnostics; a file that was not checked but has diagnostics (an imported
 * file) gets an entry after them, in order of first appearance.
 */
function diagnosticsDocument(
  checkedFiles: readonly string[],
  diagnostics: readonly Diagnostic[],
): JsonDiagnosticsDocument {
  const byFile = new Map<string, JsonDiagnostic[]>();
  for (const file of checkedFiles) if (!byFile.has(file)) byFile.set(file, []);
  for (const d of diagnostics) {
    let list = byFile.get(d.location.file);
    if (!list) byFile.set(d.location.file, (list = []));
    list.push(jsonDiagnostic(d));
  }
  return {
    version: DIAGNOSTICS_JSON_VERSION,
    files: [...byFile].map(([file, list]) => ({ file, diagnostics: list })),
    summary: countDiagnostics(diagnostics),
  };
}

export function formatDiagnosticsJson(checkedFiles: readonly string[], diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(diagnosticsDocument(checkedFiles, diagnostics), null, 2) + "\n";
}
