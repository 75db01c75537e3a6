import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { CompilerHost } from "../compiler/host.js";
import { nodeHost } from "../compiler/node-host.js";

/** The file-system path of a `file:` URI (undefined for `untitled:` buffers and other schemes). */
export function uriPath(uri: string): string | undefined {
  return uri.startsWith("file:") ? path.normalize(fileURLToPath(uri)) : undefined;
}

/**
 * The compiler's view of the workspace: an open document's text, saved or not, wins over the file
 * on disk, so that a style added to an imported file is known before that file is saved. Paths
 * are compared normalised, as the compiler resolves import targets.
 */
export function overlayHost(openTexts: () => ReadonlyMap<string, string>, base: CompilerHost = nodeHost): CompilerHost {
  const encoder = new TextEncoder();
  return {
    ...base,
    readFile(file, maxBytes) {
      const text = openTexts().get(path.normalize(path.resolve(file)));
      if (text === undefined) return base.readFile(file, maxBytes);
      // The compiler refuses more than `maxBytes` itself (project-root.ts readWithin).
      return { ok: true, bytes: encoder.encode(text) };
    },
  };
}

/** The open documents' texts by normalised absolute path. */
export function openTextsByPath(documents: readonly TextDocument[]): Map<string, string> {
  const texts = new Map<string, string>();
  for (const document of documents) {
    const file = uriPath(document.uri);
    if (file !== undefined) texts.set(file, document.getText());
  }
  return texts;
}
