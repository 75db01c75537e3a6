import type { Option, SceneFile, Statement, StringValue } from "../compiler/syntax/ast.js";

/** Every string a statement or option holds, nested cells included, in source order. */
export function* stringsOf(item: Statement | Option): Generator<StringValue> {
  switch (item.kind) {
    case "style":
      yield item.value;
      return;
    case "import":
      yield item.path;
      return;
    case "guide":
      yield item.path;
      for (const o of item.options) yield* stringsOf(o);
      return;
    case "region":
    case "grid":
      for (const o of item.options) yield* stringsOf(o);
      return;
    case "cell":
      for (const o of item.options) yield* stringsOf(o);
      return;
    case "prompts":
      yield* item.items;
      return;
    case "model":
    case "negative":
    case "output":
    case "prompt":
      yield item.value;
      return;
    case "noise":
      if ("parts" in item.value) yield item.value;
      return;
    default:
      return;
  }
}

/** Every `{name}` reference in a file, with the span of the whole `{name}`. */
export function* styleRefsOf(file: SceneFile): Generator<{ name: string; span: { file: string; start: number; end: number } }> {
  for (const s of file.statements) for (const str of stringsOf(s)) for (const part of str.parts) if (part.kind === "ref") yield part;
}

/** The innermost statement or option (cells included) whose span holds `offset`, outermost first. */
export function pathAt(file: SceneFile, offset: number): (Statement | Option)[] {
  const path: (Statement | Option)[] = [];
  let items: readonly (Statement | Option)[] = file.statements;
  for (;;) {
    const hit = items.find((s) => s.span.start <= offset && offset <= s.span.end);
    if (!hit) return path;
    path.push(hit);
    items = "options" in hit ? hit.options : [];
  }
}
