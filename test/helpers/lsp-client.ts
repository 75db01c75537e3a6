/**
 * A language client for tests: `node bin/scenec.js lsp --stdio` spoken to over JSON-RPC with
 * vscode-jsonrpc, as an editor speaks to it. Published diagnostics are kept per URI, and a test
 * waits for the ones it expects.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { BIN, cliEnv } from "./scenec-cli.js";

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: { code?: string; message: string; severity?: number; range: { start: { line: number; character: number }; end: { line: number; character: number } }; relatedInformation?: { location: { uri: string } }[]; data?: unknown }[];
}

export class LspClient {
  readonly connection: MessageConnection;
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  private readonly published = new Map<string, PublishedDiagnostics>();
  private waiters: (() => void)[] = [];

  /** Started as VS Code's client starts a server: `--stdio --clientProcessId=PID`. */
  constructor(cwd: string, args: readonly string[] = ["lsp", "--stdio", `--clientProcessId=${process.pid}`]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv() });
    this.exited = new Promise((resolve) => this.child.on("close", resolve));
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout), new StreamMessageWriter(this.child.stdin));
    this.connection.onNotification("textDocument/publishDiagnostics", (params: PublishedDiagnostics) => {
      this.published.set(params.uri, params);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.connection.listen();
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest(method, params) as Promise<T>;
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.connection.sendNotification(method, params);
  }

  /** The first diagnostics published for `uri` (from now on, or already) that satisfy `accept`. */
  async diagnostics(uri: string, accept: (p: PublishedDiagnostics) => boolean = () => true, timeoutMs = 10_000): Promise<PublishedDiagnostics> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = this.published.get(uri);
      if (current && accept(current)) return current;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching diagnostics for ${uri}; last: ${JSON.stringify(current)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }
}
