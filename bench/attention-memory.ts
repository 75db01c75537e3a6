/**
 * Peak memory against tile size, for each form of the UNet's attention (attention-form.ts: fused,
 * the CPU's default; sliced; as exported): one region of 256², 512² and 640² on the tiny SD 1.5
 * UNet of ../shared/conformance (skipped without it), 2 steps, CPU. The exported graph holds
 * [2 · heads · (h·w)²] scores per attention, so its memory grows with the square of the tile's
 * area; fused or sliced, it should grow with the area: goal 640² / 256² ≤ 3 (the areas' ratio is
 * 6.25, their squares' 39). The exported 640² render takes about 11 GB, so it runs only with
 * SCENEC_BENCH_FULL=1.
 *
 * Each render runs in its own child process (`node dist/bench/attention-memory.js SIZE MODE`) so
 * that its peak RSS is its own. Writes bench/results/attention-memory.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { compile } from "../src/compiler/compile.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { folderSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { ATTENTION_FORMS, type AttentionForm } from "../src/runtime/onnx/attention-form.js";
import { renderCaches, renderPlan } from "../src/runtime/render.js";
import { environment, repoRoot, table, writeResult, type Benchmark } from "./harness.js";

const SIZES = [256, 512, 640];
const MODES = ATTENTION_FORMS;
type Mode = AttentionForm;
const modelFolder = () => resolve(repoRoot(), "../shared/conformance/models/tiny-sd15");

interface ChildResult {
  peakRssMB: number;
  msPerStep: number;
}

async function child(size: number, mode: Mode): Promise<ChildResult> {
  const scene = `canvas ${size} x ${size}\nsteps 2\nnoise torch\nregion a { at 0, 0 size ${size} x ${size} prompt "a castle on a hill" }\n`;
  const plan = compile(scene, { path: "bench.scene", host: nodeHost }).plan!;
  const model = await OnnxDiffusionModel.load(folderSource(modelFolder()), { device: "cpu", attention: mode });
  const folder = mkdtempSync(join(tmpdir(), "scenec-bench-"));
  let denoiseMs = 0;
  try {
    let started = 0;
    await renderPlan(plan, model, renderCaches(model), {
      folder,
      batch: 1,
      onProgress: (p) => {
        if (p.phase === "denoise" && started === 0) started = performance.now();
        if (p.phase === "decode" && denoiseMs === 0) denoiseMs = performance.now() - started;
      },
    });
  } finally {
    await model.release();
    rmSync(folder, { recursive: true, force: true });
  }
  return { peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), msPerStep: denoiseMs / plan.steps };
}

export const benchmark: Benchmark = {
  name: "attention-memory",
  async run() {
    if (!existsSync(modelFolder())) {
      console.log(`skipped: ${modelFolder()} is absent (../shared/conformance)`);
      return;
    }
    const full = process.env["SCENEC_BENCH_FULL"] === "1";
    const script = fileURLToPath(import.meta.url);
    const results = Object.fromEntries(MODES.map((mode) => [mode, {} as Record<number, ChildResult>])) as Record<Mode, Record<number, ChildResult>>;
    const rows: string[][] = [];
    for (const mode of MODES)
      for (const size of SIZES) {
        if (mode === "exported" && size > 512 && !full) continue;
        const run = spawnSync(process.execPath, [script, String(size), mode], { encoding: "utf8", timeout: 20 * 60_000, maxBuffer: 1 << 20 });
        try {
          const r = JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as ChildResult;
          results[mode][size] = r;
          rows.push([mode, `${size}²`, String(r.peakRssMB), r.msPerStep.toFixed(0)]);
        } catch {
          console.log(`${mode} ${size}²: failed (${(run.stderr || `status ${run.status}`).split("\n")[0]})`);
        }
      }
    console.log(table(["attention", "region", "peak RSS MB", "ms / step"], rows));
    const ratio = (mode: Mode) => {
      const [small, large] = [results[mode][256], results[mode][640]];
      return small && large ? large.peakRssMB / small.peakRssMB : undefined;
    };
    for (const mode of MODES) {
      const r = ratio(mode);
      if (r !== undefined) console.log(`${mode}: peak RSS 640² / 256² = ${r.toFixed(2)} (goal ≤ 3; areas 6.25, squared areas 39)`);
    }
    console.log(`wrote ${writeResult("attention-memory", { environment: environment(), results, ratios: Object.fromEntries(MODES.map((mode) => [mode, ratio(mode)])) })}`);
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.length === 4) {
  const [size, mode] = process.argv.slice(2) as [string, Mode];
  process.stdout.write(`${JSON.stringify(await child(Number(size), mode))}\n`);
}
