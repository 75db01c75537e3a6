/** A half-open range [start, end) of UTF-16 offsets in one source file. Every AST node carries one. */
export interface Span {
  file: string;
  start: number;
  end: number;
}

export function joinSpans(a: Span, b: Span): Span {
  return { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
