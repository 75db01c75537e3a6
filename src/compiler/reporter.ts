import type { Diagnostic, Location } from "./diagnostic.js";
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "./diagnostic-codes.js";
import type { SourceFile } from "./source-file.js";
import type { Span } from "./span.js";

export interface ReportDetails {
  label?: string;
  help?: string;
  related?: { message: string; span: Span }[];
}

/**
 * Collects the diagnostics of one compilation. Phases report against spans; the reporter turns
 * spans into line/column locations with the source files it was given, and the severity comes
 * from the catalogue, so a code can never be an error in one place and a warning in another.
 */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly sources: ReadonlyMap<string, SourceFile>) {}

  locate(span: Span): Location {
    const source = this.sources.get(span.file);
    if (!source) {
      const origin = { offset: 0, line: 1, column: 1 };
      return { file: span.file, start: origin, end: origin };
    }
    return { file: span.file, start: source.position(span.start), end: source.position(span.end) };
  }

  report(code: DiagnosticCode, span: Span, message: string, details: ReportDetails = {}): void {
    const diagnostic: Diagnostic = {
      code,
      severity: DIAGNOSTIC_CODES[code].severity,
      message,
      location: this.locate(span),
      related: (details.related ?? []).map((r) => ({ message: r.message, location: this.locate(r.span) })),
    };
    if (details.label !== undefined) diagnostic.label = details.label;
    if (details.help !== undefined) diagnostic.help = details.help;
    this.diagnostics.push(diagnostic);
  }

  /** A mark for `takeSince`: the number of diagnostics so far. */
  get mark(): number {
    return this.diagnostics.length;
  }

  /** Removes and returns the diagnostics reported since `mark` (to filter or cap them). */
  takeSince(mark: number): Diagnostic[] {
    return this.diagnostics.splice(mark);
  }

  /** Puts back diagnostics taken with `takeSince`. */
  restore(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) this.diagnostics.push(d);
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }

  /** Reading `file:line:col` of a span, for plans and related notes. */
  where(span: Span): string {
    const { start } = this.locate(span);
    return `${span.file}:${start.line}:${start.column}`;
  }
}
