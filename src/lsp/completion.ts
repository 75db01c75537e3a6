import { readdirSync } from "node:fs";
import path from "node:path";
import { CompletionItemKind, type CompletionItem, type Range } from "vscode-languageserver/node";
import { DECLARATION_KEYWORDS, OPTIONS_BY_CONTEXT } from "../compiler/check/option-contexts.js";
import { IMAGE_EXTENSIONS } from "../compiler/check/project-root.js";
import { BLEND_KERNELS, FIT_MODES, GRID_TILINGS, NOISE_GENERATORS, SCHEDULER_NAMES } from "../compiler/plan/plan.js";
import { loadConfig } from "../cli/config.js";
import type { Analysis } from "./analysis.js";
import { cursorContext } from "./cursor-context.js";

/** The names each option that takes one accepts (plan.ts's vocabularies). */
const VOCABULARIES: Record<string, readonly string[]> = {
  scheduler: SCHEDULER_NAMES,
  blend: BLEND_KERNELS,
  fit: FIT_MODES,
  noise: NOISE_GENERATORS,
  tiling: GRID_TILINGS,
};

/** The files each path-taking keyword may name, by extension; folders are always offered. */
const PATH_EXTENSIONS: Record<string, readonly string[]> = {
  import: [".scene"],
  guide: IMAGE_EXTENSIONS.split(", "),
  mask: IMAGE_EXTENSIONS.split(", "),
  output: IMAGE_EXTENSIONS.split(", "),
  noise: [".npy"],
  model: [".onnx"],
};

/**
 * Completions at `offset`: the options allowed in the block the cursor is in (and the
 * declarations, at the top level), the names a `scheduler`/`blend`/`fit`/`noise`/`tiling` takes,
 * style names after `{` in a string, files for `import`/`guide`/`mask`/`output`/`noise`/`model` strings
 * and the model names of scenec.yaml.
 */
export function completionsAt(analysis: Analysis, offset: number, range: (start: number, end: number) => Range): CompletionItem[] {
  const context = cursorContext(analysis.text, offset);
  switch (context.kind) {
    case "comment":
      return [];
    case "style":
      return [...analysis.parsed.styles.values()].map((s) => ({ label: s.name.name, kind: CompletionItemKind.Constant, detail: "style" }));
    case "string": {
      if (context.keyword === undefined || !(context.keyword in PATH_EXTENSIONS)) return [];
      const typedName = context.typed.slice(context.typed.lastIndexOf("/") + 1);
      const replace = range(offset - typedName.length, offset);
      const files = pathCompletions(analysis.path, context.typed, PATH_EXTENSIONS[context.keyword]!).map((item) => ({ ...item, textEdit: { range: replace, newText: item.label } }));
      return context.keyword === "model" && !context.typed.includes("/") ? [...modelNames(analysis.path), ...files] : files;
    }
    case "code": {
      const vocabulary = context.previous !== undefined ? VOCABULARIES[context.previous] : undefined;
      if (vocabulary)
        return vocabulary.map((name) => ({ label: name, kind: CompletionItemKind.EnumMember, detail: context.previous! }));
      if (context.previous !== undefined && (SCHEDULER_NAMES as readonly string[]).includes(context.previous))
        return [{ label: "karras", kind: CompletionItemKind.Keyword, detail: "Karras sigmas" }];
      if (!context.lineStart) return [];
      const options = OPTIONS_BY_CONTEXT[context.block].map((name) => ({ label: name, kind: CompletionItemKind.Property, detail: `setting ${context.block === "scene" ? "at the top level" : `in a ${context.block}`}` }));
      const declarations = context.block === "scene" ? DECLARATION_KEYWORDS.map((name) => ({ label: name, kind: CompletionItemKind.Keyword, detail: "statement" })) : [];
      return [...declarations, ...options];
    }
  }
}

/** The entries of the folder `typed` names (relative to the scene's folder) that such a path may name. */
function pathCompletions(sceneFile: string, typed: string, extensions: readonly string[]): CompletionItem[] {
  const folder = path.join(path.dirname(sceneFile), typed.slice(0, typed.lastIndexOf("/") + 1));
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => !e.name.startsWith(".") && (e.isDirectory() || extensions.includes(path.extname(e.name).toLowerCase())))
    .map((e) => (e.isDirectory() ? { label: `${e.name}/`, kind: CompletionItemKind.Folder } : { label: e.name, kind: CompletionItemKind.File }));
}

/** `builtin` and the model names of the scene's scenec.yaml (a broken one has its own diagnostic). */
function modelNames(sceneFile: string): CompletionItem[] {
  let names: string[] = [];
  try {
    names = Object.keys(loadConfig(path.dirname(sceneFile)).models);
  } catch {
    names = [];
  }
  return ["builtin", ...names].map((name) => ({ label: name, kind: CompletionItemKind.Module, detail: name === "builtin" ? "the built-in model" : "scenec.yaml model" }));
}
