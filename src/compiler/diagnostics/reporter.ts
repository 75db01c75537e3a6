import type { Diagnostic, Location } from "./diagnostic.js";
import { DIAGNOSTIC_CODES, type DiagnosticCode, type DiagnosticParams } from "./diagnostic-codes.js";
import type { SourceFile } from "./source-file.js";
import type { Span } from "./span.js";
import { fill, isWords, type RelatedParams, type Words } from "./words.js";

/**
 * Errors shown per file, as in clang's default `-ferror-limit`: past it, one S1015 (or, for an
 * imported file, one S3006) says that there are more. A longer list is a storm, not a to-do list.
 */
export const MAX_ERRORS_PER_FILE = 20;

/** Code quoted in a message (`` `text` ``) is cut to this many characters, with `…`: longer than any sensible path. */
const MAX_QUOTED = 200;
const LONG_QUOTE = new RegExp(`\`([^\`]{${MAX_QUOTED + 1},})\``, "g");

/** A text with every quoted piece of code over MAX_QUOTED cut short: a name or a stray token can be 10,000 characters. */
function shortenQuotes(text: string): string {
  return text.replace(LONG_QUOTE, (_, code: string) => `\`${code.slice(0, MAX_QUOTED)}…\``);
}

/** The arguments after the span: a code's parameters, left out when its words take none. */
export type ReportArgs<C extends DiagnosticCode> = [keyof DiagnosticParams<C>] extends [never]
  ? []
  : {} extends DiagnosticParams<C>
    ? [params?: DiagnosticParams<C>]
    : [params: DiagnosticParams<C>];

type AnyParams = { variant?: string; related?: readonly RelatedParams<unknown>[] };

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

  /** Reports `code` at `span`, in the words the catalogue gives it for these parameters. */
  report<C extends DiagnosticCode>(code: C, span: Span, ...args: ReportArgs<C>): void {
    const params: AnyParams = args[0] ?? {};
    const text: object = DIAGNOSTIC_CODES[code].text;
    const words = (isWords(text) ? text : (text as Record<string, Words<unknown, unknown>>)[params.variant!]!) as Words<AnyParams, unknown>;
    const diagnostic: Diagnostic = {
      code,
      severity: DIAGNOSTIC_CODES[code].severity,
      message: shortenQuotes(fill(words.message, params)),
      location: this.locate(span),
      related: (params.related ?? []).map((r) => ({ message: shortenQuotes(fill(words.related!, r)), location: this.locate(r.span) })),
    };
    const label = fill(words.label, params);
    const help = fill(words.help, params);
    if (label !== undefined) diagnostic.label = shortenQuotes(label);
    if (help !== undefined) diagnostic.help = shortenQuotes(help);
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

  /**
   * Keeps the first MAX_ERRORS_PER_FILE errors of each file (by position) and replaces the rest
   * with one S1015 where the first of them was. For errors found after parsing (thousands of
   * regions with a bad size); the syntax phase caps its own errors, and then reports S1015 itself.
   */
  capErrorsPerFile(): void {
    const byFile = new Map<string, Diagnostic[]>();
    for (const d of this.diagnostics) {
      if (d.severity !== "error") continue;
      const list = byFile.get(d.location.file) ?? [];
      list.push(d);
      byFile.set(d.location.file, list);
    }
    const dropped = new Set<Diagnostic>();
    const firstDropped: Diagnostic[] = [];
    for (const errors of byFile.values()) {
      if (errors.length <= MAX_ERRORS_PER_FILE || errors.some((d) => d.code === "S1015")) continue;
      errors.sort((a, b) => a.location.start.offset - b.location.start.offset);
      for (const d of errors.slice(MAX_ERRORS_PER_FILE)) dropped.add(d);
      firstDropped.push(errors[MAX_ERRORS_PER_FILE]!);
    }
    if (dropped.size === 0) return;
    const kept = this.diagnostics.filter((d) => !dropped.has(d));
    this.diagnostics.length = 0;
    this.restore(kept);
    for (const d of firstDropped)
      this.report("S1015", { file: d.location.file, start: d.location.start.offset, end: d.location.end.offset }, { variant: "checks", shown: MAX_ERRORS_PER_FILE });
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }
}
