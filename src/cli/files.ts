import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CliError, describeFsError } from "./errors.js";

/** A scene file's text (UTF-8, a leading byte-order mark dropped), or CliError `cannot read FILE: reason`. */
export function readTextFile(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${describeFsError(error)}`);
  }
  return new TextDecoder("utf-8").decode(bytes);
}

/**
 * Writes a file so that readers see the old content or the new, never a part: the data goes to a
 * temporary file in the same folder (so the rename stays on one file system), is flushed, and is
 * renamed over the target. Failures become CliError `cannot write FILE: reason`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, "wx", 0o666);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the first error is the one to report
      }
    }
    try {
      unlinkSync(temp);
    } catch {
      // the temporary file was never made, or is already gone
    }
    throw new CliError(`cannot write ${path}: ${describeFsError(error)}`);
  }
}
