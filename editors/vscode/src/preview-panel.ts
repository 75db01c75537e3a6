import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import * as vscode from "vscode";
import type { HighlightTarget } from "./cursor-follower.js";
import { HIGHLIGHT_MESSAGE, previewPageHtml } from "./preview-page.js";
import { PreviewUrlReader } from "./preview-url.js";
import { commandLine, describeScenec, type ScenecProgram } from "./resolve-server.js";

/** How long watch may take to stop after its stdin closes (it finishes writing a PNG) before it is killed. */
const STOP_GRACE_MS = 5000;

/**
 * One scene's live preview: `scenec watch SCENE --serve 0` (a free port) in the background and its
 * page in a webview beside the editor. Closing the panel stops watch; watch stopping closes the panel.
 */
export class ScenePreview {
  private constructor(
    readonly scene: string,
    private readonly panel: vscode.WebviewPanel,
    private readonly watch: ChildProcess,
  ) {}

  /** Starts watch for `scene`; resolves once its page is shown, rejects with watch's words when it stops before (or is cancelled). */
  static async open(
    scene: string,
    program: ScenecProgram,
    cwd: string,
    output: vscode.OutputChannel,
    cancel: vscode.CancellationToken,
    onClosed: () => void,
  ): Promise<ScenePreview> {
    const line = commandLine(program, ["watch", scene, "--serve", "0"]);
    output.appendLine(`$ ${[line.command, ...line.args].join(" ")}`);
    const watch = spawn(line.command, line.args, {
      cwd,
      env: { ...process.env, ...line.env, NO_COLOR: "1" },
      shell: line.shell,
      // stdin stays an open pipe: watch stops by itself when it closes, on every platform.
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    });
    const reader = new PreviewUrlReader();
    const url = await new Promise<string>((resolve, reject) => {
      watch.stdout!.on("data", (data: Buffer) => output.append(data.toString()));
      watch.stderr!.on("data", (data: Buffer) => {
        const text = data.toString();
        output.append(text);
        const found = reader.push(text);
        if (found !== undefined) resolve(found);
      });
      watch.on("error", (error) => reject(new Error(`cannot run ${describeScenec(program)}: ${error.message}. Install scenec in the workspace (\`npm install --save-dev scenec\`) or set \`scenec.path\`.`)));
      watch.on("exit", (code) => reject(new Error(`scenec watch stopped (exit status ${code}) before its preview page was up: ${reader.output || "it printed nothing"}`)));
      cancel.onCancellationRequested(() => watch.stdin!.end());
    });
    // In a remote window the page is on the remote machine: VS Code forwards the port.
    const external = (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true);
    if (watch.exitCode !== null) throw new Error(`scenec watch stopped (exit status ${watch.exitCode}): ${reader.output}`);
    const title = `Preview ${path.basename(scene)}`;
    const panel = vscode.window.createWebviewPanel("scenec.preview", title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      // The framed page runs the preview's own script (live updates); a webview without scripts sandboxes its frames too.
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [],
    });
    panel.webview.html = previewPageHtml(external, title, randomBytes(16).toString("base64"));
    const preview = new ScenePreview(scene, panel, watch);
    panel.onDidDispose(() => {
      preview.stopWatch();
      onClosed();
    });
    watch.on("exit", (code, signal) => {
      if (signal === null && code !== 0) void vscode.window.showWarningMessage(`scenec watch for ${path.basename(scene)} stopped (exit status ${code}); see the "scenec" output.`);
      panel.dispose();
    });
    return preview;
  }

  reveal(): void {
    this.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  /** Outlines `target` on the picture (null: nothing), as the cursor in the scene moves. */
  highlight(target: HighlightTarget | null): void {
    void this.panel.webview.postMessage({ type: HIGHLIGHT_MESSAGE, target });
  }

  close(): void {
    this.panel.dispose();
  }

  /** Closing stdin stops watch cleanly on every platform (a signal would reach only the shell on Windows); a kill follows if it lingers. */
  private stopWatch(): void {
    if (this.watch.exitCode !== null || this.watch.signalCode !== null) return;
    this.watch.stdin?.end();
    const kill = setTimeout(() => this.watch.kill(), STOP_GRACE_MS);
    this.watch.once("exit", () => clearTimeout(kill));
  }
}
