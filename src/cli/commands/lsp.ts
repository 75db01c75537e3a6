import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { rerunWithNodeFlag } from "../node-flag-rerun.js";

/**
 * Room in V8's young generation (each of its two halves) for a whole compile's garbage, so that
 * no scavenge in the middle of a compile copies the trees still in use: compiling 1,000 regions
 * makes about 25 MB of it, over Node's default 16 MB, and took up to twice as long.
 */
export const SEMI_SPACE_FLAG = "--max-semi-space-size=64";

export const lspCommand: Command = {
  name: "lsp",
  synopsis: "[--stdio] [--clientProcessId=PID]",
  summary: "run the scene language server for editors (over stdin and stdout)",
  help: `Runs a Language Server Protocol server on stdin and stdout, for editors: diagnostics as you
type (imported files' errors on their import line; unsaved buffers win over the disk), hovers,
completion, go to definition, references and rename of styles, document outline, folding,
formatting (\`scenec fmt\`), quick fixes, semantic tokens, and \`scenec/regionAtCursor\` (what the
VS Code extension's preview outlines). It runs until the editor asks it to exit.

options:
  --stdio      talk over stdin and stdout (the default; VS Code's client passes it). No other
               transport (--node-ipc, --socket, --pipe) is offered
  --clientProcessId=PID
               the editor's process (VS Code's client passes it): the server exits when
               that process is gone
  -h, --help   show this help`,
  options: {
    stdio: { type: "boolean" },
    // Read from process.argv by vscode-languageserver itself, which watches that process.
    clientProcessId: { type: "string" },
  },
  async run({ positionals }) {
    if (positionals.length > 0) throw new UsageError("lsp takes no FILE: the editor opens the files", "lsp");
    const rerun = rerunWithNodeFlag(SEMI_SPACE_FLAG);
    if (rerun) return rerun;
    const { createConnection, ProposedFeatures } = await import("vscode-languageserver/node");
    const { startServer } = await import("../../lsp/server.js");
    const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
    startServer(connection);
    // The connection ends the process on the client's `exit` notification (status 0 after `shutdown`).
    return new Promise<number>(() => undefined);
  },
};
