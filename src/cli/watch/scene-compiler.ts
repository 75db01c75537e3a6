import path from "node:path";
import { compile } from "../../compiler/compile.js";
import type { CompilerHost, Limits } from "../../compiler/host.js";
import { nodeHost } from "../../compiler/node-host.js";
import type { NoiseGenerator, Plan } from "../../compiler/plan/plan.js";
import { withOverrides, type PlanOverrides } from "../../compiler/plan/plan-overrides.js";
import { resolveModel, type ModelLocation } from "../../runtime/model/resolve-model.js";
import { CONFIG_FILE, loadConfig, projectRules } from "../config.js";
import { countDiagnostics, renderDiagnostics } from "../diagnostic-text.js";
import { readText } from "../files.js";
import { GuideDecoder } from "../guide-check.js";
import { renderOutputPath } from "../output-path.js";
import { importedTexts } from "../render-record.js";
import type { Terminal } from "../terminal.js";
import type { StatusLine } from "./status-line.js";
import type { CompileOutcome, WatchJob } from "./watch-machine.js";

/** A compiled round, ready to render. */
export interface RenderJob extends WatchJob {
  plan: Plan;
  model: ModelLocation;
  folder: string;
  /** The scene's text, recorded in the PNG. */
  source: string;
  /** The imported scene files' texts and the command line's overrides, recorded in the PNG (image-metadata.ts). */
  imports: Record<string, string>;
  overrides: PlanOverrides;
}

export interface SceneCompilerOptions {
  /** The scene, as the user named it. */
  scene: string;
  output?: string;
  steps?: number;
  seed?: number;
  noise?: NoiseGenerator;
  limits: Partial<Limits>;
  allowOutside: boolean;
}

/**
 * The compile of each watch round (the machine's `compile` effect): reads the scene, compiles it,
 * prints its diagnostics and tells the file set what to watch next; says what came of it as a
 * {@link CompileOutcome} (the machine prints the status line that follows).
 */
export class SceneCompiler {
  /** Kept for the session: each round decodes only the guides whose content it has not seen. */
  private readonly guides = new GuideDecoder();
  private readonly folder: string;

  constructor(
    private readonly options: SceneCompilerOptions,
    private readonly io: {
      terminal: Terminal;
      status: StatusLine;
      shown(file: string): string;
      /** Replaces the watched files with these. */
      watch(files: readonly string[]): void;
      /** Whether the guides and masks a job met for the first time leave its compile as it was (then it may render). */
      onGuides(job: RenderJob, ok: boolean): void;
    },
  ) {
    this.folder = path.dirname(options.scene);
  }

  /** Where the picture of a plan goes; throws (a CliError) when it cannot go there. */
  outputFor(plan: Pick<Plan, "output">, sources: readonly string[]): string {
    const rules = projectRules(this.options.scene, this.options.allowOutside);
    return renderOutputPath({ cliOutput: this.options.output, planOutput: plan.output, folder: this.folder, rules, sources, command: "watch" });
  }

  compile(): CompileOutcome<RenderJob> {
    const { options, io } = this;
    const scene = path.resolve(options.scene);
    const read = readText(scene);
    if (!read.ok) return { kind: "missing", reason: `cannot read ${io.shown(scene)}: ${read.reason}` };
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
    const result = compile(text, { path: options.scene, host: this.guides.host(host), limits: options.limits, project: projectRules(options.scene, options.allowOutside) });
    // New guides and masks are decoded before anything renders; a guide that fails starts a round
    // whose compile reports it as S3004, like any other error of the scene, and so does a new
    // mask, whose compile then checks the mask itself (coverage, S2033).
    const guidesDecode = this.guides.decodeQueued();
    const compileMs = performance.now() - started;
    let config: ReturnType<typeof loadConfig> | undefined;
    let configError: string | undefined;
    try {
      config = loadConfig(path.dirname(scene));
    } catch (error) {
      configError = (error as Error).message;
    }
    io.watch([scene, ...reads, ...result.dependencies, config?.file ?? path.join(path.dirname(scene), CONFIG_FILE)]);

    io.status.write(renderDiagnostics(result.diagnostics, result.sources, io.terminal));
    const diagnostics = result.diagnostics.length ? renderDiagnostics(result.diagnostics, result.sources, { color: false }) : null;
    const { errors } = countDiagnostics(result.diagnostics);
    if (result.library) return { kind: "errors", errors: 1, reason: "it is a style library, with nothing to render", diagnostics };
    if (errors > 0 || !result.plan) return { kind: "errors", errors, reason: "the scene has errors", diagnostics };
    const overrides = { steps: options.steps, seed: options.seed, noise: options.noise };
    const plan = withOverrides(result.plan, overrides);
    let output: string;
    try {
      output = this.outputFor(plan, [options.scene, ...result.dependencies]);
    } catch (error) {
      return { kind: "failed", message: (error as Error).message, reason: "the picture cannot be written there", diagnostics };
    }
    let model: ModelLocation;
    try {
      if (configError !== undefined || !config) throw new Error(configError);
      model = resolveModel(plan.model, this.folder, config);
    } catch (error) {
      return { kind: "failed", message: (error as Error).message, reason: "the model cannot be loaded", output, diagnostics };
    }
    const job: RenderJob = { plan, model, folder: this.folder, source: text, imports: importedTexts(result.sources, options.scene), overrides, output, compileMs, steps: plan.steps };
    // A decode that could not run at all checks nothing: the render decodes the guides itself and reports it.
    void guidesDecode.then(
      (recompile) => io.onGuides(job, !recompile),
      () => io.onGuides(job, true),
    );
    return { kind: "ok", job, diagnostics };
  }
}
