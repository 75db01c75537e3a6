import type { Position, Range, TextDocumentIdentifier, TextDocuments } from "vscode-languageserver/node";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { SourceFile } from "../compiler/diagnostics/source-file.js";
import { literalText, type GuideDecl, type SceneFile } from "../compiler/syntax/ast.js";
import type { DocumentTree } from "./document-tree.js";
import { spanRange } from "./positions.js";
import { pathAt } from "./syntax-walk.js";

/** The custom request the editor sends while a preview is open: `{ textDocument: { uri }, position }` in, a {@link RegionAtCursor} or null out. */
export const REGION_AT_CURSOR = "scenec/regionAtCursor";

/**
 * What of the picture the cursor's statement paints, named as the plan names it (and as the
 * preview's /regions.json does): a region `sky`, a grid `mosaic` (the page shows all it covers),
 * a cell `mosaic[3,2]`, or a guide (`guide` is its index among the scene's guides, as in the plan;
 * `name` is its path as written).
 */
export interface RegionAtCursor {
  kind: "region" | "grid" | "cell" | "guide";
  name: string;
  guide?: number;
  /** The block the cursor is in. */
  range: Range;
}

/** The region, grid, cell or guide whose block holds `offset` in `tree`; null between them. */
export function regionAtCursor(tree: SceneFile, source: SourceFile, offset: number): RegionAtCursor | null {
  const [statement, option] = pathAt(tree, offset);
  if (!statement) return null;
  switch (statement.kind) {
    case "region":
      return { kind: "region", name: statement.name.name, range: spanRange(source, statement.span) };
    case "grid":
      // The plan's cell names use the numbers' values (`cell 03, 2` is `g[3,2]`).
      if (option?.kind === "cell") return { kind: "cell", name: `${statement.name.name}[${option.column.value},${option.row.value}]`, range: spanRange(source, option.span) };
      return { kind: "grid", name: statement.name.name, range: spanRange(source, statement.span) };
    case "guide": {
      const guide = tree.statements.filter((s): s is GuideDecl => s.kind === "guide").indexOf(statement);
      return { kind: "guide", name: literalText(statement.path), guide, range: spanRange(source, statement.span) };
    }
    default:
      return null;
  }
}

/**
 * The request's handler. A request rather than a pair of notifications: each answer belongs to
 * the position asked about, so the editor drops an answer the cursor has moved past, and the
 * server needs no state of which previews are open.
 */
export function regionAtCursorHandler(documents: TextDocuments<TextDocument>, trees: DocumentTree): (params: { textDocument: TextDocumentIdentifier; position: Position }) => RegionAtCursor | null {
  return ({ textDocument, position }) => {
    const document = documents.get(textDocument.uri);
    if (!document) return null;
    const { tree, source } = trees.of(document);
    return regionAtCursor(tree, source, document.offsetAt(position));
  };
}
