import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import vsctm from "vscode-textmate";
import oniguruma from "vscode-oniguruma";
import { BLEND_KERNELS, FIT_MODES, GRID_TILINGS, NOISE_GENERATORS, SCHEDULER_NAMES, SHAPE_KINDS } from "../src/compiler/plan/plan.js";
import { KEYWORDS } from "../src/compiler/syntax/tokens.js";

const require = createRequire(import.meta.url);
const grammarPath = fileURLToPath(new URL("../grammar/scene.tmLanguage.json", import.meta.url));
const configPath = fileURLToPath(new URL("../grammar/language-configuration.json", import.meta.url));
const grammarText = readFileSync(grammarPath, "utf8");

interface Token {
  line: number;
  text: string;
  scopes: string[];
}

let grammar: vsctm.IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === "source.scene" ? vsctm.parseRawGrammar(grammarText, grammarPath) : null,
  });
  const loaded = await registry.loadGrammar("source.scene");
  if (!loaded) throw new Error("grammar source.scene did not load");
  grammar = loaded;
});

/** Tokenizes a whole text line by line, carrying the rule stack across lines as an editor does. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let state = vsctm.INITIAL;
  text.split("\n").forEach((lineText, line) => {
    const result = grammar.tokenizeLine(lineText, state);
    for (const t of result.tokens) {
      tokens.push({ line, text: lineText.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    state = result.ruleStack;
  });
  return tokens;
}

/** The scopes of the `occurrence`-th token (0-based) whose text is exactly `text`, on line `line` (0-based). */
function scopesOf(tokens: Token[], line: number, text: string, occurrence = 0): string[] {
  const found = tokens.filter((t) => t.line === line && t.text === text)[occurrence];
  if (!found) {
    const onLine = tokens.filter((t) => t.line === line).map((t) => JSON.stringify(t.text));
    throw new Error(`no token ${JSON.stringify(text)} on line ${line}; tokens: ${onLine.join(" ")}`);
  }
  return found.scopes;
}

const isKeywordScope = (scope: string): boolean => scope.startsWith("keyword.") || scope.startsWith("storage.type.");

/** Whether `word`, alone on a line, is one token whose scopes pass `scoped`. */
function isOneTokenScoped(word: string, scoped: (scopes: string[]) => boolean): boolean {
  const tokens = tokenize(word).filter((t) => t.text.trim() !== "");
  return tokens.length === 1 && tokens[0]!.text === word && scoped(tokens[0]!.scopes);
}

/** Whether `word`, alone on a line, is one token that the grammar scopes as a keyword or declaration keyword. */
const highlightsAsKeyword = (word: string): boolean => isOneTokenScoped(word, (scopes) => scopes.some(isKeywordScope));

/** The values of `scheduler`, `blend`, `fit`, `tiling` and `noise`: plain names to the lexer, constants to the grammar. */
const VALUES: readonly string[] = [...SCHEDULER_NAMES, ...BLEND_KERNELS, ...FIT_MODES, ...GRID_TILINGS, ...NOISE_GENERATORS, ...SHAPE_KINDS];

/** Whether `word`, alone on a line, is one token that the grammar scopes as a value and not as a keyword. */
const highlightsAsValue = (word: string): boolean =>
  isOneTokenScoped(word, (scopes) => scopes.includes("constant.language.scene") && !scopes.some(isKeywordScope));

/** `word` and the near misses that a sloppy pattern (a missing word edge, `s?`, case folding) would catch. */
const nearMisses = (word: string): string[] => [`${word}s`, word.slice(0, -1), `${word}_x`, `${word}-x`, `x-${word}`, word.toUpperCase()];

/** Every word written literally in the grammar's regular expressions (escapes and character classes removed). */
function wordsInGrammarPatterns(): Set<string> {
  const words = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (typeof value === "string" && ["match", "begin", "end", "while"].includes(key)) {
          const literal = value.replace(/\\./g, " ").replace(/\[[^\]]*\]/g, " ");
          for (const w of literal.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) words.add(w);
        } else {
          visit(value);
        }
      }
    }
  };
  visit(JSON.parse(grammarText));
  return words;
}

const SAMPLE = [
  /*  0 */ "# countryside, the paper's figure 4",
  /*  1 */ "canvas 1408 x 640",
  /*  2 */ "seed 7178915308",
  /*  3 */ "scheduler euler_ancestral karras",
  /*  4 */ "guidance 7.5",
  /*  5 */ 'style rozalski "by jakub \\"rozalski\\", {finish}\\n"',
  /*  6 */ "region house {",
  /*  7 */ "  at 0, -8",
  /*  8 */ "  size 640x640   # a comment after an option",
  /*  9 */ '  prompt "A charming house, {rozalski}"',
  /* 10 */ "}",
  /* 11 */ "grid",
  /* 12 */ "  tile-grid {",
  /* 13 */ "  tile 640 x 480",
  /* 14 */ '  prompts [ "a", "b" "c", ]',
  /* 15 */ "  cell 3, 2 { blend quartic sheduler 1 }",
  /* 16 */ "}",
  /* 17 */ "region tile { }",
  /* 18 */ 'guide "sketch.png" { fit cover strength 0.25 }',
  /* 19 */ 'import "styles/common.scene"',
].join("\n");

describe("TextMate grammar (grammar/scene.tmLanguage.json)", () => {
  it("declares the scope name and file type", () => {
    const raw = JSON.parse(grammarText) as { scopeName: string; fileTypes: string[] };
    expect(raw.scopeName).toBe("source.scene");
    expect(raw.fileTypes).toEqual(["scene"]);
  });

  it("scopes the tokens of a sample scene", () => {
    const tokens = tokenize(SAMPLE);

    // Comments, on their own line and after an option.
    expect(scopesOf(tokens, 0, "#")).toContain("comment.line.number-sign.scene");
    expect(scopesOf(tokens, 0, " countryside, the paper's figure 4")).toContain("comment.line.number-sign.scene");
    expect(scopesOf(tokens, 8, " a comment after an option")).toContain("comment.line.number-sign.scene");

    // A string with escapes and an interpolation.
    expect(scopesOf(tokens, 5, '"', 0)).toContain("punctuation.definition.string.begin.scene");
    expect(scopesOf(tokens, 5, "by jakub ")).toContain("string.quoted.double.scene");
    const escape = scopesOf(tokens, 5, '\\"');
    expect(escape).toContain("string.quoted.double.scene");
    expect(escape).toContain("constant.character.escape.scene");
    expect(scopesOf(tokens, 5, "\\n")).toContain("constant.character.escape.scene");
    expect(scopesOf(tokens, 5, "{")).toContain("punctuation.definition.interpolation.begin.scene");
    const reference = scopesOf(tokens, 5, "finish");
    expect(reference).toContain("string.quoted.double.scene");
    expect(reference).toContain("variable.other.style-reference.scene");
    expect(scopesOf(tokens, 5, "}")).toContain("punctuation.definition.interpolation.end.scene");
    expect(scopesOf(tokens, 5, '"', 1)).toContain("punctuation.definition.string.end.scene");
    expect(scopesOf(tokens, 9, "rozalski")).toContain("variable.other.style-reference.scene");

    // Sizes are one token, with or without spaces; numbers, negative ones included.
    expect(scopesOf(tokens, 1, "1408 x 640")).toContain("constant.numeric.size.scene");
    expect(scopesOf(tokens, 8, "640x640")).toContain("constant.numeric.size.scene");
    expect(scopesOf(tokens, 2, "7178915308")).toContain("constant.numeric.scene");
    expect(scopesOf(tokens, 4, "7.5")).toContain("constant.numeric.scene");
    expect(scopesOf(tokens, 7, "-8")).toContain("constant.numeric.scene");

    // Declarations and their names.
    expect(scopesOf(tokens, 6, "region")).toContain("storage.type.region.scene");
    expect(scopesOf(tokens, 6, "house")).toContain("entity.name.type.region.scene");
    expect(scopesOf(tokens, 5, "style")).toContain("storage.type.style.scene");
    expect(scopesOf(tokens, 5, "rozalski")).toContain("entity.name.type.style.scene");
    expect(scopesOf(tokens, 11, "grid")).toContain("storage.type.grid.scene");
    expect(scopesOf(tokens, 12, "tile-grid")).toContain("entity.name.type.grid.scene"); // name on the next line
    expect(scopesOf(tokens, 18, "guide")).toContain("storage.type.guide.scene");
    expect(scopesOf(tokens, 19, "import")).toContain("storage.type.import.scene");
    // Keywords are not reserved in name positions.
    const keywordAsName = scopesOf(tokens, 17, "tile");
    expect(keywordAsName).toContain("entity.name.type.region.scene");
    expect(keywordAsName.some(isKeywordScope)).toBe(false);

    // Option keywords.
    for (const [line, word] of [[1, "canvas"], [2, "seed"], [3, "scheduler"], [7, "at"], [8, "size"], [9, "prompt"],
      [13, "tile"], [14, "prompts"], [15, "cell"], [15, "blend"], [18, "fit"], [18, "strength"]] as const) {
      expect(scopesOf(tokens, line, word), word).toContain("keyword.other.option.scene");
    }
    // A misspelt option is a plain name.
    expect(scopesOf(tokens, 15, "sheduler").some(isKeywordScope)).toBe(false);

    // Enumerated values.
    expect(scopesOf(tokens, 3, "euler_ancestral")).toContain("constant.language.scene");
    expect(scopesOf(tokens, 3, "karras")).toContain("constant.language.scene");
    expect(scopesOf(tokens, 15, "quartic")).toContain("constant.language.scene");
    expect(scopesOf(tokens, 18, "cover")).toContain("constant.language.scene");

    // Punctuation.
    expect(scopesOf(tokens, 6, "{")).toContain("punctuation.section.block.begin.scene");
    expect(scopesOf(tokens, 10, "}")).toContain("punctuation.section.block.end.scene");
    expect(scopesOf(tokens, 14, "[")).toContain("punctuation.section.brackets.begin.scene");
    expect(scopesOf(tokens, 14, "]")).toContain("punctuation.section.brackets.end.scene");
    expect(scopesOf(tokens, 7, ",")).toContain("punctuation.separator.comma.scene");

    // Nothing leaks past the end of a block: the state after the sample is back at the top level.
    expect(scopesOf(tokens, 19, "import")).toEqual(["source.scene", "storage.type.import.scene"]);
  });

  it("ends an unterminated string at the end of its line", () => {
    const tokens = tokenize('prompt "no closing quote\nseed 1');
    expect(scopesOf(tokens, 1, "seed")).toEqual(["source.scene", "keyword.other.option.scene"]);
  });

  it("highlights prompt weighting inside strings: brackets, weights, escapes, BREAK, extra networks", () => {
    const tokens = tokenize('prompt "(red:1.5) \\(x\\) [a] BREAK <lora:foo:0.8>"');
    expect(scopesOf(tokens, 0, "(")).toContain("punctuation.definition.emphasis.scene");
    expect(scopesOf(tokens, 0, "1.5")).toContain("constant.numeric.weight.scene");
    expect(scopesOf(tokens, 0, "\\(")).toContain("constant.character.escape.scene");
    expect(scopesOf(tokens, 0, "]")).toContain("punctuation.definition.emphasis.scene");
    expect(scopesOf(tokens, 0, "BREAK")).toContain("keyword.control.break.scene");
    expect(scopesOf(tokens, 0, "<lora:foo:0.8>")).toContain("meta.extra-network.scene");
    expect(scopesOf(tokens, 0, "BREAK")).toContain("string.quoted.double.scene");
  });

  it("highlights every word in KEYWORDS as a keyword", () => {
    expect(KEYWORDS.length).toBeGreaterThan(0);
    const missing = KEYWORDS.filter((w) => !highlightsAsKeyword(w));
    expect(missing).toEqual([]);
  });

  it("highlights no word as a keyword that is not in KEYWORDS", () => {
    const candidates = new Set([
      ...wordsInGrammarPatterns(),
      ...KEYWORDS,
      ...KEYWORDS.flatMap(nearMisses),
    ]);
    const highlighted = [...candidates].filter(highlightsAsKeyword);
    const extra = highlighted.filter((w) => !KEYWORDS.includes(w));
    expect(extra).toEqual([]);
    expect(new Set(highlighted)).toEqual(new Set(KEYWORDS));
  });

  it("highlights every scheduler, blend kernel and fit mode of the compiler as a value, and no other word", () => {
    expect(VALUES.filter((w) => !highlightsAsValue(w))).toEqual([]);
    const candidates = new Set([...wordsInGrammarPatterns(), ...KEYWORDS, ...VALUES, ...VALUES.flatMap(nearMisses)]);
    expect([...candidates].filter((w) => highlightsAsValue(w) && !VALUES.includes(w))).toEqual([]);
  });
});

describe("language configuration (grammar/language-configuration.json)", () => {
  it("uses # line comments and pairs braces, brackets and quotes", () => {
    const config = JSON.parse(readFileSync(configPath, "utf8")) as {
      comments: { lineComment: string };
      brackets: string[][];
      autoClosingPairs: { open: string; close: string }[];
      surroundingPairs: string[][];
    };
    expect(config.comments.lineComment).toBe("#");
    expect(config.brackets).toEqual([["{", "}"], ["[", "]"]]);
    expect(config.autoClosingPairs.map((p) => p.open + p.close)).toEqual(["{}", "[]", '""']);
    expect(config.surroundingPairs).toEqual([["{", "}"], ["[", "]"], ['"', '"']]);
  });
});
