import path from "node:path";
import { literalText, type SceneFile, type StyleDecl } from "./ast.js";
import type { CompilerHost } from "./host.js";
import type { Reporter } from "./reporter.js";
import { SourceFile } from "./source-file.js";
import { parseScene } from "./syntax.js";

export interface ImportResult {
  /** Every style visible from the main file: its own and all imported ones. */
  styles: Map<string, StyleDecl>;
  /** Imported files, in the order first read (for watch mode). */
  files: string[];
}

/** Resolves a path written in `file` relative to that file's folder. */
export function resolveFrom(file: string, written: string): string {
  return path.normalize(path.join(path.dirname(file), written));
}

/**
 * Loads the import graph from the main file, depth first. A file imported twice (a diamond) is
 * read once; a file that imports itself through others is a cycle, reported at the import that
 * closes it. Imports bring in styles only: anything else in an imported file is a warning.
 */
export function loadImports(main: SceneFile, host: CompilerHost, sources: Map<string, SourceFile>, reporter: Reporter): ImportResult {
  const styles = new Map<string, StyleDecl>();
  const files: string[] = [];
  const loaded = new Map<string, SceneFile>();

  const addStyles = (file: SceneFile) => {
    for (const s of file.statements) {
      if (s.kind !== "style") continue;
      const existing = styles.get(s.name.name);
      if (existing) {
        if (existing !== s)
          reporter.report("S2004", s.name.span, `style \`${s.name.name}\` is defined twice`, {
            label: "defined again here",
            help: "rename one of them; style names are shared by a scene and everything it imports",
            related: [{ message: "first defined here", span: existing.name.span }],
          });
        continue;
      }
      styles.set(s.name.name, s);
    }
  };

  const visit = (file: SceneFile, stack: string[]) => {
    addStyles(file);
    for (const s of file.statements) {
      if (s.kind !== "import") continue;
      const written = literalText(s.path);
      const target = resolveFrom(file.path, written);
      if (stack.includes(target)) {
        const cycle = [...stack.slice(stack.indexOf(target)), target];
        reporter.report("S3002", s.path.span, `import cycle: ${cycle.map((f) => `\`${f}\``).join(" → ")}`, {
          label: "this import closes the cycle",
          help: "move the shared styles into a file that imports nothing from the files that use it",
        });
        continue;
      }
      let imported = loaded.get(target);
      if (!imported) {
        const read = host.readFile(target);
        if (!read.ok) {
          reporter.report("S3001", s.path.span, read.reason === "missing" ? `cannot find imported file \`${written}\`` : `cannot read imported file \`${written}\`: ${read.message}`, {
            label: read.reason === "missing" ? `no file at ${target}` : "unreadable",
            help: "import paths are relative to the folder of the file that imports them",
          });
          continue;
        }
        const source = new SourceFile(target, new TextDecoder().decode(read.bytes));
        sources.set(target, source);
        files.push(target);
        imported = parseScene(source, reporter);
        loaded.set(target, imported);
        const ignored = imported.statements.find((x) => x.kind !== "style" && x.kind !== "import");
        if (ignored)
          reporter.report("S2503", s.path.span, `\`${written}\` has statements other than styles; an import brings in only its styles`, {
            label: "only styles are imported",
            help: "keep shared styles in a file of their own",
            related: [{ message: "ignored", span: ignored.span }],
          });
        visit(imported, [...stack, target]);
      }
    }
  };

  visit(main, [main.path]);
  return { styles, files };
}
