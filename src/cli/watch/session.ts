import { existsSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { compile } from "../../compiler/compile.js";
import type { CompilerHost, Limits } from "../../compiler/host.js";
import { nodeHost } from "../../compiler/node-host.js";
import type { Plan } from "../../compiler/plan/plan.js";
import { withOverrides } from "../../compiler/plan/plan-overrides.js";
import { removePendingTempFiles, removeStaleTempFiles } from "../../runtime/image/atomic-write.js";
import { encodeImage, writeImageFile } from "../../runtime/image/image-write.js";
import { imageFormatOf } from "../../compiler/check/project-root.js";
import { encodePng } from "../../runtime/image/png-write.js";
import type { LatentPreview } from "../../runtime/latent-preview.js";
import { RenderCancelled } from "../../runtime/mixture.js";
import type { Device } from "../../runtime/model/onnx-model.js";
import { resolveModel, type ModelLocation } from "../../runtime/model/resolve-model.js";
import type { RenderedImage } from "../../runtime/render.js";
import { Renderer } from "../../runtime/render-client.js";
import { CONFIG_FILE, loadConfig, projectRules } from "../config.js";
import { renderOutputPath } from "../output-path.js";
import { countDiagnostics, renderDiagnostics } from "../diagnostic-text.js";
import { CliError, describeFsError } from "../errors.js";
import { readText, readTextFile } from "../files.js";
import type { Terminal } from "../terminal.js";
import { renderedImageText } from "../image-metadata.js";
import { GuideDecoder } from "../guide-check.js";
import { endBySignal, onStopSignals, type StopSignal } from "../stop-signals.js";
import { FileSet } from "./file-set.js";
import { watchForOrphaning } from "./orphan-check.js";
import { PreviewServer } from "./preview-server.js";
import { StatusLine } from "./status-line.js";
import { initialState, previewState, transition, type CompileOutcome, type WatchContext, type WatchEffect, type WatchEvent, type WatchJob } from "./watch-machine.js";

/** How long the files must be quiet after a save before the scene is recompiled (see watch-machine.ts). */
export const DEFAULT_DEBOUNCE_MS = 150;

/** How long a stop waits for the render or write in flight and the watchers before closing the render client. */
const STOP_WAIT_MS = 2000;

export interface WatchOptions {
  scene: string;
  /** `-o OUT`; default: the scene's `output`, beside it. */
  output?: string;
  steps?: number;
  seed?: number;
  device: Device;
  batch: number;
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

interface Job extends WatchJob {
  plan: Plan;
  model: ModelLocation;
  folder: string;
  source: string;
}

/**
 * `scenec watch`: renders the scene, then again after every save, until it is asked to stop (see
 * `stop`). One Renderer (one worker, one loaded model, its prompt and guide caches) serves the
 * whole session. Returns the exit status: 0, however it was stopped (a watch's normal end).
 */
export async function runWatch(options: WatchOptions, terminal: Terminal): Promise<number> {
  const scene = path.resolve(options.scene);
  const ctx: WatchContext = { scene, shown: (file) => path.relative(process.cwd(), file) || file };
  const { shown } = ctx;
  const status = new StatusLine(terminal.stderr, { keepHistory: options.keepHistory });
  // Read once up front, so that a typo in the file name is an error (exit 2), as for `render`;
  // and a `-o` that is no picture's name, too.
  readTextFile(options.scene);
  const rulesNow = () => projectRules(options.scene, options.allowOutside === true);
  const outputFor = (plan: Pick<Plan, "output">, sources: readonly string[]) =>
    renderOutputPath({ cliOutput: options.output, planOutput: plan.output, folder: path.dirname(options.scene), rules: rulesNow(), sources, command: "watch" });
  if (options.output !== undefined) outputFor({ output: options.output }, [options.scene]);

  let state = initialState<Job>(options.output ?? path.join(path.dirname(options.scene), `${path.basename(scene).replace(/\.[^.]*$/, "")}.png`));
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

  // --- the machine, and the one place that performs its effects -------------------------------
  const queue: WatchEvent<Job>[] = [];
  let draining = false;
  /** Events are handled one at a time, in order: one that an effect raises waits for the rest of that event's effects. */
  const dispatch = (event: WatchEvent<Job>) => {
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

  const renderer = new Renderer();
  // Kept for the session: each round decodes only the guides whose content it has not seen.
  const guides = new GuideDecoder();
  const fileSet: FileSet = new FileSet([scene], (event, file) => dispatch({ type: "file", event, file }), (error) => status.line(`warning: watching files: ${error.message}`));
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  /** The render in flight: when it started, and its picture once rendered and encoded. */
  let flight: { job: Job; started: number; rendered?: RenderedImage; png?: Uint8Array } | undefined;
  let exited: (signal: StopSignal | undefined) => void = () => {};
  const exit = new Promise<StopSignal | undefined>((resolve) => (exited = resolve));
  let stopChecking = () => {};

  const header = () => {
    const others = fileSet.list().filter((f) => f !== scene && existsSync(f)).length;
    status.line(`watching ${shown(scene)}${others > 0 ? ` and ${others} more file${others === 1 ? "" : "s"}` : ""}; Ctrl-C stops`);
    if (url) status.line(`preview at ${url}`);
  };

  /** One round's compile; prints the change and the diagnostics (the machine prints what follows). */
  const compileScene = (changes: readonly string[]): CompileOutcome<Job> => {
    if (status.clearScreen()) header();
    if (changes.length) status.line(`change: ${changes.map(shown).join(", ")}`);
    const read = readText(scene);
    if (!read.ok) return { kind: "missing", reason: `cannot read ${shown(scene)}: ${read.reason}` };
    const text = read.text;
    // The watch set is what this compile read, or tried to: a missing import or guide is watched
    // too, so that the scene is compiled again when the file appears.
    const reads: string[] = [];
    const host: CompilerHost = {
      ...nodeHost,
      readFile(file, maxBytes) {
        reads.push(file);
        return nodeHost.readFile(file, maxBytes);
      },
    };
    const started = performance.now();
    const result = compile(text, { path: options.scene, host: guides.host(host), limits: options.limits, project: rulesNow() });
    // New guides are decoded before anything renders; one that fails starts a round whose compile
    // reports it as S3004, like any other error of the scene.
    const guidesDecode = guides.decodeQueued();
    const compileMs = performance.now() - started;
    let config: ReturnType<typeof loadConfig> | undefined;
    let configError: string | undefined;
    try {
      config = loadConfig(path.dirname(scene));
    } catch (error) {
      configError = (error as Error).message;
    }
    fileSet.update([scene, ...reads, ...result.dependencies, config?.file ?? path.join(path.dirname(scene), CONFIG_FILE)]);

    status.write(renderDiagnostics(result.diagnostics, result.sources, terminal));
    const diagnostics = result.diagnostics.length ? renderDiagnostics(result.diagnostics, result.sources, { color: false }) : null;
    const { errors } = countDiagnostics(result.diagnostics);
    if (result.library) return { kind: "errors", errors: 1, reason: "it is a style library, with nothing to render", diagnostics };
    if (errors > 0 || !result.plan) return { kind: "errors", errors, reason: "the scene has errors", diagnostics };
    const plan = withOverrides(result.plan, { steps: options.steps, seed: options.seed });
    const folder = path.dirname(options.scene);
    let output: string;
    try {
      output = outputFor(plan, [options.scene, ...result.dependencies]);
    } catch (error) {
      return { kind: "failed", message: (error as Error).message, reason: "the picture cannot be written there", diagnostics };
    }
    let model: ModelLocation;
    try {
      if (configError !== undefined || !config) throw new Error(configError);
      model = resolveModel(plan.model, folder, config);
    } catch (error) {
      return { kind: "failed", message: (error as Error).message, reason: "the model cannot be loaded", output, diagnostics };
    }
    const job: Job = { plan, model, folder, source: text, output, compileMs, steps: plan.steps };
    // A decode that could not run at all checks nothing: the render decodes the guides itself and reports it.
    void guidesDecode.then(
      (failed) => dispatch({ type: "guides", job, ok: !failed }),
      () => dispatch({ type: "guides", job, ok: true }),
    );
    return { kind: "ok", job, diagnostics };
  };

  /** Whether `job` is the render in progress (previews of another, or after a stop, are dropped). */
  const renders = (job: Job) => {
    const work = state.work;
    return (work.phase === "rendering" || work.phase === "cancelling" || work.phase === "writing") && work.job === job;
  };
  let previewBusy = false;
  const onPreview = (job: Job, preview: LatentPreview) => {
    if (!server || previewBusy || !renders(job)) return; // never queue previews: drop one while the last is encoding
    previewBusy = true;
    sharp(preview.rgb, { raw: { width: preview.width, height: preview.height, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toBuffer()
      .then((png) => {
        if (renders(job)) server?.preview({ step: preview.step, steps: preview.steps, width: preview.width, height: preview.height, png });
      })
      .catch(() => {})
      .finally(() => (previewBusy = false));
  };

  /** The event a failed render, encode or write is. */
  const failure = (job: Job, error: unknown): WatchEvent<Job> => {
    if (error instanceof RenderCancelled) return { type: "cancelled", job };
    const e = error as Error;
    if (e.name === "StaleGuideError") return { type: "stale-guide", job };
    const code = (error as NodeJS.ErrnoException).code;
    const message = typeof code === "string" && code.startsWith("E") ? `cannot write ${shown(job.output)}: ${describeFsError(error)}` : e instanceof Error ? e.message : String(error);
    return { type: "failed", job, message };
  };

  const startRender = (job: Job) => {
    const steps = job.plan.steps;
    flight = { job, started: performance.now() };
    renderer
      .render({
        plan: job.plan,
        model: job.model,
        folder: job.folder,
        device: options.device,
        batch: options.batch,
        onProgress: (p) => {
          if (p.phase === "denoise" && p.step && p.step.tile === p.step.tiles) dispatch({ type: "step", job, step: p.step.step + 1, steps: p.step.steps });
          else if (p.phase === "decode" && p.done === 0) dispatch({ type: "decoding", job });
        },
        onWarning: (message) => dispatch({ type: "warning", job, message }),
        ...(server ? { preview: { every: Math.max(1, Math.round(steps / 10)), onPreview: (preview: LatentPreview) => onPreview(job, preview) } } : {}),
      })
      .then(
        (rendered) => {
          if (flight?.job === job) flight.rendered = rendered;
          dispatch({ type: "rendered", job });
        },
        (error: unknown) => dispatch(failure(job, error)),
      );
  };

  const perform = (effect: WatchEffect<Job>): void => {
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
        let outcome: CompileOutcome<Job>;
        try {
          outcome = compileScene(effect.changes);
        } catch (error) {
          outcome = { kind: "failed", message: error instanceof Error ? error.message : String(error), reason: "the render failed", diagnostics: state.diagnostics };
        }
        return dispatch({ type: "compiled", outcome });
      }
      case "render":
        try {
          removeStaleTempFiles(effect.job.output);
          startRender(effect.job);
        } catch (error) {
          dispatch(failure(effect.job, error));
        }
        return;
      case "cancel-render":
        return renderer.cancel();
      case "encode": {
        const { job } = effect;
        const rendered = flight!.rendered!;
        void encodePng(rendered.rgb, rendered.width, rendered.height, renderedImageText(job.source, job.plan)).then(
          (png) => {
            flight!.png = png;
            dispatch({ type: "encoded", job });
          },
          (error: unknown) => dispatch(failure(job, error)),
        );
        return;
      }
      case "write": {
        const { job } = effect;
        const { started } = flight!;
        const rendered = flight!.rendered!;
        const png = flight!.png!;
        void (async () => (imageFormatOf(job.output) === "png" ? png : await encodeImage(job.output, rendered.rgb, rendered.width, rendered.height, {})))()
          .then((bytes) => writeImageFile(job.output, bytes))
          .then(
            () => {
              const renderMs = performance.now() - started;
              server?.setImage(png);
              dispatch({ type: "written", job, width: rendered.width, height: rendered.height, renderMs, at: new Date() });
            },
            (error: unknown) => dispatch(failure(job, error)),
          );
        return;
      }
      case "written":
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
        // Waits for the worker to finish its step (never cut off: render-client.ts); meanwhile a
        // second signal still ends the process at once.
        void renderer.close().then(() => dispatch({ type: "renderer-closed" }));
        return;
      case "exit":
        return exited(effect.signal);
    }
  };

  // --- the end: a stop signal, or the process that started the watch gone -----------------------
  let stopListening = () => {};
  if (!options.stop) {
    stopListening = onStopSignals((signal) => dispatch({ type: "stop", signal }));
    stopChecking = watchForOrphaning((orphaned) => dispatch({ type: "stop", orphaned }));
  } else void options.stop.then(() => dispatch({ type: "stop" }));

  await fileSet.whenReady();
  header();
  dispatch({ type: "start" });
  options.onReady?.(url !== undefined ? { url } : {});
  const signal = await exit;
  stopListening();
  if (signal === "SIGHUP") endBySignal("SIGHUP"); // the terminal is gone: see stop-signals.ts
  return 0;
}
