import type { FileEvent } from "./file-set.js";
import type { PreviewState } from "./preview-server.js";
import { clock, formatMs, staleText } from "./status-line.js";
import type { StopSignal } from "../stop-signals.js";

/**
 * `scenec watch` as a state machine: {@link transition} is pure (no files, timers, processes or
 * models) and returns the next state and the effects to perform, in order; session.ts performs them
 * (chokidar, the compiler, the render client, the preview server, the status line) and feeds back
 * what happened as events.
 *
 * - Saves are debounced (trailing): each file event restarts the quiet timer (`debounce`), and the
 *   scene is compiled when the files have been quiet (`quiet`): an editor's "save all" and an atomic
 *   save's delete-and-rename are one batch.
 * - The newest wins: a compiled job while a render runs cancels it (at its next step) and waits in
 *   the one `next` slot, replacing any job already waiting (and a job whose guides still decode
 *   is replaced outright); two renders never run at once. A save that breaks the scene leaves the
 *   running render (of the last good scene) alone.
 * - The only way out is `stopping`: it cancels the render and waits for the work in flight and the
 *   watchers (at most a timeout), and then for the render client's close (the worker ends by itself once the native call in
 *   flight returns: render-client.ts) before `exit`. A stop can therefore never end the process
 *   while the worker is inside ONNX Runtime.
 */

/** What the machine needs of a compiled job (scene-compiler.ts's RenderJob carries the plan and model too). */
export interface WatchJob {
  readonly steps: number;
  /** The picture's path (absolute). */
  readonly output: string;
  readonly compileMs: number;
}

/** Why the picture is not the scene as saved. */
export type Problem = { status: "errors" | "missing" | "failed"; reason: string };

/** What one compile came to (scene-compiler.ts compiles, and prints the diagnostics itself). */
export type CompileOutcome<J> =
  | { kind: "ok"; job: J; diagnostics: string | null }
  | { kind: "missing"; reason: string }
  | { kind: "errors"; errors: number; reason: string; diagnostics: string | null }
  /** Compiled, but it cannot render: `message` is the `render failed:` line; `output` where it was worked out. */
  | { kind: "failed"; message: string; reason: string; output?: string; diagnostics: string | null };

export type WatchEvent<J> =
  /** The file set is watched and the server listens: the first round, at once. */
  | { type: "start" }
  | { type: "file"; event: FileEvent; file: string }
  /** The debounce timer ran out. */
  | { type: "quiet" }
  | { type: "compiled"; outcome: CompileOutcome<J> }
  /** The guide and mask images `job` met for the first time decoded and changed nothing (`ok`), or not: compile again. */
  | { type: "guides"; job: J; ok: boolean }
  /** A denoising step of `job`'s render is complete (every tile). */
  | { type: "step"; job: J; step: number; steps: number }
  | { type: "decoding"; job: J }
  | { type: "warning"; job: J; message: string }
  /** The render is done; the picture is being encoded. */
  | { type: "rendered"; job: J }
  /** The PNG is encoded: it may be written. */
  | { type: "encoded"; job: J }
  | { type: "written"; job: J; width: number; height: number; renderMs: number; at: Date }
  | { type: "cancelled"; job: J }
  /** A guide image changed between the compile and the render. */
  | { type: "stale-guide"; job: J }
  | { type: "failed"; job: J; message: string }
  /** A stop signal, the caller's stop, or the process that started the watch gone. */
  | { type: "stop"; signal?: StopSignal; orphaned?: "parent" | "stdin" }
  | { type: "watchers-closed" }
  /** The watchers and the work in flight took too long to settle: close the render client anyway. */
  | { type: "stop-timeout" }
  | { type: "renderer-closed" };

export type WatchEffect<J> =
  | { type: "print"; text: string }
  | { type: "progress"; text: string }
  | { type: "publish" }
  | { type: "debounce" }
  | { type: "cancel-debounce" }
  | { type: "compile"; changes: readonly string[] }
  /** Removes stale temporary files of the job's output, then starts its render. */
  | { type: "render"; job: J }
  | { type: "cancel-render" }
  | { type: "encode"; job: J }
  | { type: "write"; job: J }
  /** Tells the caller (the benchmark) that the picture is on disk. */
  | { type: "on-written"; job: J; renderMs: number }
  | { type: "remove-pending-temp-files" }
  | { type: "close-watchers" }
  | { type: "start-stop-timer" }
  | { type: "close-renderer" }
  | { type: "exit"; signal?: StopSignal };

/**
 * - idle: nothing renders;
 * - compiling: the scene compiled and the guide images it met for the first time are decoding
 *   (a guide that does not decode is a compile error, S3004); nothing renders yet;
 * - rendering: `job` renders; cancelling: it was asked to stop for `next`;
 * - writing: `job`'s picture is being encoded and written (the preview still says rendering);
 * - stopping: see {@link transition}.
 * Whether the picture is stale (`problem`) is apart from these: a save can break the scene while
 * the last good one renders.
 */
export type Work<J> =
  | { phase: "idle" }
  | { phase: "compiling"; job: J }
  | { phase: "rendering"; job: J; step: number; steps: number }
  | { phase: "cancelling"; job: J; step: number; steps: number }
  | { phase: "writing"; job: J; step: number; steps: number }
  | {
      phase: "stopping";
      signal?: StopSignal;
      /** The render or write still to settle, if any. */
      settling?: J;
      watchersClosed: boolean;
      rendererClosing: boolean;
    };

export interface WatchState<J> {
  work: Work<J>;
  /** The one job waiting for the running one to stop; `ready` once its guides have decoded. */
  next?: { job: J; ready: boolean };
  /** Changes waiting for the debounce (`debouncing`: its timer runs). */
  changes: readonly string[];
  debouncing: boolean;
  /** Files reported deleted, to say when they are back. */
  deleted: readonly string[];
  output: string;
  problem?: Problem;
  lastGood?: Date;
  image: PreviewState["image"];
  diagnostics: string | null;
}

export interface WatchContext {
  /** The scene (absolute). */
  scene: string;
  /** A path as shown to the user. */
  shown(file: string): string;
}

export function initialState<J>(output: string): WatchState<J> {
  return { work: { phase: "idle" }, changes: [], debouncing: false, deleted: [], output, image: null, diagnostics: null };
}

export interface Transition<J> {
  state: WatchState<J>;
  effects: WatchEffect<J>[];
}

/** One line, for the status: `2 errors`. */
function errorCount(errors: number): string {
  return `${errors} error${errors === 1 ? "" : "s"}`;
}

/** The render or write in flight, if any (the preview says rendering meanwhile). */
export function inFlight<J>(work: Work<J>): Extract<Work<J>, { phase: "rendering" | "cancelling" | "writing" }> | undefined {
  return work.phase === "rendering" || work.phase === "cancelling" || work.phase === "writing" ? work : undefined;
}

export function transition<J extends WatchJob>(ctx: WatchContext, state: WatchState<J>, event: WatchEvent<J>): Transition<J> {
  if (state.work.phase === "stopping") return stopping(state, state.work, event);
  const effects: WatchEffect<J>[] = [];
  const print = (text: string) => effects.push({ type: "print", text });
  const stale = (s: WatchState<J>) => staleText(ctx.shown(s.output), s.problem!.reason, s.lastGood);
  /** Compiles what has changed now, without waiting for the debounce. */
  const compileNow = (s: WatchState<J>): WatchState<J> => {
    if (s.debouncing) effects.push({ type: "cancel-debounce" });
    effects.push({ type: "compile", changes: s.changes });
    return { ...s, changes: [], debouncing: false };
  };
  const startRender = (s: WatchState<J>, job: J): WatchState<J> => {
    print("render started");
    effects.push({ type: "render", job }, { type: "publish" });
    return { ...s, work: { phase: "rendering", job, step: 0, steps: job.steps } };
  };
  /** The render or write of the job in flight has settled: the waiting job, if any, goes next. */
  const settled = (s: WatchState<J>): WatchState<J> => {
    const next = s.next;
    const rest: WatchState<J> = { ...s, work: { phase: "idle" }, next: undefined };
    if (next?.ready) return startRender(rest, next.job);
    effects.push({ type: "publish" });
    return next ? { ...rest, work: { phase: "compiling", job: next.job } } : rest;
  };
  const work = state.work;
  const current = inFlight(work)?.job;

  switch (event.type) {
    case "start":
      return { state: compileNow(state), effects };
    case "file": {
      let deleted = state.deleted;
      const name = ctx.shown(event.file);
      if (event.event === "unlink") {
        if (!deleted.includes(event.file)) deleted = [...deleted, event.file];
        print(`${name} was deleted${event.file === ctx.scene ? "; waiting for it to come back" : ""}`);
      } else if (event.event === "add" && deleted.includes(event.file)) {
        deleted = deleted.filter((f) => f !== event.file);
        print(`${name} is back`);
      }
      effects.push({ type: "debounce" });
      const changes = state.changes.includes(event.file) ? state.changes : [...state.changes, event.file];
      return { state: { ...state, deleted, changes, debouncing: true }, effects };
    }
    case "quiet":
      return { state: compileNow({ ...state, debouncing: false }), effects };
    case "compiled": {
      const outcome = event.outcome;
      if (outcome.kind === "missing") {
        const s = { ...state, diagnostics: null, problem: { status: "missing" as const, reason: outcome.reason } };
        effects.push({ type: "publish" });
        print(stale(s));
        return { state: s, effects };
      }
      if (outcome.kind === "errors") {
        const s = { ...state, diagnostics: outcome.diagnostics, problem: { status: "errors" as const, reason: outcome.reason } };
        effects.push({ type: "publish" });
        print(`scene has errors (${errorCount(outcome.errors)}): ${stale(s)}`);
        return { state: s, effects };
      }
      if (outcome.kind === "failed") {
        const s = { ...state, output: outcome.output ?? state.output, diagnostics: outcome.diagnostics, problem: { status: "failed" as const, reason: outcome.reason } };
        effects.push({ type: "publish" });
        print(`render failed: ${outcome.message}`);
        print(stale(s));
        return { state: s, effects };
      }
      const s: WatchState<J> = { ...state, output: outcome.job.output, diagnostics: outcome.diagnostics, problem: undefined };
      effects.push({ type: "publish" });
      const job = outcome.job;
      if (work.phase === "idle" || work.phase === "compiling") return { state: { ...s, work: { phase: "compiling", job } }, effects };
      // Newest wins: the running render stops at its next step; this job replaces any waiting one.
      if (work.phase === "rendering") {
        effects.push({ type: "cancel-render" });
        return { state: { ...s, work: { ...work, phase: "cancelling" }, next: { job, ready: false } }, effects };
      }
      return { state: { ...s, next: { job, ready: false } }, effects };
    }
    case "guides": {
      let s = state;
      if (work.phase === "compiling" && work.job === event.job) {
        if (event.ok) return { state: startRender(s, event.job), effects };
        s = { ...s, work: { phase: "idle" } };
      } else if (s.next?.job === event.job) s = { ...s, next: event.ok ? { job: event.job, ready: true } : undefined };
      // A guide that does not decode, or a new mask: a new round, whose compile reports it (S3004) or checks the mask.
      if (!event.ok) s = compileNow(s);
      return { state: s, effects };
    }
    case "step":
      if ((work.phase !== "rendering" && work.phase !== "cancelling") || work.job !== event.job) return { state, effects };
      effects.push({ type: "progress", text: `step ${event.step}/${event.steps}` }, { type: "publish" });
      return { state: { ...state, work: { ...work, step: event.step, steps: event.steps } }, effects };
    case "decoding":
      if ((work.phase === "rendering" || work.phase === "cancelling") && work.job === event.job) effects.push({ type: "progress", text: "decoding" });
      return { state, effects };
    case "warning":
      print(`warning: ${event.message}`);
      return { state, effects };
    case "rendered":
      if ((work.phase !== "rendering" && work.phase !== "cancelling") || work.job !== event.job) return { state, effects };
      effects.push({ type: "encode", job: event.job });
      return { state: { ...state, work: { ...work, phase: "writing" } }, effects };
    case "encoded":
      if (current !== event.job) return { state, effects };
      effects.push({ type: "write", job: event.job });
      return { state, effects };
    case "written": {
      if (current !== event.job) return { state, effects };
      const job = event.job;
      const lastGood = event.at;
      const image = { version: (state.image?.version ?? 0) + 1, width: event.width, height: event.height, renderedAt: lastGood.toISOString(), renderMs: Math.round(event.renderMs) };
      const s = { ...state, lastGood, image };
      print(`render finished in ${formatMs(event.renderMs)} -> ${ctx.shown(job.output)} (${event.width} x ${event.height}, compiled in ${formatMs(job.compileMs)}, ${clock(lastGood)})`);
      // A save that broke the scene during this render: this picture is its last good version, still stale.
      if (s.problem) print(stale(s));
      effects.push({ type: "on-written", job, renderMs: event.renderMs });
      return { state: settled(s), effects };
    }
    case "cancelled":
      if (current !== event.job) return { state, effects };
      print("render cancelled: a newer save replaces it");
      return { state: settled(state), effects };
    case "stale-guide": {
      if (current !== event.job) return { state, effects };
      // The guide's change event brings (or has brought) a new round; make sure of it.
      print("render cancelled: a guide image changed during the render");
      if (state.debouncing || state.next) return { state: settled(state), effects };
      effects.push({ type: "debounce" });
      return { state: settled({ ...state, changes: state.changes.includes(ctx.scene) ? state.changes : [...state.changes, ctx.scene], debouncing: true }), effects };
    }
    case "failed": {
      if (current !== event.job) return { state, effects };
      const s = { ...state, problem: { status: "failed" as const, reason: "the render failed" } };
      print(`render failed: ${event.message}`);
      print(stale(s));
      return { state: settled(s), effects };
    }
    case "stop": {
      if (event.orphaned) print(event.orphaned === "parent" ? "the process that started this watch has ended; stopping" : "stdin was closed; stopping");
      if (state.debouncing) effects.push({ type: "cancel-debounce" });
      effects.push({ type: "cancel-render" }, { type: "remove-pending-temp-files" }, { type: "close-watchers" }, { type: "start-stop-timer" });
      const stop: Work<J> = { phase: "stopping", ...(event.signal ? { signal: event.signal } : {}), ...(current ? { settling: current } : {}), watchersClosed: false, rendererClosing: false };
      return { state: { ...state, work: stop, next: undefined, changes: [], debouncing: false }, effects };
    }
    case "watchers-closed":
    case "stop-timeout":
    case "renderer-closed":
      return { state, effects };
  }
}

/**
 * Stopping: nothing new starts (saves, compiles and guides are ignored, and the picture of a render
 * that finishes is not written). Once the work in flight has settled and the watchers are closed
 * (or a timeout), the render client is closed; only its close leads to `exit`.
 */
function stopping<J extends WatchJob>(state: WatchState<J>, work: Extract<Work<J>, { phase: "stopping" }>, event: WatchEvent<J>): Transition<J> {
  let next = work;
  switch (event.type) {
    case "written":
    case "cancelled":
    case "stale-guide":
    case "failed":
    case "rendered":
    case "encoded":
      // `encoded`: the picture is not written; `rendered`: not encoded. Either way the work is over.
      if (event.job === work.settling) next = { ...work, settling: undefined };
      break;
    case "watchers-closed":
      next = { ...work, watchersClosed: true };
      break;
    case "stop-timeout":
      next = { ...work, settling: undefined, watchersClosed: true };
      break;
    case "renderer-closed":
      if (!work.rendererClosing) break;
      return { state, effects: [{ type: "remove-pending-temp-files" }, { type: "print", text: "stopped" }, { type: "exit", ...(work.signal ? { signal: work.signal } : {}) }] };
    default:
      return { state, effects: [] };
  }
  const effects: WatchEffect<J>[] = [];
  if (!next.rendererClosing && next.settling === undefined && next.watchersClosed) {
    next = { ...next, rendererClosing: true };
    effects.push({ type: "close-renderer" });
  }
  return { state: { ...state, work: next }, effects };
}

/** What the preview page shows of the state. */
export function previewState<J>(state: WatchState<J>, ctx: WatchContext): PreviewState {
  const flight = inFlight(state.work);
  const rendering = flight ? { step: flight.step, steps: flight.steps } : undefined;
  const output = ctx.shown(state.output);
  const problem = state.problem;
  const image = state.image;
  return {
    scene: ctx.shown(ctx.scene),
    output,
    status: rendering ? "rendering" : problem ? problem.status : image ? "ok" : "starting",
    message: problem
      ? staleText(output, problem.reason, state.lastGood)
      : rendering
        ? `rendering: step ${rendering.step}/${rendering.steps}`
        : image && state.lastGood
          ? `${output} is up to date (${clock(state.lastGood)}, ${formatMs(image.renderMs)})`
          : "starting",
    stale: problem !== undefined,
    image,
    diagnostics: state.diagnostics,
    progress: rendering ?? null,
  };
}
