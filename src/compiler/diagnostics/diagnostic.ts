import type { Position } from "./source-file.js";

export type Severity = "error" | "warning";

/** A located range, resolved to line and column by the compiler (which holds the text). */
export interface Location {
  file: string;
  start: Position;
  end: Position;
}

export interface RelatedInformation {
  message: string;
  location: Location;
}

/**
 * A diagnostic is plain data: renderers turn it into terminal text or JSON.
 * `label` is the short note printed under the caret line; `help` is a suggested fix.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  location: Location;
  label?: string;
  help?: string;
  related: RelatedInformation[];
}
