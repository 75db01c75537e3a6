import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { FlowProducer, Queue, QueueEvents, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import { CliError, describeFsError } from "../cli/errors.js";
import { endBySignal, onStopSignals, signalExitStatus, type StopSignal } from "../cli/stop-signals.js";
import type { Terminal } from "../cli/terminal.js";
import { version } from "../cli/version.js";
import { StaleGuideError } from "../runtime/guides/guide-image.js";
import { removePendingTempFiles, removeStaleTempFiles } from "../runtime/image/atomic-write.js";
import { writeImageFile } from "../runtime/image/image-write.js";
import { sha256Of, uploadBlob } from "./blob-store.js";
import { FarmKeys, IMAGE_JOB, RUN_JOB, type ImageJobData, type ImageJobProgress, type RunJobData } from "./farm-job.js";
import { FarmProgress, type PictureState } from "./farm-progress.js";
import type { ImageJobResult } from "./farm-worker.js";
import { jobPathProblem, planFiles } from "./job-files.js";
import type { RedisAddress } from "./redis-url.js";

/** One picture of a farm run: where it goes, the folder its plan's files are read from, and its job. */
export interface FarmPicture {
  out: string;
  folder: string;
  job: Omit<ImageJobData, "scenec" | "run" | "files">;
}

export interface FarmRunOptions {
  address: RedisAddress;
  queue: string;
  terminal: Terminal;
  /** How long (ms) the workers keep the run's jobs after this process stops refreshing its heartbeat. */
  clientTimeoutMs: number;
}

/** How long the client waits for Redis to answer at the start before it gives up (later it waits out outages). */
const CONNECT_TIMEOUT_MS = 5000;
/** A job that fails with an error that is not the user's (BullMQ's attempts) is tried this often in all. */
const ATTEMPTS = 3;
/** How often the client looks at every job it waits for, besides BullMQ's events. */
const POLL_MS = 500;
/** How long a stopping client waits for Redis to take its last commands (cancelling, closing). */
const STOP_WAIT_MS = 3000;
/** A picture whose job vanished from Redis (a restart that lost data) is enqueued again this many times at most. */
const REQUEUES = 3;

/**
 * The farm's side of the run's pictures, checked before anything is sent: only named models
 * (or the workers' default) and only files in or below the scene's folder travel. Returns each
 * picture's files with their bytes, read now and checked against the plan's hashes.
 */
function filesOf(pictures: readonly FarmPicture[]): Map<string, Uint8Array>[] {
  // A sweep's pictures share their files: each is read (and held) once.
  const read = new Map<string, { bytes: Uint8Array; sha256: string }>();
  return pictures.map(({ out, folder, job }) => {
    if (job.plan.model.kind === "path")
      throw new CliError(`${out}: the scene's model is the folder \`${job.plan.model.path}\`, and farm workers render only named models`, "name the model in the workers' scenec.yaml (`models: { NAME: FOLDER }`) and write `model NAME` in the scene");
    const files = new Map<string, Uint8Array>();
    for (const file of planFiles(job.plan)) {
      const problem = jobPathProblem(file.path);
      if (problem !== undefined) throw new CliError(`${out}: the scene reads \`${file.path}\`, whose path ${problem}; a farm job carries only files in or below the scene's folder`, "copy the file beside the scene");
      const full = path.resolve(folder, file.path);
      let content = read.get(full);
      if (content === undefined) {
        try {
          const bytes = readFileSync(full);
          content = { bytes, sha256: sha256Of(bytes) };
        } catch (error) {
          throw new CliError(`cannot read ${full}: ${describeFsError(error)}`);
        }
        read.set(full, content);
      }
      if (content.sha256 !== file.sha256) throw new CliError(new StaleGuideError(full).message);
      files.set(file.sha256, content.bytes);
    }
    return files;
  });
}

/**
 * `scenec render … --farm URL`: one BullMQ flow for the run (the parent) and its pictures (the
 * children), each picture written atomically as its job completes. Exit status 0 when every
 * picture was written, 2 when a job failed (its worker's message is shown), 128+N on a signal.
 */
export async function renderOnFarm(pictures: readonly FarmPicture[], options: FarmRunOptions): Promise<number> {
  const { address, terminal } = options;
  const files = filesOf(pictures);
  const keys = new FarmKeys(options.queue);
  const states: PictureState[] = pictures.map(() => ({ state: "waiting" }));
  const progress = new FarmProgress(terminal, states);
  const connection = { ...address.options, maxRetriesPerRequest: null };
  const redis = await connectClient(address, (line) => progress.log(line));

  const run = randomUUID();
  const scenecVersion = version();
  const heartbeat = () => redis.set(keys.alive(run), "1", "PX", options.clientTimeoutMs);
  await heartbeat();
  const beating = setInterval(() => void heartbeat().catch(() => undefined), Math.max(100, options.clientTimeoutMs / 3));
  const upload = async (index: number) => {
    for (const [sha256, bytes] of files[index]!) await uploadBlob(redis, keys, sha256, bytes);
  };
  // Each distinct file once for the whole run (a sweep's sixteen pictures share their guide).
  for (const [sha256, bytes] of new Map(files.flatMap((f) => [...f]))) await uploadBlob(redis, keys, sha256, bytes);

  const queue = new Queue(options.queue, { connection });
  const events = new QueueEvents(options.queue, { connection });
  const flows = new FlowProducer({ connection });
  // The client's own connection reports an outage (above), once; BullMQ's would repeat it.
  queue.on("error", () => undefined);
  events.on("error", () => undefined);
  flows.on("error", () => undefined);
  const jobData = (index: number): ImageJobData => {
    const { job } = pictures[index]!;
    return { ...job, scenec: scenecVersion, run, files: planFiles(job.plan) };
  };
  const jobOptions = (jobId: string): JobsOptions => ({
    jobId,
    attempts: ATTEMPTS,
    backoff: { type: "fixed", delay: 1000 },
    // Kept a while so that the client reads how it went; the picture itself is under its own key.
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 24 * 3600 },
    // A failed picture fails alone: the run's parent completes when the others are done.
    ignoreDependencyOnFailure: true,
  });
  const jobIds = pictures.map((_, index) => `${run}-${index + 1}`);
  const requeued = pictures.map(() => 0);
  const runData: RunJobData = { run, images: pictures.length };
  await flows.add({
    name: RUN_JOB,
    queueName: options.queue,
    data: runData,
    opts: { jobId: run, removeOnComplete: true, removeOnFail: true },
    children: pictures.map((_, index) => ({ name: IMAGE_JOB, queueName: options.queue, data: jobData(index), opts: jobOptions(jobIds[index]!) })),
  });

  const failures: string[] = [];
  let interrupted: StopSignal | undefined;
  let wake: (() => void) | undefined;
  const settled = () => states.every((s) => s.state === "done" || s.state === "failed");
  let onInterrupt!: () => void;
  const interruption = new Promise<undefined>((resolve) => (onInterrupt = () => resolve(undefined)));
  const stopListening = onStopSignals((signal) => {
    interrupted = signal;
    removePendingTempFiles();
    onInterrupt();
    wake?.();
  });
  const indexOf = (jobId: string) => jobIds.indexOf(jobId);
  const pending = (index: number) => states[index]!.state !== "done" && states[index]!.state !== "failed";
  // BullMQ's events say at once which job to look at; the scan every POLL_MS catches what they miss (an outage).
  const changed = new Set<number>();
  for (const event of ["completed", "failed", "active"] as const)
    events.on(event, ({ jobId }: { jobId: string }) => {
      const index = indexOf(jobId);
      if (index < 0) return;
      changed.add(index);
      wake?.();
    });
  events.on("progress", ({ jobId, data }: { jobId: string; data: unknown }) => {
    const index = indexOf(jobId);
    if (index < 0 || !pending(index) || typeof data !== "object" || data === null) return;
    states[index] = { state: "running", progress: data as ImageJobProgress };
    progress.update();
  });

  /** Looks at picture `index`'s job and acts on what it finds. */
  const check = async (index: number) => {
    const jobId = jobIds[index]!;
    const job = await queue.getJob(jobId);
    const state = job ? await job.getState() : "missing";
    if (state === "failed") {
      states[index] = { state: "failed" };
      failures.push(`${pictures[index]!.out}: ${address.redact(job!.failedReason)}`);
      progress.log(`scenec: ${failures.at(-1)}`);
      return;
    }
    if (state === "completed" || state === "missing") {
      const bytes = await redis.getBuffer(keys.result(jobId));
      if (bytes) return land(index, bytes, job?.returnvalue as ImageJobResult | undefined);
      // Completed without a picture: a worker found the run over (its heartbeat had lapsed in a long outage).
      return requeue(index);
    }
    if (state === "active") states[index] = { state: "running", ...(job!.progress && typeof job!.progress === "object" ? { progress: job!.progress as ImageJobProgress } : {}) };
    else states[index] = { state: "waiting" };
  };
  const land = async (index: number, bytes: Buffer, result: ImageJobResult | undefined) => {
    const { out } = pictures[index]!;
    removeStaleTempFiles(out);
    try {
      await writeImageFile(out, bytes);
    } catch (error) {
      if (interrupted) return;
      throw new CliError(`cannot write ${out}: ${describeFsError(error)}`);
    }
    states[index] = { state: "done" };
    await redis.del(keys.result(jobIds[index]!));
    const done = states.filter((s) => s.state === "done").length;
    progress.log(`wrote ${out}${result ? ` (worker ${result.worker})` : ""} [${done}/${pictures.length}]`);
  };
  /** The job is gone and so is its picture (Redis lost them): the same picture is enqueued again, alone. */
  const requeue = async (index: number) => {
    if (requeued[index]! >= REQUEUES) {
      states[index] = { state: "failed" };
      failures.push(`${pictures[index]!.out}: its job was lost ${REQUEUES + 1} times`);
      return;
    }
    requeued[index]! += 1;
    jobIds[index] = `${run}-${index + 1}-${requeued[index]}`;
    progress.log(`the job of ${pictures[index]!.out} is no longer in Redis: enqueued again`);
    // What Redis lost with the job: the heartbeat (else the workers would drop the job as abandoned) and the files.
    await heartbeat();
    await upload(index);
    await queue.add(IMAGE_JOB, jobData(index), jobOptions(jobIds[index]!));
    states[index] = { state: "waiting" };
  };

  try {
    let scanned = -Infinity;
    while (!settled() && !interrupted) {
      const scan = performance.now() - scanned >= POLL_MS;
      if (scan) scanned = performance.now();
      const indices = scan ? [...pictures.keys()] : [...changed];
      changed.clear();
      for (const index of indices) {
        if (interrupted) break;
        // While Redis is away a command waits for it: Ctrl-C does not.
        if (pending(index)) await Promise.race([check(index), interruption]);
      }
      progress.update();
      if (settled() || interrupted) break;
      if (changed.size > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, POLL_MS - (performance.now() - scanned)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    progress.clear();
    if (interrupted) {
      const cancelled = redis.status === "ready" && (await within(STOP_WAIT_MS, cancelRun(redis, queue, keys, run, jobIds.filter((_, index) => pending(index))).then(() => true)));
      const written = states.filter((s) => s.state === "done").length;
      const kept = written === 1 ? "the picture written stays" : `the ${written} pictures written stay`;
      const jobs = cancelled ? "the run's jobs were cancelled" : `Redis did not answer: the workers drop the run's jobs ${options.clientTimeoutMs / 1000} s after its last heartbeat`;
      terminal.stderr.write(`scenec: ${interrupted === "SIGINT" ? "interrupted" : `stopped by ${interrupted}`}; ${jobs}; ${written > 0 ? kept : "nothing was written"}\n`);
      return signalExitStatus(interrupted);
    }
    if (failures.length) {
      terminal.stderr.write(`scenec: ${failures.length} of ${pictures.length} pictures failed on the farm:\n${failures.map((f) => `  ${f}`).join("\n")}\n`);
      return 2;
    }
    return 0;
  } finally {
    clearInterval(beating);
    // With Redis away nothing would be answered, and BullMQ's connections would go on reconnecting
    // and keep the process alive: a stopped client ends at once, as after a second Ctrl-C.
    const reachable = redis.status === "ready";
    if (!reachable && interrupted) endBySignal(interrupted);
    if (reachable) await within(STOP_WAIT_MS, redis.del(keys.alive(run)).catch(() => undefined));
    const closed = reachable && (await within(STOP_WAIT_MS, Promise.all([queue.close(), events.close(), flows.close()]).then(() => true, () => true)));
    if (!closed) await within(STOP_WAIT_MS, Promise.all([queue.disconnect(), events.disconnect(), flows.disconnect()]).catch(() => undefined));
    redis.disconnect();
    stopListening();
    if (interrupted === "SIGHUP") endBySignal("SIGHUP");
  }
}

/** `promise`'s value, or undefined after `ms` (for what Redis may never answer while it is away). */
function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}

/**
 * The client's connection, once Redis has answered (a CliError, with the credentials redacted,
 * when it has not within CONNECT_TIMEOUT_MS). Later, every command waits out an outage, which is
 * told once through `log`.
 */
async function connectClient(address: RedisAddress, log: (line: string) => void): Promise<Redis> {
  const redis = new Redis({ ...address.options, maxRetriesPerRequest: null, lazyConnect: true });
  let lastError = "";
  redis.on("error", (error: Error) => {
    const message = address.redact(error.message);
    if (message !== lastError) log(`redis ${address.shown}: ${message} (retrying)`);
    lastError = message;
  });
  redis.on("ready", () => (lastError = ""));
  redis.connect().catch(() => undefined);
  const failure = await Promise.race([
    redis.ping().then(
      () => undefined,
      (error: Error) => error.message,
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve("no answer"), CONNECT_TIMEOUT_MS).unref()),
  ]);
  if (failure === undefined) return redis;
  redis.disconnect();
  throw new CliError(`cannot reach Redis at ${address.shown}: ${address.redact(lastError || failure)}`, "start the farm's Redis, or check the URL (and, for rediss://, the server's certificate)");
}

/**
 * Ends a run early: its heartbeat goes (no worker starts another of its jobs), the render in
 * flight of each worker on it is cancelled (pub/sub), and its waiting jobs are removed.
 */
async function cancelRun(redis: Redis, queue: Queue, keys: FarmKeys, run: string, jobIds: readonly string[]): Promise<void> {
  await redis.del(keys.alive(run));
  await redis.publish(keys.cancelChannel(), run);
  for (const jobId of jobIds) {
    await queue.remove(jobId).catch(() => 0); // an active one is locked: cancelled above
    await redis.del(keys.result(jobId)); // a picture finished meanwhile, that nobody will take
  }
  await queue.remove(run).catch(() => 0);
}
