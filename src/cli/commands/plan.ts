import type { Command } from "../command.js";
import { allowOutsideFromOptions, LIMIT_OPTIONS, LIMIT_OPTIONS_HELP, limitsFromOptions } from "../limits.js";
import { countDiagnostics, renderDiagnostics } from "../diagnostic-text.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../files.js";

export const planCommand: Command = {
  name: "plan",
  synopsis: "FILE [--json] [-o OUT] [--max-side N] [--max-megapixels N]",
  summary: "print the execution plan of a scene (YAML, or JSON with --json)",
  help: `Compiles the scene and prints its execution plan: everything the renderer needs, validated
against the plan's JSON Schema. The same scene always gives the same bytes. Warnings and errors
go to stderr as with \`scenec check\`; a scene with errors gets no plan.

options:
  --json               write the plan as JSON instead of YAML
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
