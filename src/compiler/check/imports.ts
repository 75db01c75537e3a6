import path from "node:path";
import { literalText, type SceneFile, type StyleDecl } from "../syntax/ast.js";
import type { CompilerHost } from "../host.js";
import { readWithin, resolveScenePath, type ProjectRules } from "./project-root.js";
import { notASceneFile } from "../syntax/binary-files.js";
import { MAX_ERRORS_PER_FILE, type Reporter } from "../diagnostics/reporter.js";
import { SourceFile } from "../diagnostics/source-file.js";
import { parseScene } from "../syntax/parse-scene.js";

export interface ImportResult {
  /** Every style visible from the main file: its own and all imported ones. */
  styles: Map<string, StyleDecl>;
  /** Imported files, in the order first read (for watch mode). */
  files: string[];
}

/**
 * Loads the import graph from the main file, depth first. A file imported twice (a diamond) is
 * read once; a file that imports itself through others is a cycle, reported at the import that
 * closes it. Imports bring in styles only: anything else in an imported file is a warning.
 * A file that is not text (binary-files.ts) gets one error at its import, and so does a text file
 * with a syntax error before its first statement (or more than parseScene shows, S1015): it is
 * most likely not a scene file (notes, a `.env`), and code frames would put its lines on the
 * terminal, so its first error is only named, in a note.
 * Import paths follow the project root rule (project-root.ts), and only regular files of at most
 * `maxBytes` are read.
 */
export function loadImports(main: SceneFile, host: CompilerHost, rules: ProjectRules, maxBytes: number, maxTokenLength: number, sources: Map<string, SourceFile>, reporter: Reporter): ImportResult {
  const styles = new Map<string, StyleDecl>();
  const files: string[] = [];
  const loaded = new Map<string, SceneFile>();

  const addStyles = (file: SceneFile) => {
    for (const s of file.statements) {
      if (s.kind !== "style") continue;
      const existing = styles.get(s.name.name);
      if (existing) {
        if (existing === s) continue;
        if (existing.span.file === main.path && s.span.file !== main.path)
          // The user's own definition is the one to point at; the imported one is context.
          reporter.report("S2004", existing.name.span, { variant: "importedStyle", name: s.name.name, related: [{ file: s.span.file, span: s.name.span }] });
        else reporter.report("S2004", s.name.span, { variant: "style", name: s.name.name, related: [{ span: existing.name.span }] });
        continue;
      }
      styles.set(s.name.name, s);
    }
  };

  const visit = (file: SceneFile, stack: string[]) => {
    addStyles(file);
    for (const s of file.statements) {
      if (s.kind !== "import") continue;
      const ref = s.path.parts.find((p) => p.kind === "ref");
      if (ref) {
        reporter.report("S2005", ref.span, { variant: "inImportPath", name: ref.name });
        continue;
      }
      const written = literalText(s.path);
      const target = resolveScenePath(reporter, rules, host, "import", file.path, written, s.path.span);
      if (target === undefined) continue;
      if (stack.includes(target)) {
        const cycle = [...stack.slice(stack.indexOf(target)), target];
        reporter.report("S3002", s.path.span, { cycle });
        continue;
      }
      if (loaded.has(target)) continue;
      const read = readWithin(reporter, host, "import", target, maxBytes, written, s.path.span);
      if (!read.ok && (read.reason === "not-a-file" || read.reason === "too-large")) continue;
      if (!read.ok) {
        if (read.reason === "missing") reporter.report("S3001", s.path.span, { variant: "missing", file: written, path: target });
        else reporter.report("S3001", s.path.span, { variant: "unreadable", file: written, why: read.message });
        continue;
      }
      files.push(target);
      const text = new TextDecoder("utf-8").decode(read.bytes);
      const binary = notASceneFile(text, written);
      if (binary) {
        loaded.set(target, { path: target, statements: [] });
        reporter.report("S3006", s.path.span, { variant: "binary", file: written, what: binary.what });
        continue;
      }
      const source = new SourceFile(target, text);
      sources.set(target, source);
      const mark = reporter.mark;
      const imported = parseScene(source, reporter, maxTokenLength);
      loaded.set(target, imported);
      const syntaxErrors = reporter.takeSince(mark);
      const first = syntaxErrors[0];
      const opening = imported.statements[0];
      // Not even its first statement parses (a `.env`, notes, a key file): its lines stay off the terminal.
      const notAScene = first !== undefined && (opening === undefined || first.location.start.offset < opening.span.start);
      if (notAScene) {
        const tooManyErrors = syntaxErrors.some((d) => d.code === "S1015") ? MAX_ERRORS_PER_FILE : undefined;
        reporter.report("S3006", s.path.span, {
          variant: "notScene",
          file: written,
          path: target,
          tooManyErrors,
          related: [{ error: first.message, span: { file: target, start: first.location.start.offset, end: first.location.end.offset } }],
        });
      } else reporter.restore(syntaxErrors);
      const ignored = imported.statements.find((x) => x.kind !== "style" && x.kind !== "import");
      if (ignored && !notAScene)
        reporter.report("S2503", s.path.span, { file: written, related: [{ span: ignored.span }] });
      visit(imported, [...stack, target]);
    }
  };

  // Normalised like every import target, so that `./a.scene` importing `a.scene` is a cycle, not a second read.
  visit(main, [path.normalize(main.path)]);
  return { styles, files };
}
