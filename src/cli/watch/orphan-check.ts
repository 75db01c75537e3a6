import { fstatSync } from "node:fs";

/** How often the parent process is looked at: a stopped watcher should not outlive its parent by long. */
const PARENT_POLL_MS = 1000;

/** What ended the process that started the watch. */
export type Orphaned = "parent" | "stdin";

/** Whether stdin is a pipe or a socket (a task runner's, a process manager's), not a terminal or a file. */
function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * Calls `onOrphaned` once when the watch has lost the process that started it, so that it does
 * not keep watching and holding its port for hours after `npx scenec watch` or a task runner is
 * stopped: when the parent process changes (the watch was re-parented: its parent is gone), or,
 * when stdin is a pipe, when the pipe is closed (its writer, the parent, is gone). Returns the
 * function that stops checking.
 */
export function watchForOrphaning(onOrphaned: (why: Orphaned) => void): () => void {
  const parent = process.ppid;
  let done = false;
  const fire = (why: Orphaned) => {
    if (done) return;
    stop();
    onOrphaned(why);
  };
  const timer = setInterval(() => {
    if (process.ppid !== parent) fire("parent");
  }, PARENT_POLL_MS);
  timer.unref();
  const onEnd = () => fire("stdin");
  const pipe = stdinIsPipe();
  if (pipe) {
    // Nothing reads stdin otherwise: what arrives is dropped; only its end matters.
    process.stdin.on("data", ignore).on("end", onEnd).on("error", onEnd);
  }
  const stop = () => {
    done = true;
    clearInterval(timer);
    if (pipe) {
      process.stdin.off("data", ignore).off("end", onEnd).off("error", onEnd);
      process.stdin.pause();
    }
  };
  return stop;
}

function ignore(): void {}
