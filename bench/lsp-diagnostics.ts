/**
 * Benchmark of `scenec lsp`: on a generated scene of 1,024 regions (bench/scenes.ts), the time
 * from a `didChange` to the `publishDiagnostics` it causes, over JSON-RPC to a `scenec lsp
 * --stdio` process, as an editor sees it. That time includes the server's debounce (DEBOUNCE_MS,
 * the pause it waits for typing to stop), so the report gives both the total and the work after
 * the debounce, whose target is 50 ms; and, for where that work goes, the compile alone in this
 * process. Prints a table and writes bench/results/lsp-diagnostics.json. Run with `npm run bench
 * lsp-diagnostics`, or after `npm run build`, `node --expose-gc dist/bench/index.js lsp-diagnostics`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { compile } from "../src/compiler/compile.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { DEBOUNCE_MS } from "../src/lsp/server.js";
import { environment, measure, repoRoot, summarize, table, writeResult, type Benchmark } from "./harness.js";
import { regionsScene } from "./scenes.js";

export const TARGET_MS = 50;
const PER_SIDE = 32;
const CHANGES = 20;

async function run(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "scenec-bench-lsp-"));
  const file = join(folder, "regions.scene");
  const uri = pathToFileURL(file).href;
  const text = regionsScene(PER_SIDE);
  writeFileSync(file, text);
  const child = spawn(process.execPath, [join(repoRoot(), "bin", "scenec.js"), "lsp", "--stdio"], { cwd: folder, stdio: ["pipe", "pipe", "inherit"] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  let waiting: ((count: number) => void) | undefined;
  connection.onNotification("textDocument/publishDiagnostics", (p: { diagnostics: { severity?: number }[] }) => waiting?.(p.diagnostics.filter((d) => d.severity === 1).length));
  connection.listen();
  const published = () => new Promise<number>((resolve) => (waiting = resolve));
  try {
    await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(folder).href, capabilities: {} });
    await connection.sendNotification("initialized", {});
    let next = published();
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "scene", version: 1, text } });
    await next;

    const valid: number[] = [];
    const broken: number[] = [];
    for (let version = 2; version < 2 + 2 * CHANGES; version++) {
      // Every other change breaks a size (one S2001), the next one mends it.
      const edited = version % 2 === 0 ? `${text}# edit ${version}\n` : text.replace("size 64 x 64", "size 60 x 64");
      next = published();
      const start = performance.now();
      await connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text: edited }] });
      const errors = await next;
      (errors === 0 ? valid : broken).push(performance.now() - start);
    }
    const compileAlone = measure(() => compile(text, { path: file, host: nodeHost }), { warmup: 3, minRuns: 10, maxRuns: 50, budgetMs: 2000 });
    const rows = [
      { name: "change -> diagnostics, valid scene", timing: summarize(valid) },
      { name: "change -> diagnostics, one error", timing: summarize(broken) },
    ];
    console.log(`${PER_SIDE * PER_SIDE} regions, ${text.length} characters; the server waits ${DEBOUNCE_MS} ms after a change before it compiles`);
    console.log(
      table(
        ["case", "total median ms", "after debounce ms", "min ms", "target ms"],
        [
          ...rows.map(({ name, timing }) => [name, timing.medianMs.toFixed(1), (timing.medianMs - DEBOUNCE_MS).toFixed(1), (timing.minMs - DEBOUNCE_MS).toFixed(1), String(TARGET_MS)]),
          ["compile() alone, in process", compileAlone.medianMs.toFixed(1), compileAlone.medianMs.toFixed(1), compileAlone.minMs.toFixed(1), ""],
        ],
      ),
    );
    const out = writeResult("lsp-diagnostics", { environment: environment(), regions: PER_SIDE * PER_SIDE, debounceMs: DEBOUNCE_MS, targetMs: TARGET_MS, cases: rows, compileAlone });
    console.log(`wrote ${out}`);
    await connection.sendRequest("shutdown", null);
    await connection.sendNotification("exit", null);
  } finally {
    connection.dispose();
    child.kill();
    rmSync(folder, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = { name: "lsp-diagnostics", run };
