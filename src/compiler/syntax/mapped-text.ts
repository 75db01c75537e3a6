import type { Span } from "../diagnostics/span.js";

/**
 * Where a run of a text came from: its `length` characters from `at` were read from `start` on in
 * `file`, `width` source characters each (2 for a decoded escape such as `\"`, else 1).
 */
export interface TextOrigin {
  at: number;
  length: number;
  file: string;
  start: number;
  width: 1 | 2;
}

/**
 * A text with the source of each of its characters: a decoded string literal, or a prompt with
 * its `{style}` references expanded (a style's characters lead into the style's body), so that a
 * problem found inside the text is reported where it was written.
 */
export interface MappedText {
  text: string;
  /** Sorted by `at`, covering the text without gaps. */
  origins: readonly TextOrigin[];
}

/** Builds a MappedText piece by piece, merging runs that continue each other. */
export class MappedTextBuilder {
  private text = "";
  private readonly origins: TextOrigin[] = [];

  /** Appends `text`, read from `start` in `file`, `width` source characters per character. */
  appendSource(text: string, file: string, start: number, width: 1 | 2 = 1): void {
    if (text.length === 0) return;
    const last = this.origins[this.origins.length - 1];
    if (last && width === 1 && last.width === 1 && last.file === file && last.start + last.length === start && last.at + last.length === this.text.length)
      last.length += text.length;
    else this.origins.push({ at: this.text.length, length: text.length, file, start, width });
    this.text += text;
  }

  /** Appends a mapped text, keeping where its characters came from. */
  append(piece: MappedText): void {
    for (const o of piece.origins) this.appendSource(piece.text.slice(o.at, o.at + o.length), o.file, o.start, o.width);
  }

  build(): MappedText {
    return { text: this.text, origins: [...this.origins] };
  }
}

/** The origin holding character `index` (the last one for the end of the text). */
function originAt(mapped: MappedText, index: number): TextOrigin {
  const { origins } = mapped;
  let lo = 0;
  let hi = origins.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (origins[mid]!.at <= index) lo = mid;
    else hi = mid - 1;
  }
  return origins[lo]!;
}

/**
 * The source span of the text's characters [start, end): from the first one's source to the last
 * one's end. When they came from different places (a style's body and the prompt around it), the
 * span stops at the end of the first character's run.
 */
export function sourceSpan(mapped: MappedText, start: number, end: number): Span {
  const first = originAt(mapped, start);
  const from = first.start + (start - first.at) * first.width;
  const lastIndex = Math.max(start, end - 1);
  const last = originAt(mapped, lastIndex);
  if (last !== first && (last.file !== first.file || last.start < from)) return { file: first.file, start: from, end: first.start + first.length * first.width };
  return { file: first.file, start: from, end: last.start + (lastIndex - last.at + 1) * last.width };
}
