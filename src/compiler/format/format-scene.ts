import { createToken, Lexer, type IToken, type TokenType } from "chevrotain";
import { DEFAULT_LIMITS } from "../host.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { Reporter } from "../diagnostics/reporter.js";
import { SourceFile } from "../diagnostics/source-file.js";
import type { Option, SceneFile, Statement } from "../syntax/ast.js";
import { notASceneFile } from "../syntax/binary-files.js";
import { parseScene } from "../syntax/parse-scene.js";
import * as T from "../syntax/tokens.js";

/**
 * `scenec fmt`: the one layout of a scene file, in gofmt's spirit (no options). Every statement
 * and option on a line of its own, blocks and lists indented by two spaces, one blank line kept
 * where the author left one or more, comments kept where they were (a trailing comment stays on
 * its line), `W x H` sizes, `A..B` ranges, `X, Y` points, lists one item per line with a trailing comma, and
 * consecutive `style` lines and trailing comments aligned in columns. Only layout changes: the
 * tokens, and so the plan, are the same (test/format.test.ts checks both on every example and on
 * fuzzed scenes). A file with syntax errors is not formatted.
 */
export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[]; source: SourceFile };

const INDENT = "  ";

// The scene lexer skips comments; this one keeps them, in a group of their own.
const KeptComment = createToken({ name: "KeptComment", pattern: /#[^\r\n]*/, group: "comments" });
const formatLexer = new Lexer(
  T.ALL_TOKENS.map((t) => (t === T.Comment ? KeptComment : t)) as TokenType[],
  { ensureOptimizations: true, positionTracking: "full" },
);

export function formatScene(text: string, path: string, maxTokenLength = DEFAULT_LIMITS.maxTokenLength): FormatResult {
  const source = new SourceFile(path, text);
  const reporter = new Reporter(new Map([[path, source]]));
  const notScene = notASceneFile(text, path);
  if (notScene) {
    reporter.report("S1016", { file: path, start: notScene.offset, end: notScene.offset }, { what: notScene.what, help: notScene.help });
    return { ok: false, diagnostics: reporter.diagnostics, source };
  }
  const ast = parseScene(source, reporter, maxTokenLength);
  const errors = reporter.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { ok: false, diagnostics: errors, source };
  const lexed = formatLexer.tokenize(text);
  const tokens = [...lexed.tokens, ...((lexed.groups["comments"] as IToken[] | undefined) ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  return { ok: true, text: print(tokens, statementStarts(ast)) };
}

/** Offsets where a statement or option begins: each starts a line. */
function statementStarts(ast: SceneFile): Set<number> {
  const starts = new Set<number>();
  const visit = (s: Statement | Option) => {
    starts.add(s.span.start);
    if ("options" in s) s.options.forEach(visit);
  };
  ast.statements.forEach(visit);
  return starts;
}

interface Line {
  depth: number;
  code: string;
  comment?: string;
  /** A line holding only a comment (it takes no part in the trailing-comment column). */
  commentOnly?: boolean;
  /** A continuation string: printed at this column, under the text's first string. */
  column?: number;
}

const BLANK: Line = { depth: 0, code: "" };

/**
 * Each `{` or `[` whose closer is on the same source line with no comment between: such a block
 * or list stays on one line (`cell 3, 2 { prompt "robot"  guidance 9 }`), as its author wrote it.
 */
function oneLineGroups(tokens: readonly IToken[]): Set<IToken> {
  const inline = new Set<IToken>();
  const open: { token: IToken; comment: boolean }[] = [];
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === KeptComment) open.forEach((o) => (o.comment = true));
    else if (type === T.LCurly || type === T.LSquare) open.push({ token, comment: false });
    else if ((type === T.RCurly || type === T.RSquare) && open.length > 0) {
      const o = open.pop()!;
      if (!o.comment && o.token.startLine === token.startLine) inline.add(o.token);
    }
  }
  return inline;
}

function print(tokens: readonly IToken[], starts: ReadonlySet<number>): string {
  const inlineGroups = oneLineGroups(tokens);
  const lines: Line[] = [];
  const context: { kind: "block" | "list"; inline: boolean }[] = [];
  let line: Line | undefined;
  /** The line that holds the last item of the list being printed, for its trailing comma. */
  let lastItem: Line | undefined;
  let previous: IToken | undefined;
  let previousCode: IToken | undefined;
  let beforePreviousCode: IToken | undefined;
  /** Just after `{` or `[`: a closer right away prints `{}` / `[]`. */
  let opened = false;
  /** After a list's `[` or `,`: the next string starts an item. */
  let itemStart = false;
  /** Where the current text's first string starts in its line, for continuation strings. */
  let textColumn = 0;

  const depth = () => context.length;
  const top = () => context[context.length - 1];
  const inline = () => context.some((c) => c.inline);
  const flush = () => {
    if (line) lines.push(line);
    line = undefined;
  };
  const newLine = (at = depth()) => {
    flush();
    line = { depth: at, code: "" };
  };
  const append = (text: string, separator = " ") => {
    // No line open here: the statement goes on after a comment, one level in.
    if (!line) line = { depth: depth() + 1, code: "" };
    line.code += line.code !== "" ? separator + text : text;
  };
  // One blank line where the source has at least one between two lines, never after an opener.
  const keepBlank = (token: IToken) => {
    if (previous && !opened && token.startLine! - previous.endLine! >= 2 && lines.length + (line ? 1 : 0) > 0) {
      flush();
      lines.push(BLANK);
    }
  };

  for (const token of tokens) {
    const type = token.tokenType;
    if (type === KeptComment) {
      const comment = token.image.trimEnd();
      if (line && previous && previous.endLine === token.startLine) line.comment = comment;
      else {
        keepBlank(token);
        flush();
        lines.push({ depth: depth(), code: comment, commentOnly: true });
      }
      // What follows a comment in the middle of a statement goes on a continuation line.
      flush();
      previous = token;
      opened = false;
      continue;
    }

    if (type === T.RCurly || type === T.RSquare) {
      const group = context.pop()!;
      const closer = type === T.RCurly ? "}" : "]";
      if (group.inline) append(closer, opened || type === T.RSquare ? "" : " ");
      else {
        if (type === T.RSquare && !opened && previousCode?.tokenType !== T.Comma && lastItem) lastItem.code += ",";
        if (opened && line) append(closer, "");
        else {
          newLine();
          append(closer);
        }
      }
      opened = false;
      itemStart = false;
      lastItem = undefined;
    } else if (type === T.LCurly || type === T.LSquare) {
      append(type === T.LCurly ? "{" : "[");
      context.push({ kind: type === T.LCurly ? "block" : "list", inline: inlineGroups.has(token) });
      opened = true;
      itemStart = type === T.LSquare;
      lastItem = undefined;
    } else if (type === T.LParen) {
      append("(");
      opened = false;
    } else if (type === T.RParen) {
      append(")", "");
    } else if (type === T.Comma) {
      const group = top();
      // A one-line list has no trailing comma; a list of lines always has one (added at `]`).
      if (group?.kind === "list") {
        itemStart = true;
        if (group.inline) continue;
      }
      append(",", "");
    } else {
      const isString = tokenMatches(type, T.StringLiteral);
      const concatenated = isString && previousCode !== undefined && tokenMatches(previousCode.tokenType, T.StringLiteral) && !itemStart;
      if (starts.has(token.startOffset) || itemStart) {
        const group = top();
        if (group?.inline) {
          const inList = group.kind === "list";
          append(tokenText(token), opened ? (inList ? "" : " ") : inList ? ", " : "  ");
        } else {
          keepBlank(token);
          newLine();
          append(tokenText(token));
        }
      } else if (concatenated && previousCode!.endLine !== token.startLine && !inline()) {
        // Adjacent strings on lines of their own stay so, under the first one.
        newLine();
        line!.column = textColumn;
        append(tokenText(token));
      } else if (type === T.NumberLiteral && previousCode?.tokenType === T.NumberLiteral && beforePreviousCode !== undefined && POINT_KEYWORDS.includes(beforePreviousCode.tokenType)) {
        // `at 0 0`, `cell 1 2`, `(0 0)`: the comma may be left out; the layout writes it.
        append(`, ${tokenText(token)}`, "");
      } else append(tokenText(token), previousCode?.tokenType === T.LParen ? "" : " ");
      if (isString && !concatenated) textColumn = INDENT.length * line!.depth + line!.code.length - token.image.length;
      opened = false;
      itemStart = false;
      if (top()?.kind === "list") lastItem = line;
    }
    previous = token;
    beforePreviousCode = previousCode;
    previousCode = token;
  }
  flush();
  align(lines);
  return lines.map(render).join("\n").replace(/\n+$/, "") + "\n";
}

function tokenMatches(type: TokenType, category: TokenType): boolean {
  return type === category || (type.CATEGORIES ?? []).includes(category);
}

const POINT_KEYWORDS: readonly TokenType[] = [T.At, T.Crop, T.NegativeCrop, T.Cell, T.LParen];

/** Sizes as `W x H`, ranges as `A..B`. */
function tokenText(token: IToken): string {
  if (token.tokenType === T.RangeLiteral) return token.image.replace(/[ \t]+/g, "");
  if (token.tokenType !== T.SizeLiteral) return token.image;
  const [w, h] = token.image.split(/[ \t]*[xX\u00d7][ \t]*/);
  return `${w} x ${h}`;
}

const STYLE_LINE = /^(style \S+) (".*)$/;

/**
 * Columns, as gofmt's tabwriter makes them, within each run of consecutive lines at one depth:
 * the strings of one-line `style` declarations, and trailing comments.
 */
function align(lines: Line[]): void {
  for (let start = 0; start < lines.length; ) {
    let end = start + 1;
    while (end < lines.length && lines[end] !== BLANK && lines[start] !== BLANK && lines[end]!.depth === lines[start]!.depth) end++;
    const run = lines.slice(start, end);
    const styles = run.filter((l) => !l.commentOnly && STYLE_LINE.test(l.code));
    if (styles.length > 1) {
      const width = Math.max(...styles.map((l) => STYLE_LINE.exec(l.code)![1]!.length));
      for (const l of styles) {
        const [, head, rest] = STYLE_LINE.exec(l.code)!;
        l.code = `${head!.padEnd(width)} ${rest}`;
      }
    }
    const commented = run.filter((l) => l.comment !== undefined);
    const width = Math.max(0, ...commented.map((l) => l.code.length));
    for (const l of commented) l.code = l.code.padEnd(width);
    start = end;
  }
}

function render(line: Line): string {
  if (line === BLANK) return "";
  const code = (line.column !== undefined ? " ".repeat(line.column) : INDENT.repeat(line.depth)) + line.code;
  return line.comment === undefined ? code : `${code}  ${line.comment}`;
}
