import type { TextDocument } from "vscode-languageserver-textdocument";
import { DEFAULT_LIMITS } from "../compiler/host.js";
import { Reporter } from "../compiler/diagnostics/reporter.js";
import { SourceFile } from "../compiler/diagnostics/source-file.js";
import type { SceneFile } from "../compiler/syntax/ast.js";
import { parseScene } from "../compiler/syntax/parse-scene.js";
import { uriPath } from "./overlay-host.js";

/**
 * An open document's own tree, parsed alone (no imports, no compile), for the features that run
 * on every keystroke or cursor move and need only the syntax: the preview's region under the
 * cursor, semantic tokens. One entry: the document the editor is looking at.
 */
export class DocumentTree {
  private last: { uri: string; version: number; tree: SceneFile; source: SourceFile } | undefined;

  of(document: TextDocument): { tree: SceneFile; source: SourceFile } {
    const { uri, version } = document;
    const text = document.getText();
    if (this.last?.uri === uri && this.last.version === version && this.last.source.text === text) return this.last;
    // An untitled buffer is named by its URI.
    const file = uriPath(uri) ?? uri;
    const source = new SourceFile(file, text);
    // Syntax errors are the compile's to publish.
    const tree = parseScene(source, new Reporter(new Map([[file, source]])), DEFAULT_LIMITS.maxTokenLength);
    this.last = { uri, version, tree, source };
    return this.last;
  }
}
