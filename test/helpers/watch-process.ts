/**
 * Test helpers for `scenec watch`: a `node bin/scenec.js watch …` child process whose stderr is
 * collected, and polling (never fixed sleeps) for lines and files. Tests assume dist/ is fresh
 * (`npm test` builds first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readPngText } from "../../src/runtime/image/png-text.js";
import { BIN, cliEnv, ROOT } from "./scenec-cli.js";

export { ROOT, BIN };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 25 ms until it returns something truthy; throws with `what` (and `context()`) after `timeoutMs`. */
export async function waitUntil<T>(check: () => T | undefined | false, what: string, timeoutMs = 30_000, context?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${context ? `\n--- context:\n${context()}` : ""}`);
    await sleep(25);
  }
}

/** The scene text a PNG written by scenec records, or undefined when the file is missing or not (yet) a whole PNG. */
export function pngScene(file: string): string | undefined {
  try {
    return readPngText(readFileSync(file))["scenec:scene"];
  } catch {
    return undefined;
  }
}

export function readIfExists(file: string): Buffer | undefined {
  return existsSync(file) ? readFileSync(file) : undefined;
}

/** An editor's atomic save: the new text goes to a temporary file beside the target, renamed over it. */
export function atomicSave(file: string, text: string | Uint8Array): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.swp`);
  writeFileSync(temp, text);
  renameSync(temp, file);
}

export class WatchProcess {
  stderr = "";
  stdout = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  /** `stdin: "pipe"`: stdin is a pipe from this process (as a task runner's), which {@link closeStdin} closes. */
  constructor(args: string[], cwd: string, options: { stdin?: "ignore" | "pipe" } = {}) {
    this.child = spawn(process.execPath, [BIN, "watch", ...args], {
      cwd,
      env: cliEnv({ FORCE_COLOR: "0" }),
      stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (this.stdout += chunk));
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** How many stderr lines start with `[watch] TEXT`. */
  count(text: string): number {
    return this.stderr.split("\n").filter((line) => line.startsWith(`[watch] ${text}`)).length;
  }

  /** Waits until `count(text)` reaches `n`. */
  waitForCount(text: string, n: number, timeoutMs = 30_000): Promise<number> {
    return waitUntil(() => (this.count(text) >= n ? this.count(text) : undefined), `${n} × "[watch] ${text}"`, timeoutMs, () => this.stderr);
  }

  /** Waits for a stderr match; returns it. */
  waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return waitUntil(() => this.stderr.match(pattern) ?? undefined, String(pattern), timeoutMs, () => this.stderr);
  }

  /** A position in stderr, for {@link waitForInOrder}. */
  mark(): number {
    return this.stderr.length;
  }

  /** Waits until stderr, after `mark`, has lines matching each pattern in this order. */
  waitForInOrder(mark: number, patterns: RegExp[], timeoutMs = 30_000): Promise<true> {
    const inOrder = () => {
      let rest = this.stderr.slice(mark);
      for (const pattern of patterns) {
        const match = pattern.exec(rest);
        if (!match) return false;
        rest = rest.slice(match.index + match[0].length);
      }
      return true;
    };
    return waitUntil(() => inOrder() || undefined, `lines matching ${patterns.join(" then ")}`, timeoutMs, () => this.stderr.slice(mark));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends SIGINT and waits for the exit; SIGKILL after `timeoutMs`. Returns the exit and how long it took. */
  async interrupt(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = Date.now();
    if (!this.running) return { ...(await this.exited), ms: 0 };
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { ...exit, ms: Date.now() - started };
  }
}
