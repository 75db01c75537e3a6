import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { Limits } from "../compiler/host.js";
import { planLimitProblem } from "../compiler/plan/plan-limits.js";
import { validatePlan } from "../compiler/plan/plan-schema.js";
import type { ScenecConfig } from "../cli/config.js";
import { renderedImageText } from "../cli/image-metadata.js";
import { version } from "../cli/version.js";
import { encodeImage } from "../runtime/image/image-write.js";
import { RenderCancelled } from "../runtime/mixture.js";
import type { DeviceRequest } from "../runtime/model/device-request.js";
import { ModelError } from "../runtime/model/model-error.js";
import { resolveModel, type ModelLocation } from "../runtime/model/resolve-model.js";
import { Renderer } from "../runtime/render-client.js";
import { BlobCache } from "./blob-store.js";
import { FarmKeys, IMAGE_JOB, STORED_TTL_S, type ImageJobData, type ImageJobProgress } from "./farm-job.js";
import { jobFilePath, jobPathProblem, planFiles } from "./job-files.js";
import type { RedisAddress } from "./redis-url.js";

export interface FarmWorkerOptions {
  address: RedisAddress;
  queue: string;
  /** Names this worker in progress and messages. */
  id: string;
  device: DeviceRequest;
  /** The worker's own scenec.yaml: the only way a job's model name becomes a folder. */
  config: ScenecConfig;
  /** The worker's folder: its scenec.yaml's default model is resolved from here. */
  folder: string;
  /** BullMQ's lock on a job in progress (ms): a worker silent this long has its job taken back. */
  lockDuration: number;
  /** How often (ms) the workers look for jobs whose lock has expired. */
  stalledInterval: number;
  /** The sizes this worker renders (its --max-side and so on): a job's plan was compiled elsewhere. */
  limits: Limits;
  log(line: string): void;
}

/** What an image job returns (the picture itself is under FarmKeys.result). */
export interface ImageJobResult {
  worker: string;
  /** Absent: the run was over (cancelled, or its client gone) and nothing was rendered. */
  renderMs?: number;
  /** The whole job in the worker: its checks, files, render, PNG encoding and storing (bench/farm-throughput.ts). */
  jobMs?: number;
  bytes?: number;
}

/**
 * `scenec worker`: takes image jobs one at a time and renders each on one Renderer, whose model
 * and prompt embeddings stay loaded between jobs. Until `stop` resolves; then the job in flight
 * finishes and the worker ends.
 */
export async function runFarmWorker(options: FarmWorkerOptions, stop: Promise<void>): Promise<void> {
  const { address, id, log } = options;
  const keys = new FarmKeys(options.queue);
  // Workers wait out a Redis restart instead of failing their commands (BullMQ's advice for workers).
  const connection = { ...address.options, maxRetriesPerRequest: null };
  const redis = new Redis(connection);
  const subscriber = new Redis(connection);
  const reportError = errorReporter(address, log);
  redis.on("error", reportError);
  subscriber.on("error", reportError);
  const blobs = new BlobCache(redis, keys);
  const renderer = new Renderer();
  let current: { run: string; cancelled: boolean } | undefined;
  // ioredis subscribes again by itself after a reconnection.
  subscriber.subscribe(keys.cancelChannel()).catch(reportError);
  subscriber.on("message", (_channel: string, run: string) => {
    if (current?.run !== run) return;
    current.cancelled = true;
    renderer.cancel();
  });

  const processJob = async (job: Job<ImageJobData, ImageJobResult>, _token?: string, signal?: AbortSignal): Promise<ImageJobResult> => {
    if (job.name !== IMAGE_JOB) return { worker: id }; // the run's parent: done when its pictures are
    const begun = performance.now();
    const data = job.data;
    if ((await redis.exists(keys.alive(data.run))) === 0) {
      log(`dropped job ${job.id} (${data.name}): its run is over (cancelled, or its client gone)`);
      return { worker: id };
    }
    current = { run: data.run, cancelled: false };
    const onAbort = () => renderer.cancel();
    signal?.addEventListener("abort", onAbort);
    const folder = await mkdtemp(path.join(os.tmpdir(), "scenec-job-"));
    try {
      const model = checkedJob(data, options);
      await fetchFiles(data, folder, blobs);
      const started = performance.now();
      let reported = Promise.resolve();
      const image = await renderer.render({
        plan: data.plan,
        model,
        folder,
        device: options.device,
        batch: data.batch,
        ...(data.decodeMemory !== undefined ? { decode: { memory: data.decodeMemory } } : {}),
        onDevice: (description) => log(`device: ${description}`),
        onWarning: (message) => log(`warning: ${message}`),
        onProgress: (p) => {
          if (p.phase !== "denoise" || !p.step || p.step.tile !== p.step.tiles) return;
          const progress: ImageJobProgress = { worker: id, step: p.step.step + 1, steps: p.step.steps };
          reported = reported.then(() => job.updateProgress(progress)).catch(() => undefined);
        },
      });
      const renderMs = performance.now() - started;
      const runtime = { device: options.device, batch: data.batch, ...(data.decodeMemory !== undefined ? { decodeMemory: data.decodeMemory } : {}) };
      const text = renderedImageText({ source: data.source, sourceKind: data.sourceKind, plan: data.plan, model, imports: data.imports, overrides: data.overrides, runtime });
      const bytes = await encodeImage(data.name, image.rgb, image.width, image.height, text);
      await reported;
      if (current.cancelled || (await redis.exists(keys.alive(data.run))) === 0) {
        log(`cancelled job ${job.id} (${data.name}): its run ended as it finished`);
        return { worker: id };
      }
      // Stored before the job completes: a completed job always has its picture (until the TTL).
      await redis.set(keys.result(job.id!), Buffer.from(bytes), "EX", STORED_TTL_S);
      log(`rendered ${data.name} (${image.width} x ${image.height}) in ${(renderMs / 1000).toFixed(1)} s [job ${job.id}]`);
      return { worker: id, renderMs, jobMs: performance.now() - begun, bytes: bytes.length };
    } catch (error) {
      if (error instanceof RenderCancelled) {
        if (current.cancelled || signal?.aborted) {
          log(`cancelled job ${job.id} (${data.name})`);
          return { worker: id };
        }
        throw error;
      }
      throw userFailure(error, id, folder) ?? error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      current = undefined;
      await rm(folder, { recursive: true, force: true });
    }
  };

  const worker = new Worker<ImageJobData, ImageJobResult>(options.queue, processJob, {
    connection,
    concurrency: 1,
    lockDuration: options.lockDuration,
    stalledInterval: options.stalledInterval,
    // A job whose worker died twice is not retried again.
    maxStalledCount: 2,
  });
  worker.on("error", reportError);
  worker.on("failed", (job, error) => {
    if (job) log(`job ${job.id} (${job.data.name ?? job.name}) failed: ${address.redact(error.message)}`);
  });
  // A worker started before its Redis waits for it, and can still be stopped meanwhile.
  const ready = await Promise.race([worker.waitUntilReady().then(() => true), stop.then(() => false)]);
  if (ready) log(`worker ${id}: waiting for jobs on ${address.shown}, queue ${options.queue} (device ${options.device})`);
  await stop;
  log(`worker ${id}: ${current ? "finishing the job in flight, then stopping" : "stopping"}`);
  // With no job in flight there is nothing to wait for (and nothing can be waited for while Redis is away).
  await worker.close(current === undefined);
  await renderer.close();
  redis.disconnect();
  subscriber.disconnect();
}

const SCENEC_VERSION = version();

/**
 * The job's plan as this worker may render it, and the model it names in this worker's
 * configuration; an UnrecoverableError (the same job fails the same way on every worker) when it
 * is not one: a job can only make a worker read the files it brought and the models it names.
 */
function checkedJob(data: ImageJobData, options: FarmWorkerOptions): ModelLocation {
  // Anyone who can write to the Redis can put a job there: its shape is checked before anything is used.
  const fileList = Array.isArray(data.files) && data.files.every((f) => typeof f?.path === "string" && typeof f.sha256 === "string" && /^[0-9a-f]{64}$/.test(f.sha256));
  if (!fileList || typeof data.name !== "string" || typeof data.source !== "string" || !Number.isInteger(data.batch) || data.batch < 1)
    throw new UnrecoverableError(`worker ${options.id}: not a scenec image job (made by another version of scenec?)`);
  if (data.scenec !== SCENEC_VERSION)
    throw new UnrecoverableError(`worker ${options.id} runs scenec ${SCENEC_VERSION}, and the job comes from scenec ${typeof data.scenec === "string" ? data.scenec : "(unknown)"}: run one version on the client and every worker, so that a plan paints the same picture wherever it renders`);
  const problems = validatePlan(data.plan);
  if (problems.length) throw new UnrecoverableError(`worker ${options.id}: not a valid plan: ${problems.slice(0, 3).join("; ")}`);
  const over = planLimitProblem(data.plan, options.limits);
  if (over) throw new UnrecoverableError(`worker ${options.id} refuses the job: ${over}; start the worker with higher limits to render it`);
  if (data.plan.model.kind === "path")
    throw new UnrecoverableError(`worker ${options.id} renders only named models, not the folder \`${data.plan.model.path}\`: name it in the workers' scenec.yaml (\`models:\`) and write \`model NAME\` in the scene`);
  const bad = [...planFiles(data.plan), ...data.files].find((f) => jobPathProblem(f.path) !== undefined);
  if (bad) throw new UnrecoverableError(`worker ${options.id} refuses the file \`${bad.path}\`: its path ${jobPathProblem(bad.path)}; a farm job carries only files in or below the scene's folder`);
  if (jobPathProblem(data.name) !== undefined || data.name.includes("/")) throw new UnrecoverableError(`worker ${options.id}: \`${data.name}\` is not a file name`);
  for (const file of planFiles(data.plan))
    if (!data.files.some((f) => f.path === file.path && f.sha256 === file.sha256)) throw new UnrecoverableError(`worker ${options.id}: the job does not carry \`${file.path}\`, which its plan reads`);
  const { model } = data.plan;
  const { config } = options;
  if (model.kind === "named" && config.models[model.name] === undefined) {
    const known = Object.keys(config.models);
    throw new UnrecoverableError(
      `worker ${options.id} has no model \`${model.name}\` (${config.file ? `its ${config.file} names ${known.length ? known.map((k) => `\`${k}\``).join(", ") : "no models"}` : "it has no scenec.yaml"}): add it under \`models:\` in the scenec.yaml of the folder each worker runs in`,
    );
  }
  try {
    return resolveModel(model, options.folder, config);
  } catch (error) {
    if (error instanceof ModelError) throw new UnrecoverableError(`worker ${options.id}: ${error.message}`);
    throw error;
  }
}

/** Writes the job's files into its own folder, each fetched once per worker and checked against its hash. */
async function fetchFiles(data: ImageJobData, folder: string, blobs: BlobCache): Promise<void> {
  for (const file of data.files) {
    const bytes = await blobs.get(file.sha256);
    if ("problem" in bytes) throw new UnrecoverableError(`the job's file \`${file.path}\` (sha256 ${file.sha256.slice(0, 12)}…) ${bytes.problem}`);
    const target = jobFilePath(folder, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes, { flag: "w" });
  }
}

/**
 * A failure that is the job's, not the worker's (a broken guide, a model that will not load): not
 * retried. Its message names the job's files as the scene does (`guides/sky.png`), not by the
 * worker's temporary folder, which means nothing to the client.
 */
function userFailure(error: unknown, id: string, folder: string): UnrecoverableError | undefined {
  const name = (error as Error).name;
  if (error instanceof ModelError || ["GuideImageError", "StaleGuideError"].includes(name))
    return new UnrecoverableError(`worker ${id}: ${(error as Error).message.split(folder + path.sep).join("")}`);
  return undefined;
}

/** Logs connection errors with the credentials redacted, once per kind of error until the connection is back. */
function errorReporter(address: RedisAddress, log: (line: string) => void): (error: Error) => void {
  let last = "";
  return (error) => {
    const message = address.redact(error.message);
    if (message === last) return;
    last = message;
    log(`redis ${address.shown}: ${message} (retrying)`);
  };
}
