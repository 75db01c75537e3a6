import type { Plan } from "../compiler/plan/plan.js";
import type { PlanOverrides } from "../compiler/plan/plan-overrides.js";
import type { SourceKind } from "../cli/render-record.js";

/**
 * What `scenec render --farm` puts on the queue and `scenec worker` takes from it. One BullMQ flow
 * per run: the parent (`run`) stands for the whole command, each child (`image`) is one picture.
 * Files travel beside the jobs, not in them: each referenced file's bytes are stored once under
 * {@link FarmKeys.blob} by their sha256, and an image job lists {path → sha256}.
 */

export const DEFAULT_QUEUE = "scenec";

export const RUN_JOB = "run";
export const IMAGE_JOB = "image";

export interface RunJobData {
  run: string;
  images: number;
}

/** A file the plan reads (a guide, a noise file), by its path relative to the scene's folder. */
export interface JobFile {
  path: string;
  sha256: string;
}

export interface ImageJobData {
  /** The client's scenec version: a worker renders only its own version's jobs (one version, one picture for a plan). */
  scenec: string;
  /** The run it belongs to: its heartbeat key says whether the client still waits. */
  run: string;
  /** The picture's file name without its folder: its extension picks the format. */
  name: string;
  plan: Plan;
  files: JobFile[];
  /** What the picture's metadata records beside the plan (image-metadata.ts), as a local render does. */
  source: string;
  sourceKind: SourceKind;
  imports: Record<string, string>;
  overrides: PlanOverrides;
  batch: number;
  decodeMemory?: number;
}

/** Progress a worker reports through `job.updateProgress`. */
export interface ImageJobProgress {
  worker: string;
  /** 1-based; 0 before the first step. */
  step: number;
  steps: number;
}

/** scenec's own keys beside BullMQ's, all under `scenec:QUEUE:`. */
export class FarmKeys {
  constructor(readonly queue: string) {}
  private key(...parts: string[]): string {
    return ["scenec", this.queue, ...parts].join(":");
  }
  blob(sha256: string): string {
    return this.key("blob", sha256);
  }
  /** The finished picture's bytes: written by the worker, taken (GETDEL) by the client. */
  result(jobId: string): string {
    return this.key("result", jobId);
  }
  /** Present while the client waits for the run (refreshed, with a TTL); gone: the run is over. */
  alive(run: string): string {
    return this.key("run", run, "alive");
  }
  /** Pub/sub: a run's id published here cancels the render in flight of that run. */
  cancelChannel(): string {
    return this.key("cancel");
  }
}

/** How long blobs and finished pictures stay in Redis when nobody takes them. */
export const STORED_TTL_S = 24 * 60 * 60;
