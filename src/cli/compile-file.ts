import { compile, type CompileResult } from "../compiler/compile.js";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import type { CompilerHost, Limits } from "../compiler/host.js";
import { nodeHost } from "../compiler/node-host.js";
import type { SourceFile } from "../compiler/diagnostics/source-file.js";
import { projectRules } from "./config.js";
import { readTextFile } from "./files.js";

/*
 * The compiler and everything it loads (the parser builds its tables at startup): commands import
 * this module only when they run, so `--help` and usage errors answer at once.
 */

/** Reads and compiles one scene file with the Node host. Unreadable file: CliError (exit 2). */
export function compileFile(path: string, limits: Partial<Limits>, host: CompilerHost = nodeHost, allowOutside = false): CompileResult {
  return compileText(path, readTextFile(path), limits, host, allowOutside);
}

/** Compiles under the project root rule of the scene's scenec.yaml (lifted by `--allow-outside`). */
export function compileText(path: string, text: string, limits: Partial<Limits>, host: CompilerHost = nodeHost, allowOutside = false): CompileResult {
  return compile(text, { path, host, limits, project: projectRules(path, allowOutside) });
}

/** The diagnostics of several compilations, each reported once (an import shared by two inputs). */
export class DiagnosticCollector {
  readonly diagnostics: Diagnostic[] = [];
  readonly sources = new Map<string, SourceFile>();
  private readonly seen = new Set<string>();

  add(result: CompileResult): void {
    for (const [path, source] of result.sources) if (!this.sources.has(path)) this.sources.set(path, source);
    for (const d of result.diagnostics) {
      const key = [d.code, d.location.file, d.location.start.offset, d.location.end.offset, d.message].join("\0");
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.diagnostics.push(d);
    }
  }
}

/** Why a style library (only `style` and `import` statements) gets no plan or picture. */
export function libraryHasNoPlan(path: string): string {
  return `${path}: a style library (only \`style\` and \`import\` statements) has nothing to plan or render; import it from a scene\n`;
}
