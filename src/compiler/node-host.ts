import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from "node:fs";
import { formatBytes, type CompilerHost, type ReadResult } from "./host.js";

/** What a file that is not a regular file is, for messages. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * The bytes of a regular file of at most `maxBytes`. Anything else is refused before a byte is
 * read: the file is opened without blocking (a FIFO with no writer would block `open` forever) and
 * checked with fstat on the open descriptor (no race with a rename between a stat and the open),
 * so a device such as /dev/zero, a FIFO or a folder is never read, and a huge file is never loaded.
 */
export function readRegularFile(path: string, maxBytes = Number.POSITIVE_INFINITY): ReadResult {
  let fd: number;
  try {
    // O_NONBLOCK is undefined on Windows, which has no FIFOs to block on.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, reason: "missing", message: (error as Error).message };
    if (code === "EISDIR") return { ok: false, reason: "not-a-file", message: "is a directory" };
    if (code === "ENXIO") return { ok: false, reason: "not-a-file", message: "is a socket" };
    return { ok: false, reason: "unreadable", message: (error as Error).message };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, reason: "not-a-file", message: `is ${kindOf(stats)}` };
    if (stats.size > maxBytes) return { ok: false, reason: "too-large", message: `is ${formatBytes(stats.size)}, over the limit of ${formatBytes(maxBytes)}` };
    // One byte more than the limit allows: a file that grew since the fstat is caught too.
    const capacity = Math.min(stats.size, maxBytes) + 1;
    const buffer = Buffer.allocUnsafe(capacity);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, capacity - length, null);
      if (n === 0) break;
      length += n;
      if (length === capacity) {
        if (length > maxBytes) return { ok: false, reason: "too-large", message: `is over the limit of ${formatBytes(maxBytes)}` };
        // More bytes than fstat said: a file being written (or a /proc file, which says 0).
        return { ok: false, reason: "unreadable", message: "changed while it was read" };
      }
    }
    return { ok: true, bytes: buffer.subarray(0, length) };
  } catch (error) {
    return { ok: false, reason: "unreadable", message: (error as Error).message };
  } finally {
    closeSync(fd);
  }
}

/** The compiler's window on the real file system, for the CLI and watch mode. */
export const nodeHost: CompilerHost = {
  readFile: readRegularFile,
  realPath(path: string): string {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  },
};
