import path from "node:path";
import { nodeHost } from "../compiler/node-host.js";
import { allowedBy, ALLOW_OUTSIDE_HELP, describeSource, outputNameProblem, rootDescription, sourceAt, type ProjectRules } from "../compiler/check/project-root.js";
import { CliError, UsageError } from "./errors.js";
import { PLAN_FILE } from "./plan-output.js";

/**
 * Where `render` and `watch` write the picture, checked once for both. `-o` is the user's own
 * choice, so any folder is fine; the plan's `output` (relative to the file rendered: the scene, or
 * the saved plan) stays inside that file's project root, as the compiler checks a scene's
 * `output`, which a saved plan has not been through. Either way the name is an image file name,
 * and never the scene, a saved plan, or a file the scene imports or guides with (`sources`).
 */
export function renderOutputPath(options: { cliOutput: string | undefined; planOutput: string; folder: string; rules: ProjectRules; sources: readonly string[]; command: string }): string {
  const { cliOutput, planOutput, folder, rules, sources, command } = options;
  if (cliOutput !== undefined) {
    const problem = outputNameProblem(cliOutput, sources, nodeHost);
    if (problem) throw new UsageError(`cannot write the picture to ${cliOutput}: ${problem.message}`, command);
    return cliOutput;
  }
  const [from] = sources;
  if (path.isAbsolute(planOutput) || path.win32.isAbsolute(planOutput))
    throw new CliError(`${from}: the output \`${planOutput}\` is an absolute path`, "a plan's output is relative to the plan file; give `-o` to write elsewhere");
  const out = path.join(folder, planOutput);
  if (!allowedBy(rules, out, nodeHost)) throw new CliError(`${from}: the output \`${planOutput}\` is outside the project root`, `the project root is ${rootDescription(rules)}; give \`-o\`, or ${ALLOW_OUTSIDE_HELP}`);
  const problem = outputNameProblem(out, sources, nodeHost);
  if (problem) throw new CliError(`${from}: cannot write the picture to \`${planOutput}\`: ${problem.message}`, "give `-o` with a picture file name");
  return out;
}

/** `plan -o FILE`: a plan file name (`render` tells a plan by it), and not a file the scene reads. */
export function checkPlanOutputPath(file: string, sources: readonly string[]): void {
  if (!PLAN_FILE.test(file)) throw new UsageError(`cannot write the plan to ${file}: a plan file's name ends in .yaml, .yml or .json (so that \`scenec render\` reads it as a plan)`, "plan");
  const source = sourceAt(file, sources, nodeHost);
  if (source !== undefined) throw new UsageError(`cannot write the plan to ${file}: it is ${describeSource(source, sources)}`, "plan");
}

/** `plan --layout FILE.png`: a PNG, and not a file the scene reads (a guide image, say). */
export function checkLayoutOutputPath(file: string, sources: readonly string[]): void {
  if (!/\.png$/i.test(file)) throw new UsageError(`--layout writes a PNG: give it a name ending in .png, not \`${file}\``, "plan");
  const source = sourceAt(file, sources, nodeHost);
  if (source !== undefined) throw new UsageError(`cannot write the layout to ${file}: it is ${describeSource(source, sources)}`, "plan");
}
