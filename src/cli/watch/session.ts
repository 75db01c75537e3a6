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
import { FileSet, type FileEvent } from "./file-set.js";
import { watchForOrphaning } from "./orphan-check.js";
import { PreviewServer, type PreviewState } from "./preview-server.js";
import { clock, formatMs, staleText, StatusLine } from "./status-line.js";
import { WatchLoop } from "./watch-loop.js";

/** How long the files must be quiet after a save before the scene is recompiled (see watch-loop.ts). */
export const DEFAULT_DEBOUNCE_MS = 150;

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

interface Job {
  plan: Plan;
  model: ModelLocation;
  folder: string;
  source: string;
  output: string;
  compileMs: number;
  /** False when a guide this round met for the first time does not decode (a new round reports it). */
  guidesDecode: Promise<boolean>;
}

/** One line, for the status: `2 errors`, `1 error, 1 warning`. */
function errorCount(errors: number): string {
  return `${errors} error${errors === 1 ? "" : "s"}`;
}

/**
 * `scenec watch`: renders the scene, then again after every save, until it is asked to stop (see
 * `stop`). One Renderer (one worker, one loaded model, its prompt and guide caches) serves the
 * whole session. Returns the exit status: 0, however it was stopped (a watch's normal end).
 */
export async function runWatch(options: WatchOptions, terminal: Terminal): Promise<number> {
  const scene = path.resolve(options.scene);
  const shown = (file: string) => path.relative(process.cwd(), file) || file;
  const status = new StatusLine(terminal.stderr, { keepHistory: options.keepHistory });
  // Read once up front, so that a typo in the file name is an error (exit 2), as for `render`;
  // and a `-o` that is no picture's name, too.
  readTextFile(options.scene);
  const rulesNow = () => projectRules(options.scene, options.allowOutside === true);
  const outputFor = (plan: Pick<Plan, "output">, sources: readonly string[]) =>
    renderOutputPath({ cliOutput: options.output, planOutput: plan.output, folder: path.dirname(options.scene), rules: rulesNow(), sources, command: "watch" });
  if (options.output !== undefined) outputFor({ output: options.output }, [options.scene]);

  const renderer = new Renderer();
  // Kept for the session: each round decodes only the guides whose content it has not seen.
  const guides = new GuideDecoder();
  let closing = false;
  let lastGood: Date | undefined;
  let image: PreviewState["image"] = null;
  let output = options.output ?? path.join(path.dirname(options.scene), `${path.basename(scene).replace(/\.[^.]*$/, "")}.png`);
  /** Why the picture is not the scene as saved (errors, a missing file, a failed render), or undefined. */
  let problem: { status: "errors" | "missing" | "failed"; reason: string } | undefined;
  /** The latest compile's diagnostics, as plain text, or null. */
  let diagnostics: string | null = null;
  let rendering: { step: number; steps: number } | undefined;
  const deleted = new Set<string>();

  let server: PreviewServer | undefined;
  let url: string | undefined;
  const view = (): PreviewState => ({
    scene: shown(scene),
    output: shown(output),
    status: rendering ? "rendering" : problem ? problem.status : image ? "ok" : "starting",
    message: problem
      ? staleText(shown(output), problem.reason, lastGood)
      : rendering
        ? `rendering: step ${rendering.step}/${rendering.steps}`
        : image && lastGood
          ? `${shown(output)} is up to date (${clock(lastGood)}, ${formatMs(image.renderMs)})`
          : "starting",
    stale: problem !== undefined,
    image,
    diagnostics,
    progress: rendering ?? null,
  });
  const publish = () => server?.publish(view());
  /** Records why the picture is stale; returns the status line that says so. */
  const stale = (status: "errors" | "missing" | "failed", reason: string): string => {
    problem = { status, reason };
    publish();
    return staleText(shown(output), reason, lastGood);
  };

  const header = () => {
    const others = fileSet ? fileSet.list().filter((f) => f !== scene && existsSync(f)).length : 0;
    status.line(`watching ${shown(scene)}${others > 0 ? ` and ${others} more file${others === 1 ? "" : "s"}` : ""}; Ctrl-C stops`);
    if (url) status.line(`preview at ${url}`);
  };

  // --- one round: compile, then (maybe) a render ----------------------------------------------
  const prepare = (changes: readonly string[]): Job | undefined => {
    if (status.clearScreen()) header();
    if (changes.length) status.line(`change: ${changes.map(shown).join(", ")}`);
    const read = readText(scene);
    if (!read.ok) {
      diagnostics = null;
      status.line(stale("missing", `cannot read ${shown(scene)}: ${read.reason}`));
      return undefined;
    }
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
    const guidesDecode = guides.decodeQueued().then((failed) => {
      if (failed && !closing) loop.trigger();
      return !failed;
    });
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
    diagnostics = result.diagnostics.length ? renderDiagnostics(result.diagnostics, result.sources, { color: false }) : null;
    const { errors } = countDiagnostics(result.diagnostics);
    if (result.library) {
      status.line(`scene has errors (${errorCount(1)}): ${stale("errors", "it is a style library, with nothing to render")}`);
      return undefined;
    }
    if (errors > 0 || !result.plan) {
      status.line(`scene has errors (${errorCount(errors)}): ${stale("errors", "the scene has errors")}`);
      return undefined;
    }
    const plan = withOverrides(result.plan, { steps: options.steps, seed: options.seed });
    const folder = path.dirname(options.scene);
    try {
      output = outputFor(plan, [options.scene, ...result.dependencies]);
    } catch (error) {
      status.line(`render failed: ${(error as Error).message}`);
      status.line(stale("failed", "the picture cannot be written there"));
      return undefined;
    }
    let model: ModelLocation;
    try {
      if (configError !== undefined || !config) throw new Error(configError);
      model = resolveModel(plan.model, folder, config);
    } catch (error) {
      status.line(`render failed: ${(error as Error).message}`);
      status.line(stale("failed", "the model cannot be loaded"));
      return undefined;
    }
    problem = undefined;
    publish();
    return { plan, model, folder, source: text, output, compileMs, guidesDecode };
  };

  let previewBusy = false;
  const onPreview = (preview: LatentPreview) => {
    if (!server || previewBusy || closing) return; // never queue previews: drop one while the last is encoding
    previewBusy = true;
    sharp(preview.rgb, { raw: { width: preview.width, height: preview.height, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toBuffer()
      .then((png) => {
        if (rendering) server?.preview({ step: preview.step, steps: preview.steps, width: preview.width, height: preview.height, png });
      })
      .catch(() => {})
      .finally(() => (previewBusy = false));
  };

  const run = async (job: Job): Promise<void> => {
    if (!(await job.guidesDecode)) return;
    status.line("render started");
    removeStaleTempFiles(job.output);
    const started = performance.now();
    const steps = job.plan.steps;
    rendering = { step: 0, steps };
    publish();
    try {
      const rendered = await renderer.render({
        plan: job.plan,
        model: job.model,
        folder: job.folder,
        device: options.device,
        batch: options.batch,
        onProgress: (p) => {
          if (p.phase === "denoise" && p.step && p.step.tile === p.step.tiles && rendering) {
            rendering = { step: p.step.step + 1, steps: p.step.steps };
            status.progress(`step ${rendering.step}/${rendering.steps}`);
            publish();
          } else if (p.phase === "decode" && p.done === 0) status.progress("decoding");
        },
        onWarning: (message) => status.line(`warning: ${message}`),
        ...(server ? { preview: { every: Math.max(1, Math.round(steps / 10)), onPreview } } : {}),
      });
      if (closing) return;
      const png = await encodePng(rendered.rgb, rendered.width, rendered.height, renderedImageText(job.source, job.plan));
      if (closing) return;
      await writeImageFile(job.output, imageFormatOf(job.output) === "png" ? png : await encodeImage(job.output, rendered.rgb, rendered.width, rendered.height, {}));
      const renderMs = performance.now() - started;
      lastGood = new Date();
      server?.setImage(png);
      image = { version: (image?.version ?? 0) + 1, width: rendered.width, height: rendered.height, renderedAt: lastGood.toISOString(), renderMs: Math.round(renderMs) };
      status.line(`render finished in ${formatMs(renderMs)} -> ${shown(job.output)} (${rendered.width} x ${rendered.height}, compiled in ${formatMs(job.compileMs)}, ${clock(lastGood)})`);
      // A save that broke the scene during this render: this picture is its last good version, still stale.
      if (problem) status.line(staleText(shown(output), problem.reason, lastGood));
      options.onWritten?.({ output: job.output, renderMs, compileMs: job.compileMs });
    } catch (error) {
      status.erase();
      if (closing) return;
      if (error instanceof RenderCancelled) {
        status.line("render cancelled: a newer save replaces it");
        return;
      }
      const e = error as Error;
      if (e.name === "StaleGuideError") {
        // A guide changed between the compile and the render: its change event brings (or has
        // brought) a new round; make sure of it.
        status.line("render cancelled: a guide image changed during the render");
        if (!loop.waiting) loop.notify(scene);
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      const message = typeof code === "string" && code.startsWith("E") ? `cannot write ${shown(job.output)}: ${describeFsError(error)}` : e.message;
      status.line(`render failed: ${message}`);
      status.line(stale("failed", "the render failed"));
    } finally {
      rendering = undefined;
      status.erase();
      publish();
    }
  };

  const loop = new WatchLoop<Job>({
    debounceMs: options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    prepare,
    run,
    cancel: () => renderer.cancel(),
    onError: (error) => {
      if (closing) return;
      status.line(`render failed: ${error instanceof Error ? error.message : String(error)}`);
      status.line(stale("failed", "the render failed"));
    },
  });

  const onFileEvent = (event: FileEvent, file: string) => {
    if (closing) return;
    if (event === "unlink") {
      deleted.add(file);
      status.line(`${shown(file)} was deleted${file === scene ? "; waiting for it to come back" : ""}`);
    } else if (event === "add" && deleted.delete(file)) status.line(`${shown(file)} is back`);
    loop.notify(file);
  };
  const fileSet: FileSet = new FileSet([scene], onFileEvent, (error) => status.line(`warning: watching files: ${error.message}`));

  // --- the end: a stop signal, or the process that started the watch gone -----------------------
  let signalled: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => (signalled = resolve));
  let stoppedBy: StopSignal | undefined;
  const stop = (signal?: StopSignal) => {
    stoppedBy ??= signal;
    closing = true;
    renderer.cancel();
    removePendingTempFiles();
    signalled?.();
  };
  let stopListening = () => {};
  let stopChecking = () => {};
  if (!options.stop) {
    stopListening = onStopSignals(stop);
    stopChecking = watchForOrphaning((why) => {
      if (closing) return; // already stopping (a Ctrl-C reaches the parent too)
      status.line(why === "parent" ? "the process that started this watch has ended; stopping" : "stdin was closed; stopping");
      stop();
    });
  } else void options.stop.then(() => stop());

  try {
    if (options.serve) {
      server = new PreviewServer(view());
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
    await fileSet.whenReady();
    header();
    loop.trigger();
    options.onReady?.(url !== undefined ? { url } : {});
    await stopped;
  } finally {
    closing = true;
    stopChecking();
    renderer.cancel();
    removePendingTempFiles();
    await Promise.race([
      Promise.allSettled([loop.close(), fileSet.close(), server?.close()]),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    // Waits for the worker to finish its step (never cut off: render-client.ts); meanwhile a second
    // signal still ends the process at once.
    await renderer.close();
    removePendingTempFiles();
    stopListening();
  }
  status.erase();
  status.line("stopped");
  if (stoppedBy === "SIGHUP") endBySignal("SIGHUP"); // the terminal is gone: see stop-signals.ts
  return 0;
}
