import { createToken, Lexer, type TokenType } from "chevrotain";

/**
 * The tokens of the .scene language. Keywords are not reserved as names: a region may be called
 * `tile`. Every keyword and plain identifier belongs to the `Word` category, which is what name
 * positions accept; option positions match keywords exactly, so a misspelt option lexes as a
 * plain `Identifier` and reaches the parser's catch-all rule, which reports it with a suggestion.
 */
export const Word = createToken({ name: "Word", pattern: Lexer.NA, label: "a name" });

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });

export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  label: "a string",
});
/**
 * A string that reaches the end of its line. It is a kind of StringLiteral (token category), so the
 * parser goes on as if it were closed; the syntax phase reports it.
 */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*\\?/,
  categories: [StringLiteral],
  label: "a string",
});
/** `1408 x 640` or `1408x640`: one token, so no whitespace or line break can split a size. */
export const SizeLiteral = createToken({
  name: "SizeLiteral",
  pattern: /-?\d+(?:\.\d+)?[ \t]*[xX\u00d7][ \t]*-?\d+(?:\.\d+)?/,
  label: "a size such as `640 x 480`",
});
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
});
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_-]*/,
  categories: [Word],
  label: "a name",
});

export const LCurly = createToken({ name: "LCurly", pattern: "{", label: "`{`" });
export const RCurly = createToken({ name: "RCurly", pattern: "}", label: "`}`" });
export const LSquare = createToken({ name: "LSquare", pattern: "[", label: "`[`" });
export const RSquare = createToken({ name: "RSquare", pattern: "]", label: "`]`" });
export const Comma = createToken({ name: "Comma", pattern: ",", label: "`,`" });

function keyword(word: string): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Word],
    label: `\`${word}\``,
  });
}

// Statement keywords.
export const Style = keyword("style");
export const Import = keyword("import");
export const Region = keyword("region");
export const Grid = keyword("grid");
export const Guide = keyword("guide");
// Options (scene settings and block options share one vocabulary; the checker knows where each may go).
export const Canvas = keyword("canvas");
export const Model = keyword("model");
export const Seed = keyword("seed");
export const Steps = keyword("steps");
export const Scheduler = keyword("scheduler");
export const Karras = keyword("karras");
export const Guidance = keyword("guidance");
export const Negative = keyword("negative");
export const Blend = keyword("blend");
export const Output = keyword("output");
// `prompts` before `prompt`, `size` has no prefix clash, but keep longer words first anyway.
export const Prompts = keyword("prompts");
export const Prompt = keyword("prompt");
export const Weight = keyword("weight");
export const At = keyword("at");
export const Size = keyword("size");
export const Tile = keyword("tile");
export const Overlap = keyword("overlap");
export const Columns = keyword("columns");
export const Rows = keyword("rows");
export const Cell = keyword("cell");
export const Fit = keyword("fit");
export const Strength = keyword("strength");

export const KEYWORD_TOKENS: readonly TokenType[] = [
  Style, Import, Region, Grid, Guide,
  Canvas, Model, Seed, Steps, Scheduler, Karras, Guidance, Negative, Blend, Output,
  Prompts, Prompt, Weight, At, Size, Tile, Overlap, Columns, Rows, Cell, Fit, Strength,
];

/** Every keyword of the language, for editors (the TextMate grammar test checks it against this). */
export const KEYWORDS: readonly string[] = KEYWORD_TOKENS.map((t) => (t.PATTERN as RegExp).source);

export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace, Comment,
  StringLiteral, UnterminatedString,
  SizeLiteral, NumberLiteral,
  LCurly, RCurly, LSquare, RSquare, Comma,
  ...KEYWORD_TOKENS,
  Identifier, Word,
];

/** Tokens that are values (of a setting or option), never the start of a statement. */
export const ValueTokens: readonly TokenType[] = [StringLiteral, UnterminatedString, SizeLiteral, NumberLiteral];
