import type { CstNode, IToken, TokenType } from "chevrotain";
import type * as A from "./ast.js";
import { CONTEXT_NAMES, DECLARATION_KEYWORDS, OPTIONS_BY_CONTEXT, type OptionContext } from "../check/option-contexts.js";
import { sceneParser } from "./parser.js";
import type { Reporter } from "../diagnostics/reporter.js";
import type { Span } from "../diagnostics/span.js";
import { suggest } from "../check/suggest.js";
import { BRACKETS } from "../check/prompt-emphasis.js";
import { MappedTextBuilder } from "./mapped-text.js";
import * as T from "./tokens.js";

type Children = Record<string, (CstNode | IToken)[] | undefined>;

function isToken(x: CstNode | IToken): x is IToken {
  return (x as IToken).tokenType !== undefined;
}

/** The first real token directly under a node (an option's keyword). */
// The walks below use `for…in` over a node's children: Object.values allocates an array per node,
// and a 1,000-region scene has tens of thousands of nodes (half the CST→AST time was its GC).
function firstToken(ctx: Children): IToken | undefined {
  let first: IToken | undefined;
  for (const key in ctx)
    for (const x of ctx[key] ?? []) if (isToken(x) && !x.isInsertedInRecovery && (!first || x.startOffset < first.startOffset)) first = x;
  return first;
}

function nodes(ctx: Children, name: string): CstNode[] {
  return (ctx[name] ?? []).filter((x): x is CstNode => !isToken(x));
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** What the escapes of a string literal stand for. */
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", n: "\n", "{": "{", "}": "}" };
const KEYWORDS: ReadonlySet<TokenType> = new Set(T.KEYWORD_TOKENS);

const BaseVisitor = sceneParser.getBaseCstVisitorConstructor();

/**
 * Builds the typed AST from chevrotain's CST. Parsing recovers from errors, so any child may be
 * missing: every method checks before it reads, and drops a node it cannot build whole (the parse
 * error has already been reported). Decodes string escapes and `{style}` references on the way.
 */
export class CstToAst extends BaseVisitor {
  constructor(
    private readonly file: string,
    private readonly reporter: Reporter,
  ) {
    super();
    this.validateVisitor();
  }

  private span(first: IToken, last: IToken = first): Span {
    return { file: this.file, start: first.startOffset, end: (last.endOffset ?? last.startOffset) + 1 };
  }

  /** The span of a node from its direct children (tokens, and child nodes' tracked offsets). */
  private nodeSpan(ctx: Children): Span | undefined {
    let start = Infinity;
    let end = -Infinity;
    for (const key in ctx)
      for (const x of ctx[key] ?? []) {
        if (isToken(x)) {
          if (x.isInsertedInRecovery || Number.isNaN(x.startOffset)) continue;
          start = Math.min(start, x.startOffset);
          end = Math.max(end, (x.endOffset ?? x.startOffset) + 1);
        } else if (x.location && Number.isFinite(x.location.startOffset) && Number.isFinite(x.location.endOffset)) {
          start = Math.min(start, x.location.startOffset);
          end = Math.max(end, x.location.endOffset! + 1);
        }
      }
    return Number.isFinite(start) ? { file: this.file, start, end } : undefined;
  }

  scene(ctx: Children): A.SceneFile {
    const statements: A.Statement[] = [];
    for (const node of nodes(ctx, "statement")) {
      const s = this.visit(node) as A.Statement | undefined;
      if (s) statements.push(s);
    }
    return { path: this.file, statements };
  }

  statement(ctx: Children): A.Statement | undefined {
    for (const key in ctx) {
      const node = ctx[key]?.[0];
      if (!node || isToken(node)) continue;
      if (node.name === "setting") return this.visit(node, "scene") as A.Option | undefined;
      return this.visit(node) as A.Statement | undefined;
    }
    return undefined;
  }

  styleDecl(ctx: Children): A.StyleDecl | undefined {
    const name = ctx.Word?.[0];
    const text = nodes(ctx, "text")[0];
    const span = this.nodeSpan(ctx);
    if (!name || !isToken(name) || name.isInsertedInRecovery || !text || !span) return undefined;
    const value = this.visit(text) as A.StringValue | undefined;
    if (!value) return undefined;
    return { kind: "style", name: { name: name.image, span: this.span(name) }, value, span };
  }

  importDecl(ctx: Children): A.ImportDecl | undefined {
    const text = nodes(ctx, "text")[0];
    const span = this.nodeSpan(ctx);
    const path = text && (this.visit(text) as A.StringValue | undefined);
    if (!path || !span) return undefined;
    return { kind: "import", path, span };
  }

  regionDecl(ctx: Children): A.RegionDecl | undefined {
    return this.namedBlock(ctx, "region");
  }

  gridDecl(ctx: Children): A.GridDecl | undefined {
    return this.namedBlock(ctx, "grid");
  }

  private namedBlock<K extends "region" | "grid">(ctx: Children, kind: K): (A.RegionDecl | A.GridDecl) & { kind: K } | undefined {
    const name = ctx.Word?.[0];
    const block = nodes(ctx, "block")[0];
    const span = this.nodeSpan(ctx);
    if (!name || !isToken(name) || name.isInsertedInRecovery || !span) return undefined;
    const options = block ? (this.visit(block, kind) as A.Option[]) : [];
    return { kind, name: { name: name.image, span: this.span(name) }, options, span } as (A.RegionDecl | A.GridDecl) & { kind: K };
  }

  guideDecl(ctx: Children): A.GuideDecl | undefined {
    const text = nodes(ctx, "text")[0];
    const block = nodes(ctx, "block")[0];
    const span = this.nodeSpan(ctx);
    const path = text && (this.visit(text) as A.StringValue | undefined);
    if (!path || !span) return undefined;
    const options = block ? (this.visit(block, "guide") as A.Option[]) : [];
    return { kind: "guide", path, options, span };
  }

  block(ctx: Children, context: OptionContext): A.Option[] {
    const options: A.Option[] = [];
    for (const node of nodes(ctx, "setting")) {
      const o = this.visit(node, context) as A.Option | undefined;
      if (o) options.push(o);
    }
    return options;
  }

  setting(ctx: Children, context: OptionContext): A.Option | undefined {
    for (const key in ctx) {
      const node = ctx[key]?.[0];
      if (node && !isToken(node)) return this.visit(node, context) as A.Option | undefined;
    }
    return undefined;
  }

  /** The keyword token of an option rule and the option's span, or undefined for a broken node. */
  private head(ctx: Children): { keyword: IToken; span: Span } | undefined {
    const keyword = firstToken(ctx);
    const span = this.nodeSpan(ctx);
    if (!keyword || !span || !KEYWORDS.has(keyword.tokenType)) return undefined;
    return { keyword, span };
  }

  /** A number token's value; units (`0px`, reported by the syntax phase as S1017) are left out. */
  private number(token: IToken | undefined): A.NumberValue | undefined {
    if (!token || token.isInsertedInRecovery) return undefined;
    const raw = T.withoutUnits(token.image);
    return { value: Number(raw), raw, span: { file: this.file, start: token.startOffset, end: token.startOffset + raw.length } };
  }

  sizeOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const token = ctx.SizeLiteral?.[0];
    if (!head || !token || !isToken(token) || token.isInsertedInRecovery) return undefined;
    // Units (`500px x 500`) are reported by the syntax phase as S1017; the numbers still count.
    const match = /^(-?[\d.]+)((?:px)?[ \t]*[xX\u00d7][ \t]*)(-?[\d.]+)(?:px)?$/i.exec(token.image);
    if (!match) return undefined;
    const [, w, sep, h] = match as unknown as [string, string, string, string];
    const start = token.startOffset;
    const width: A.NumberValue = { value: Number(w), raw: w, span: { file: this.file, start, end: start + w.length } };
    const hStart = start + w.length + sep.length;
    const height: A.NumberValue = { value: Number(h), raw: h, span: { file: this.file, start: hStart, end: hStart + h.length } };
    const kind = head.keyword.image as A.SizeOptionKind;
    return { kind, keyword: this.span(head.keyword), span: head.span, value: { width, height, span: this.span(token) } };
  }

  seedsOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    if (!head) return undefined;
    const tokens = [...((ctx.RangeLiteral ?? []) as IToken[]), ...((ctx.NumberLiteral ?? []) as IToken[])].filter((t) => !t.isInsertedInRecovery).sort((a, b) => a.startOffset - b.startOffset);
    const items = tokens.map((token): A.SeedRange => {
      const m = /^(\d+)([ \t]*\.\.[ \t]*)(\d+)$/.exec(token.image);
      const from = this.number(token)!;
      if (!m) return { from, to: from, span: from.span };
      const start = token.startOffset;
      const toStart = start + m[1]!.length + m[2]!.length;
      return {
        from: { value: Number(m[1]), raw: m[1]!, span: { file: this.file, start, end: start + m[1]!.length } },
        to: { value: Number(m[3]), raw: m[3]!, span: { file: this.file, start: toStart, end: toStart + m[3]!.length } },
        span: this.span(token),
      };
    });
    if (items.length === 0) return undefined;
    return { kind: "seeds", keyword: this.span(head.keyword), span: head.span, items };
  }

  numberOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const value = this.number(ctx.NumberLiteral?.[0] as IToken | undefined);
    if (!head || !value) return undefined;
    return { kind: head.keyword.image as A.NumberOptionKind, keyword: this.span(head.keyword), span: head.span, value };
  }

  textOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const text = nodes(ctx, "text")[0];
    const value = text && (this.visit(text) as A.StringValue | undefined);
    if (!head || !value) return undefined;
    return { kind: head.keyword.image as A.TextOptionKind, keyword: this.span(head.keyword), span: head.span, value };
  }

  nameOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const name = ctx.NameWord?.[0];
    if (!head || !name || !isToken(name) || name.isInsertedInRecovery) return undefined;
    return {
      kind: head.keyword.image as A.NameOptionKind,
      keyword: this.span(head.keyword),
      span: head.span,
      value: { name: name.image, span: this.span(name) },
    };
  }

  noiseOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    if (!head) return undefined;
    const name = ctx.Identifier?.[0];
    const text = nodes(ctx, "text")[0];
    let value: A.NameValue | A.StringValue | undefined;
    if (name && isToken(name) && !name.isInsertedInRecovery) value = { name: name.image, span: this.span(name) };
    else if (text) value = this.visit(text) as A.StringValue | undefined;
    if (!value) return undefined;
    return { kind: "noise", keyword: this.span(head.keyword), span: head.span, value };
  }

  schedulerOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const [name, misspelt] = (ctx.Identifier ?? []) as IToken[];
    // The parser takes a word close to `karras` after the name as a misspelt `karras` (see parser.ts).
    const karras = ctx.Karras?.[0] ?? misspelt;
    if (!head || !name || !isToken(name) || name.isInsertedInRecovery) return undefined;
    if (misspelt)
      this.reporter.report("S1011", this.span(misspelt), { variant: "afterScheduler", word: misspelt.image, scheduler: name.image });
    return {
      kind: "scheduler",
      keyword: this.span(head.keyword),
      span: head.span,
      value: { name: name.image, span: this.span(name) },
      karras: karras && isToken(karras) ? this.span(karras) : undefined,
    };
  }

  atOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const [xt, yt] = (ctx.NumberLiteral ?? []) as IToken[];
    const x = this.number(xt);
    const y = this.number(yt);
    if (!head || !x || !y) return undefined;
    return {
      kind: head.keyword.image as A.PointOptionKind,
      keyword: this.span(head.keyword),
      span: head.span,
      value: { x, y, span: { file: this.file, start: x.span.start, end: y.span.end } },
    };
  }

  promptsOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    // A list the parser had to close itself is incomplete: its length would only mislead (S2012).
    const close = ctx.RSquare?.[0];
    if (!head || !close || !isToken(close) || close.isInsertedInRecovery || Number.isNaN(close.startOffset)) return undefined;
    const items = nodes(ctx, "text")
      .map((n) => this.visit(n) as A.StringValue | undefined)
      .filter((v): v is A.StringValue => v !== undefined);
    return { kind: "prompts", keyword: this.span(head.keyword), span: head.span, items };
  }

  cellOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const [ct, rt] = (ctx.NumberLiteral ?? []) as IToken[];
    const column = this.number(ct);
    const row = this.number(rt);
    const block = nodes(ctx, "block")[0];
    if (!head || !column || !row) return undefined;
    const options = block ? (this.visit(block, "cell") as A.Option[]) : [];
    return { kind: "cell", keyword: this.span(head.keyword), span: head.span, column, row, options };
  }

  shapeOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const name = ctx.NameWord?.[0];
    if (!head || !name || !isToken(name) || name.isInsertedInRecovery) return undefined;
    const feathers = (ctx.Feather ?? []) as IToken[];
    const inverts = (ctx.Invert ?? []) as IToken[];
    // A modifier written twice is one mistake: the first one counts.
    for (const again of [...feathers.slice(1), ...inverts.slice(1)])
      this.reporter.report("S2016", this.span(again), { variant: "option", option: again.image, related: [{ span: this.span(again.image === "invert" ? inverts[0]! : feathers[0]!) }] });
    const feather = feathers.length > 0 ? this.number(ctx.NumberLiteral?.[0] as IToken | undefined) : undefined;
    const points = nodes(ctx, "shapePoint")
      .map((n) => this.visit(n) as A.PointValue | undefined)
      .filter((p): p is A.PointValue => p !== undefined);
    return {
      kind: "shape",
      keyword: this.span(head.keyword),
      span: head.span,
      value: { name: name.image, span: this.span(name) },
      points,
      feather,
      invert: inverts[0] && this.span(inverts[0]),
    };
  }

  maskOption(ctx: Children): A.Option | undefined {
    const head = this.head(ctx);
    const text = nodes(ctx, "text")[0];
    const value = text && (this.visit(text) as A.StringValue | undefined);
    if (!head || !value) return undefined;
    const fits = (ctx.Fit ?? []) as IToken[];
    const feathers = (ctx.Feather ?? []) as IToken[];
    const inverts = (ctx.Invert ?? []) as IToken[];
    // A modifier written twice is one mistake: the first one counts.
    for (const list of [fits, feathers, inverts])
      for (const again of list.slice(1)) this.reporter.report("S2016", this.span(again), { variant: "option", option: again.image, related: [{ span: this.span(list[0]!) }] });
    const name = fits.length > 0 ? (ctx.NameWord?.[0] as IToken | undefined) : undefined;
    return {
      kind: "mask",
      keyword: this.span(head.keyword),
      span: head.span,
      value,
      fit: name && !name.isInsertedInRecovery ? { name: name.image, span: this.span(name) } : undefined,
      feather: feathers.length > 0 ? this.number(ctx.NumberLiteral?.[0] as IToken | undefined) : undefined,
      invert: inverts[0] && this.span(inverts[0]),
    };
  }

  shapePoint(ctx: Children): A.PointValue | undefined {
    const [xt, yt] = (ctx.NumberLiteral ?? []) as IToken[];
    const x = this.number(xt);
    const y = this.number(yt);
    const span = this.nodeSpan(ctx);
    if (!x || !y || !span) return undefined;
    return { x, y, span };
  }

  unknownOption(ctx: Children, context: OptionContext): undefined {
    const word = ctx.Identifier?.[0];
    if (!word || !isToken(word) || word.isInsertedInRecovery) return undefined;
    const candidates: string[] = [...OPTIONS_BY_CONTEXT[context]];
    if (context === "scene") candidates.push(...DECLARATION_KEYWORDS);
    const guess = suggest(word.image, candidates);
    const kind = context === "scene" ? "statement or setting" : "option";
    this.reporter.report("S1011", this.span(word), { variant: "word", kind, word: word.image, where: CONTEXT_NAMES[context], guess, candidates });
    return undefined;
  }

  text(ctx: Children): A.StringValue | undefined {
    const literals = ((ctx.StringLiteral ?? []) as IToken[]).filter((t) => !t.isInsertedInRecovery);
    const first = literals[0];
    const last = literals[literals.length - 1];
    if (!first || !last) return undefined;
    const parts: A.StringPart[] = [];
    for (const literal of literals) this.decodeString(literal, parts);
    // One literal's text parts are apart already (a reference between each two).
    if (literals.length === 1) return { parts, span: this.span(first, last) };
    // Merge adjacent text parts so that consumers see one text run between references.
    const merged: A.StringPart[] = [];
    let text: MappedTextBuilder | undefined;
    const flush = () => {
      if (text) merged.push({ kind: "text", ...text.build() });
      text = undefined;
    };
    for (const part of parts) {
      if (part.kind === "ref") {
        flush();
        merged.push(part);
      } else (text ??= new MappedTextBuilder()).append(part);
    }
    flush();
    return { parts: merged, span: this.span(first, last) };
  }

  private decodeString(token: IToken, parts: A.StringPart[]): void {
    const image = token.image;
    const closed = token.tokenType === T.MisquotedString ? T.misquotedIsClosed(image) : token.tokenType !== T.UnterminatedString;
    const bodyEnd = closed ? image.length - 1 : image.length;
    const base = token.startOffset;
    let text = new MappedTextBuilder();
    const flush = () => {
      const built = text.build();
      if (built.text) parts.push({ kind: "text", ...built });
      text = new MappedTextBuilder();
    };
    /** Appends source characters [from, to) of the image as they are. */
    const verbatim = (from: number, to: number) => text.appendSource(image.slice(from, to), this.file, base + from);
    let i = 1;
    while (i < bodyEnd) {
      const ch = image[i]!;
      if (ch === "\\") {
        const next = image[i + 1];
        if (next !== undefined && i + 1 < bodyEnd && ESCAPES[next] !== undefined) {
          text.appendSource(ESCAPES[next], this.file, base + i, 2);
        } else if (next !== undefined && i + 1 < bodyEnd && BRACKETS.includes(next)) {
          // Prompt weighting's own escapes (`\(` is a literal bracket there) reach it as written.
          verbatim(i, i + 2);
        } else {
          const shown = next === undefined || i + 1 >= bodyEnd ? "\\" : `\\${next}`;
          this.reporter.report("S1003", { file: this.file, start: base + i, end: base + i + shown.length }, { escape: shown });
          if (next !== undefined && i + 1 < bodyEnd) text.appendSource(next, this.file, base + i, 2);
        }
        i += 2;
        continue;
      }
      if (ch === "{") {
        const close = image.indexOf("}", i + 1);
        if (close === -1 || close >= bodyEnd) {
          this.reporter.report("S1004", { file: this.file, start: base + i, end: base + i + 1 }, { variant: "unclosed" });
          verbatim(i, i + 1);
          i += 1;
          continue;
        }
        const name = image.slice(i + 1, close);
        if (!IDENTIFIER.test(name)) {
          this.reporter.report("S1004", { file: this.file, start: base + i, end: base + close + 1 }, { variant: "notAName", name });
          verbatim(i, close + 1);
          i = close + 1;
          continue;
        }
        flush();
        parts.push({ kind: "ref", name, span: { file: this.file, start: base + i, end: base + close + 1 } });
        i = close + 1;
        continue;
      }
      // A run of ordinary characters at once (one at a time, a 1,000-region scene's prompts were 50,000 appends).
      let end = i + 1;
      while (end < bodyEnd && image[end] !== "\\" && image[end] !== "{") end++;
      verbatim(i, end);
      i = end;
    }
    flush();
  }
}
