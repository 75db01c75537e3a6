import type { Span } from "../diagnostics/span.js";
import type { MappedText } from "./mapped-text.js";

/**
 * The typed syntax tree of one .scene file. Plain data: every node has a span; nothing here is
 * resolved (styles, imports, defaults and geometry are the checker's and planner's business).
 */

/** A piece of string text: literal characters, or a `{name}` style reference. */
export type StringPart =
  /** Text, with where each of its characters was written (escapes decoded). */
  | ({ kind: "text" } & MappedText)
  | { kind: "ref"; name: string; span: Span };

/** One or more adjacent string literals, concatenated, escapes already decoded. */
export interface StringValue {
  parts: StringPart[];
  span: Span;
}

export interface NumberValue {
  value: number;
  /** The digits as written, so that huge integers (seeds) can be range-checked exactly. */
  raw: string;
  span: Span;
}

export interface SizeValue {
  width: NumberValue;
  height: NumberValue;
  span: Span;
}

export interface PointValue {
  x: NumberValue;
  y: NumberValue;
  span: Span;
}

export interface SeedRange {
  from: NumberValue;
  to: NumberValue;
  span: Span;
}

export interface NameValue {
  name: string;
  span: Span;
}

interface OptionBase {
  /** The span of the option's keyword, where "not allowed here" and "given twice" point. */
  keyword: Span;
  span: Span;
}

export type SizeOptionKind = "canvas" | "size" | "tile" | "overlap" | "original" | "target" | "negative-original" | "negative-target";
export type PointOptionKind = "at" | "crop" | "negative-crop";
export type NumberOptionKind = "seed" | "steps" | "guidance" | "weight" | "columns" | "rows" | "strength";
export type TextOptionKind = "model" | "negative" | "output" | "prompt";
export type NameOptionKind = "blend" | "tiling" | "fit";

export type Option =
  | (OptionBase & { kind: SizeOptionKind; value: SizeValue })
  | (OptionBase & { kind: NumberOptionKind; value: NumberValue })
  | (OptionBase & { kind: TextOptionKind; value: StringValue })
  | (OptionBase & { kind: NameOptionKind; value: NameValue })
  /** `noise NAME` (a generator) or `noise "file.npy"` (the initial noise itself). */
  | (OptionBase & { kind: "noise"; value: NameValue | StringValue })
  | (OptionBase & { kind: "scheduler"; value: NameValue; karras: Span | undefined })
  | (OptionBase & { kind: PointOptionKind; value: PointValue })
  | (OptionBase & { kind: "prompts"; items: StringValue[] })
  /** `seeds 1..16, 20`: each item a range (`from` = `to` for one seed). */
  | (OptionBase & { kind: "seeds"; items: SeedRange[] })
  | (OptionBase & { kind: "cell"; column: NumberValue; row: NumberValue; options: Option[] })
  /** `shape NAME [(X, Y)…] [feather N] [invert]`: the points as written, each modifier's span where given. */
  | (OptionBase & { kind: "shape"; value: NameValue; points: PointValue[]; feather: NumberValue | undefined; invert: Span | undefined })
  /** `mask "file.png" [fit NAME] [feather N] [invert]`: each modifier's value or span where given. */
  | (OptionBase & { kind: "mask"; value: StringValue; fit: NameValue | undefined; feather: NumberValue | undefined; invert: Span | undefined });

export type OptionKind = Option["kind"];

export interface StyleDecl {
  kind: "style";
  name: NameValue;
  value: StringValue;
  span: Span;
}

export interface ImportDecl {
  kind: "import";
  path: StringValue;
  span: Span;
}

export interface RegionDecl {
  kind: "region";
  name: NameValue;
  options: Option[];
  span: Span;
}

export interface GridDecl {
  kind: "grid";
  name: NameValue;
  options: Option[];
  span: Span;
}

export interface GuideDecl {
  kind: "guide";
  path: StringValue;
  options: Option[];
  span: Span;
}

export type Declaration = StyleDecl | ImportDecl | RegionDecl | GridDecl | GuideDecl;
export type Statement = Declaration | Option;

export interface SceneFile {
  path: string;
  statements: Statement[];
}

/** Literal text of a string that may hold no `{style}` references (an import path, read before styles are known). */
export function literalText(value: StringValue): string {
  return value.parts.map((p) => (p.kind === "text" ? p.text : `{${p.name}}`)).join("");
}

type OptionWithKind<O, K> = O extends { kind: infer Kind } ? (K extends Kind ? O & { kind: K } : never) : never;
/** The option type for one keyword (`OptionOf<"size">` has a SizeValue). */
export type OptionOf<K extends OptionKind> = OptionWithKind<Option, K>;
