import path from "node:path";
import { compile, type CompileResult } from "../compiler/compile.js";
import { DEFAULT_LIMITS, type CompilerHost } from "../compiler/host.js";
import { loadImports } from "../compiler/check/imports.js";
import { sceneFolderRules, type ProjectRules } from "../compiler/check/project-root.js";
import { Reporter } from "../compiler/diagnostics/reporter.js";
import { SourceFile } from "../compiler/diagnostics/source-file.js";
import { literalText, type ImportDecl, type SceneFile, type StyleDecl } from "../compiler/syntax/ast.js";
import { parseScene } from "../compiler/syntax/parse-scene.js";
import { projectRules } from "../cli/config.js";
import type { GuideDecoder } from "../cli/guide-check.js";

/** One `import` of the open file: the file it names and every file reached through it. */
export interface ImportEdge {
  decl: ImportDecl;
  target: string;
  reaches: Set<string>;
}

/** What the editor features need from one open document. */
export interface Parsed {
  /** The open file and every file it imports, parsed (statements that do not parse are left out). */
  files: Map<string, SceneFile>;
  sources: Map<string, SourceFile>;
  /** The styles visible from the open file, as the compiler resolves `{name}`: first definition wins. */
  styles: Map<string, StyleDecl>;
  imports: ImportEdge[];
}

/**
 * One open document, compiled (for diagnostics and the plan) and, on demand, parsed with its
 * imports (for symbols, definitions, hovers): diagnostics are published on every change, and
 * only the other features need the trees, which `compile` does not return.
 */
export class Analysis {
  private parsedCache: Parsed | undefined;

  private constructor(
    readonly path: string,
    readonly text: string,
    readonly version: number,
    readonly result: CompileResult,
    private readonly host: CompilerHost,
    private readonly rules: ProjectRules,
    /** Why the project's scenec.yaml could not be read, when it could not (the scene's folder is the root then). */
    readonly configProblem: string | undefined,
  ) {}

  /** Compiles `text` as the file at `file` (absolute), decoding its guide images as `scenec check` does. */
  static async of(file: string, text: string, version: number, host: CompilerHost, guides: GuideDecoder): Promise<Analysis> {
    let rules: ProjectRules;
    let configProblem: string | undefined;
    try {
      rules = projectRules(file, false);
    } catch (error) {
      rules = sceneFolderRules(file);
      configProblem = error instanceof Error ? error.message : String(error);
    }
    const result = await guides.compile((h) => compile(text, { path: file, host: h, project: rules }), host);
    return new Analysis(file, text, version, result, host, rules, configProblem);
  }

  get parsed(): Parsed {
    this.parsedCache ??= this.parse();
    return this.parsedCache;
  }

  private parse(): Parsed {
    const { maxSourceBytes, maxTokenLength } = DEFAULT_LIMITS;
    const main = new SourceFile(this.path, this.text);
    const sources = new Map([[this.path, main]]);
    // The trees are for navigation; the diagnostics come from the compile.
    const scratch = new Reporter(sources);
    const mainTree = parseScene(main, scratch, maxTokenLength);
    const { styles } = loadImports(mainTree, this.host, this.rules, maxSourceBytes, maxTokenLength, sources, scratch);
    const files = new Map<string, SceneFile>();
    for (const [file, source] of sources) files.set(file, file === this.path ? mainTree : parseScene(source, scratch, maxTokenLength));
    const reach = (file: string, seen: Set<string>) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const s of files.get(file)?.statements ?? []) if (s.kind === "import") reach(importTarget(file, s), seen);
    };
    const imports = mainTree.statements
      .filter((s): s is ImportDecl => s.kind === "import")
      .map((decl) => {
        const target = importTarget(this.path, decl);
        const reaches = new Set<string>();
        reach(target, reaches);
        return { decl, target, reaches };
      });
    return { files, sources, styles, imports };
  }
}

/** The file an `import` names, resolved as the compiler resolves it (project-root.ts). */
export function importTarget(file: string, decl: ImportDecl): string {
  return path.normalize(path.join(path.dirname(file), literalText(decl.path)));
}
