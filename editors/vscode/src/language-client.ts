import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import { commandLine, describeScenec, LSP_NODE_FLAG, type ScenecProgram } from "./resolve-server.js";

/**
 * Starts `scenec lsp --stdio` for the scene files of the workspace. The client's id is `scenec`,
 * so vscode-languageclient reads the `scenec.trace.server` setting by itself.
 */
export async function startLanguageClient(
  program: ScenecProgram,
  cwd: string | undefined,
  output: vscode.OutputChannel,
  fileEvents: vscode.FileSystemWatcher,
): Promise<LanguageClient> {
  // Run through Node, the server gets the young generation it wants at once, instead of running
  // itself again in a child Node with it (scenec's `lsp` command, SEMI_SPACE_FLAG).
  const line = commandLine(program, ["lsp", "--stdio"], [LSP_NODE_FLAG]);
  const server: ServerOptions = {
    command: line.command,
    args: line.args,
    options: { env: { ...process.env, ...line.env }, shell: line.shell, ...(cwd !== undefined ? { cwd } : {}) },
  };
  const options: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "scene" },
      { scheme: "untitled", language: "scene" },
    ],
    synchronize: { fileEvents },
    outputChannel: output,
  };
  const client = new LanguageClient("scenec", "scenec", server, options);
  try {
    await client.start();
  } catch (error) {
    await client.dispose().catch(() => undefined);
    throw new Error(
      `cannot start ${describeScenec(program)} as a language server: ${(error as Error).message}. ` +
        "Install scenec in the workspace (`npm install --save-dev scenec`) or set `scenec.path`.",
    );
  }
  return client;
}
