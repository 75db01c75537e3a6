import type { Command } from "../command.js";
import { renderDiagnostics } from "../diagnostic-text.js";
import { UsageError } from "../errors.js";
import { readTextFile, writeFileAtomic } from "../files.js";

export const fmtCommand: Command = {
  name: "fmt",
  synopsis: "FILE... [--check | --write]",
  summary: "lay scene files out in the one canonical style (--check for CI, --write to rewrite)",
  help: `Formats scene files in scenec's one layout, as gofmt does for Go: each statement and option
on its own line, blocks and lists indented by two spaces, \`W x H\` sizes and \`X, Y\` points, one
blank line kept where you left blank lines, every comment kept where it was. A block or list written
on one line stays on one line; consecutive \`style\` lines and trailing comments are aligned. Only
the layout changes: the formatted scene compiles to the same plan. There are no style options.

With one FILE and no flag, the formatted text goes to stdout.

options:
  --check      print the files whose layout would change, change nothing; exit 1 if any would
  --write      rewrite the files whose layout changes (atomically), and name them on stderr
  -h, --help   show this help

A file with syntax errors is reported (as \`scenec check\` does) and left alone.

exit status: 0 formatted (or, with --check, already formatted), 1 a file has syntax errors or
(--check) would change, 2 bad arguments or a file that cannot be read or written`,
  options: {
    check: { type: "boolean" },
    write: { type: "boolean" },
  },
  async run({ values, positionals }, terminal) {
    const check = values["check"] === true;
    const write = values["write"] === true;
    if (positionals.length === 0) throw new UsageError("fmt needs at least one FILE", "fmt");
    if (check && write) throw new UsageError("--check and --write exclude each other: --check changes nothing", "fmt");
    if (!check && !write && positionals.length > 1) throw new UsageError(`fmt prints one FILE to stdout, not ${positionals.length}; rewrite them with --write or list the unformatted ones with --check`, "fmt");
    const { formatScene } = await import("../../compiler/format/format-scene.js");
    // Read every file before formatting any, so that a typo in a path fails fast and alone.
    const files = positionals.map((path) => ({ path, text: readTextFile(path) }));
    let status = 0;
    for (const { path, text } of files) {
      const result = formatScene(text, path);
      if (!result.ok) {
        terminal.stderr.write(renderDiagnostics(result.diagnostics, new Map([[path, result.source]]), terminal));
        status = 1;
        continue;
      }
      if (!check && !write) terminal.stdout.write(result.text);
      else if (result.text !== text) {
        if (check) {
          terminal.stdout.write(`${path}\n`);
          status = 1;
        } else {
          writeFileAtomic(path, result.text);
          terminal.stderr.write(`formatted ${path}\n`);
        }
      }
    }
    return status;
  },
};
