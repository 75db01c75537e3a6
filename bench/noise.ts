/**
 * The initial noise of a canvas by each generator (src/runtime/noise.ts): [4, 128, 128] (a
 * 1024² picture) and [4, 512, 512] (the 4K mosaic's 4096²), one draw each; euler_ancestral draws
 * as much again every step. Prints ms per draw and writes bench/results/noise.json.
 */
import { NOISE_GENERATORS } from "../src/compiler/plan/plan.js";
import { initialNoiseDraw } from "../src/runtime/noise.js";
import { environment, measure, table, writeResult, type Benchmark } from "./harness.js";

const CANVASES = [
  { name: "1024²", length: 4 * 128 * 128 },
  { name: "4096²", length: 4 * 512 * 512 },
];
const OPTIONS = { warmup: 2, minRuns: 5, maxRuns: 50, budgetMs: 2000 };

export const benchmark: Benchmark = {
  name: "noise",
  async run() {
    const rows = CANVASES.flatMap(({ name, length }) =>
      NOISE_GENERATORS.map((generator) => ({ canvas: name, generator, timing: measure(() => initialNoiseDraw(generator, 1234, length), OPTIONS) })),
    );
    console.log(table(["canvas", "generator", "median ms", "min ms"], rows.map((r) => [r.canvas, r.generator, r.timing.medianMs.toFixed(1), r.timing.minMs.toFixed(1)])));
    const out = writeResult("noise", { environment: environment(), rows: rows.map((r) => ({ canvas: r.canvas, generator: r.generator, ...r.timing, samplesMs: undefined })) });
    console.log(`\nwrote ${out}`);
  },
};
