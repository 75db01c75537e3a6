import type { OptionContext } from "../compiler/check/option-contexts.js";

/** Where the cursor is, read from the text before it (which is often mid-edit and does not parse). */
export type CursorContext =
  /** Between statements or options: `word` is the name being typed, `previous` the word before it on the line. */
  | { kind: "code"; block: OptionContext; lineStart: boolean; word: string; previous: string | undefined }
  /** Inside a string: `keyword` is the word that starts its line (`prompt`, `import`…), `typed` the text before the cursor. */
  | { kind: "string"; keyword: string | undefined; typed: string }
  /** Inside `{` in a string: a style name being typed. */
  | { kind: "style"; typed: string }
  | { kind: "comment" };

const WORD = /[A-Za-z0-9_-]/;

/**
 * Scans `text` up to `offset` as the lexer would (strings end at their line, `#` comments run to
 * the end of theirs) and keeps a stack of the blocks entered: `region`, `grid`, `cell` (inside a
 * grid) or `guide`, by the word that starts the line each `{` is on.
 */
export function cursorContext(text: string, offset: number): CursorContext {
  const blocks: OptionContext[] = [];
  let lineStart = 0;
  let i = 0;
  while (i < offset) {
    const ch = text[i]!;
    if (ch === "\n" || ch === "\r") lineStart = i + 1;
    if (ch === "#") {
      while (i < offset && text[i] !== "\n" && text[i] !== "\r") i++;
      if (i === offset) return { kind: "comment" };
      continue;
    }
    if (ch === '"') {
      const start = i;
      i++;
      while (i < offset && text[i] !== '"' && text[i] !== "\n" && text[i] !== "\r") i += text[i] === "\\" ? 2 : 1;
      if (i >= offset) return stringContext(text.slice(start + 1, offset), text.slice(lineStart, start));
      i++;
      continue;
    }
    if (ch === "{") blocks.push(blockOf(text.slice(lineStart, i), blocks.at(-1)));
    if (ch === "}") blocks.pop();
    i++;
  }
  let wordStart = offset;
  while (wordStart > lineStart && WORD.test(text[wordStart - 1]!)) wordStart--;
  const before = text.slice(lineStart, wordStart);
  // After a `{` or `}` on the line, a new option starts.
  const sinceBrace = before.slice(Math.max(before.lastIndexOf("{"), before.lastIndexOf("}")) + 1);
  const words = sinceBrace.trim().split(/[\s,]+/).filter(Boolean);
  return { kind: "code", block: blocks.at(-1) ?? "scene", lineStart: words.length === 0, word: text.slice(wordStart, offset), previous: words.at(-1) };
}

function stringContext(typed: string, lineBefore: string): CursorContext {
  const open = typed.lastIndexOf("{");
  if (open > typed.lastIndexOf("}")) return { kind: "style", typed: typed.slice(open + 1) };
  const keyword = /^[\s{}]*([A-Za-z-]+)/.exec(lineBefore.slice(Math.max(lineBefore.lastIndexOf("{"), lineBefore.lastIndexOf("}")) + 1))?.[1];
  return { kind: "string", keyword, typed };
}

function blockOf(line: string, enclosing: OptionContext | undefined): OptionContext {
  const first = /([A-Za-z-]+)/.exec(line.slice(line.lastIndexOf("}") + 1))?.[1];
  if (first === "cell" || enclosing === "grid") return "cell";
  if (first === "region" || first === "grid" || first === "guide") return first;
  return enclosing ?? "scene";
}
