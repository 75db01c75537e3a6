/**
 * Benchmark of `scenec lsp`: on a generated scene of 1,024 regions (bench/scenes.ts), the time
 * from a `didChange` to the `publishDiagnostics` it causes, over JSON-RPC to a `scenec lsp
 * --stdio` process, as an editor sees it: everything, waiting included (the target is 50 ms). For
 * a burst of changes sent at once, the time to the last one's diagnostics and how many compiles
 * (publishes) it cost: the server compiles what it has received when it is free, so fewer than
 * the burst. And, for where the time goes, the compile alone in this process. Prints a table and writes
 * bench/results/lsp-diagnostics.json. Run with `npm run bench lsp-diagnostics`, or after
 * `npm run build`, `node --expose-gc dist/bench/index.js lsp-diagnostics`.
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
import { environment, measure, repoRoot, summarize, table, writeResult, type Benchmark } from "./harness.js";
import { regionsScene } from "./scenes.js";

export const TARGET_MS = 50;
const PER_SIDE = 32;
const CHANGES = 20;
/** Changes sent together, as fast typing or a client's batched edits send them. */
const BURST = 5;

async function run(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "scenec-bench-lsp-"));
  const file = join(folder, "regions.scene");
  const uri = pathToFileURL(file).href;
  const text = regionsScene(PER_SIDE);
  writeFileSync(file, text);
  const child = spawn(process.execPath, [join(repoRoot(), "bin", "scenec.js"), "lsp", "--stdio"], { cwd: folder, stdio: ["pipe", "pipe", "inherit"] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  // Each publish counts; the one for the awaited version resolves with its number of errors.
  let publishes = 0;
  let waiting: { version: number; resolve: (errors: number) => void } | undefined;
  connection.onNotification("textDocument/publishDiagnostics", (p: { version?: number; diagnostics: { severity?: number }[] }) => {
    publishes++;
    if (waiting && p.version === waiting.version) waiting.resolve(p.diagnostics.filter((d) => d.severity === 1).length);
  });
  connection.listen();
  const published = (version: number) => new Promise<number>((resolve) => (waiting = { version, resolve }));
  const change = (version: number, text: string) => connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
  try {
    await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(folder).href, capabilities: {} });
    await connection.sendNotification("initialized", {});
    let next = published(1);
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "scene", version: 1, text } });
    await next;

    const valid: number[] = [];
    const broken: number[] = [];
    let version = 1;
    for (let i = 0; i < 2 * CHANGES; i++) {
      version++;
      // Every other change breaks a size (one S2001), the next one mends it.
      const edited = version % 2 === 0 ? `${text}# edit ${version}\n` : text.replace("size 64 x 64", "size 60 x 64");
      next = published(version);
      const start = performance.now();
      await change(version, edited);
      const errors = await next;
      (errors === 0 ? valid : broken).push(performance.now() - start);
    }
    // From the first change of a burst to the diagnostics of its last; and how many compiles the bursts cost.
    const burst: number[] = [];
    const publishesBefore = publishes;
    for (let i = 0; i < CHANGES; i++) {
      const start = performance.now();
      const sent: Promise<void>[] = [];
      for (let k = 0; k < BURST; k++) sent.push(change(++version, `${text}# burst ${version}\n`));
      next = published(version);
      await Promise.all(sent);
      await next;
      burst.push(performance.now() - start);
    }
    const compilesPerBurst = (publishes - publishesBefore) / CHANGES;
    const compileAlone = measure(() => compile(text, { path: file, host: nodeHost }), { warmup: 3, minRuns: 10, maxRuns: 50, budgetMs: 2000 });
    const rows = [
      { name: "change -> diagnostics, valid scene", timing: summarize(valid) },
      { name: "change -> diagnostics, one error", timing: summarize(broken) },
      { name: `burst of ${BURST} changes -> the last's diagnostics`, timing: summarize(burst) },
    ];
    console.log(`${PER_SIDE * PER_SIDE} regions, ${text.length} characters; a burst of ${BURST} changes cost ${compilesPerBurst.toFixed(1)} compiles on average`);
    console.log(
      table(
        ["case", "median ms", "min ms", "target ms"],
        [
          ...rows.map(({ name, timing }) => [name, timing.medianMs.toFixed(1), timing.minMs.toFixed(1), String(TARGET_MS)]),
          ["compile() alone, in process", compileAlone.medianMs.toFixed(1), compileAlone.minMs.toFixed(1), ""],
        ],
      ),
    );
    const out = writeResult("lsp-diagnostics", { environment: environment(), regions: PER_SIDE * PER_SIDE, targetMs: TARGET_MS, cases: rows, compilesPerBurst, compileAlone });
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
