import { statSync } from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { CursorFollower, REGION_AT_CURSOR, type CursorPosition, type RegionAtCursorAnswer } from "./cursor-follower.js";
import { startLanguageClient } from "./language-client.js";
import { ScenePreview } from "./preview-panel.js";
import { resolveScenec, type ScenecProgram } from "./resolve-server.js";

let client: LanguageClient | undefined;
let fileEvents: vscode.FileSystemWatcher;
const previews = new Map<string, ScenePreview>();
/** Scenes whose preview is starting: a second Preview meanwhile must not start a second watch. */
const starting = new Set<string>();
/** The previews outline what the cursor is in; the server is asked only for scenes with a preview open. */
const follower = new CursorFollower({
  delayMs: 100,
  ask: async (uri, position) => (client ? client.sendRequest<RegionAtCursorAnswer>(REGION_AT_CURSOR, { textDocument: { uri }, position }) : null),
  show: (scene, target) => previews.get(scene)?.highlight(target),
});

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("scenec");
  // Saved imports and scenec.yaml change the diagnostics of the scenes that use them; one watcher serves every restart.
  fileEvents = vscode.workspace.createFileSystemWatcher("**/{*.scene,scenec.yaml}");
  context.subscriptions.push(
    output,
    fileEvents,
    vscode.commands.registerCommand("scenec.restartServer", () => restartServer(context, output)),
    vscode.commands.registerCommand("scenec.preview", () => openPreview(context, output)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("scenec.path")) void restartServer(context, output);
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void restartServer(context, output)),
    vscode.window.onDidChangeTextEditorSelection(({ textEditor }) => followCursor(textEditor)),
    { dispose: () => follower.dispose() },
  );
  await restartServer(context, output);
}

export async function deactivate(): Promise<void> {
  for (const preview of previews.values()) preview.close();
  await stopServer();
}

/** The scenec to run now: the setting and the workspace may have changed since the last time. */
function currentScenec(context: vscode.ExtensionContext): ScenecProgram {
  return resolveScenec({
    setting: vscode.workspace.getConfiguration("scenec").get<string>("path"),
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath),
    extensionPath: context.extensionPath,
    platform: process.platform,
    nodePath: process.execPath,
    nodeVersion: process.versions.node,
    isFile: (file) => statSync(file, { throwIfNoEntry: false })?.isFile() === true,
  });
}

async function stopServer(): Promise<void> {
  const running = client;
  client = undefined;
  await running?.dispose().catch(() => undefined);
}

/** Restarts run one after another: a settings change during a restart must not start two servers. */
let restarts: Promise<void> = Promise.resolve();

/** Stops the language server if it runs, then starts the scenec that is current. */
function restartServer(context: vscode.ExtensionContext, output: vscode.OutputChannel): Promise<void> {
  restarts = restarts.then(() => startServer(context, output));
  return restarts;
}

async function startServer(context: vscode.ExtensionContext, output: vscode.OutputChannel): Promise<void> {
  await stopServer();
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  try {
    client = await startLanguageClient(currentScenec(context), cwd, output, fileEvents);
  } catch (error) {
    output.appendLine((error as Error).message);
    void vscode.window.showErrorMessage((error as Error).message, "Open Settings").then((choice) => {
      if (choice) void vscode.commands.executeCommand("workbench.action.openSettings", "scenec.path");
    });
  }
}

/** Tells the follower where the cursor of `editor` is, when its scene has a preview open. */
function followCursor(editor: vscode.TextEditor): void {
  const { document, selection } = editor;
  if (document.uri.scheme !== "file" || !previews.has(document.uri.fsPath)) return;
  const position: CursorPosition = { line: selection.active.line, character: selection.active.character };
  follower.moved(document.uri.fsPath, document.uri.toString(), position);
}

/** "scenec: Preview": the active scene's live preview, opened beside it (or shown again if it is open). */
async function openPreview(context: vscode.ExtensionContext, output: vscode.OutputChannel): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (document?.languageId !== "scene") {
    void vscode.window.showErrorMessage("scenec: Preview needs a .scene file in the active editor.");
    return;
  }
  if (document.uri.scheme !== "file") {
    void vscode.window.showErrorMessage("scenec: Preview renders the scene from disk: save it to a .scene file first.");
    return;
  }
  const scene = document.uri.fsPath;
  const open = previews.get(scene);
  if (open) return open.reveal();
  if (starting.has(scene)) return;
  // From the scene's workspace folder, as `scenec watch` would be run in a terminal there.
  const cwd = vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath ?? path.dirname(scene);
  const program = currentScenec(context);
  if (program.source === "bundled") {
    void vscode.window.showInformationMessage(
      "The scenec bundled with the extension cannot render (it has no ONNX Runtime): the preview shows the scene's diagnostics. Install scenec in the workspace (`npm install --save-dev scenec`) to see it rendered.",
    );
  }
  let cancelled = false;
  starting.add(scene);
  try {
    const preview = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Starting the preview of ${path.basename(scene)}…`, cancellable: true },
      (_progress, cancel) => {
        cancel.onCancellationRequested(() => (cancelled = true));
        return ScenePreview.open(scene, program, cwd, output, cancel, () => {
          previews.delete(scene);
          follower.forget(scene);
        });
      },
    );
    previews.set(scene, preview);
    // The cursor's block is outlined from the start, not only after it first moves.
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === scene);
    if (editor) followCursor(editor);
  } catch (error) {
    output.appendLine((error as Error).message);
    // A preview the user cancelled stops watch, as asked: no error to show.
    if (!cancelled) void vscode.window.showErrorMessage((error as Error).message);
  } finally {
    starting.delete(scene);
  }
}
