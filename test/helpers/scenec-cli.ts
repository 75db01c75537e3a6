/**
 * The `scenec` command line as a user runs it: `node bin/scenec.js …`, the built package (dist/,
 * which `npm test` builds first), with NO_COLOR=1, without FORCE_COLOR or SCENEC_DEBUG, and with no
 * Vulkan driver for `--device auto` to find unless a test gives one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(ROOT, "bin", "scenec.js");

/** How a finished run of scenec went. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The folder scenec runs in. */
  cwd: string;
  /** Set on top of the plain environment (NO_COLOR=1, no FORCE_COLOR, no SCENEC_DEBUG). */
  env?: NodeJS.ProcessEnv;
}

/** A running scenec: its output so far, and its exit status once it has closed. */
export interface CliProcess {
  child: ChildProcess;
  /** The exit status; rejects when the process cannot be started. */
  done: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** The environment scenec runs in here (see the top of this file), with `extra` on top. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env["FORCE_COLOR"];
  delete env["SCENEC_DEBUG"];
  // `--device auto` finds no Vulkan driver, so renders are the CPU's (and byte-comparable with the
  // in-process ones) on any Linux machine; a test of the GPU path sets its own driver.
  delete env["VK_DRIVER_FILES"];
  env["VK_ICD_FILENAMES"] = "/nonexistent/scenec-tests-use-the-cpu.json";
  return Object.assign(env, extra);
}

/** Starts `scenec ARGS…`; stdin is closed, stdout and stderr are collected as text. */
export function startScenec(args: readonly string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status) => resolve(status));
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

/** Runs `scenec ARGS…` to the end. */
export async function runScenec(args: readonly string[], options: CliOptions): Promise<CliRun> {
  const run = startScenec(args, options);
  const status = await run.done;
  return { status, stdout: run.stdout(), stderr: run.stderr() };
}
