import { SemanticTokensBuilder, type SemanticTokens, type SemanticTokensLegend } from "vscode-languageserver/node";
import type { Option, SceneFile, Statement } from "../compiler/syntax/ast.js";
import { lexScene } from "../compiler/syntax/parse-scene.js";
import * as T from "../compiler/syntax/tokens.js";
import { styleRefsOf } from "./syntax-walk.js";

/**
 * The semantic tokens' legend (src/lsp/README.md lists it too): keywords, numbers (sizes and
 * ranges too), styles (`macro`: declared, and `{name}` inside strings), regions and grids
 * (`variable`, where declared) and the named values of `scheduler`, `blend`, `tiling`, `fit`,
 * `noise` and `shape` (`enumMember`). Declarations carry the `declaration` modifier. Strings are
 * left to the TextMate grammar, as are comments and punctuation: a string token would paint over
 * what the grammar colours inside a prompt (escapes, weighting, extra networks).
 */
export const SEMANTIC_TOKENS_LEGEND: SemanticTokensLegend = {
  tokenTypes: ["keyword", "number", "macro", "variable", "enumMember"],
  tokenModifiers: ["declaration"],
};
const [KEYWORD, NUMBER, MACRO, VARIABLE, ENUM_MEMBER] = [0, 1, 2, 3, 4] as const;
const DECLARATION = 1;

const KEYWORDS = new Set(T.KEYWORD_TOKENS);
const STRINGS = new Set([T.StringLiteral, T.UnterminatedString, T.MisquotedString]);
const NUMBERS = new Set([T.NumberLiteral, T.SizeLiteral, T.RangeLiteral]);

/**
 * The file's tokens as the lexer reads them, typed by what the tree says they are: a keyword
 * where a name is expected (a region called `tile`) is a name, and a string holds its `{style}`
 * references. Statements that do not parse keep only their keywords and numbers.
 */
export function semanticTokens(tree: SceneFile, text: string): SemanticTokens {
  /** Name positions (declarations, named values) by their start offset: [type, modifiers]. */
  const names = new Map<number, [number, number]>();
  const visit = (item: Statement | Option) => {
    if (item.kind === "style") names.set(item.name.span.start, [MACRO, DECLARATION]);
    else if (item.kind === "region" || item.kind === "grid") names.set(item.name.span.start, [VARIABLE, DECLARATION]);
    else if ("value" in item && "name" in item.value) names.set(item.value.span.start, [ENUM_MEMBER, 0]);
    if ("options" in item) item.options.forEach(visit);
  };
  tree.statements.forEach(visit);
  const refs = [...styleRefsOf(tree)].map((r) => r.span).sort((a, b) => a.start - b.start);

  const builder = new SemanticTokensBuilder();
  let next = 0;
  for (const token of lexScene(text).tokens) {
    const start = token.startOffset;
    const end = start + token.image.length;
    // Tokens never span lines (strings end at theirs), so a column is the line's plus the offset.
    const push = (from: number, to: number, type: number, modifiers = 0) => {
      if (to > from) builder.push(token.startLine! - 1, token.startColumn! - 1 + from - start, to - from, type, modifiers);
    };
    const name = names.get(start);
    if (name) push(start, end, ...name);
    else if (STRINGS.has(token.tokenType)) {
      for (; next < refs.length && refs[next]!.start < end; next++) if (refs[next]!.start >= start) push(refs[next]!.start, refs[next]!.end, MACRO);
    } else if (KEYWORDS.has(token.tokenType)) push(start, end, KEYWORD);
    else if (NUMBERS.has(token.tokenType)) push(start, end, NUMBER);
  }
  return builder.build();
}
