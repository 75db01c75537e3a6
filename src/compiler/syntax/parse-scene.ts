import { EOF, Lexer, type ILexingResult, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import type { SceneFile } from "./ast.js";
import { CstToAst } from "./cst-to-ast.js";
import { sceneParser, strayMessage } from "./parser.js";
import { MAX_ERRORS_PER_FILE, type Reporter } from "../diagnostics/reporter.js";
import type { SourceFile } from "../diagnostics/source-file.js";
import type { Span } from "../diagnostics/span.js";
import * as T from "./tokens.js";

const sceneLexer = new Lexer(T.ALL_TOKENS as TokenType[], { ensureOptimizations: true, positionTracking: "full" });

/** The file's tokens as the parser reads them (whitespace and comments skipped), for editors. */
export function lexScene(text: string): ILexingResult {
  return sceneLexer.tokenize(text);
}

/**
 * How deep blocks may nest. A scene needs two (a `cell` block in a `grid` block); the parser
 * recurses once per level, so a bound keeps a hostile or broken file from overflowing the stack.
 */
const MAX_NESTING = 16;

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
  const lexed = lexScene(source.text);

  const long = lexed.tokens.find((t) => t.image.length > maxTokenLength);
  if (long) {
    reportTooLong(long, file, maxTokenLength, reporter);
    return nothing;
  }
  const deep = tooDeep(lexed.tokens);
  if (deep) {
    reporter.report("S1013", span(file, deep.token), { max: MAX_NESTING, related: [{ span: span(file, deep.outermost) }] });
    return nothing;
  }

  const mark = reporter.mark;
  for (const error of lexed.errors) {
    const text = source.text.slice(error.offset, error.offset + Math.min(error.length, 21));
    const shown = text.length > 20 ? `${text.slice(0, 20)}…` : text;
    reporter.report("S1001", { file, start: error.offset, end: error.offset + Math.max(1, error.length) }, { variant: "characters", count: error.length, shown });
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
  reporter.report("S1015", { file, start: at.location.start.offset, end: at.location.end.offset }, { variant: "syntax", shown: Math.min(firstOnLine.length, MAX_ERRORS_PER_FILE), hidden: notShown !== undefined });
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
  reporter.report("S1014", { file, start: token.startOffset, end: token.startOffset + 1 }, { what, length: token.image.length, max: maxLength });
}

/**
 * Diagnostics a token carries by itself: an unterminated or misquoted string, units after a number.
 * Returns the `}` or `]` an unterminated string swallowed, if any.
 */
function reportTokenProblems(token: IToken, file: string, reporter: Reporter): string | undefined {
  const at = span(file, token);
  if (token.tokenType === T.UnterminatedString) {
    const closer = /[}\]]/.exec(token.image)?.[0];
    reporter.report("S1002", at, { swallowed: closer });
    return closer;
  } else if (token.tokenType === T.MisquotedString) {
    const quote = token.image[0]!;
    const body = T.misquotedIsClosed(token.image) ? token.image.slice(1, -1) : token.image.slice(1);
    reporter.report("S1001", { file, start: token.startOffset, end: token.startOffset + 1 }, { variant: "quote", quote, body });
  } else if ((token.tokenType === T.NumberLiteral || token.tokenType === T.SizeLiteral) && T.withoutUnits(token.image) !== token.image) {
    reporter.report("S1017", at, { plain: T.withoutUnits(token.image) });
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
  noise: "noise torch",
  tiling: "tiling shifted",
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

/** What the statement after `previous` looks like written out, when the error follows a keyword. */
function exampleAfter(previous: IToken | undefined): string | undefined {
  if (!previous || !T.KEYWORD_TOKENS.includes(previous.tokenType)) return undefined;
  return EXAMPLES[previous.image];
}

/** What a token left over after a complete statement is: its S1010 variant says what to do with it. */
function strayKind(token: IToken): "closingBrace" | "closingBracket" | "openingBrace" | "openingBracket" | "comma" | "value" | "other" {
  switch (token.tokenType) {
    case T.RCurly:
      return "closingBrace";
    case T.RSquare:
      return "closingBracket";
    case T.LCurly:
      return "openingBrace";
    case T.LSquare:
      return "openingBracket";
    case T.Comma:
      return "comma";
    default:
      if (T.ValueTokens.includes(token.tokenType)) return "value";
      return "other";
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
    const unclosed = expected.includes(T.RSquare.LABEL!) ? "list" : expected.includes(T.RCurly.LABEL!) ? "block" : undefined;
    reporter.report("S1012", { file, start: offset, end: offset }, { parsed: error.message, unclosed, expected });
    return;
  }
  const span = { file, start: token.startOffset, end: token.endOffset! + 1 };
  if (error.message === strayMessage(token)) {
    reporter.report("S1010", span, { variant: strayKind(token), parsed: error.message });
    return;
  }
  const example = exampleAfter((error as IRecognitionException & { previousToken?: IToken }).previousToken);
  reporter.report("S1010", span, { variant: "expected", parsed: error.message, example });
}
