import { EOF, Lexer, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import type { SceneFile } from "./ast.js";
import { CstToAst } from "./cst-to-ast.js";
import { sceneParser, strayMessage } from "./parser.js";
import { MAX_ERRORS_PER_FILE, type Reporter } from "../diagnostics/reporter.js";
import type { SourceFile } from "../diagnostics/source-file.js";
import type { Span } from "../diagnostics/span.js";
import * as T from "./tokens.js";

const sceneLexer = new Lexer(T.ALL_TOKENS as TokenType[], { ensureOptimizations: true, positionTracking: "full" });

/**
 * How deep blocks may nest. A scene needs two (a `cell` block in a `grid` block); the parser
 * recurses once per level, so a bound keeps a hostile or broken file from overflowing the stack.
 */
export const MAX_NESTING = 16;

/**
 * Raw parse errors after which the parse stops. Above MAX_ERRORS_PER_FILE, since several raw
 * errors on one line make one diagnostic; low enough that chevrotain's recovery, one stack frame
 * deeper per error, stays shallow.
 */
const PARSE_ERROR_BUDGET = 4 * MAX_ERRORS_PER_FILE;

/**
 * Lex and parse one file into its AST, reporting its syntax errors: at most one per line (the
 * first: later ones on a line are almost always its consequences, as in Go's parser) and at most
 * MAX_ERRORS_PER_FILE, then one S1015. A token over `maxTokenLength` (S1014) or blocks nested over
 * MAX_NESTING (S1013) stop the file there: it is not parsed, and it is one diagnostic. A file
 * with too many syntax errors is not checked further either (its statements are dropped).
 */
export function parseScene(source: SourceFile, reporter: Reporter, maxTokenLength: number): SceneFile {
  const file = source.path;
  const nothing: SceneFile = { path: file, statements: [] };
  const lexed = sceneLexer.tokenize(source.text);

  const long = lexed.tokens.find((t) => t.image.length > maxTokenLength);
  if (long) {
    reportTooLong(long, file, maxTokenLength, reporter);
    return nothing;
  }
  const deep = tooDeep(lexed.tokens);
  if (deep) {
    reporter.report("S1013", span(file, deep.token), `blocks nested more than ${MAX_NESTING} deep`, {
      label: `block number ${MAX_NESTING + 1} inside the others`,
      help: "blocks nest at most two deep (a `cell` block in a `grid` block): look for blocks that are never closed with `}`",
      related: [{ message: "the outermost of the open blocks", span: span(file, deep.outermost) }],
    });
    return nothing;
  }

  const mark = reporter.mark;
  for (const error of lexed.errors) {
    const text = source.text.slice(error.offset, error.offset + Math.min(error.length, 21));
    const shown = text.length > 20 ? `${text.slice(0, 20)}…` : text;
    // Backticks are quoted with double ones, as in Markdown: "unexpected characters `` ``` ``".
    const quoted = shown.includes("`") ? `\`\` ${shown} \`\`` : `\`${shown}\``;
    reporter.report("S1001", { file, start: error.offset, end: error.offset + Math.max(1, error.length) }, `unexpected character${error.length > 1 ? "s" : ""} ${quoted}`, {
      label: "not part of the language",
      help: "strings go in double quotes; comments start with `#`",
    });
  }
  // An unterminated string that swallowed a `}` or `]` leaves its block or list open: the parse
  // error that follows ("expected `}`") is its consequence, and the string's help says so.
  const swallowed: { after: number; closer: string }[] = [];
  for (const token of lexed.tokens) {
    const closer = reportTokenProblems(token, file, reporter);
    if (closer) swallowed.push({ after: token.startOffset, closer });
  }

  const parsed = sceneParser.parse(lexed.tokens, PARSE_ERROR_BUDGET);
  for (const error of parsed.errors) reportParseError(error, source, lexed.tokens, reporter);
  const ast = parsed.cst ? (new CstToAst(file, reporter).visit(parsed.cst) as SceneFile) : nothing;
  const stopped = !parsed.cst;

  const reported = reporter.takeSince(mark).sort((a, b) => a.location.start.offset - b.location.start.offset);
  const consequences = new Set(swallowed.map(({ after, closer }) => reported.find((d) => d.location.start.offset > after && /^S101[02]$/.test(d.code) && d.message.includes(`expected \`${closer}\``))));
  const real = reported.filter((d) => !consequences.has(d));
  const firstOnLine = real.filter((d, i) => i === 0 || d.location.start.line !== real[i - 1]!.location.start.line);
  reporter.restore(firstOnLine.slice(0, MAX_ERRORS_PER_FILE));
  const notShown = firstOnLine[MAX_ERRORS_PER_FILE];
  if (!notShown && !stopped) return ast;
  // Past the cap, or parsed only in part: what is left of the file would only mislead later checks.
  const at = notShown ?? firstOnLine[firstOnLine.length - 1]!;
  reporter.report("S1015", { file, start: at.location.start.offset, end: at.location.end.offset }, `too many syntax errors: only the first ${Math.min(firstOnLine.length, MAX_ERRORS_PER_FILE)} are shown, and the file is not checked further`, {
    label: notShown ? "the first one not shown" : "checking stopped after this one",
    help: "fix these first; if this is not meant to be a scene file, check the file name",
  });
  return nothing;
}

function span(file: string, token: IToken): Span {
  return { file, start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
}

/** The first `{` that opens a block more than MAX_NESTING deep, and the outermost block open there. */
function tooDeep(tokens: readonly IToken[]): { token: IToken; outermost: IToken } | undefined {
  const open: IToken[] = [];
  for (const token of tokens) {
    if (token.tokenType === T.LCurly) {
      open.push(token);
      if (open.length > MAX_NESTING) return { token, outermost: open[0]! };
    } else if (token.tokenType === T.RCurly) open.pop();
  }
  return undefined;
}

function reportTooLong(token: IToken, file: string, maxLength: number, reporter: Reporter): void {
  const number = token.tokenType === T.NumberLiteral || token.tokenType === T.SizeLiteral;
  const what = number ? "number" : T.ValueTokens.includes(token.tokenType) ? "string" : "word";
  const length = token.image.length.toLocaleString("en-US");
  reporter.report("S1014", { file, start: token.startOffset, end: token.startOffset + 1 }, `a ${what} of ${length} characters is too long`, {
    label: `longer than ${maxLength.toLocaleString("en-US")} characters`,
    help: what === "string" ? "a prompt is read a few dozen words at a time: shorten it, or split it over styles" : `a ${what} is at most ${maxLength.toLocaleString("en-US")} characters long`,
  });
}

/**
 * Diagnostics a token carries by itself: an unterminated or misquoted string, units after a number.
 * Returns the `}` or `]` an unterminated string swallowed, if any.
 */
function reportTokenProblems(token: IToken, file: string, reporter: Reporter): string | undefined {
  const at = span(file, token);
  if (token.tokenType === T.UnterminatedString) {
    const closer = /[}\]]/.exec(token.image)?.[0];
    reporter.report("S1002", at, "unterminated string", {
      label: "this string has no closing `\"` on its line",
      help: closer
        ? `close it with \`"\` before the \`${closer}\`, which is inside the string now`
        : "close it with `\"`; split a long prompt into adjacent strings, one per line",
    });
    return closer;
  } else if (token.tokenType === T.MisquotedString) {
    const quote = token.image[0]!;
    const body = T.misquotedIsClosed(token.image) ? token.image.slice(1, -1) : token.image.slice(1);
    reporter.report("S1001", { file, start: token.startOffset, end: token.startOffset + 1 }, `\`${quote}\` is not a string quote`, {
      label: "strings go in straight double quotes",
      help: `write \`"${body.length > 40 ? `${body.slice(0, 40)}…` : body}"\``,
    });
  } else if ((token.tokenType === T.NumberLiteral || token.tokenType === T.SizeLiteral) && T.withoutUnits(token.image) !== token.image) {
    reporter.report("S1017", at, `no units: write \`${T.withoutUnits(token.image)}\``, {
      label: "a unit",
      help: "positions and sizes are numbers of pixels, written without `px`",
    });
  }
  return undefined;
}

/** The labels of the tokens a parse error says were expected ("expected A or B [after `k`], found X"). */
function expectedLabels(message: string): string[] {
  const match = /^expected (.*?)(?: after `[^`]*`)?, found /.exec(message);
  return match ? match[1]!.split(" or ") : [];
}

/** What an option or statement looks like written out, for the help of a parse error after its keyword. */
const EXAMPLES: Record<string, string> = {
  canvas: "canvas 1024 x 512",
  size: "size 512 x 512",
  tile: "tile 640 x 480",
  overlap: "overlap 320 x 240",
  seed: "seed 42",
  steps: "steps 30",
  guidance: "guidance 7.5",
  weight: "weight 2",
  columns: "columns 4",
  rows: "rows 3",
  strength: "strength 0.5",
  model: 'model "sd15"',
  negative: 'negative "blurry"',
  output: 'output "picture.png"',
  prompt: 'prompt "a blue sky"',
  scheduler: "scheduler euler",
  blend: "blend gaussian",
  fit: "fit cover",
  at: "at 0, 256",
  cell: 'cell 0, 1 { prompt "a boat" }',
  prompts: 'prompts ["a boat", "a pier"]',
  style: 'style warm "golden hour light"',
  import: 'import "styles.scene"',
  region: 'region sky { prompt "a blue sky" }',
  grid: "grid tiles { tile 640 x 480 }",
  guide: 'guide "sketch.png"',
};

/** "for example `guidance 7.5`" when the error follows a keyword, else undefined. */
function exampleHelp(previous: IToken | undefined): string | undefined {
  if (!previous || !T.KEYWORD_TOKENS.includes(previous.tokenType)) return undefined;
  const example = EXAMPLES[previous.image];
  return example === undefined ? undefined : `for example \`${example}\``;
}

/** Help for a token left over after a complete statement, by what it is. */
function strayHelp(token: IToken): { label: string; help: string } {
  switch (token.tokenType) {
    case T.RCurly:
      return { label: "no block is open here", help: "remove it, or look above for a block that is closed twice" };
    case T.RSquare:
      return { label: "no list is open here", help: "`]` closes a grid's `prompts [ … ]` list; remove it" };
    case T.LCurly:
      return { label: "a block with no statement", help: "a block follows `region NAME`, `grid NAME`, `guide \"file\"` or `cell C, R`" };
    case T.LSquare:
      return { label: "a list with no option", help: "a `[ … ]` list follows `prompts`, in a grid" };
    case T.Comma:
      return { label: "not between two items", help: "commas go between the numbers of `at X, Y` and `cell C, R` and between `prompts` items" };
    default:
      if (T.ValueTokens.includes(token.tokenType))
        return { label: "a value without an option", help: "a value follows the setting or option it belongs to, as in `steps 30` or `canvas 512 x 512`" };
      return { label: "unexpected here", help: "a statement starts with a keyword such as `canvas`, `style`, `region`, `grid` or `guide`" };
  }
}

function reportParseError(error: IRecognitionException, source: SourceFile, tokens: IToken[], reporter: Reporter): void {
  const file = source.path;
  const token = error.token;
  const atEnd = token.tokenType === EOF || Number.isNaN(token.startOffset) || token.startOffset < 0;
  if (atEnd) {
    // EOF has no location: point just after the last real token.
    const last = tokens[tokens.length - 1];
    const offset = last ? last.endOffset! + 1 : source.text.length;
    const expected = expectedLabels(error.message);
    const help = expected.includes(T.RSquare.LABEL!)
      ? "a `prompts [` list must close with `]`, and its block with `}`"
      : expected.includes(T.RCurly.LABEL!)
        ? "a block that opens with `{` must close with `}`"
        : expected.length > 0
          ? `the last statement is unfinished: ${expected.join(" or ")} should come next`
          : "the last statement is unfinished";
    reporter.report("S1012", { file, start: offset, end: offset }, `unexpected end of file: ${error.message}`, {
      label: "the file ends here",
      help,
    });
    return;
  }
  const span = { file, start: token.startOffset, end: token.endOffset! + 1 };
  if (error.message === strayMessage(token)) {
    reporter.report("S1010", span, error.message, strayHelp(token));
    return;
  }
  const help = exampleHelp((error as IRecognitionException & { previousToken?: IToken }).previousToken);
  reporter.report("S1010", span, error.message, help ? { label: "unexpected here", help } : { label: "unexpected here" });
}
