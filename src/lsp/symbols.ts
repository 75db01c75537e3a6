import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange } from "vscode-languageserver/node";
import type { SourceFile } from "../compiler/diagnostics/source-file.js";
import { literalText, type Option, type SceneFile, type Statement } from "../compiler/syntax/ast.js";
import { spanRange } from "./positions.js";

/** The outline of a file: its imports, styles, regions, grids with their cells, and guides. */
export function documentSymbols(tree: SceneFile, source: SourceFile): DocumentSymbol[] {
  const symbol = (name: string, kind: SymbolKind, item: Statement | Option, selection: { start: number; end: number }, detail?: string, children?: DocumentSymbol[]): DocumentSymbol => ({
    name,
    kind,
    range: spanRange(source, item.span),
    selectionRange: spanRange(source, selection),
    ...(detail !== undefined ? { detail } : {}),
    ...(children ? { children } : {}),
  });
  const out: DocumentSymbol[] = [];
  for (const s of tree.statements) {
    switch (s.kind) {
      case "import":
        out.push(symbol(literalText(s.path), SymbolKind.Module, s, s.path.span, "import"));
        break;
      case "style":
        out.push(symbol(s.name.name, SymbolKind.Constant, s, s.name.span, "style"));
        break;
      case "region":
        out.push(symbol(s.name.name, SymbolKind.Object, s, s.name.span, "region"));
        break;
      case "grid": {
        const cells = s.options.flatMap((o) => (o.kind === "cell" ? [symbol(`${s.name.name}[${o.column.raw},${o.row.raw}]`, SymbolKind.Field, o, o.keyword, "cell")] : []));
        out.push(symbol(s.name.name, SymbolKind.Array, s, s.name.span, "grid", cells));
        break;
      }
      case "guide":
        out.push(symbol(literalText(s.path), SymbolKind.File, s, s.path.span, "guide"));
        break;
      default:
        break;
    }
  }
  return out;
}

/** A fold for every block (`region`, `grid`, `cell`, `guide`) and `prompts` list that spans lines. */
export function foldingRanges(tree: SceneFile, source: SourceFile): FoldingRange[] {
  const out: FoldingRange[] = [];
  const visit = (item: Statement | Option) => {
    const folds = "options" in item || item.kind === "prompts";
    if (folds) {
      const start = source.position(item.span.start).line - 1;
      const end = source.position(item.span.end).line - 1;
      if (end > start) out.push({ startLine: start, endLine: end, kind: FoldingRangeKind.Region });
    }
    if ("options" in item) item.options.forEach(visit);
  };
  tree.statements.forEach(visit);
  return out;
}
