import { EOF, Lexer, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import type { SceneFile } from "./ast.js";
import { CstToAst } from "./cst-to-ast.js";
import { sceneParser } from "./parser.js";
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

function reportParseError(error: IRecognitionException, source: SourceFile, tokens: IToken[], reporter: Reporter): void {
  const file = source.path;
  const token = error.token;
  const atEnd = token.tokenType === EOF || Number.isNaN(token.startOffset) || token.startOffset < 0;
  if (atEnd) {
    // EOF has no location: point just after the last real token.
    const last = tokens[tokens.length - 1];
    const offset = last ? last.endOffset! + 1 : source.text.length;
    reporter.report("S1012", { file, start: offset, end: offset }, `unexpected end of file: ${error.message}`, {
      label: "the file ends here",
      help: "a block that opens with `{` must close with `}`",
    });
    return;
  }
  reporter.report("S1010", { file, start: token.startOffset, end: token.endOffset! + 1 }, error.message, {
    label: "unexpected here",
  });
}
