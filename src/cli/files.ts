import { readFileSync } from "node:fs";
import { writeFileAtomic as writeFileAtomicOrThrow } from "../runtime/image/atomic-write.js";
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
 * Writes a file so that readers see the old content or the new, never a part (see
 * runtime/image/atomic-write.ts). Failures become CliError `cannot write FILE: reason`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomicOrThrow(path, data);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${describeFsError(error)}`);
  }
}
