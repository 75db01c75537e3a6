import type { Command } from "../command.js";
import { allowOutsideFromOptions, LIMIT_OPTIONS, LIMIT_OPTIONS_HELP, limitsFromOptions } from "../limits.js";
import { formatDiagnosticsJson } from "../diagnostic-json.js";
import { countDiagnostics, renderDiagnostics } from "../diagnostic-text.js";
import { UsageError } from "../errors.js";
import { readTextFile } from "../files.js";
import { PNG_FILE } from "../import/png-file.js";
import { DEFAULT_LIMITS, maxGuideBytes } from "../../compiler/host.js";

export const checkCommand: Command = {
  name: "check",
  synopsis: "FILE... [--json] [--max-side N] [--max-megapixels N]",
  summary: "check scene files for errors and warnings, without rendering",
  help: `Compiles each scene file (and the files it imports) and reports every error and warning.
Diagnostics go to stderr with a code frame, then a summary line such as \`2 errors, 1 warning\`.
With nothing to report, check prints nothing at all: a clean check is silent.

options:
  --json               print one JSON document with every diagnostic on stdout, and nothing
                       else; every file checked is listed, with or without diagnostics
${LIMIT_OPTIONS_HELP}
  -h, --help           show this help

exit status: 0 no errors (warnings allowed), 1 errors found, 2 bad arguments or a file that
cannot be read`,
  options: {
    json: { type: "boolean" },
    ...LIMIT_OPTIONS,
  },
  async run({ values, positionals }, terminal) {
    if (positionals.length === 0) throw new UsageError("check needs at least one FILE", "check");
    const limits = limitsFromOptions(values, "check");
    const { DiagnosticCollector, compileText } = await import("../compile-file.js");
    const { GuideDecoder } = await import("../guide-check.js");
    // Read every file before compiling any, so that a typo in a path fails fast and alone. A PNG
    // is read whole (up to the largest guide image), for the compiler to say what to use instead.
    const texts = positionals.map((path) => ({ path, text: readTextFile(path, PNG_FILE.test(path) ? maxGuideBytes(DEFAULT_LIMITS) : undefined) }));
    const collector = new DiagnosticCollector();
    const guides = new GuideDecoder();
    for (const { path, text } of texts) {
      collector.add(await guides.compile((host) => compileText(path, text, limits, host, allowOutsideFromOptions(values))));
    }
    const { diagnostics, sources } = collector;
    if (values["json"] === true) {
      terminal.stdout.write(formatDiagnosticsJson(positionals, diagnostics));
    } else {
      terminal.stderr.write(renderDiagnostics(diagnostics, sources, terminal));
    }
    return countDiagnostics(diagnostics).errors > 0 ? 1 : 0;
  },
};
