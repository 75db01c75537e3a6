/**
 * Benchmark of `compile` (lex, parse, imports and styles, elaboration, geometry checks, planning,
 * ajv validation of the plan) and of writing the plan as YAML, on:
 *
 * - generated scenes of 2,500 and 10,000 regions, as one grid and as separate `region` statements,
 *   one of 1,027 shaped regions over 4096 x 4096, and one of 65 regions masked by a 4096 x 4096
 *   image (bench/scenes.ts);
 * - the example scenes in scenes/ (read from disk, with their imports and guide images).
 *
 * Each is timed warm (warm-up runs, then repetitions: median and min) and, for the generated
 * scenes, cold: the first compile in a fresh node process, as a one-shot `scenec plan` pays it.
 * Prints a table and writes bench/results/compile.json. The target: a 10,000-region scene
 * compiles in at most 1 s. Run with `npm run bench` (all benchmarks) or, after `npm run build`,
 * `node --expose-gc dist/bench/compile.js`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { compile, type CompilerHost } from "../src/compiler/compile.js";
import { nodeHost } from "../src/compiler/node-host.js";
import type { Plan } from "../src/compiler/plan/plan.js";
import { gcAvailable, measure, repoRoot, table, type Benchmark, type MeasureOptions, type Timing } from "./harness.js";
import { generatedSceneHost, gridScene, masksScene, masksSceneHost, regionsScene, shapesScene } from "./scenes.js";

export const TARGET_MS = 1000;
const TARGET_REGIONS = 10_000;

interface Case {
  /** For `--cold ID`. */
  id: string;
  name: string;
  path: string;
  text: string;
  host: CompilerHost;
  large: boolean;
}

export interface CaseResult {
  name: string;
  /** Size of the scene's own text. */
  bytes: number;
  lines: number;
  regions: number;
  /**
   * Generated scenes: the first compile in a fresh node process (median of COLD_RUNS processes),
   * as a one-shot `scenec plan` pays it: no JIT warm-up, first use of ajv and of the parser.
   * Module loading is not included.
   */
  cold?: { medianMs: number; samplesMs: number[] };
  errors: number;
  warnings: number;
  compile: Timing;
  /** Absent when src/cli/plan-output.ts does not exist yet. */
  yaml?: Timing & { bytes: number };
}

type FormatPlan = (plan: Plan, format: "yaml" | "json") => string;

/** src/cli/plan-output.ts may not exist yet: use it when it does. */
async function loadFormatPlan(): Promise<FormatPlan | undefined> {
  try {
    const specifier = "../src/cli/plan-output.js";
    const module = (await import(specifier)) as { formatPlan?: FormatPlan };
    return typeof module.formatPlan === "function" ? module.formatPlan : undefined;
  } catch {
    return undefined;
  }
}

function cases(root: string): Case[] {
  const generated: Case[] = [];
  for (const perSide of [50, 100]) {
    const n = (perSide * perSide).toLocaleString("en-US");
    generated.push({ id: `grid-${perSide}`, name: `grid ${perSide}x${perSide} (${n} cells)`, path: `bench-grid-${perSide}.scene`, text: gridScene(perSide), host: generatedSceneHost, large: true });
    generated.push({ id: `regions-${perSide}`, name: `${n} region statements`, path: `bench-regions-${perSide}.scene`, text: regionsScene(perSide), host: generatedSceneHost, large: true });
  }
  generated.push({ id: "shapes-4k", name: "shapes at 4096 x 4096 (1,027 masks)", path: "bench-shapes-4k.scene", text: shapesScene(), host: generatedSceneHost, large: true });
  generated.push({ id: "masks-4k", name: "mask images at 4096 x 4096 (a 4096-px mask, 65 regions)", path: "bench-masks-4k.scene", text: masksScene(), host: masksSceneHost(), large: true });
  const scenes = join(root, "scenes");
  const examples = readdirSync(scenes)
    .filter((f) => f.endsWith(".scene"))
    .sort()
    .map((f): Case => {
      const path = join(scenes, f);
      return { id: f, name: `scenes/${f}`, path: relative(process.cwd(), path), text: readFileSync(path, "utf8"), host: nodeHost, large: false };
    });
  return [...generated, ...examples];
}

/** Generated scenes (hundreds of ms a run): few runs. Examples (ms a run): many. */
const LARGE: MeasureOptions = { warmup: 2, minRuns: 7, maxRuns: 15, budgetMs: 4000 };
const SMALL: MeasureOptions = { warmup: 20, minRuns: 20, maxRuns: 500, budgetMs: 1000 };

export async function runCompileBench(): Promise<CaseResult[]> {
  const root = repoRoot();
  const formatPlan = await loadFormatPlan();
  if (!gcAvailable) console.log("note: run node with --expose-gc to collect garbage between runs");
  if (!formatPlan) console.log("note: src/cli/plan-output.ts is absent: skipping the YAML timings");

  const results: CaseResult[] = [];
  for (const c of cases(root)) {
    const options = c.large ? LARGE : SMALL;
    const once = compile(c.text, { path: c.path, host: c.host });
    const errors = once.diagnostics.filter((d) => d.severity === "error");
    if (!once.plan) {
      const first = errors[0];
      throw new Error(`${c.name} does not compile: ${errors.length} errors${first ? `, first ${first.code} ${first.message}` : ""}`);
    }
    const plan = once.plan;
    const result: CaseResult = {
      name: c.name,
      bytes: Buffer.byteLength(c.text),
      lines: c.text.split("\n").length,
      regions: plan.regions.length,
      errors: errors.length,
      warnings: once.diagnostics.length - errors.length,
      compile: measure(() => compile(c.text, { path: c.path, host: c.host }), options),
    };
    if (c.large) result.cold = coldCompile(c.id);
    if (formatPlan) {
      const bytes = Buffer.byteLength(formatPlan(plan, "yaml"));
      result.yaml = { ...measure(() => formatPlan(plan, "yaml"), options), bytes };
    }
    results.push(result);
    const yaml = result.yaml ? `, yaml median ${ms(result.yaml.medianMs)} ms` : "";
    const cold = result.cold ? `, cold ${ms(result.cold.medianMs)} ms` : "";
    console.log(`  ${c.name}: compile median ${ms(result.compile.medianMs)} ms over ${result.compile.runs} runs${cold}${yaml}`);
  }

  console.log("");
  console.log(
    table(
      ["scene", "regions", "lines", "warnings", "cold ms", "compile median ms", "min ms", "runs", "yaml median ms", "min ms", "yaml kB"],
      results.map((r) => [
        r.name,
        String(r.regions),
        String(r.lines),
        String(r.warnings),
        r.cold ? ms(r.cold.medianMs) : "-",
        ms(r.compile.medianMs),
        ms(r.compile.minMs),
        String(r.compile.runs),
        r.yaml ? ms(r.yaml.medianMs) : "-",
        r.yaml ? ms(r.yaml.minMs) : "-",
        r.yaml ? (r.yaml.bytes / 1024).toFixed(0) : "-",
      ]),
    ),
  );

  const large = results.filter((r) => r.regions >= TARGET_REGIONS);
  console.log("");
  for (const r of large) {
    const verdict = (t: number): string => (t <= TARGET_MS ? "meets" : "MISSES");
    const cold = r.cold ? `; cold, in a fresh process: ${ms(r.cold.medianMs)} ms (${verdict(r.cold.medianMs)} it)` : "";
    console.log(`target ${TARGET_MS} ms: ${r.name} compiles in ${ms(r.compile.medianMs)} ms warm (median, ${verdict(r.compile.medianMs)} it)${cold}`);
  }

  const out = join(root, "bench", "results", "compile.json");
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  const report = {
    benchmark: "compile",
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? "unknown",
    cpus: cpus().length,
    gc: gcAvailable,
    // Other work on the machine skews the timings: the 1, 5 and 15 minute load averages at the end.
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    targetMs: TARGET_MS,
    meetsTarget: large.every((r) => r.compile.medianMs <= TARGET_MS),
    meetsTargetCold: large.every((r) => r.cold !== undefined && r.cold.medianMs <= TARGET_MS),
    cases: results,
  };
  writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
  console.log(`wrote ${relative(process.cwd(), out)}`);
  return results;
}

const ms = (value: number): string => value.toFixed(value < 10 ? 2 : 1);

export const benchmark: Benchmark = {
  name: "compile",
  run: async () => {
    await runCompileBench();
  },
};

const COLD_RUNS = 3;

/** Compiles one case in COLD_RUNS fresh node processes (`--cold ID`, below). */
function coldCompile(id: string): { medianMs: number; samplesMs: number[] } {
  const script = fileURLToPath(import.meta.url);
  const samplesMs: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const out = execFileSync(process.execPath, [script, "--cold", id], { encoding: "utf8" });
    samplesMs.push((JSON.parse(out) as { ms: number }).ms);
  }
  return { medianMs: [...samplesMs].sort((a, b) => a - b)[COLD_RUNS >> 1]!, samplesMs };
}

/** `--cold ID`: compile one case once, as the first thing this process compiles; print {"ms": …}. */
function coldMain(id: string): void {
  const c = cases(repoRoot()).find((x) => x.id === id);
  if (!c) throw new Error(`no benchmark case ${id}`);
  const started = performance.now();
  const result = compile(c.text, { path: c.path, host: c.host });
  const elapsed = performance.now() - started;
  if (!result.plan) throw new Error(`${c.name} does not compile`);
  process.stdout.write(JSON.stringify({ ms: Math.round(elapsed * 1000) / 1000 }) + "\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cold = process.argv.indexOf("--cold");
  if (cold >= 0) coldMain(process.argv[cold + 1] ?? "");
  else await benchmark.run();
}
