import { createToken, Lexer, type TokenType } from "chevrotain";

/**
 * The tokens of the .scene language. Keywords are not reserved as names: a region may be called
 * `tile`. Every keyword and plain identifier belongs to the `Word` category, which is what name
 * positions accept; option positions match keywords exactly, so a misspelt option lexes as a
 * plain `Identifier` and reaches the parser's catch-all rule, which reports it with a suggestion.
 */
export const Word = createToken({ name: "Word", pattern: Lexer.NA, label: "a name" });

const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: Lexer.SKIPPED });

/**
 * Where the string that opens at `offset` ends (exclusive), and whether a closing `"` ends it: a
 * string runs to its closing quote or to the end of its line. A scan instead of a regular
 * expression: an alternation repeated over a 10 MB string overflows the regexp engine's stack.
 */
function scanString(text: string, offset: number): { end: number; closed: boolean } {
  let i = offset + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34) return { end: i + 1, closed: true };
    if (c === 10 || c === 13) break;
    if (c === 92) {
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next) || next === 10 || next === 13) return { end: i + 1, closed: false };
      i += 2;
      continue;
    }
    i += 1;
  }
  return { end: Math.min(i, text.length), closed: false };
}

/** A custom pattern (chevrotain's `exec` contract: match at `offset` or return null) for strings. */
function stringPattern(closed: boolean) {
  return {
    exec(text: string, offset: number): [string] | null {
      if (text.charCodeAt(offset) !== 34) return null;
      const scan = scanString(text, offset);
      return scan.closed === closed ? [text.slice(offset, scan.end)] : null;
    },
  };
}

export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: stringPattern(true),
  start_chars_hint: ['"'],
  line_breaks: false,
  label: "a string",
});
/**
 * A string that reaches the end of its line. It is a kind of StringLiteral (token category), so the
 * parser goes on as if it were closed; the syntax phase reports it.
 */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: stringPattern(false),
  start_chars_hint: ['"'],
  line_breaks: false,
  categories: [StringLiteral],
  label: "a string",
});
/** Quotes that are not `"`, in two families: a string opened with one is closed by any of its family (or `"`). */
const DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb";
const SINGLE_QUOTES = "\u2018\u2019\u201a\u201b'";

/**
 * A string in the wrong quotes (`“a blue sky”`, `'a blue sky'`), up to its closing quote or the end
 * of its line. A kind of StringLiteral, so that one wrong pair of quotes is one diagnostic (the
 * syntax phase reports it), not an unexpected character, a parse error and an unknown option for
 * each word. An apostrophe inside typographic double quotes (`“the sky’s”`) does not close them.
 */
export const MisquotedString = createToken({
  name: "MisquotedString",
  pattern: {
    exec(text: string, offset: number): [string] | null {
      const open = text[offset]!;
      const family = DOUBLE_QUOTES.includes(open) ? DOUBLE_QUOTES : SINGLE_QUOTES.includes(open) ? SINGLE_QUOTES : undefined;
      if (family === undefined) return null;
      let i = offset + 1;
      while (i < text.length) {
        const c = text[i]!;
        if (c === "\n" || c === "\r") break;
        i += 1;
        if (c === '"' || family.includes(c)) break;
      }
      return [text.slice(offset, i)];
    },
  },
  start_chars_hint: [...DOUBLE_QUOTES, ...SINGLE_QUOTES],
  line_breaks: false,
  categories: [StringLiteral],
  label: "a string",
});

/** Whether a misquoted string has its closing quote (the text between the quotes is then its value). */
export function misquotedIsClosed(image: string): boolean {
  const last = image[image.length - 1]!;
  return image.length > 1 && (last === '"' || DOUBLE_QUOTES.includes(last) || SINGLE_QUOTES.includes(last));
}

/**
 * `px` written after a number (`500px x 500`, `at 0px, 0`): lexed as part of the number or size so
 * that the syntax phase can say "no units" once, instead of a parse error and an unknown option.
 */
const UNIT = /px/gi;

/** `1408 x 640` or `1408x640`: one token, so no whitespace or line break can split a size. */
export const SizeLiteral = createToken({
  name: "SizeLiteral",
  pattern: /-?\d+(?:\.\d+)?(?:[pP][xX])?[ \t]*[xX\u00d7][ \t]*-?\d+(?:\.\d+)?(?:[pP][xX])?/,
  label: "a size such as `640 x 480`",
});
/** `1..16` in `seeds`: whole numbers only, so that it never reads as two decimals (`1.` and `.16`). */
export const RangeLiteral = createToken({
  name: "RangeLiteral",
  pattern: /\d+[ \t]*\.\.[ \t]*\d+/,
  label: "a range such as `1..16`",
});
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:[pP][xX])?/,
  label: "a number",
});

/** A number's or size's text without the units the syntax phase has reported. */
export function withoutUnits(image: string): string {
  return image.replace(UNIT, "");
}
/**
 * The value of `blend`, `tiling` and `fit`: an identifier, or the keyword `crop` (`fit crop` is
 * other tools' word for `cover`; read as a name, the checker suggests `cover`).
 */
export const NameWord = createToken({ name: "NameWord", pattern: Lexer.NA, label: "a name" });
export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_-]*/,
  categories: [Word, NameWord],
  label: "a name",
});

export const LCurly = createToken({ name: "LCurly", pattern: "{", label: "`{`" });
export const RCurly = createToken({ name: "RCurly", pattern: "}", label: "`}`" });
export const LSquare = createToken({ name: "LSquare", pattern: "[", label: "`[`" });
export const RSquare = createToken({ name: "RSquare", pattern: "]", label: "`]`" });
export const Comma = createToken({ name: "Comma", pattern: ",", label: "`,`" });
/** Around a polygon's points: `(x, y)`. */
export const LParen = createToken({ name: "LParen", pattern: "(", label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: ")", label: "`)`" });

function keyword(word: string, categories: TokenType[] = []): TokenType {
  return createToken({
    // `negative-crop` -> `NegativeCrop`: token names are CST keys.
    name: word.replace(/(^|-)(\w)/g, (_m, _dash: string, c: string) => c.toUpperCase()),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Word, ...categories],
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
// `seeds` before `seed`, as `prompts` before `prompt`.
export const Seeds = keyword("seeds");
export const Seed = keyword("seed");
export const Steps = keyword("steps");
export const Scheduler = keyword("scheduler");
export const Karras = keyword("karras");
export const Guidance = keyword("guidance");
export const Negative = keyword("negative");
export const Blend = keyword("blend");
export const Noise = keyword("noise");
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
export const Tiling = keyword("tiling");
export const Fit = keyword("fit");
export const Strength = keyword("strength");
// A region's shape or mask and their modifiers (`shape ellipse feather 16 invert`, `mask "l.png" fit cover`).
export const Shape = keyword("shape");
export const Mask = keyword("mask");
export const Feather = keyword("feather");
export const Invert = keyword("invert");
// SDXL micro-conditioning. The `negative-` words come before `negative` in KEYWORD_TOKENS, or
// `negative` would match their first eight letters.
export const Original = keyword("original");
export const Target = keyword("target");
export const Crop = keyword("crop", [NameWord]);
export const NegativeOriginal = keyword("negative-original");
export const NegativeTarget = keyword("negative-target");
export const NegativeCrop = keyword("negative-crop");

export const KEYWORD_TOKENS: readonly TokenType[] = [
  Style, Import, Region, Grid, Guide,
  Canvas, Model, Seeds, Seed, Steps, Scheduler, Karras, Guidance, NegativeOriginal, NegativeTarget, NegativeCrop, Negative, Blend, Noise, Output,
  Prompts, Prompt, Weight, At, Size, Tile, Overlap, Columns, Rows, Cell, Tiling, Fit, Strength, Shape, Mask, Feather, Invert,
  Original, Target, Crop,
];

/** Every keyword of the language, for editors (the TextMate grammar test checks it against this). */
export const KEYWORDS: readonly string[] = KEYWORD_TOKENS.map((t) => (t.PATTERN as RegExp).source);

export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace, Comment,
  StringLiteral, UnterminatedString, MisquotedString,
  SizeLiteral, RangeLiteral, NumberLiteral,
  LCurly, RCurly, LSquare, RSquare, Comma, LParen, RParen,
  ...KEYWORD_TOKENS,
  Identifier, Word, NameWord,
];

/** Tokens that are values (of a setting or option), never the start of a statement. */
export const ValueTokens: readonly TokenType[] = [StringLiteral, UnterminatedString, MisquotedString, SizeLiteral, RangeLiteral, NumberLiteral];
