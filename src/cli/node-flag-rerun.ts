import { spawn } from "node:child_process";
import { STOP_SIGNALS, signalExitStatus, type StopSignal } from "./stop-signals.js";

/**
 * Runs this process's command line again in a child Node started with `flag` (a V8 setting that
 * only takes effect at start-up), sharing stdin, stdout and stderr, and passing the stop signals
 * on. Resolves with the child's exit status; undefined, without running anything, when this
 * process already has the flag (from the command line or NODE_OPTIONS): it is the child, or the
 * user chose a value of their own.
 */
export function rerunWithNodeFlag(flag: string): Promise<number> | undefined {
  const name = flag.split("=")[0]!;
  const given = [...process.execArgv, ...(process.env["NODE_OPTIONS"] ?? "").split(/\s+/)];
  const script = process.argv[1];
  if (script === undefined || given.some((a) => a === name || a.startsWith(`${name}=`))) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, flag, script, ...process.argv.slice(2)], { stdio: "inherit" });
  const forward = (signal: StopSignal) => child.kill(signal);
  for (const signal of STOP_SIGNALS) process.on(signal, forward);
  return new Promise((resolve) => {
    child.on("error", () => resolve(1));
    child.on("exit", (code, signal) => {
      for (const s of STOP_SIGNALS) process.off(s, forward);
      resolve(code ?? (signal && (STOP_SIGNALS as readonly string[]).includes(signal) ? signalExitStatus(signal as StopSignal) : 1));
    });
  });
}
