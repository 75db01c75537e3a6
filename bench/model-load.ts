/**
 * How long a model takes to load (OnnxDiffusionModel.load: text encoder, UNet with its sliced
 * attention, VAE decoder, on the CPU) in a fresh process, as at each start of scenec: without the
 * model cache, the first start with it (optimise, then save the optimised graphs) and the second
 * (open the saved graphs; the originals are not read). Models: the tiny SD 1.5 of
 * ../shared/conformance, and any model folders listed in SCENEC_BENCH_LOAD_MODELS (separated by
 * the platform's path delimiter), e.g. the SD-1.5-size UNet of bench/sd15-size-unet.ts.
 *
 * Each load runs in its own child process (`node dist/bench/model-load.js FOLDER CACHE|off`), so
 * ONNX Runtime's start-up is counted and no file is in the process's memory already (the
 * operating system's file cache is: every row reads files the row before read). Prints a table and
 * writes bench/results/model-load.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { ModelCache } from "../src/runtime/model/model-cache.js";
import { folderSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { environment, repoRoot, table, writeResult, type Benchmark } from "./harness.js";

const CHILD_TIMEOUT_MS = 20 * 60_000;
const RUNS: { name: string; cache: "off" | "fresh" | "same" }[] = [
  { name: "no cache", cache: "off" },
  { name: "first start (optimise and cache)", cache: "fresh" },
  { name: "second start (from the cache)", cache: "same" },
];

interface ChildResult {
  loadMs: number;
  peakRssMb: number;
  uses: string[];
}

async function child(folder: string, cache: string): Promise<void> {
  const uses: string[] = [];
  const start = performance.now();
  const model = await OnnxDiffusionModel.load(folderSource(folder), {
    device: "cpu",
    modelCache: cache === "off" ? null : new ModelCache(cache),
    onWarning: (message) => console.error(message),
    onDiagnostics: (text) => uses.push(text.trim()),
  });
  const loadMs = performance.now() - start;
  await model.release();
  const result: ChildResult = { loadMs, peakRssMb: process.resourceUsage().maxRSS / 1024, uses };
  console.log(JSON.stringify(result));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function folderBytes(folder: string): number {
  if (!existsSync(folder)) return 0;
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .reduce((sum, f) => sum + statSync(path.join(f.parentPath, f.name)).size, 0);
}

export const benchmark: Benchmark = {
  name: "model-load",
  async run() {
    const tiny = path.resolve(repoRoot(), "../shared/conformance/models/tiny-sd15");
    const extra = (process.env["SCENEC_BENCH_LOAD_MODELS"] ?? "").split(path.delimiter).filter(Boolean);
    const folders = [...(existsSync(tiny) ? [tiny] : []), ...extra];
    if (folders.length === 0) {
      console.log(`model-load: ${tiny} is absent and SCENEC_BENCH_LOAD_MODELS is unset; skipped`);
      return;
    }
    const script = fileURLToPath(import.meta.url);
    const rows: string[][] = [];
    const results: unknown[] = [];
    const sizes: string[] = [];
    for (const folder of folders) {
      // Rounds of the three starts, each round with an empty cache: the median of each start over
      // the rounds (a loaded machine makes single loads vary by 2x). The tiny model loads in
      // seconds, a real one in minutes: it gets one round.
      const rounds = folder === tiny ? 3 : 1;
      const samples = RUNS.map(() => [] as ChildResult[]);
      const cacheMb: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const cache = mkdtempSync(path.join(tmpdir(), "scenec-bench-model-cache-"));
        try {
          RUNS.forEach((run, i) => {
            const spawned = spawnSync(process.execPath, [script, folder, run.cache === "off" ? "off" : cache], { encoding: "utf8", timeout: CHILD_TIMEOUT_MS, maxBuffer: 1 << 20 });
            const line = spawned.stdout.trim().split("\n").pop() ?? "";
            if (spawned.status !== 0 || !line.startsWith("{")) throw new Error(`model-load: ${run.name} on ${folder} failed (status ${spawned.status}): ${spawned.stderr.slice(-2000)}`);
            samples[i]!.push(JSON.parse(line) as ChildResult);
          });
          cacheMb.push(folderBytes(cache) / 2 ** 20);
        } finally {
          rmSync(cache, { recursive: true, force: true });
        }
      }
      RUNS.forEach((run, i) => {
        const loads = samples[i]!.map((s) => s.loadMs);
        const peak = Math.max(...samples[i]!.map((s) => s.peakRssMb));
        rows.push([path.basename(folder), run.name, (median(loads) / 1000).toFixed(2), (Math.min(...loads) / 1000).toFixed(2), peak.toFixed(0)]);
        results.push({ folder, run: run.name, loadMs: loads, peakRssMb: peak, uses: samples[i]![0]!.uses });
      });
      sizes.push(`${path.basename(folder)}: the cache entries take ${cacheMb[0]!.toFixed(0)} MB`);
    }
    console.log(table(["model", "load", "median s", "min s", "peak RSS MB"], rows));
    console.log(sizes.join("\n"));
    console.log(`\nwrote ${writeResult("model-load", { environment: environment(), results })}`);
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [folder, cache] = process.argv.slice(2);
  if (folder && cache) await child(folder, cache);
  else await benchmark.run();
}
