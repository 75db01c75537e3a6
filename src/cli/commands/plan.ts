import { dirname, relative } from "node:path";
import type { Plan } from "../../compiler/plan/plan.js";
import type { Command } from "../command.js";
import type { Terminal } from "../terminal.js";
import { allowOutsideFromOptions, LIMIT_OPTIONS, LIMIT_OPTIONS_HELP, limitsFromOptions } from "../limits.js";
import { countDiagnostics, renderDiagnostics } from "../diagnostic-text.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../files.js";

export const planCommand: Command = {
  name: "plan",
  synopsis: "FILE [--cost] [--layout OUT.png] [--json] [-o OUT] [--max-side N] [--max-megapixels N]",
  summary: "print the execution plan of a scene (YAML, or JSON with --json)",
  help: `Compiles the scene and prints its execution plan: everything the renderer needs, validated
against the plan's JSON Schema. The same scene always gives the same bytes. Warnings and errors
go to stderr as with \`scenec check\`; a scene with errors gets no plan.

With --cost it prints what a render of the scene costs on its model instead: UNet evaluations per
step and in all, and by area in evaluations of the model's native size (an SDXL tile of 1024 x 1024
is one, a 512 x 512 one a quarter); text-encoder runs (SDXL runs each text through two encoders,
and conditions a missing negative prompt on zeros, encoding nothing); and the regions far from the
native size. The model folder's JSON configs are read (scenec.yaml resolves names), no network.

With --layout OUT.png it also draws who owns each pixel: every pixel in the mix of the region
colours, each in proportion to the region's share of the mixing weight there (the renderer's own
weights), each region outlined and labelled with the share of the canvas it owns. Instant: no
model is needed. The compiler warns of a region that holds less than half of the mix everywhere (S2502).

options:
  --cost               print the cost summary on the scene's model instead of the plan
  --layout OUT.png     also write the layout map (a PNG at the canvas's size, replaced atomically)
  --json               write the plan (or the cost summary) as JSON instead of YAML
  -o, --output OUT     write the plan to the file OUT (replaced atomically) instead of stdout:
                       a name ending in .yaml, .yml or .json (JSON); \`-o -\` means stdout.
                       Its guide and model paths are made relative to OUT, so that
                       \`scenec render OUT\` works from any folder (on stdout they are
                       relative to the scene's folder)
${LIMIT_OPTIONS_HELP}
  -h, --help           show this help

exit status: 0 plan written (warnings allowed), 1 the scene has errors, 2 bad arguments or a
file that cannot be read or written`,
  options: {
    cost: { type: "boolean" },
    layout: { type: "string" },
    json: { type: "boolean" },
    output: { type: "string", short: "o" },
    ...LIMIT_OPTIONS,
  },
  async run({ values, positionals }, terminal) {
    if (positionals.length === 0) throw new UsageError("plan needs a FILE", "plan");
    if (positionals.length > 1) throw new UsageError(`plan takes one FILE, not ${positionals.length}`, "plan");
    const path = positionals[0]!;
    const limits = limitsFromOptions(values, "plan");
    const { DiagnosticCollector, compileFile, libraryHasNoPlan } = await import("../compile-file.js");
    const { GuideDecoder } = await import("../guide-check.js");
    const result = await new GuideDecoder().compile((host) => compileFile(path, limits, host, allowOutsideFromOptions(values)));

    const collector = new DiagnosticCollector();
    collector.add(result);
    terminal.stderr.write(renderDiagnostics(collector.diagnostics, collector.sources, terminal));
    if (countDiagnostics(collector.diagnostics).errors > 0) return 1;
    if (result.library) {
      terminal.stderr.write(libraryHasNoPlan(path));
      return 1;
    }
    if (!result.plan) throw new Error(`the compiler gave neither a plan nor an error for ${path}`);

    const out = typeof values["output"] === "string" && values["output"] !== "-" ? values["output"] : undefined;
    const layout = values["layout"];
    if (typeof layout === "string") {
      const { checkLayoutOutputPath } = await import("../output-path.js");
      checkLayoutOutputPath(layout, [path, ...result.dependencies]);
      const [{ writeLayoutImage, formatShare }, { CliError, describeFsError }] = await Promise.all([import("../layout-image.js"), import("../errors.js")]);
      const map = await writeLayoutImage(result.plan, dirname(path), layout).catch((error: unknown) => {
        throw new CliError(`cannot write ${layout}: ${describeFsError(error)}`);
      });
      terminal.stderr.write(`wrote ${layout}: ${map.paints.map((p) => `${p.name} ${formatShare(p.owned)}`).join(", ")} of the canvas\n`);
    }
    if (values["cost"] === true) {
      if (out !== undefined) throw new UsageError("--cost prints a summary: it takes no -o", "plan");
      const summary = await planCost(result.plan, path, terminal);
      const { formatCostSummary } = await import("../plan-cost.js");
      terminal.stdout.write(values["json"] === true ? JSON.stringify(summary, null, 2) + "\n" : formatCostSummary(summary));
      return 0;
    }
    const [{ formatPlan, planFormatFor, planForFile }, { checkPlanOutputPath }] = await Promise.all([import("../plan-output.js"), import("../output-path.js")]);
    if (out !== undefined) checkPlanOutputPath(out, [path, ...result.dependencies]);
    // A plan written to a file reads its guides relative to that file, so it renders from anywhere.
    const plan = out === undefined ? result.plan : planForFile(result.plan, path, out);
    const text = formatPlan(plan, planFormatFor(out, values["json"] === true));
    if (out === undefined) terminal.stdout.write(text);
    else writeFileAtomic(out, text);
    return 0;
  },
};

/** The plan's cost on the model it resolves to; a model that cannot be read is a warning, not a failure (the plan stands). */
async function planCost(plan: Plan, scene: string, terminal: Terminal) {
  const [{ loadConfig }, { modelSource, resolveModel }, { readModelProfile }, { ModelError }, { costSummary }] = await Promise.all([
    import("../config.js"),
    import("../../runtime/model/resolve-model.js"),
    import("../../runtime/model/model-profile.js"),
    import("../../runtime/model/model-error.js"),
    import("../plan-cost.js"),
  ]);
  const folder = dirname(scene);
  let described = plan.model.kind === "named" ? `\`${plan.model.name}\`` : plan.model.kind === "path" ? plan.model.path : "the built-in model";
  try {
    const location = resolveModel(plan.model, folder, loadConfig(folder));
    if (location.kind === "folder") {
      const near = relative(".", location.path) || ".";
      described = near.startsWith("..") ? location.path : near;
    }
    return costSummary(plan, location.kind === "builtin" ? { builtin: true } : described, readModelProfile(modelSource(location)));
  } catch (error) {
    if (!(error instanceof ModelError)) throw error;
    terminal.stderr.write(`warning: ${error.message}\n`);
    return costSummary(plan, described, undefined, "cannot be read");
  }
}
