import {
  CodeActionKind,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { formatScene } from "../compiler/format/format-scene.js";
import { GuideDecoder } from "../cli/guide-check.js";
import { afterPendingMessages } from "./after-pending-messages.js";
import { Analysis } from "./analysis.js";
import { codeActions } from "./code-actions.js";
import { completionsAt } from "./completion.js";
import { DocumentTree } from "./document-tree.js";
import { diagnosticsFromImporter, documentDiagnostics, mergeDiagnostics } from "./diagnostics.js";
import { hoverAt } from "./hover.js";
import { definitionOf, referencesOf, renameEdits, symbolAt } from "./navigation.js";
import { openTextsByPath, overlayHost, uriPath } from "./overlay-host.js";
import { ReferenceDoc } from "./reference-doc.js";
import { REGION_AT_CURSOR, regionAtCursorHandler } from "./region-at-cursor.js";
import { SEMANTIC_TOKENS_LEGEND, semanticTokens } from "./semantic-tokens.js";
import { documentSymbols, foldingRanges } from "./symbols.js";

/**
 * The scene language server: open documents are compiled as `scenec check` compiles files (their
 * imports read through the open buffers first), diagnostics published as soon as the changes
 * received so far are handled, and every other request answered from the document's latest analysis.
 */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const host = overlayHost(() => openTextsByPath(documents.all()));
  const guides = new GuideDecoder();
  const reference = new ReferenceDoc();
  const analyses = new Map<string, Analysis>();
  /** The documents waiting to be compiled, and how to cancel that. */
  const pending = new Map<string, () => void>();

  /** The analysis of the document as it is now (compiled again if it changed since). */
  const analysisOf = async (uri: string): Promise<Analysis | undefined> => {
    const document = documents.get(uri);
    const file = uriPath(uri);
    if (!document || file === undefined) return undefined;
    const known = analyses.get(uri);
    if (known && known.version === document.version && known.text === document.getText()) return known;
    const analysis = await Analysis.of(file, document.getText(), document.version, host, guides);
    analyses.set(uri, analysis);
    return analysis;
  };

  /** A document's own diagnostics, and those its open importers' compiles found in it. */
  const send = async (uri: string, analysis: Analysis) => {
    const importers = [...analyses.values()].filter((a) => a !== analysis && a.result.dependencies.includes(analysis.path));
    const extra = importers.flatMap((importer) => diagnosticsFromImporter(importer, analysis.path, reference));
    await connection.sendDiagnostics({ uri, version: analysis.version, diagnostics: mergeDiagnostics(documentDiagnostics(analysis, reference), extra) });
  };

  const publish = async (uri: string) => {
    pending.delete(uri);
    const analysis = await analysisOf(uri);
    if (!analysis || documents.get(uri)?.version !== analysis.version) return;
    await send(uri, analysis);
    // The open files it imports show what this compile found in them.
    for (const document of documents.all()) {
      const imported = analyses.get(document.uri);
      if (imported && imported !== analysis && analysis.result.dependencies.includes(imported.path) && !pending.has(document.uri)) await send(document.uri, imported);
    }
  };

  /** Checks `uri` once the messages already received are handled, and the open documents that import it (their import lines show its errors). */
  const schedule = (uri: string) => {
    const changed = uriPath(uri);
    const dependents = documents.all().filter((d) => d.uri !== uri && changed !== undefined && analyses.get(d.uri)?.result.dependencies.includes(changed));
    for (const target of [uri, ...dependents.map((d) => d.uri)]) {
      pending.get(target)?.();
      // Analyses of dependents are stale even though their own text is not.
      if (target !== uri) analyses.delete(target);
      pending.set(target, afterPendingMessages(() => void publish(target)));
    }
  };

  documents.onDidChangeContent(({ document }) => schedule(document.uri));
  documents.onDidClose(({ document }) => {
    pending.get(document.uri)?.();
    pending.delete(document.uri);
    const closed = analyses.get(document.uri);
    analyses.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    // The files it imported no longer show what its compile found in them.
    for (const other of documents.all()) {
      const imported = analyses.get(other.uri);
      if (closed && imported && closed.result.dependencies.includes(imported.path)) void send(other.uri, imported);
    }
    // Its importers read it from the disk again.
    schedule(document.uri);
  });

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ["{", '"', "/"] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        semanticTokensProvider: { legend: SEMANTIC_TOKENS_LEGEND, full: true },
      },
      serverInfo: { name: "scenec" },
    }),
  );

  const withAnalysis = async <T>(uri: string, answer: (analysis: Analysis, document: TextDocument) => T): Promise<T | null> => {
    const analysis = await analysisOf(uri);
    const document = documents.get(uri);
    return analysis && document ? answer(analysis, document) : null;
  };

  connection.onHover(({ textDocument, position }) => withAnalysis(textDocument.uri, (a, d) => hoverAt(a, d.offsetAt(position), reference) ?? null));
  connection.onCompletion(({ textDocument, position }) =>
    withAnalysis(textDocument.uri, (a, d) => completionsAt(a, d.offsetAt(position), (start, end) => ({ start: d.positionAt(start), end: d.positionAt(end) }))),
  );
  connection.onDefinition(({ textDocument, position }) =>
    withAnalysis(textDocument.uri, (a, d) => {
      const symbol = symbolAt(a, d.offsetAt(position));
      return (symbol && definitionOf(a, symbol)) ?? null;
    }),
  );
  connection.onReferences(({ textDocument, position }) =>
    withAnalysis(textDocument.uri, (a, d) => {
      const symbol = symbolAt(a, d.offsetAt(position));
      return symbol ? referencesOf(a, symbol) : [];
    }),
  );
  connection.onPrepareRename(({ textDocument, position }) =>
    withAnalysis(textDocument.uri, (a, d) => {
      const symbol = symbolAt(a, d.offsetAt(position));
      return symbol ? { start: d.positionAt(symbol.at.start), end: d.positionAt(symbol.at.end) } : null;
    }),
  );
  connection.onRenameRequest(async ({ textDocument, position, newName }) => {
    const edit = await withAnalysis(textDocument.uri, (a, d) => {
      const symbol = symbolAt(a, d.offsetAt(position));
      return symbol ? renameEdits(a, symbol, newName) : null;
    });
    if (typeof edit === "string") throw new Error(edit);
    return edit;
  });
  connection.onDocumentSymbol(({ textDocument }) =>
    withAnalysis(textDocument.uri, (a) => {
      const tree = a.parsed.files.get(a.path);
      return tree ? documentSymbols(tree, a.parsed.sources.get(a.path)!) : [];
    }),
  );
  connection.onFoldingRanges(({ textDocument }) =>
    withAnalysis(textDocument.uri, (a) => {
      const tree = a.parsed.files.get(a.path);
      return tree ? foldingRanges(tree, a.parsed.sources.get(a.path)!) : [];
    }),
  );
  // `scenec fmt`'s layout, as one edit of the whole document; nothing while it has syntax errors.
  connection.onDocumentFormatting(({ textDocument }) => {
    const document = documents.get(textDocument.uri);
    if (!document) return null;
    const text = document.getText();
    const formatted = formatScene(text, uriPath(textDocument.uri) ?? textDocument.uri);
    if (!formatted.ok || formatted.text === text) return [];
    return [{ range: { start: { line: 0, character: 0 }, end: document.positionAt(text.length) }, newText: formatted.text }];
  });
  connection.onCodeAction(({ textDocument, context }) =>
    withAnalysis(textDocument.uri, (a, d) => codeActions(a, textDocument.uri, context.diagnostics, (range) => [d.offsetAt(range.start), d.offsetAt(range.end)])),
  );

  // Features that need only the document's syntax read its own parse, not the compile.
  const trees = new DocumentTree();
  connection.onRequest(REGION_AT_CURSOR, regionAtCursorHandler(documents, trees));
  connection.languages.semanticTokens.on(({ textDocument }) => {
    const document = documents.get(textDocument.uri);
    return document ? semanticTokens(trees.of(document).tree, document.getText()) : { data: [] };
  });

  documents.listen(connection);
  connection.listen();
}
