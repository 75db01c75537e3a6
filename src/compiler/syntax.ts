import { EOF, Lexer, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import type { SceneFile } from "./ast.js";
import { CstToAst } from "./cst-to-ast.js";
import { sceneParser, strayMessage } from "./parser.js";
import type { Reporter } from "./reporter.js";
import type { SourceFile } from "./source-file.js";
import * as T from "./tokens.js";

const sceneLexer = new Lexer(T.ALL_TOKENS as TokenType[], { ensureOptimizations: true, positionTracking: "full" });

/** Lex and parse one file into its AST, reporting every syntax error (the parser recovers). */
export function parseScene(source: SourceFile, reporter: Reporter): SceneFile {
  const file = source.path;
  const lexed = sceneLexer.tokenize(source.text);

  for (const error of lexed.errors) {
    const text = source.text.slice(error.offset, error.offset + error.length);
    const shown = text.length > 20 ? `${text.slice(0, 20)}…` : text;
    reporter.report("S1001", { file, start: error.offset, end: error.offset + Math.max(1, error.length) }, `unexpected character${error.length > 1 ? "s" : ""} \`${shown}\``, {
      label: "not part of the language",
      help: "strings go in double quotes; comments start with `#`",
    });
  }
  for (const token of lexed.tokens) {
    if (token.tokenType === T.UnterminatedString) {
      reporter.report("S1002", { file, start: token.startOffset, end: token.endOffset! + 1 }, "unterminated string", {
        label: "this string has no closing `\"` on its line",
        help: "close it with `\"`; split a long prompt into adjacent strings, one per line",
      });
    }
  }

  sceneParser.input = lexed.tokens;
  const cst = sceneParser.scene();
  for (const error of sceneParser.errors) reportParseError(error, source, lexed.tokens, reporter);

  return new CstToAst(file, reporter).visit(cst) as SceneFile;
}

/** The labels of the tokens a parse error says were expected ("expected A or B, found X"). */
function expectedLabels(message: string): string[] {
  const match = /^expected (.*), found /.exec(message);
  return match ? match[1]!.split(" or ") : [];
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
  reporter.report("S1010", span, error.message, {
    label: "unexpected here",
  });
}
