import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileScene } from "./helpers/render-helpers.js";
import { hasRedis, sharedRedis, startRedis, type RedisServer } from "./helpers/redis-server.js";
import { runScenec, startScenec, type CliProcess } from "./helpers/scenec-cli.js";

// The render farm (README "Render farm") against a real redis-server, with `scenec worker`
// processes and `scenec render --farm` spawned from the built CLI (dist/). In CI the suite must
// run: .ci/run installs redis-server.
const farmIt = it.skipIf(!hasRedis && !process.env["CI"]);

const SCENE = 'canvas 128 x 128\nsteps 4\nregion r { prompt "a red barn" }\nguide "guides/sky.png" { at 0, 0 size 128 x 64 strength 0.5 }\n';
/** Slow enough per picture for a worker to be killed in the middle of one. */
const SLOW_SCENE = 'canvas 256 x 256\nsteps 40\nregion r { prompt "a red barn" }\nguide "guides/sky.png" { at 0, 0 size 256 x 64 strength 0.5 }\n';

const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-farm-"));
let redis: RedisServer;
const workers: CliProcess[] = [];
let queues = 0;

beforeAll(async () => {
  mkdirSync(path.join(dir, "guides"));
  await sharp({ create: { width: 32, height: 16, channels: 3, background: { r: 40, g: 90, b: 220 } } }).png().toFile(path.join(dir, "guides", "sky.png"));
  writeFileSync(path.join(dir, "barn.scene"), SCENE);
  writeFileSync(path.join(dir, "slow.scene"), SLOW_SCENE);
  if (hasRedis || process.env["SCENEC_TEST_REDIS_URL"]) redis = await sharedRedis();
}, 30_000);

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A queue of the test's own, so that no test sees another's jobs. */
function newQueue(): string {
  queues += 1;
  return `test-${queues}`;
}

/** `scenec worker` on `queue`, ready once it says it waits for jobs. */
async function startWorker(queue: string, name: string, cwd = dir): Promise<CliProcess> {
  const worker = startScenec(["worker", "--redis", redis.url, "--queue", queue, "--name", name, "--lock-duration", "1500", "--stalled-interval", "500"], { cwd });
  workers.push(worker);
  const deadline = Date.now() + 20_000;
  while (!worker.stderr().includes("waiting for jobs")) {
    if (worker.child.exitCode !== null || Date.now() > deadline) throw new Error(`worker ${name} did not start:\n${worker.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return worker;
}

async function stopWorker(worker: CliProcess): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGTERM");
  await worker.done;
}

/** The local render of the sweep that the farm's pictures must equal byte for byte. */
let local: Promise<Map<string, Buffer>> | undefined;
function localSweep(): Promise<Map<string, Buffer>> {
  local ??= (async () => {
    const run = await runScenec(["render", "barn.scene", "--seeds", "1-16", "-o", "local/{seed}.png"], { cwd: dir });
    if (run.status !== 0) throw new Error(run.stderr);
    return pictures("local");
  })();
  return local;
}

function pictures(folder: string): Map<string, Buffer> {
  const full = path.join(dir, folder);
  return new Map(readdirSync(full).filter((f) => f.endsWith(".png")).map((f) => [f, readFileSync(path.join(full, f))]));
}

function farmRender(args: string[], queue: string): CliProcess {
  return startScenec(["render", ...args, "--farm", redis.url, "--queue", queue], { cwd: dir });
}

/** Each picture of the sweep was written once: one `wrote` line each, and no other. */
function writtenOnce(stderr: string, folder: string): void {
  const wrote = stderr.split("\n").filter((line) => line.startsWith("wrote "));
  expect(wrote).toHaveLength(16);
  expect(new Set(wrote.map((line) => line.split(" ")[1])).size).toBe(16);
  expect(wrote.every((line) => line.startsWith(`wrote ${folder}/`))).toBe(true);
}

describe("scenec render --farm", () => {
  farmIt("a 16-seed sweep on two workers lands 16 pictures byte-identical to a local render; the guide travels once", async () => {
    const queue = newQueue();
    await Promise.all([startWorker(queue, "w1"), startWorker(queue, "w2")]);
    const run = farmRender(["barn.scene", "--seeds", "1-16", "-o", "farm/{seed}.png"], queue);
    expect(await run.done, run.stderr()).toBe(0);
    writtenOnce(run.stderr(), "farm");
    const expected = await localSweep();
    expect([...pictures("farm").keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, bytes] of pictures("farm")) expect(bytes.equals(expected.get(name)!), name).toBe(true);
    // Both workers took jobs; the one guide was stored once, by its hash; no picture is left behind.
    expect(run.stderr()).toMatch(/\(worker w1\)/);
    expect(run.stderr()).toMatch(/\(worker w2\)/);
    const client = new Redis(redis.port, "127.0.0.1");
    expect(await client.keys(`scenec:${queue}:blob:*`)).toHaveLength(1);
    expect(await client.keys(`scenec:${queue}:result:*`)).toHaveLength(0);
    client.disconnect();
  }, 60_000);
});
