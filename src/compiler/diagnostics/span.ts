/** A half-open range [start, end) of UTF-16 offsets in one source file. Every AST node carries one. */
export interface Span {
  file: string;
  start: number;
  end: number;
}
