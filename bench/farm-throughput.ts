/**
 * Benchmark of the render farm (README "Render farm"): a 32-seed sweep of a small scene on the
 * built-in model, rendered locally (one process, one loaded model) and through a real
 * redis-server by 1 and then 2 `scenec worker` processes (warmed up first: model loaded). Reports
 * images/s and the per-job queue overhead: the workers' time not spent rendering, per job,
 * (workers x wall time - the renders' own time) / jobs, where a job's render time is what its
 * worker measured around Renderer.render (so the overhead holds the PNG's encoding, which a local
 * render pays too), split into the worker's own work around the render (its checks, the job's
 * files, the PNG's encoding, storing it) and the queue's (BullMQ moving the job, the client
 * taking the PNG): workers x wall time - the jobs' time in their workers, per job. The client
 * runs in this process (main(), as the CLI).
 * Writes bench/results/farm-throughput.json. `npm run bench -- farm-throughput`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Queue } from "bullmq";
import { main } from "../src/cli/main.js";
import type { Terminal } from "../src/cli/terminal.js";
import type { ImageJobResult } from "../src/farm/farm-worker.js";
import { environment, repoRoot, table, writeResult, type Benchmark } from "./harness.js";
import { hasRedis, startRedis, type RedisServer } from "./redis-server.js";

const SEEDS = 32;
/** Each figure is the median run of this many (the machine is shared: single runs vary by 20%). */
const REPEATS = 3;
const SCENE = 'canvas 256 x 256\nsteps 20\nregion sky { at 0, 0 size 256 x 128 prompt "a blue sky" }\nregion field { at 0, 128 size 256 x 128 prompt "a green field" }\n';

interface FarmMeasure {
  workers: number;
  wallMs: number;
  imagesPerSecond: number;
  meanRenderMs: number;
  overheadPerJobMs: number;
  /** Of the overhead: the worker's own work besides the render. */
  workerPerJobMs: number;
  /** Of the overhead: the queue's, outside the worker's job function. */
  queuePerJobMs: number;
}

let log = "";
const terminal: Terminal = { color: false, stdout: { write: (s: string) => (log += s) }, stderr: { write: (s: string) => (log += s) } };

async function render(dir: string, args: string[]): Promise<number> {
  log = "";
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const started = performance.now();
    const status = await main(["render", "sweep.scene", ...args], terminal);
    if (status !== 0) throw new Error(`render ${args.join(" ")} exited ${status}:\n${log}`);
    return performance.now() - started;
  } finally {
    process.chdir(cwd);
  }
}

function startWorker(redis: RedisServer, queue: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(repoRoot(), "bin", "scenec.js"), "worker", "--redis", redis.url, "--queue", queue, "--name", name, "--device", "cpu"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (stderr.includes("waiting for jobs")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`worker ${name} exited ${code}:\n${stderr}`)));
  });
}

async function measureFarm(redis: RedisServer, dir: string, workers: number): Promise<FarmMeasure> {
  const queue = `bench-${workers}`;
  const children = await Promise.all(Array.from({ length: workers }, (_, i) => startWorker(redis, queue, `b${i + 1}`)));
  try {
    const farm = ["--farm", redis.url, "--queue", queue];
    // Warm-up: every worker loads the model and encodes the prompts.
    await render(dir, ["--seeds", `1-${workers * 2}`, "-o", "warm/{seed}.png", ...farm]);
    const bull = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port } });
    const runs: { wallMs: number; renderTotal: number; jobTotal: number }[] = [];
    for (let i = 0; i < REPEATS; i++) {
      await bull.clean(0, 1000, "completed");
      const wallMs = await render(dir, ["--seeds", `1-${SEEDS}`, "-o", "farm/{seed}.png", ...farm]);
      const results = (await bull.getCompleted(0, SEEDS * 2)).map((job) => job.returnvalue as ImageJobResult | undefined).filter((r) => r?.renderMs !== undefined && r.jobMs !== undefined);
      if (results.length !== SEEDS) throw new Error(`expected ${SEEDS} completed renders, found ${results.length}`);
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
      runs.push({ wallMs, renderTotal: sum(results.map((r) => r!.renderMs!)), jobTotal: sum(results.map((r) => r!.jobMs!)) });
    }
    await bull.close();
    const { wallMs, renderTotal, jobTotal } = runs.sort((a, b) => a.wallMs - b.wallMs)[REPEATS >> 1]!;
    return {
      workers,
      wallMs,
      imagesPerSecond: SEEDS / (wallMs / 1000),
      meanRenderMs: renderTotal / SEEDS,
      overheadPerJobMs: (workers * wallMs - renderTotal) / SEEDS,
      workerPerJobMs: (jobTotal - renderTotal) / SEEDS,
      queuePerJobMs: (workers * wallMs - jobTotal) / SEEDS,
    };
  } finally {
    for (const child of children) child.kill("SIGTERM");
  }
}

export const benchmark: Benchmark = {
  name: "farm-throughput",
  async run() {
    if (!hasRedis) {
      console.log("skipped: no redis-server (install Debian's redis-server package)");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "scenec-bench-farm-"));
    writeFileSync(join(dir, "sweep.scene"), SCENE);
    const redis = await startRedis();
    try {
      await render(dir, ["--seeds", "1-2", "-o", "warm/{seed}.png", "--device", "cpu"]);
      const locals: number[] = [];
      for (let i = 0; i < REPEATS; i++) locals.push(await render(dir, ["--seeds", `1-${SEEDS}`, "-o", "local/{seed}.png", "--device", "cpu"]));
      const localMs = locals.sort((a, b) => a - b)[REPEATS >> 1]!;
      const farms = [await measureFarm(redis, dir, 1), await measureFarm(redis, dir, 2)];
      console.log(
        table(
          ["run", "wall ms", "images/s", "render ms/job", "overhead ms/job", "in worker", "in queue"],
          [
            ["local (one process)", localMs.toFixed(0), (SEEDS / (localMs / 1000)).toFixed(2), "-", "-", "-", "-"],
            ...farms.map((f) => [`farm, ${f.workers} worker${f.workers > 1 ? "s" : ""}`, f.wallMs.toFixed(0), f.imagesPerSecond.toFixed(2), f.meanRenderMs.toFixed(1), f.overheadPerJobMs.toFixed(1), f.workerPerJobMs.toFixed(1), f.queuePerJobMs.toFixed(1)]),
          ],
        ),
      );
      console.log(`(${SEEDS} seeds of a 256 x 256, 20-step, two-region scene on the built-in model, on the CPU, median of ${REPEATS} runs; the local run's wall time includes its compile, as the farm's does)`);
      const out = writeResult("farm-throughput", { environment: environment(), seeds: SEEDS, localMs, farms });
      console.log(`wrote ${out}`);
    } finally {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
