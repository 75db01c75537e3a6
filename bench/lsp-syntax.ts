/**
 * Benchmark of the language server's syntax-only features, which run on every keystroke or cursor
 * move, on a generated scene of 1,024 regions (bench/scenes.ts), in process: the document's own
 * parse for a new version (document-tree.ts), `scenec/regionAtCursor` on that parse, and the
 * semantic tokens. Prints a table and writes bench/results/lsp-syntax.json. Run with `npm run
 * bench lsp-syntax`.
 */
import { TextDocument } from "vscode-languageserver-textdocument";
import { DocumentTree } from "../src/lsp/document-tree.js";
import { regionAtCursor } from "../src/lsp/region-at-cursor.js";
import { semanticTokens } from "../src/lsp/semantic-tokens.js";
import { environment, measure, table, writeResult, type Benchmark } from "./harness.js";
import { regionsScene } from "./scenes.js";

const PER_SIDE = 32;
const OPTIONS = { warmup: 3, minRuns: 10, maxRuns: 50, budgetMs: 2000 };

async function run(): Promise<void> {
  const text = regionsScene(PER_SIDE);
  let version = 0;
  const fresh = () => TextDocument.create("file:///bench/regions.scene", "scene", ++version, text);
  const trees = new DocumentTree();
  const parse = measure(() => trees.of(fresh()), OPTIONS);
  const { tree, source } = trees.of(fresh());
  // Near the end: the regions before it are passed over.
  const offset = Math.floor(text.length * 0.95);
  const cursor = measure(() => regionAtCursor(tree, source, offset), OPTIONS);
  const tokens = measure(() => semanticTokens(tree, text), OPTIONS);
  const rows = [
    { name: "parse of a new version", timing: parse },
    { name: "regionAtCursor on the parse", timing: cursor },
    { name: "semantic tokens on the parse", timing: tokens },
  ];
  console.log(`${PER_SIDE * PER_SIDE} regions, ${text.length} characters`);
  console.log(table(["case", "median ms", "min ms"], rows.map(({ name, timing }) => [name, timing.medianMs.toFixed(2), timing.minMs.toFixed(2)])));
  console.log(`wrote ${writeResult("lsp-syntax", { environment: environment(), regions: PER_SIDE * PER_SIDE, cases: rows })}`);
}

export const benchmark: Benchmark = { name: "lsp-syntax", run };
