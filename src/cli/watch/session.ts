import { existsSync } from "node:fs";
import path from "node:path";
import type { Limits } from "../../compiler/host.js";
import type { NoiseGenerator } from "../../compiler/plan/plan.js";
import { removePendingTempFiles } from "../../runtime/image/atomic-write.js";
import type { DeviceRequest } from "../../runtime/model/device-request.js";
import { CliError } from "../errors.js";
import { readTextFile } from "../files.js";
import type { Terminal } from "../terminal.js";
import { endBySignal, onStopSignals, type StopSignal } from "../stop-signals.js";
import { FileSet } from "./file-set.js";
import { watchForOrphaning } from "./orphan-check.js";
import { PreviewServer } from "./preview-server.js";
import { SceneCompiler, type RenderJob } from "./scene-compiler.js";
import { DEFAULT_DEBOUNCE_MS } from "./defaults.js";
import { StatusLine } from "./status-line.js";
import { inFlight, initialState, previewState, transition, type CompileOutcome, type WatchContext, type WatchEffect, type WatchEvent } from "./watch-machine.js";
import { WatchRender } from "./watch-render.js";


/** How long a stop waits for the render or write in flight and the watchers before closing the render client. */
const STOP_WAIT_MS = 2000;

export interface WatchOptions {
  scene: string;
  /** `-o OUT`; default: the scene's `output`, beside it. */
  output?: string;
  steps?: number;
  seed?: number;
  noise?: NoiseGenerator;
  device: DeviceRequest;
  verbose?: boolean;
  batch: number;
  /** `--decode-memory` (else scenec.yaml's), bytes. */
  decodeMemory?: number;
  limits: Partial<Limits>;
  /** `--allow-outside`: the scene may reach outside its project root. */
  allowOutside?: boolean;
  keepHistory: boolean;
  /** `--serve [PORT]`. */
  serve?: { port: number; host?: string };
  debounceMs?: number;
  /** Resolves when the session is to end (default: SIGINT, SIGTERM or SIGHUP, or the process that started it gone: orphan-check.ts). */
  stop?: Promise<void>;
  /** Called once the first round has been started and the server (if any) listens. */
  onReady?: (info: { url?: string }) => void;
  /** Called after each PNG is on disk (for the benchmark). */
  onWritten?: (info: { output: string; renderMs: number; compileMs: number }) => void;
}

/**
 * `scenec watch`: renders the scene, then again after every save, until it is asked to stop (see
 * `stop`). The decisions are watch-machine.ts's; this performs its effects with the adapters
 * (the file set, the scene compiler, the render, the preview server, the status line) and feeds
 * what they report back to it. Returns the exit status: 0, however it was stopped (a watch's
 * normal end).
 */
export async function runWatch(options: WatchOptions, terminal: Terminal): Promise<number> {
  const scene = path.resolve(options.scene);
  const ctx: WatchContext = { scene, shown: (file) => path.relative(process.cwd(), file) || file };
  const { shown } = ctx;
  const status = new StatusLine(terminal.stderr, { keepHistory: options.keepHistory });
  const compiler = new SceneCompiler(
    { scene: options.scene, output: options.output, steps: options.steps, seed: options.seed, noise: options.noise, limits: options.limits, allowOutside: options.allowOutside === true },
    { terminal, status, shown, watch: (files) => fileSet.update(files), onGuides: (job, ok) => dispatch({ type: "guides", job, ok }) },
  );
  // Read once up front, so that a typo in the file name is an error (exit 2), as for `render`;
  // and a `-o` that is no picture's name, too.
  readTextFile(options.scene);
  if (options.output !== undefined) compiler.outputFor({ output: options.output }, [options.scene]);

  let state = initialState<RenderJob>(options.output ?? path.join(path.dirname(options.scene), `${path.basename(scene).replace(/\.[^.]*$/, "")}.png`));
  let server: PreviewServer | undefined;
  let url: string | undefined;
  if (options.serve) {
    server = new PreviewServer(previewState(state, ctx));
    try {
      url = await server.listen(options.serve.port, options.serve.host ?? "127.0.0.1");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(
        code === "EADDRINUSE" ? `cannot serve the preview: port ${options.serve.port} is in use` : `cannot serve the preview: ${(error as Error).message}`,
        code === "EADDRINUSE" ? "pick another with `--serve PORT`, or 0 for any free port" : undefined,
      );
    }
  }

  const queue: WatchEvent<RenderJob>[] = [];
  let draining = false;
  /** Events are handled one at a time, in order: one that an effect raises waits for the rest of that event's effects. */
  const dispatch = (event: WatchEvent<RenderJob>) => {
    queue.push(event);
    if (draining) return;
    draining = true;
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { state: after, effects } = transition(ctx, state, next);
        state = after;
        for (const effect of effects) perform(effect);
      }
    } finally {
      draining = false;
    }
  };

  const render = new WatchRender({
    device: options.device,
    ...(options.verbose ? { verbose: true } : {}),
    batch: options.batch,
    ...(options.decodeMemory !== undefined ? { decodeMemory: options.decodeMemory } : {}),
    log: (line) => status.line(line),
    server,
    shown,
    dispatch,
    renders: (job) => inFlight(state.work)?.job === job,
  });
  const fileSet: FileSet = new FileSet([scene], (event, file) => dispatch({ type: "file", event, file }), (error) => status.line(`warning: watching files: ${error.message}`));
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let exited: (signal: StopSignal | undefined) => void = () => {};
  const exit = new Promise<StopSignal | undefined>((resolve) => (exited = resolve));
  let stopChecking = () => {};

  const header = () => {
    const others = fileSet.list().filter((f) => f !== scene && existsSync(f)).length;
    status.line(`watching ${shown(scene)}${others > 0 ? ` and ${others} more file${others === 1 ? "" : "s"}` : ""}; Ctrl-C stops`);
    if (url) status.line(`preview at ${url}`);
  };

  const perform = (effect: WatchEffect<RenderJob>): void => {
    switch (effect.type) {
      case "print":
        return status.line(effect.text);
      case "progress":
        return status.progress(effect.text);
      case "publish":
        return server?.publish(previewState(state, ctx));
      case "debounce":
        if (debounce !== undefined) clearTimeout(debounce);
        debounce = setTimeout(() => {
          debounce = undefined;
          dispatch({ type: "quiet" });
        }, debounceMs);
        return;
      case "cancel-debounce":
        if (debounce !== undefined) clearTimeout(debounce);
        debounce = undefined;
        return;
      case "compile": {
        let outcome: CompileOutcome<RenderJob>;
        try {
          if (status.clearScreen()) header();
          if (effect.changes.length) status.line(`change: ${effect.changes.map(shown).join(", ")}`);
          outcome = compiler.compile();
        } catch (error) {
          outcome = { kind: "failed", message: error instanceof Error ? error.message : String(error), reason: "the render failed", diagnostics: state.diagnostics };
        }
        return dispatch({ type: "compiled", outcome });
      }
      case "render":
        return render.start(effect.job);
      case "cancel-render":
        return render.cancel();
      case "encode":
        return render.encode(effect.job);
      case "write":
        return render.write(effect.job);
      case "on-written":
        return options.onWritten?.({ output: effect.job.output, renderMs: effect.renderMs, compileMs: effect.job.compileMs });
      case "remove-pending-temp-files":
        removePendingTempFiles();
        return;
      case "close-watchers":
        stopChecking();
        void Promise.allSettled([fileSet.close(), server?.close()]).then(() => dispatch({ type: "watchers-closed" }));
        return;
      case "start-stop-timer":
        setTimeout(() => dispatch({ type: "stop-timeout" }), STOP_WAIT_MS).unref();
        return;
      case "close-renderer":
        // Waits for the worker to finish its step; meanwhile a second signal still ends the process at once.
        void render.close().then(() => dispatch({ type: "renderer-closed" }));
        return;
      case "exit":
        return exited(effect.signal);
    }
  };

  // The end: a stop signal, the caller's stop, or the process that started the watch gone.
  let stopListening = () => {};
  if (!options.stop) {
    stopListening = onStopSignals((signal) => dispatch({ type: "stop", signal }));
    stopChecking = watchForOrphaning((orphaned) => dispatch({ type: "stop", orphaned }));
  } else void options.stop.then(() => dispatch({ type: "stop" }));

  // A stop before the files are watched closes the file set, which may then never be ready.
  if (await Promise.race([fileSet.whenReady().then(() => true), exit.then(() => false)])) {
    header();
    dispatch({ type: "start" });
    options.onReady?.(url !== undefined ? { url } : {});
  }
  const signal = await exit;
  stopListening();
  if (signal === "SIGHUP") endBySignal("SIGHUP"); // the terminal is gone: see stop-signals.ts
  return 0;
}
