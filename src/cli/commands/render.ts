import path from "node:path";
import type { Command } from "../command.js";
import { CliError, describeFsError, UsageError } from "../errors.js";
import { allowOutsideFromOptions, LIMIT_OPTIONS, LIMIT_OPTIONS_HELP, limitsFromOptions } from "../limits.js";
import { integerOption, RENDER_OPTIONS, RENDER_OPTIONS_HELP, renderSettings } from "../render-options.js";
import type { StopSignal } from "../stop-signals.js";

export const renderCommand: Command = {
  name: "render",
  synopsis: "SCENE|PLAN|IMAGE.png... [-o OUT] [--seeds LIST] [--steps N] [--seed N] [--noise scenec|torch|philox] [--device auto|cpu|webgpu|cuda] [--verbose] [--batch N] [--decode-memory SIZE] [--save-latents FILE.npy] [--farm URL [--queue NAME] [--farm-timeout S]]",
  summary: "render a scene (or a saved plan, or the scene a scenec PNG carries) to a PNG",
  help: `Compiles the scene (or reads a plan saved by \`scenec plan\`) and renders it with Mixture of
Diffusers on ONNX Runtime: the scene's model (when it names none, scenec.yaml's \`default\`,
else the built-in model). The PNG is written atomically and carries in its text chunks the scene
source and the text of its imports, the plan's sha256, the seed, the model it resolved to, the
command line's overrides, and an A1111 \`parameters\` text for SD tools' PNG Info (see \`scenec
info\`). Given such a PNG, render renders it again from the scene it carries, as if that scene
were a file beside the PNG, and writes NAME.rerender.png beside it (never the PNG itself; \`-o\`
to choose); for another tool's PNG, \`scenec import\` writes a scene first. Ctrl-C (or SIGTERM,
SIGHUP) stops the render and writes nothing; a second one ends it at once.

With --farm URL the pictures render on the workers of a render farm (\`scenec worker\`; README
"Render farm"): compiled here, rendered there with the models the workers' scenec.yaml names, the
same PNG bytes as a local render on the same kind of device. Ctrl-C cancels the run's jobs.

Several files render one after the other, each to its own output, on one loaded model (each
prompt encoded once). --seeds renders one picture per seed, NAME-SEED.png (or -o with \`{seed}\`
in the name: \`-o "sweep/{seed}.png"\`).

options:
${RENDER_OPTIONS_HELP}
  --seeds LIST         one picture per seed: \`1-16\`, \`3,7,42\`, \`1-4,10\` (instead of --seed)
  --save-latents F.npy also write the final latents (before the VAE), float32 [1, 4, H/8, W/8],
                       as a NumPy file (atomically, like the picture)
  --farm URL           render on a render farm: one job per picture on the Redis at URL
                       (redis://[USER:PASSWORD@]HOST[:PORT][/DB] or rediss:// for TLS), taken by
                       \`scenec worker\` processes; each PNG is written here as it arrives
                       (SCENEC_REDIS_PASSWORD is the password when the URL has none)
  --queue NAME         the farm's queue (default: scenec), as the workers' --queue
  --farm-timeout S     seconds the workers keep this run's jobs once this command is gone
                       (killed, its machine down): then they drop them (default: 30)
${LIMIT_OPTIONS_HELP}
  -h, --help           show this help

exit status: 0 every picture was written, 1 the scene has errors, 2 bad arguments, a missing or broken
model, a file that cannot be read or written, or a picture that failed on the farm; 130 interrupted
(Ctrl-C), 143 SIGTERM, 129 SIGHUP`,
  options: {
    ...RENDER_OPTIONS,
    ...LIMIT_OPTIONS,
    "save-latents": { type: "string" },
    seeds: { type: "string" },
    farm: { type: "string" },
    queue: { type: "string" },
    "farm-timeout": { type: "string" },
  },
  async run({ values, positionals }, terminal) {
    if (positionals.length === 0) throw new UsageError("render needs a SCENE or PLAN file", "render");
    const { steps, seed, noise, device: deviceOption, verbose, batch, output, decodeMemory } = renderSettings(values, "render");
    const limits = limitsFromOptions(values, "render");
    const saveLatents = values["save-latents"];
    if (typeof saveLatents === "string" && !/\.npy$/i.test(saveLatents)) throw new UsageError(`--save-latents writes a NumPy file: give it a name ending in .npy, not \`${saveLatents}\``, "render");
    const { parseSeedList, seededOutput } = await import("../seed-list.js");
    const seeds = typeof values["seeds"] === "string" ? parseSeedList(values["seeds"], "render") : undefined;
    if (seeds && seed !== undefined) throw new UsageError("--seed and --seeds exclude each other: --seeds 7 renders the one seed 7", "render");
    if (positionals.length > 1 && output !== undefined) throw new UsageError("-o names one picture: with several scenes, each goes to its own `output`", "render");
    const farm = typeof values["farm"] === "string" ? values["farm"] : undefined;
    if (farm === undefined && (values["queue"] !== undefined || values["farm-timeout"] !== undefined)) throw new UsageError("--queue and --farm-timeout go with --farm URL", "render");
    if (farm !== undefined && (deviceOption !== undefined || saveLatents !== undefined || verbose))
      throw new UsageError(`--farm renders on the workers: ${deviceOption !== undefined ? "--device is each worker's own (`scenec worker --device`)" : saveLatents !== undefined ? "--save-latents is for a local render" : "--verbose is for a local render"}`, "render");
    // A mistyped URL is told before anything is compiled.
    const farmAddress = farm === undefined ? undefined : (await import("../../farm/redis-url.js")).parseRedisUrl(farm, "--farm", process.env["SCENEC_REDIS_PASSWORD"]);
    const farmTimeout = integerOption(values, "farm-timeout", 1, 86_400, "render") ?? 30;

    const [{ loadRenderInput }, { withOverrides }, { loadConfig }, { renderOutputPath }, { checkOutputFolder }] = await Promise.all([
      import("../render-input.js"),
      import("../../compiler/plan/plan-overrides.js"),
      import("../config.js"),
      import("../output-path.js"),
      import("../files.js"),
    ]);
    const { resolveModel } = await import("../../runtime/model/resolve-model.js");
    const { ModelError } = await import("../../runtime/model/model-error.js");

    // Every scene is compiled, every output checked and every model resolved before anything renders.
    const jobs = [];
    for (const file of positionals) {
      const input = await loadRenderInput(file, limits, terminal, allowOutsideFromOptions(values));
      if (!input) return 1;
      const config = loadConfig(input.folder);
      // The command line's seeds, else the scene's `seeds`; each picture of a sweep records its seed.
      const sweep = seeds ?? (seed === undefined && input.overrides?.seed === undefined ? input.plan.seeds : undefined);
      for (const s of sweep ?? [seed]) {
        // A PNG's re-render takes the overrides it was made with, unless the command line gives its own.
        const overrides = { ...input.overrides, ...(steps !== undefined ? { steps } : {}), ...(s !== undefined ? { seed: s } : {}), ...(noise !== undefined ? { noise } : {}) };
        const plan = withOverrides(input.plan, overrides);
        const named = (name: string | undefined) => (name !== undefined && sweep ? seededOutput(name, s!) : name);
        const out = renderOutputPath({ cliOutput: named(output ?? input.output), planOutput: named(plan.output)!, folder: input.folder, rules: input.rules, sources: input.files, command: "render" });
        // Before minutes of rendering, not after: the picture's folder must exist or be possible to create.
        checkOutputFolder(out);
        // On a farm each worker resolves the model's name through its own scenec.yaml.
        let model;
        try {
          model = farm === undefined ? resolveModel(plan.model, input.folder, config) : undefined;
        } catch (error) {
          if (error instanceof ModelError) throw new CliError(error.message);
          throw error;
        }
        const runtime = { device: deviceOption ?? config.device ?? "auto", batch, decodeMemory: decodeMemory ?? config.decodeMemory };
        jobs.push({ input, plan, out, model, overrides, runtime });
      }
    }
    if (jobs.length > 1 && saveLatents !== undefined) throw new UsageError("--save-latents writes one file: render one scene with one seed", "render");
    const taken = new Map<string, string>();
    for (const { out, input } of jobs) {
      const other = taken.get(path.resolve(out));
      if (other !== undefined) throw new UsageError(`${input.files[0]} and ${other} would both write ${out}; give them different \`output\` names`, "render");
      taken.set(path.resolve(out), input.files[0]!);
    }
    const latentsOut = typeof saveLatents === "string" ? path.resolve(saveLatents) : undefined;
    if (latentsOut !== undefined) {
      const [{ input, out }] = jobs as [(typeof jobs)[0]];
      if (latentsOut === path.resolve(out) || input.files.some((f) => path.resolve(f) === latentsOut))
        throw new UsageError(`--save-latents ${saveLatents} would overwrite ${latentsOut === path.resolve(out) ? "the picture" : "a file the scene reads"}; name a file of its own`, "render");
      checkOutputFolder(latentsOut);
    }

    if (farmAddress !== undefined) {
      const [{ renderOnFarm }, { DEFAULT_QUEUE }] = await Promise.all([import("../../farm/farm-client.js"), import("../../farm/farm-job.js")]);
      const pictures = jobs.map(({ input, plan, out, overrides, runtime }) => ({
        out,
        folder: input.folder,
        job: { name: path.basename(out), plan, source: input.source, sourceKind: input.sourceKind, imports: input.imports, overrides, batch: runtime.batch, ...(runtime.decodeMemory !== undefined ? { decodeMemory: runtime.decodeMemory } : {}) },
      }));
      const queue = typeof values["queue"] === "string" ? values["queue"] : DEFAULT_QUEUE;
      return renderOnFarm(pictures, { address: farmAddress, queue, terminal, clientTimeoutMs: farmTimeout * 1000 });
    }

    const { Renderer } = await import("../../runtime/render-client.js");
    const { RenderCancelled } = await import("../../runtime/mixture.js");
    const { writeImage } = await import("../../runtime/image/image-write.js");
    const { renderedImageText } = await import("../image-metadata.js");
    const { removePendingTempFiles, removeStaleTempFiles } = await import("../../runtime/image/atomic-write.js");
    const { progressDisplay } = await import("../render-progress.js");
    const { endBySignal, onStopSignals, signalExitStatus } = await import("../stop-signals.js");

    // One worker for every picture: the model stays loaded and each prompt is encoded once.
    const renderer = new Renderer();
    const progress = progressDisplay(terminal);
    let interrupted: StopSignal | undefined;
    const stopListening = onStopSignals((signal) => {
      interrupted = signal;
      renderer.cancel();
      removePendingTempFiles();
    });
    let written = 0;
    let out = jobs[0]!.out;
    try {
      for (const job of jobs) {
        const { input, plan, overrides, runtime } = job;
        const model = job.model!; // resolved above: this is not a farm run
        out = job.out;
        // What an earlier render of this output left when it was killed (SIGKILL, a power cut).
        removeStaleTempFiles(out);
        if (latentsOut !== undefined) removeStaleTempFiles(latentsOut);
        const started = performance.now();
        const image = await renderer.render({
          plan,
          model,
          folder: input.folder,
          device: runtime.device,
          ...(verbose ? { verbose: true, onDiagnostics: (text: string) => progress.log(text.trimEnd()) } : {}),
          batch,
          ...(runtime.decodeMemory !== undefined ? { decode: { memory: runtime.decodeMemory } } : {}),
          onDevice: (description) => progress.log(`device: ${description}`),
          ...(latentsOut !== undefined ? { keepLatents: true } : {}),
          onProgress: (p) => progress.update(p),
          onWarning: (message) => progress.log(`warning: ${message}`),
        });
        progress.stop();
        if (interrupted) throw new RenderCancelled();
        await writeImage(out, image.rgb, image.width, image.height, renderedImageText({ source: input.source, sourceKind: input.sourceKind, plan, model, imports: input.imports, overrides, runtime }));
        if (interrupted) throw new RenderCancelled();
        if (latentsOut !== undefined && image.latents) {
          const { encodeNpy } = await import("../../compiler/check/npy-file.js");
          const { writeFileAtomicAsync } = await import("../../runtime/image/atomic-write.js");
          const { channels, height, width } = plan.latent;
          await writeFileAtomicAsync(latentsOut, encodeNpy(image.latents, [1, channels, height, width]));
          if (interrupted) throw new RenderCancelled();
        }
        written += 1;
        const secondsTaken = ((performance.now() - started) / 1000).toFixed(1);
        const count = jobs.length > 1 ? ` [${written}/${jobs.length}]` : "";
        terminal.stderr.write(`wrote ${out} (${image.width} x ${image.height}) in ${secondsTaken} s${count}\n`);
        if (latentsOut !== undefined) terminal.stderr.write(`wrote ${path.relative(process.cwd(), latentsOut) || latentsOut} (final latents, [1, ${plan.latent.channels}, ${plan.latent.height}, ${plan.latent.width}] float32)\n`);
      }
      return 0;
    } catch (error) {
      progress.stop();
      if (error instanceof RenderCancelled || interrupted || (error as Error).name === "AbortError") {
        removePendingTempFiles();
        const kept = written > 0 ? `; the ${written} picture${written === 1 ? "" : "s"} before it stay` : "";
        terminal.stderr.write(`scenec: ${interrupted === undefined || interrupted === "SIGINT" ? "interrupted" : `stopped by ${interrupted}`}; ${written > 0 ? `${out} was not written${kept}` : "nothing was written"}\n`);
        return signalExitStatus(interrupted ?? "SIGINT");
      }
      if (error instanceof ModelError || ["GuideImageError", "StaleGuideError"].includes((error as Error).name)) throw new CliError((error as Error).message);
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === "string" && code.startsWith("E")) throw new CliError(`cannot write ${out}: ${describeFsError(error)}`);
      throw error;
    } finally {
      // Still listening while the worker finishes its step: a second Ctrl-C ends the process at once.
      await renderer.close();
      stopListening();
      if (interrupted === "SIGHUP") endBySignal("SIGHUP"); // the terminal is gone: see stop-signals.ts
    }
  },
};
