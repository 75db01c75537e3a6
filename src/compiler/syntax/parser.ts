import { CstParser, EOF, type CstNode, type IOrAlt, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType, defaultParserErrorProvider } from "chevrotain";
import { suggest } from "../check/suggest.js";
import * as T from "./tokens.js";

function describe(tokenType: TokenType): string {
  return tokenType.LABEL ?? tokenType.name;
}

function found(token: IToken | undefined): string {
  return !token || token.tokenType === EOF ? "end of file" : `\`${token.image}\``;
}

/** A token after the last complete statement, where only another statement (or the end) may come. */
export function strayMessage(token: IToken): string {
  return `unexpected ${found(token)} at the top level`;
}

/**
 * "expected A or B after `keyword`, found X"; only the end of file expected means a stray token at
 * the top level. The keyword is named when the token before is an option's or statement's keyword
 * (`guidance high`: "expected a number after `guidance`, found `high`").
 */
function expectedMessage(expected: readonly TokenType[], actual: IToken | undefined, previous?: IToken): string {
  if (expected.length > 0 && expected.every((t) => t === EOF) && actual && actual.tokenType !== EOF) return strayMessage(actual);
  const names = [...new Set(expected.map(describe))];
  const after = previous && T.KEYWORD_TOKENS.includes(previous.tokenType) ? ` after \`${previous.image}\`` : "";
  return `expected ${names.join(" or ")}${after}, found ${found(actual)}`;
}

/** Thrown by the message provider when a parse has used up its error budget: the parse stops there. */
class TooManyParseErrors extends Error {}

/** Parse errors left before the parse in progress stops (see SceneParser.parse). */
let errorBudget = Infinity;

function spend(): void {
  errorBudget -= 1;
  if (errorBudget < 0) throw new TooManyParseErrors("too many parse errors");
}

/**
 * Messages in the project's style: lowercase, matter of fact, token labels instead of token names.
 * syntax.ts reads the expected tokens back from "expected …, found …" to choose its help. Every
 * parse error's message is built here just before chevrotain records the error, which makes this
 * the place to count them.
 */
const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous }) {
    spend();
    return expectedMessage([expected], actual, previous);
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    spend();
    return strayMessage(firstRedundant);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous, ruleName }) {
    spend();
    const first: TokenType[] = [];
    for (const alt of expectedPathsPerAlt) for (const path of alt) if (path[0]) first.push(path[0]);
    if (first.length === 0) return `expected ${ruleName}, found ${found(actual[0])}`;
    return expectedMessage(first, actual[0], previous);
  },
  buildEarlyExitMessage(options) {
    spend();
    const expected = options.expectedIterationPaths.map((p) => p[0]).filter((t): t is TokenType => t !== undefined);
    if (expected.length === 0) return defaultParserErrorProvider.buildEarlyExitMessage(options);
    return expectedMessage(expected, options.actual[0], options.previous);
  },
};

export interface ParseResult {
  /** Undefined when the parse stopped at its error budget. */
  cst: CstNode | undefined;
  errors: IRecognitionException[];
}

/**
 * The concrete grammar. Options share one rule set for every block (settings, regions, grids,
 * cells, guides); where each option may appear is checked later, so that a misplaced option gets
 * a precise message instead of a parse error. `unknownOption` catches a misspelt option with its
 * arguments, so one typo costs one diagnostic and parsing goes on.
 */
class SceneParser extends CstParser {
  /**
   * Each rule's alternatives, built on its first call: an array literal in `OR` would be made
   * again at every call, and the `setting` rule alone is called three times per region.
   */
  private readonly alternatives: Partial<Record<string, IOrAlt<unknown>[]>> = {};

  constructor() {
    super(T.ALL_TOKENS as TokenType[], {
      recoveryEnabled: true,
      // Offsets on every CST node: spans without walking subtrees again.
      nodeLocationTracking: "onlyOffset",
      maxLookahead: 2,
      errorMessageProvider,
    });
    this.performSelfAnalysis();
  }

  /**
   * Parses a token vector, stopping after `maxErrors` parse errors. Stopping matters for more than
   * time: chevrotain recovers inside a repetition by calling the repetition again, one stack frame
   * deeper per recovered error, so a file of thousands of errors would overflow the stack.
   */
  parse(tokens: IToken[], maxErrors: number): ParseResult {
    this.input = tokens;
    errorBudget = maxErrors;
    try {
      const cst = this.scene();
      return { cst, errors: this.errors };
    } catch (error) {
      if (!(error instanceof TooManyParseErrors)) throw error;
      return { cst: undefined, errors: this.errors };
    } finally {
      errorBudget = Infinity;
    }
  }

  scene = this.RULE("scene", () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  statement = this.RULE("statement", () => {
    this.OR((this.alternatives.statement ??= [
      { ALT: () => this.SUBRULE(this.styleDecl) },
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.regionDecl) },
      { ALT: () => this.SUBRULE(this.gridDecl) },
      { ALT: () => this.SUBRULE(this.guideDecl) },
      { ALT: () => this.SUBRULE(this.setting) },
    ]));
  });

  styleDecl = this.RULE("styleDecl", () => {
    this.CONSUME(T.Style);
    this.CONSUME(T.Word);
    this.SUBRULE(this.text);
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.SUBRULE(this.text);
  });

  regionDecl = this.RULE("regionDecl", () => {
    this.CONSUME(T.Region);
    this.CONSUME(T.Word);
    this.SUBRULE(this.block);
  });

  gridDecl = this.RULE("gridDecl", () => {
    this.CONSUME(T.Grid);
    this.CONSUME(T.Word);
    this.SUBRULE(this.block);
  });

  guideDecl = this.RULE("guideDecl", () => {
    this.CONSUME(T.Guide);
    this.SUBRULE(this.text);
    this.OPTION(() => this.SUBRULE(this.block));
  });

  block = this.RULE("block", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.setting));
    this.CONSUME(T.RCurly);
  });

  setting = this.RULE("setting", () => {
    this.OR((this.alternatives.setting ??= [
      { ALT: () => this.SUBRULE(this.sizeOption) },
      { ALT: () => this.SUBRULE(this.numberOption) },
      { ALT: () => this.SUBRULE(this.textOption) },
      { ALT: () => this.SUBRULE(this.nameOption) },
      { ALT: () => this.SUBRULE(this.noiseOption) },
      { ALT: () => this.SUBRULE(this.schedulerOption) },
      { ALT: () => this.SUBRULE(this.atOption) },
      { ALT: () => this.SUBRULE(this.promptsOption) },
      { ALT: () => this.SUBRULE(this.seedsOption) },
      { ALT: () => this.SUBRULE(this.cellOption) },
      { ALT: () => this.SUBRULE(this.shapeOption) },
      { ALT: () => this.SUBRULE(this.maskOption) },
      { ALT: () => this.SUBRULE(this.unknownOption) },
    ]));
  });

  sizeOption = this.RULE("sizeOption", () => {
    this.OR((this.alternatives.sizeOption ??= [
      { ALT: () => this.CONSUME(T.Canvas) },
      { ALT: () => this.CONSUME(T.Size) },
      { ALT: () => this.CONSUME(T.Tile) },
      { ALT: () => this.CONSUME(T.Overlap) },
      { ALT: () => this.CONSUME(T.Original) },
      { ALT: () => this.CONSUME(T.Target) },
      { ALT: () => this.CONSUME(T.NegativeOriginal) },
      { ALT: () => this.CONSUME(T.NegativeTarget) },
    ]));
    this.CONSUME(T.SizeLiteral);
  });

  numberOption = this.RULE("numberOption", () => {
    this.OR((this.alternatives.numberOption ??= [
      { ALT: () => this.CONSUME(T.Seed) },
      { ALT: () => this.CONSUME(T.Steps) },
      { ALT: () => this.CONSUME(T.Guidance) },
      { ALT: () => this.CONSUME(T.Weight) },
      { ALT: () => this.CONSUME(T.Columns) },
      { ALT: () => this.CONSUME(T.Rows) },
      { ALT: () => this.CONSUME(T.Strength) },
    ]));
    this.CONSUME(T.NumberLiteral);
  });

  textOption = this.RULE("textOption", () => {
    this.OR((this.alternatives.textOption ??= [
      { ALT: () => this.CONSUME(T.Model) },
      { ALT: () => this.CONSUME(T.Negative) },
      { ALT: () => this.CONSUME(T.Output) },
      { ALT: () => this.CONSUME(T.Prompt) },
    ]));
    this.SUBRULE(this.text);
  });

  nameOption = this.RULE("nameOption", () => {
    this.OR((this.alternatives.nameOption ??= [{ ALT: () => this.CONSUME(T.Blend) }, { ALT: () => this.CONSUME(T.Tiling) }, { ALT: () => this.CONSUME(T.Fit) }]));
    this.CONSUME(T.NameWord);
  });

  /** `noise NAME` or `noise "file.npy"`. */
  noiseOption = this.RULE("noiseOption", () => {
    this.CONSUME(T.Noise);
    this.OR((this.alternatives.noiseOption ??= [{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.SUBRULE(this.text) }]));
  });

  /**
   * `scheduler NAME [karras]`. A word close to `karras` on the same line (`scheduler euler karas`)
   * is taken as a misspelt `karras`, so that cst-to-ast can suggest it, rather than starting a new
   * statement that would be reported as an unknown setting.
   */
  schedulerOption = this.RULE("schedulerOption", () => {
    this.CONSUME(T.Scheduler);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.OR((this.alternatives.schedulerOption ??= [
        { ALT: () => this.CONSUME(T.Karras) },
        {
          GATE: () => {
            const next = this.LA(1);
            return next.startLine === this.LA(0).endLine && suggest(next.image, ["karras"]) !== undefined;
          },
          ALT: () => this.CONSUME2(T.Identifier),
        },
      ]));
    });
  });

  /** `at X, Y`, and the micro-conditioning crops `crop X, Y` and `negative-crop X, Y`. */
  atOption = this.RULE("atOption", () => {
    this.OR((this.alternatives.atOption ??= [{ ALT: () => this.CONSUME(T.At) }, { ALT: () => this.CONSUME(T.Crop) }, { ALT: () => this.CONSUME(T.NegativeCrop) }]));
    this.CONSUME(T.NumberLiteral);
    this.OPTION(() => this.CONSUME(T.Comma));
    this.CONSUME2(T.NumberLiteral);
  });

  promptsOption = this.RULE("promptsOption", () => {
    this.CONSUME(T.Prompts);
    this.CONSUME(T.LSquare);
    this.OPTION(() => {
      this.SUBRULE(this.text);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.text);
      });
    });
    this.OPTION2(() => this.CONSUME2(T.Comma));
    this.CONSUME(T.RSquare);
  });

  /** `seeds 1..16`, `seeds 3, 7, 42`, `seeds 1..4, 10`. */
  seedsOption = this.RULE("seedsOption", () => {
    this.CONSUME(T.Seeds);
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => this.OR((this.alternatives.seedsOption ??= [{ ALT: () => this.CONSUME(T.RangeLiteral) }, { ALT: () => this.CONSUME(T.NumberLiteral) }])),
    });
  });

  cellOption = this.RULE("cellOption", () => {
    this.CONSUME(T.Cell);
    this.CONSUME(T.NumberLiteral);
    this.OPTION(() => this.CONSUME(T.Comma));
    this.CONSUME2(T.NumberLiteral);
    this.SUBRULE(this.block);
  });

  /** `shape NAME`, a polygon's points `(X, Y)`, then its modifiers in any order: `feather N` and `invert`. */
  shapeOption = this.RULE("shapeOption", () => {
    this.CONSUME(T.Shape);
    this.CONSUME(T.NameWord);
    this.MANY(() => this.SUBRULE(this.shapePoint));
    this.MANY2(() => {
      this.OR((this.alternatives.shapeOption ??= [
        {
          ALT: () => {
            this.CONSUME(T.Feather);
            this.CONSUME(T.NumberLiteral);
          },
        },
        { ALT: () => this.CONSUME(T.Invert) },
      ]));
    });
  });

  /**
   * `mask "file.png"`, then its modifiers in any order: `fit NAME`, `feather N` and `invert`. A
   * `fit` only on the mask's own line: in a guide's block, `fit` on a line of its own is the guide's.
   */
  maskOption = this.RULE("maskOption", () => {
    this.CONSUME(T.Mask);
    this.SUBRULE(this.text);
    this.MANY({
      GATE: () => this.LA(1).tokenType !== T.Fit || this.LA(1).startLine === this.LA(0).endLine,
      DEF: () => {
        this.OR((this.alternatives.maskOption ??= [
          {
            ALT: () => {
              this.CONSUME(T.Fit);
              this.CONSUME(T.NameWord);
            },
          },
          {
            ALT: () => {
              this.CONSUME(T.Feather);
              this.CONSUME(T.NumberLiteral);
            },
          },
          { ALT: () => this.CONSUME(T.Invert) },
        ]));
      },
    });
  });

  shapePoint = this.RULE("shapePoint", () => {
    this.CONSUME(T.LParen);
    this.CONSUME(T.NumberLiteral);
    this.OPTION(() => this.CONSUME(T.Comma));
    this.CONSUME2(T.NumberLiteral);
    this.CONSUME(T.RParen);
  });

  /** A word that is no option, with whatever arguments follow it: reported as S1011 with a suggestion. */
  unknownOption = this.RULE("unknownOption", () => {
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.OR((this.alternatives.unknownOption ??= [
        { ALT: () => this.CONSUME2(T.Identifier) },
        { ALT: () => this.CONSUME(T.StringLiteral) },
        { ALT: () => this.CONSUME(T.NumberLiteral) },
        { ALT: () => this.CONSUME(T.SizeLiteral) },
        { ALT: () => this.CONSUME(T.Comma) },
      ]));
    });
    this.OPTION2(() => this.SUBRULE(this.block));
  });

  text = this.RULE("text", () => {
    this.AT_LEAST_ONE(() => this.CONSUME(T.StringLiteral));
  });
}

/** One instance, reused: chevrotain's self-analysis is the expensive part. */
export const sceneParser = new SceneParser();

export type { CstNode };
