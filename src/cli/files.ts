import { statSync } from "node:fs";
import path from "node:path";
import { DEFAULT_LIMITS } from "../compiler/host.js";
import { readRegularFile } from "../compiler/node-host.js";
import { writeFileAtomic as writeFileAtomicOrThrow } from "../runtime/image/atomic-write.js";
import { CliError, describeFsError } from "./errors.js";

/**
 * A scene, plan or config file's text (UTF-8, a leading byte-order mark dropped), or why it cannot
 * be read (`no such file or directory`, `is a FIFO (named pipe)`, …). Only a regular file of at
 * most `maxBytes` is read: never a device or a FIFO (`scenec check /dev/zero` must not read forever).
 */
export function readText(file: string, maxBytes = DEFAULT_LIMITS.maxSourceBytes): { ok: true; text: string } | { ok: false; reason: string } {
  const read = readRegularFile(file, maxBytes);
  if (!read.ok) return { ok: false, reason: read.reason === "missing" ? "no such file or directory" : read.message };
  return { ok: true, text: new TextDecoder("utf-8").decode(read.bytes) };
}

/** {@link readText}, or CliError `cannot read FILE: reason`. */
export function readTextFile(file: string, maxBytes = DEFAULT_LIMITS.maxSourceBytes): string {
  const read = readText(file, maxBytes);
  if (!read.ok) throw new CliError(`cannot read ${file}: ${read.reason}`);
  return read.text;
}

/**
 * Makes sure the folder of an output file can be there: an existing folder, or one that can be
 * created (the nearest existing folder above it is a folder). Checked before minutes of rendering;
 * the folder itself is made when the picture is written (runtime/image/image-write.ts).
 */
export function checkOutputFolder(file: string): void {
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    let stats;
    try {
      stats = statSync(dir);
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return;
      dir = parent;
      continue;
    }
    if (!stats.isDirectory()) throw new CliError(`cannot write ${file}: ${path.relative(process.cwd(), dir) || dir} is not a folder`);
    return;
  }
}

/**
 * Writes a file so that readers see the old content or the new, never a part (see
 * runtime/image/atomic-write.ts). Failures become CliError `cannot write FILE: reason`.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  try {
    writeFileAtomicOrThrow(file, data);
  } catch (error) {
    throw new CliError(`cannot write ${file}: ${describeFsError(error)}`);
  }
}
