import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Atomic file replacement: the data goes to a temporary file in the target's folder (so the
 * rename stays on one file system), named `.NAME.PID.RANDOM.tmp`, is flushed to disk, and is
 * renamed over the target. Readers see the old content or the new, never a part; nothing appears
 * at the target path before the rename; the temporary file is removed on any failure, and the
 * original error (a Node `ErrnoException`, or an `AbortError`) is rethrown.
 *
 * Every temporary file is registered while it exists, so that a caller that is interrupted
 * (Ctrl-C during `scenec render`) can remove them before exiting: {@link removePendingTempFiles}
 * is synchronous and safe to call from a signal handler. What a killed process (SIGKILL, a power
 * cut) leaves behind is removed by {@link removeStaleTempFiles} when the next write of the same
 * target is about to start; meanwhile its name (hidden, ending in `.tmp`) keeps it from being
 * taken for the target.
 *
 * Why not the `write-file-atomic` package: its writes cannot be aborted or cancelled (here the
 * stop handler cancels the writes in flight and they reject with an AbortError, target untouched);
 * it removes temporary files only through `signal-exit`'s hooks, not from a handler of ours that
 * can say what it removed; and its temporary names (`NAME.HASH`) tell neither that they are
 * temporary nor which process made them, so what a killed process left can never be told from a
 * live write and cleaned up. What it has that scenec does not need: copying the old file's mode
 * and owner, and queueing concurrent writes of one file.
 */

/** Each temporary file being written, and whether a caller has cancelled its write. */
const pending = new Map<string, { cancelled: boolean }>();

/** The temporary files being written right now (absolute or relative, as their targets were given). */
export function pendingTempFiles(): string[] {
  return [...pending.keys()];
}

/**
 * Cancels every atomic write in flight and removes its temporary file, synchronously; returns the
 * temporary paths. Meant for a stop-signal handler (src/cli/stop-signals.ts). A cancelled
 * asynchronous write rejects with an AbortError (removing its temporary file again, should it
 * have been created after this call) and leaves its target untouched.
 */
export function removePendingTempFiles(): string[] {
  const removed = [...pending.keys()];
  for (const [temp, state] of pending) {
    state.cancelled = true;
    pending.delete(temp);
    try {
      unlinkSync(temp);
    } catch {
      // not created yet, or already gone
    }
  }
  return removed;
}

/** The temporary file's path for a target: `.NAME.PID.RANDOM.tmp` beside it. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/** A temporary file untouched this long is stale even if its PID now belongs to another process. */
const STALE_AFTER_MS = 10 * 60 * 1000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // someone else's process, running
  }
}

/**
 * Removes the temporary files of earlier, interrupted writes of `path` (the {@link tempPathFor}
 * pattern, nothing else): those of a process that is no longer running, and any untouched for
 * ten minutes. A write in flight in this or another running process is left alone. Returns the
 * paths removed; a folder that cannot be read removes nothing (the write itself will say why).
 */
export function removeStaleTempFiles(path: string): string[] {
  const folder = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (!match) continue;
    const temp = join(folder, name);
    const pid = Number(match[1]);
    try {
      const live = pid === process.pid ? pending.has(temp) : isRunning(pid);
      if (live && Date.now() - statSync(temp).mtimeMs < STALE_AFTER_MS) continue;
      unlinkSync(temp);
      removed.push(temp);
    } catch {
      // gone meanwhile (its write finished), or not ours to remove
    }
  }
  return removed;
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? Buffer.from(data, "utf8") : data;
}

function discard(temp: string): void {
  pending.delete(temp);
  try {
    unlinkSync(temp);
  } catch {
    // the temporary file was never made, or is already gone
  }
}

/** Writes `data` (a string is written as UTF-8) to `path` atomically; see the module comment. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temp = tempPathFor(path);
  const bytes = toBytes(data);
  let fd: number | undefined;
  pending.set(temp, { cancelled: false });
  try {
    fd = openSync(temp, "wx", 0o666);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
    pending.delete(temp);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the first error is the one to report
      }
    }
    discard(temp);
    throw error;
  }
}

export interface AtomicWriteOptions {
  /** Aborting stops the write at the next step; the temporary file is removed and the target left as it was. */
  signal?: AbortSignal;
}

/**
 * The asynchronous {@link writeFileAtomic}, for large files (rendered images): the event loop (and
 * so a Ctrl-C handler) keeps running while the data is written.
 */
export async function writeFileAtomicAsync(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { signal } = options;
  signal?.throwIfAborted();
  const temp = tempPathFor(path);
  const bytes = toBytes(data);
  let handle: FileHandle | undefined;
  const state = { cancelled: false };
  pending.set(temp, state);
  /** Throws at each step once the caller has aborted or cancelled the write. */
  const check = (): void => {
    signal?.throwIfAborted();
    if (state.cancelled) throw new DOMException(`the write of ${path} was cancelled`, "AbortError");
  };
  try {
    handle = await open(temp, "wx", 0o666);
    let written = 0;
    while (written < bytes.length) {
      check();
      const { bytesWritten } = await handle.write(bytes, written, Math.min(bytes.length - written, 1 << 24));
      written += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    check();
    await rename(temp, path);
    pending.delete(temp);
  } catch (error) {
    if (handle !== undefined) {
      try {
        await handle.close();
      } catch {
        // already failing; the first error is the one to report
      }
    }
    pending.delete(temp);
    try {
      await unlink(temp);
    } catch {
      // the temporary file was never made, or is already gone
    }
    // A write cancelled mid-step fails with whatever that step met (ENOENT at the rename): report the cancellation.
    if (state.cancelled && !(error instanceof DOMException)) {
      throw new DOMException(`the write of ${path} was cancelled`, "AbortError");
    }
    throw error;
  }
}
