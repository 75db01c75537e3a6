import type { Option, Statement, StringValue, StyleDecl } from "../syntax/ast.js";
import type { Reporter } from "../diagnostics/reporter.js";
import { suggest } from "./suggest.js";
import { MappedTextBuilder, type MappedText } from "../syntax/mapped-text.js";
import { reportEmphasis } from "./prompt-emphasis.js";

/**
 * Resolves `{name}` references against the visible styles (the main file's and every imported
 * file's). Style bodies are expanded on demand and memoised; a cycle is reported once, at the
 * style where it was entered, with the path it takes.
 */
export class StyleResolver {
  private readonly expanded = new Map<string, MappedText | undefined>();
  private readonly stack: string[] = [];
  private readonly reportedCycles = new Set<string>();
  /** Prompt problems reported so far (prompt-emphasis.ts), so that a shared style's are reported once. */
  private readonly reportedEmphasis = new Set<string>();
  /** Styles referenced from anywhere, for the unused-style warning. */
  readonly used = new Set<string>();

  constructor(
    private readonly reporter: Reporter,
    readonly styles: ReadonlyMap<string, StyleDecl>,
  ) {}

  /** The text of a string with its style references replaced, or undefined when one cannot be. */
  expand(value: StringValue, markUsed = true): string | undefined {
    return this.expandMapped(value, markUsed)?.text;
  }

  /**
   * A prompt or negative prompt, expanded, with its weighting syntax checked (prompt-emphasis.ts):
   * each problem is reported where it was written, inside the string or inside a style's body.
   */
  expandPrompt(value: StringValue): string | undefined {
    const mapped = this.expandMapped(value);
    if (mapped) reportEmphasis(this.reporter, mapped, this.reportedEmphasis);
    return mapped?.text;
  }

  /** Like `expand`, keeping where each character of the text was written. */
  private expandMapped(value: StringValue, markUsed = true): MappedText | undefined {
    const out = new MappedTextBuilder();
    let ok = true;
    for (const part of value.parts) {
      if (part.kind === "text") {
        out.append(part);
        continue;
      }
      const style = this.styles.get(part.name);
      if (!style) {
        const guess = suggest(part.name, [...this.styles.keys()]);
        this.reporter.report("S2005", part.span, { variant: "style", name: part.name, guess });
        ok = false;
        continue;
      }
      if (markUsed) this.used.add(part.name);
      const text = this.expandStyleMapped(style);
      if (text === undefined) ok = false;
      else out.append(text);
    }
    return ok ? out.build() : undefined;
  }

  /** Expands a style's own body (for checking styles nobody references). */
  expandStyle(style: StyleDecl): string | undefined {
    return this.expandStyleMapped(style)?.text;
  }

  private expandStyleMapped(style: StyleDecl): MappedText | undefined {
    const name = style.name.name;
    if (this.expanded.has(name)) return this.expanded.get(name);
    const at = this.stack.indexOf(name);
    if (at !== -1) {
      const cycle = [...this.stack.slice(at), name];
      const key = [...cycle.slice(0, -1)].sort().join(" ");
      if (!this.reportedCycles.has(key)) {
        this.reportedCycles.add(key);
        const first = this.styles.get(cycle[0]!)!;
        this.reporter.report("S2006", first.name.span, { cycle, related: cycle.slice(1, -1).map((n) => ({ name: n, span: this.styles.get(n)!.name.span })) });
      }
      return undefined;
    }
    this.stack.push(name);
    const text = this.expandMapped(style.value);
    this.stack.pop();
    this.expanded.set(name, text);
    return text;
  }
}

/** The names of the styles that the strings of these statements refer to (styles' own texts included). */
export function styleReferences(statements: readonly Statement[]): Set<string> {
  const names = new Set<string>();
  const addString = (value: StringValue) => {
    for (const part of value.parts) if (part.kind === "ref") names.add(part.name);
  };
  const addOption = (option: Option) => {
    switch (option.kind) {
      case "model":
      case "negative":
      case "output":
      case "prompt":
        addString(option.value);
        break;
      case "prompts":
        option.items.forEach(addString);
        break;
      case "cell":
        option.options.forEach(addOption);
        break;
    }
  };
  for (const s of statements) {
    switch (s.kind) {
      case "style":
        addString(s.value);
        break;
      case "import":
        addString(s.path);
        break;
      case "guide":
        addString(s.path);
        s.options.forEach(addOption);
        break;
      case "region":
      case "grid":
        s.options.forEach(addOption);
        break;
      default:
        addOption(s);
    }
  }
  return names;
}
