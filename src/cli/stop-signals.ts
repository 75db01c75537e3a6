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
 * Listens for the stop signals until the returned function is called. The first one calls
 * `onStop`, which stops the work cleanly (the render is cancelled at its next step, the worker
 * ends by itself: render-client.ts). A second one removes the temporary files and ends the
 * process at once by that signal's default action, so the shell sees 128 + N: not with
 * `process.exit`, whose teardown stops the render worker and aborts the process when the worker
 * is inside an ONNX Runtime call.
 */
export function onStopSignals(onStop: (signal: StopSignal) => void): () => void {
  let stopping = false;
  const stopListening = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
  const handler = (signal: StopSignal) => {
    if (!stopping) {
      stopping = true;
      onStop(signal);
      return;
    }
    removePendingTempFiles();
    stopListening();
    process.kill(process.pid, signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return stopListening;
}
