import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../src/compiler/plan/plan.js";
import { version } from "../src/cli/version.js";
import { planFiles } from "../src/farm/job-files.js";
import { readPngText } from "../src/runtime/image/png-text.js";
import { hasRedis, sharedRedis, startRedis, type RedisServer } from "../bench/redis-server.js";
import { lMask } from "./helpers/mask-images.js";
import { runScenec, startScenec, type CliProcess } from "./helpers/scenec-cli.js";

// The render farm (README "Render farm") against a real redis-server, with `scenec worker`
// processes and `scenec render --farm` spawned from the built CLI (dist/). In CI the suite must
// run: .ci/run installs redis-server.
const farmIt = it.skipIf(!hasRedis && !process.env["CI"]);

/** A scene with an import, a guide and a mask: the PNG records the import's text, and the guide and the mask travel as blobs. */
const SCENE =
  'import "styles/farm.scene"\ncanvas 128 x 128\nsteps 4\nregion r { prompt "{barn}" }\nregion wall { at 64, 64 size 64 x 64 mask "masks/l.png" prompt "green grass" weight 4 }\nguide "guides/sky.png" { at 0, 0 size 128 x 64 strength 0.5 }\n';
/** Slow enough per picture (about a second) for a worker to be killed, or Redis restarted, in the middle of one. */
const SLOW_SCENE = 'canvas 512 x 512\nsteps 150\nregion r { prompt "a red barn" }\nguide "guides/sky.png" { at 0, 0 size 256 x 64 strength 0.5 }\n';

const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-farm-"));
let redis: RedisServer;
const workers: CliProcess[] = [];
let queues = 0;

beforeAll(async () => {
  mkdirSync(path.join(dir, "guides"));
  await sharp({ create: { width: 32, height: 16, channels: 3, background: { r: 40, g: 90, b: 220 } } }).png().toFile(path.join(dir, "guides", "sky.png"));
  mkdirSync(path.join(dir, "masks"));
  writeFileSync(path.join(dir, "masks", "l.png"), await lMask(64));
  mkdirSync(path.join(dir, "styles"));
  writeFileSync(path.join(dir, "styles", "farm.scene"), 'style barn "a red barn"\n');
  writeFileSync(path.join(dir, "barn.scene"), SCENE);
  writeFileSync(path.join(dir, "slow.scene"), SLOW_SCENE);
  const plan = await runScenec(["plan", "barn.scene", "-o", "barn.plan.json"], { cwd: dir });
  if (plan.status !== 0) throw new Error(plan.stderr);
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
async function startWorker(queue: string, name: string, cwd = dir, options: string[] = []): Promise<CliProcess> {
  const worker = startScenec(["worker", "--redis", redis.url, "--queue", queue, "--name", name, "--lock-duration", "1500", "--stalled-interval", "500", ...options], { cwd });
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
  farmIt("a 16-seed sweep on two workers lands 16 pictures byte-identical to a local render; the guide and the mask travel once each", async () => {
    const queue = newQueue();
    await Promise.all([startWorker(queue, "w1"), startWorker(queue, "w2")]);
    const run = farmRender(["barn.scene", "--seeds", "1-16", "-o", "farm/{seed}.png"], queue);
    expect(await run.done, run.stderr()).toBe(0);
    writtenOnce(run.stderr(), "farm");
    const expected = await localSweep();
    expect([...pictures("farm").keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, bytes] of pictures("farm")) expect(bytes.equals(expected.get(name)!), name).toBe(true);
    expect(JSON.parse(readPngText(pictures("farm").get("7.png")!)["scenec:render"]!).imports).toEqual({ "styles/farm.scene": 'style barn "a red barn"\n' });
    // Both workers took jobs; the guide and the mask were stored once each, by their hashes; no picture is left behind.
    expect(run.stderr()).toMatch(/\(worker w1\)/);
    expect(run.stderr()).toMatch(/\(worker w2\)/);
    const client = new Redis(redis.port, "127.0.0.1");
    expect(await client.keys(`scenec:${queue}:blob:*`)).toHaveLength(2);
    expect(await client.keys(`scenec:${queue}:result:*`)).toHaveLength(0);
    client.disconnect();
  }, 60_000);
});

/** The run's pictures are the 16 seeds, each named for its seed and recording it. */
function sweepLanded(folder: string): void {
  const landed = pictures(folder);
  expect([...landed.keys()].sort()).toEqual(Array.from({ length: 16 }, (_, i) => `${i + 1}.png`).sort());
  for (const [name, bytes] of landed) expect(readPngText(bytes)["scenec:seed"]).toBe(name.replace(".png", ""));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("faults", () => {
  farmIt("a worker SIGKILLed in the middle of a job: another takes the job over; all 16 land, each once", async () => {
    const queue = newQueue();
    const names = ["k1", "k2", "k3"];
    const started = await Promise.all(names.map((name) => startWorker(queue, name)));
    // Long jobs: the progress a worker reports lags its render, and the job must still be running when its worker dies.
    const run = farmRender(["slow.scene", "--seeds", "1-16", "--steps", "400", "-o", "killed/{seed}.png"], queue);
    const bull = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port } });
    // A job some steps into its render, far from its end: its worker is killed there.
    const victim = await until("a job in progress", async () => {
      const active = await bull.getActive();
      return active.find((job) => {
        const step = (job.progress as { step?: number }).step ?? 0;
        return step >= 10 && step <= 150;
      });
    });
    const killed = (victim.progress as { worker: string }).worker;
    started[names.indexOf(killed)]!.child.kill("SIGKILL");
    expect(await run.done, run.stderr()).toBe(0);
    await bull.close();
    writtenOnce(run.stderr(), "killed");
    sweepLanded("killed");
    // The killed job's picture came from another worker, and equals a local render of its seed.
    const seed = (victim.data as { plan: { seed: number } }).plan.seed;
    expect(run.stderr(), `${killed} was killed rendering seed ${seed}`).toMatch(new RegExp(`wrote killed/${seed}\\.png \\(worker (?!${killed}\\))`));
    const alone = await runScenec(["render", "slow.scene", "--seed", String(seed), "--steps", "400", "-o", `killed-local-${seed}.png`], { cwd: dir });
    expect(alone.status, alone.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "killed", `${seed}.png`)).equals(readFileSync(path.join(dir, `killed-local-${seed}.png`)))).toBe(true);
  }, 90_000);

  // An append-only Redis keeps the queue over its restart; one without persistence loses everything,
  // and the client enqueues its pictures again (with its heartbeat and files).
  for (const persistent of [true, false])
    farmIt(`Redis restarting in the middle of a run (${persistent ? "append-only" : "all its data lost"}): workers and client reconnect, all 16 land, each once`, async () => {
      const own = await startRedis({ persistent });
      const queue = newQueue();
      const folder = `restart-${persistent ? "kept" : "lost"}`;
      const args = (name: string) => ["worker", "--redis", own.url, "--queue", queue, "--name", name, "--lock-duration", "1500", "--stalled-interval", "500"];
      const pair = ["r1", "r2"].map((name) => startScenec(args(name), { cwd: dir }));
      workers.push(...pair);
      try {
        await until("the workers", async () => (pair.every((w) => w.stderr().includes("waiting for jobs")) ? true : undefined));
        const run = startScenec(["render", "slow.scene", "--seeds", "1-16", "-o", `${folder}/{seed}.png`, "--farm", own.url, "--queue", queue], { cwd: dir });
        await until("the first picture", async () => (run.stderr().includes(`wrote ${folder}/`) ? true : undefined));
        await own.restart(1000);
        expect(await run.done, run.stderr()).toBe(0);
        expect(run.stderr()).toMatch(/redis redis:\/\/127\.0\.0\.1:\d+: .*\(retrying\)/);
        expect(run.stderr().includes("is no longer in Redis: enqueued again")).toBe(!persistent);
        writtenOnce(run.stderr(), folder);
        sweepLanded(folder);
      } finally {
        await Promise.all(pair.map(stopWorker));
        await own.stop();
      }
    }, 90_000);

  farmIt("a job that vanished from Redis (data lost) is enqueued again; every picture lands once", async () => {
    const queue = newQueue();
    await startWorker(queue, "l1");
    const run = farmRender(["slow.scene", "--seeds", "1-4", "--steps", "50", "-o", "lost/{seed}.png"], queue);
    const bull = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port } });
    const lost = await until("a waiting job", async () => (await bull.getWaiting()).find((job) => job.name === "image"));
    expect(await bull.remove(lost.id!)).toBe(1);
    await bull.close();
    expect(await run.done, run.stderr()).toBe(0);
    const seed = (lost.data as { plan: { seed: number } }).plan.seed;
    expect(run.stderr()).toContain(`the job of lost/${seed}.png is no longer in Redis: enqueued again`);
    const wrote = run.stderr().split("\n").filter((line) => line.startsWith("wrote "));
    expect(wrote.map((line) => line.split(" ")[1]).sort()).toEqual(["lost/1.png", "lost/2.png", "lost/3.png", "lost/4.png"]);
  }, 60_000);

  farmIt("a model the worker does not know fails at once with the worker's message; the other pictures land", async () => {
    const queue = newQueue();
    const folder = mkdtempSync(path.join(dir, "worker-"));
    writeFileSync(path.join(folder, "scenec.yaml"), "models: {}\n");
    await startWorker(queue, "m1", folder);
    writeFileSync(path.join(dir, "named.scene"), 'model "sd99"\ncanvas 64 x 64\nsteps 2\nregion r { prompt "a red barn" }\n');
    writeFileSync(path.join(dir, "plain.scene"), 'canvas 64 x 64\nsteps 2\nregion r { prompt "a red barn" }\n');
    const started = performance.now();
    const run = farmRender(["named.scene", "plain.scene"], queue);
    expect(await run.done).toBe(2);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(run.stderr()).toMatch(/named\.png: worker m1 has no model `sd99` \(its .*scenec\.yaml names no models\): add it under `models:`/);
    expect(run.stderr()).toMatch(/1 of 2 pictures failed on the farm/);
    expect(run.stderr()).toContain("wrote plain.png");
    const bull = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port } });
    const [failed] = await bull.getFailed();
    expect(failed!.attemptsMade).toBe(1); // not retried
    await bull.close();
  }, 60_000);

  farmIt("a job whose files would leave its folder, whose model is a path, over the worker's limits or from another scenec version is refused by the worker; a broken guide is named as the scene names it", async () => {
    const queue = newQueue();
    await startWorker(queue, "p1", dir, ["--max-side", "256"]);
    const plan = JSON.parse(readFileSync(path.join(dir, "barn.plan.json"), "utf8")) as { guides: { path: string; sha256: string }[]; model: unknown };
    const client = new Redis(redis.port, "127.0.0.1");
    await client.set(`scenec:${queue}:run:evil:alive`, "1", "EX", 60);
    // A guide whose bytes are what its plan says, and no image.
    const junk = Buffer.from("not a PNG at all");
    const junkSha = createHash("sha256").update(junk).digest("hex");
    await client.set(`scenec:${queue}:blob:${junkSha}`, junk, "EX", 60);
    const mask = readFileSync(path.join(dir, "masks", "l.png"));
    await client.set(`scenec:${queue}:blob:${createHash("sha256").update(mask).digest("hex")}`, mask, "EX", 60);
    client.disconnect();
    const bull = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port } });
    const base = { scenec: version(), run: "evil", name: "x.png", source: "", sourceKind: "scene", imports: {}, overrides: {}, batch: 1 };
    const escape = { ...plan, guides: plan.guides.map((g) => ({ ...g, path: "../../../etc/passwd" })) };
    const folderModel = { ...plan, model: { kind: "path", path: "/etc" } };
    // Compiled where the limits were higher: the worker holds it to its own.
    const huge = { ...plan, canvas: { width: 512, height: 128 } };
    const files = planFiles(plan as Plan);
    const jobs = await Promise.all([
      bull.add("image", { ...base, plan: escape, files: [{ path: "../../../etc/passwd", sha256: plan.guides[0]!.sha256 }] }),
      bull.add("image", { ...base, plan: folderModel, files }),
      bull.add("image", { ...base, plan: huge, files }),
      bull.add("image", { ...base, scenec: "0.0.1", plan, files }),
      bull.add("image", {
        ...base,
        plan: { ...plan, guides: plan.guides.map((g) => ({ ...g, path: "guides/junk.png", sha256: junkSha })) },
        files: [...files.filter((f) => !plan.guides.some((g) => g.path === f.path)), { path: "guides/junk.png", sha256: junkSha }],
      }),
    ]);
    const reasons = await until("the refusals", async () => {
      const states = await Promise.all(jobs.map(async (job) => ({ state: await bull.getJobState(job.id!), job: await bull.getJob(job.id!) })));
      return states.every((s) => s.state === "failed") ? states.map((s) => s.job!.failedReason) : undefined;
    });
    await bull.close();
    expect(reasons[0]).toMatch(/worker p1 refuses the file `\.\.\/\.\.\/\.\.\/etc\/passwd`: its path leaves the scene's folder/);
    expect(reasons[1]).toMatch(/worker p1 renders only named models, not the folder `\/etc`/);
    expect(reasons[2]).toContain("worker p1 refuses the job: its canvas is 512 x 128, over the limits of 256 pixels a side");
    expect(reasons[3]).toContain(`worker p1 runs scenec ${version()}, and the job comes from scenec 0.0.1: run one version on the client and every worker`);
    // Named as the scene names it, not by the worker's temporary folder.
    expect(reasons[4]).toMatch(/^worker p1: .*guide image guides\/junk\.png/);
    expect(reasons[4]).not.toContain("scenec-job-");
  }, 60_000);

  farmIt("a scene that reads a file outside its folder is refused before anything is sent", async () => {
    const inner = path.join(dir, "inner");
    mkdirSync(inner, { recursive: true });
    writeFileSync(path.join(inner, "up.scene"), 'canvas 64 x 64\nsteps 2\nregion r { prompt "x" }\nguide "../guides/sky.png" { strength 0.5 }\n');
    const run = await runScenec(["render", "up.scene", "--allow-outside", "--farm", redis.url, "--queue", newQueue()], { cwd: inner });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("the scene reads `../guides/sky.png`, whose path leaves the scene's folder (`..`)");
  }, 30_000);

  farmIt("Ctrl-C cancels the run: the render in flight stops, the waiting jobs are removed", async () => {
    const queue = newQueue();
    const worker = await startWorker(queue, "c1");
    const run = farmRender(["slow.scene", "--seeds", "1-16", "--steps", "600", "-o", "cancelled/{seed}.png"], queue);
    const bull = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port } });
    // Interrupted in the middle of a render.
    await until("a job in progress", async () => (await bull.getActive()).find((job) => (job.progress as { step?: number }).step! >= 10));
    run.child.kill("SIGINT");
    expect(await run.done).toBe(130);
    expect(run.stderr()).toMatch(/interrupted; the run's jobs were cancelled/);
    await until("an empty queue", async () => ((await bull.getWaitingCount()) + (await bull.getActiveCount()) === 0 ? true : undefined), 10_000);
    await bull.close();
    await until("the cancelled render", async () => (/cancelled job/.test(worker.stderr()) ? true : undefined), 10_000);
    expect(worker.stderr()).not.toMatch(/^rendered /m);
    expect(run.stderr()).toContain("nothing was written");
    expect(existsSync(path.join(dir, "cancelled"))).toBe(false);
  }, 60_000);

  farmIt("a client that disappears (SIGKILL): after --farm-timeout the workers drop its jobs without rendering them", async () => {
    const queue = newQueue();
    const worker = await startWorker(queue, "d1");
    const run = farmRender(["slow.scene", "--seeds", "1-16", "--steps", "600", "--farm-timeout", "1", "-o", "gone/{seed}.png"], queue);
    await until("the first picture", async () => (run.stderr().includes("wrote gone/") ? true : undefined));
    run.child.kill("SIGKILL");
    await run.done;
    const bull = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port } });
    await until("an empty queue", async () => ((await bull.getWaitingCount()) + (await bull.getActiveCount()) === 0 ? true : undefined), 15_000);
    await bull.close();
    const rendered = worker.stderr().match(/^rendered /gm)?.length ?? 0;
    expect(rendered).toBeLessThan(16);
    expect(worker.stderr()).toMatch(/dropped job .*: its run is over/);
  }, 60_000);
});
