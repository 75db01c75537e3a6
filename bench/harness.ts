/**
 * Timing helpers shared by the benchmarks: warm-up runs, then repetitions until a minimum count
 * and a time budget are both met (or a maximum count is reached). Run node with `--expose-gc` (as
 * `npm run bench` does) to collect garbage once before each measurement, so that one measurement's
 * garbage is not charged to the next. Not before every run: a forced full GC throws away part of
 * V8's warm state, and measured 3x slower runs on the small scenes and +20% on the large ones.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { packageRoot } from "../src/package-root.js";

export interface MeasureOptions {
  /** Untimed runs first, to let the JIT and caches settle. */
  warmup: number;
  minRuns: number;
  maxRuns: number;
  /** Keep repeating (up to maxRuns) until this much time has been spent in timed runs. */
  budgetMs: number;
}

export interface Timing {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
  samplesMs: number[];
}

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

export const gcAvailable = gc !== undefined;

export function measure(fn: () => unknown, options: MeasureOptions): Timing {
  gc?.();
  for (let i = 0; i < options.warmup; i++) fn();
  const samples: number[] = [];
  let spent = 0;
  while (samples.length < options.maxRuns && (samples.length < options.minRuns || spent < options.budgetMs)) {
    const start = performance.now();
    fn();
    const elapsed = performance.now() - start;
    samples.push(elapsed);
    spent += elapsed;
  }
  return summarize(samples);
}

/** {@link measure} for asynchronous work: each run is awaited before the next starts. */
export async function measureAsync(fn: () => Promise<unknown>, options: MeasureOptions): Promise<Timing> {
  gc?.();
  for (let i = 0; i < options.warmup; i++) await fn();
  const samples: number[] = [];
  let spent = 0;
  while (samples.length < options.maxRuns && (samples.length < options.minRuns || spent < options.budgetMs)) {
    const start = performance.now();
    await fn();
    const elapsed = performance.now() - start;
    samples.push(elapsed);
    spent += elapsed;
  }
  return summarize(samples);
}

/** Median, min, max and mean of samples in ms (rounded to the microsecond). */
export function summarize(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    runs: samples.length,
    medianMs: round(median),
    minMs: round(sorted[0]!),
    maxMs: round(sorted[sorted.length - 1]!),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    samplesMs: samples.map(round),
  };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The repository root (benchmarks run in a checkout): the folder of scenec's package.json. */
export { packageRoot as repoRoot };

/** A plain-text table with right-aligned numeric columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-\d.,]*$/.test(r[i] ?? "")));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** What every benchmark module in bench/ exports, for bench/index.ts to find and run it. */
export interface Benchmark {
  name: string;
  run(): Promise<void>;
}

/** The machine and node a result was measured on, for the JSON reports. */
export function environment(): Record<string, unknown> {
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? "unknown",
    cpus: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    gc: gcAvailable,
    // Other work on the machine skews the timings: the 1, 5 and 15 minute load averages.
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Writes bench/results/NAME.json and returns its path. */
export function writeResult(name: string, report: unknown): string {
  const folder = join(packageRoot(), "bench", "results");
  mkdirSync(folder, { recursive: true });
  const out = join(folder, `${name}.json`);
  writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
  return out;
}
