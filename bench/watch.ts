/**
 * Benchmark of `scenec watch` on scenes/countryside.scene (copied to a temporary folder) at 20
 * steps on the built-in model:
 *
 * - save → PNG: from writing the scene file to the new PNG being on disk (renamed into place),
 *   through chokidar, the 150 ms debounce, the compile, the render in the warm worker (model,
 *   prompt embeddings kept) and the PNG encoding; for a save that changes no prompt (a comment)
 *   and for one that changes one prompt (one text encoding). Target: at most 1 s.
 * - recompile: compiling the scene again in a warm process (what each save costs before the
 *   render starts). Target: at most 20 ms.
 * - the first render of the session (cold: worker start and model load included), for reference.
 *
 * The watch session runs in this process (runWatch, its output captured), exactly as
 * `scenec watch` runs it. Prints a table and writes bench/results/watch.json. Run with
 * `npm run bench watch`, or after `npm run build`, `node --expose-gc dist/bench/index.js watch`.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { compileText } from "../src/cli/compile-file.js";
import type { Terminal } from "../src/cli/terminal.js";
import { runWatch } from "../src/cli/watch/session.js";
import { readPngText } from "../src/runtime/image/png-text.js";
import { environment, measure, repoRoot, summarize, table, writeResult, type Benchmark, type Timing } from "./harness.js";

export const SAVE_TO_PNG_TARGET_MS = 1000;
export const RECOMPILE_TARGET_MS = 20;
const STEPS = 20;
const SAVES = 6;

interface Written {
  output: string;
  renderMs: number;
  compileMs: number;
}

export interface WatchBenchResult {
  scene: string;
  steps: number;
  firstRenderMs: number;
  /** Save → PNG on disk, per kind of save. */
  comment: Timing & { renderMedianMs: number; compileMedianMs: number };
  prompt: Timing & { renderMedianMs: number; compileMedianMs: number };
  recompile: Timing;
}

export async function runWatchBench(): Promise<WatchBenchResult> {
  const source = join(repoRoot(), "scenes", "countryside.scene");
  const dir = mkdtempSync(join(tmpdir(), "scenec-bench-watch-"));
  const scene = join(dir, "countryside.scene");
  copyFileSync(source, scene);
  const original = readFileSync(scene, "utf8");

  let log = "";
  const terminal: Terminal = { color: false, stdout: { write: (s: string) => (log += s) }, stderr: { write: (s: string) => (log += s) } };
  let written: ((w: Written) => void) | undefined;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const nextWrite = () => new Promise<Written>((resolve) => (written = resolve));

  const started = performance.now();
  let first = nextWrite();
  const session = runWatch(
    {
      scene,
      steps: STEPS,
      device: "cpu",
      batch: 1,
      limits: {},
      keepHistory: true,
      stop: stopped,
      onReady: () => ready(),
      onWritten: (w) => written?.(w),
    },
    terminal,
  );
  try {
    await isReady;
    await first;
    const firstRenderMs = performance.now() - started;
    console.log(`  first render (cold: worker, model, prompts): ${firstRenderMs.toFixed(0)} ms`);

    /** Saves `text` and returns the time until the PNG recording it is on disk. */
    const save = async (text: string): Promise<{ ms: number } & Written> => {
      // Let the file system settle: the previous save's events are long delivered.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const done = nextWrite();
      const t0 = performance.now();
      writeFileSync(scene, text);
      const w = await done;
      const ms = performance.now() - t0;
      const recorded = readPngText(readFileSync(w.output))["scenec:scene"];
      if (recorded !== text) throw new Error("the PNG on disk does not record the saved scene");
      return { ms, ...w };
    };

    const kinds = {
      comment: (i: number) => `${original}\n# save ${i}\n`,
      prompt: (i: number) => original.replace("A charming house", `A charming house number ${i}`),
    };
    const results: Partial<Record<keyof typeof kinds, WatchBenchResult["comment"]>> = {};
    for (const [kind, text] of Object.entries(kinds) as [keyof typeof kinds, (i: number) => string][]) {
      const samples: { ms: number; renderMs: number; compileMs: number }[] = [];
      for (let i = 0; i < SAVES; i++) samples.push(await save(text(i)));
      const timing = summarize(samples.map((s) => s.ms));
      const median = (values: number[]) => summarize(values).medianMs;
      results[kind] = { ...timing, renderMedianMs: median(samples.map((s) => s.renderMs)), compileMedianMs: median(samples.map((s) => s.compileMs)) };
      console.log(`  save → PNG (${kind}): median ${timing.medianMs.toFixed(0)} ms, min ${timing.minMs.toFixed(0)}, max ${timing.maxMs.toFixed(0)} over ${timing.runs} saves`);
    }

    const recompile = measure(() => compileText(scene, readFileSync(scene, "utf8"), {}), { warmup: 20, minRuns: 30, maxRuns: 300, budgetMs: 1000 });
    console.log(`  recompile (read + compile): median ${recompile.medianMs.toFixed(2)} ms over ${recompile.runs} runs`);
    return { scene: "scenes/countryside.scene", steps: STEPS, firstRenderMs: Math.round(firstRenderMs), comment: results.comment!, prompt: results.prompt!, recompile };
  } catch (error) {
    console.error(log);
    throw error;
  } finally {
    stop();
    await session;
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: "watch",
  async run() {
    const r = await runWatchBench();
    const verdict = (ms: number, target: number) => (ms <= target ? "meets" : "MISSES");
    console.log("");
    console.log(
      table(
        ["measure", "median ms", "min ms", "max ms", "render ms", "compile ms", "target ms", "verdict"],
        [
          ["save → PNG, comment only", r.comment.medianMs.toFixed(0), r.comment.minMs.toFixed(0), r.comment.maxMs.toFixed(0), r.comment.renderMedianMs.toFixed(0), r.comment.compileMedianMs.toFixed(1), String(SAVE_TO_PNG_TARGET_MS), verdict(r.comment.medianMs, SAVE_TO_PNG_TARGET_MS)],
          ["save → PNG, one prompt changed", r.prompt.medianMs.toFixed(0), r.prompt.minMs.toFixed(0), r.prompt.maxMs.toFixed(0), r.prompt.renderMedianMs.toFixed(0), r.prompt.compileMedianMs.toFixed(1), String(SAVE_TO_PNG_TARGET_MS), verdict(r.prompt.medianMs, SAVE_TO_PNG_TARGET_MS)],
          ["recompile", r.recompile.medianMs.toFixed(2), r.recompile.minMs.toFixed(2), r.recompile.maxMs.toFixed(2), "-", "-", String(RECOMPILE_TARGET_MS), verdict(r.recompile.medianMs, RECOMPILE_TARGET_MS)],
        ],
      ),
    );
    console.log(`(${r.scene} at ${r.steps} steps on the built-in model; first render of the session ${r.firstRenderMs} ms; the save → PNG time includes the 150 ms debounce)`);
    const out = writeResult("watch", { environment: environment(), targets: { saveToPngMs: SAVE_TO_PNG_TARGET_MS, recompileMs: RECOMPILE_TARGET_MS }, ...r });
    console.log(`wrote ${out}`);
  },
};
