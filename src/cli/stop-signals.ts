import { constants } from "node:os";
import { removePendingTempFiles } from "../runtime/image/atomic-write.js";

/** The signals that ask `render` and `watch` to stop: Ctrl-C, a process manager's stop, a closed terminal. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The conventional exit status after `signal`: 128 + its number (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function signalExitStatus(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Ends the process now by `signal`'s default action, as if it had never been caught (the shell
 * sees 128 + N), skipping Node's teardown. For a second signal: `process.exit` would stop the
 * render worker, which aborts the process when the worker is inside an ONNX Runtime call. And at
 * the end of a SIGHUP stop: the terminal is gone, and Node's normal exit aborts trying to restore
 * its settings (`node::ResetStdio`, EIO).
 */
export function endBySignal(signal: StopSignal): void {
  removePendingTempFiles();
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/**
 * Listens for the stop signals until the returned function is called. The first one calls
 * `onStop`, which stops the work cleanly (the render is cancelled at its next step, the worker
 * ends by itself: render-client.ts); a second one ends the process at once ({@link endBySignal}).
 */
export function onStopSignals(onStop: (signal: StopSignal) => void): () => void {
  let stopping = false;
  const handler = (signal: StopSignal) => {
    if (stopping) return endBySignal(signal);
    stopping = true;
    onStop(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}
