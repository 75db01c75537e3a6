import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Where a model's files come from: a folder on disk, or (for the built-in model) files generated
 * in memory. Both go through the same loader.
 */
export interface ModelSource {
  /** For messages: the folder's path, or "the built-in model". */
  readonly description: string;
  /** A file's bytes, or undefined when it does not exist. */
  read(relative: string): Uint8Array | undefined;
  exists(relative: string): boolean;
  /** The file's path on disk (so ONNX Runtime can map big weights itself), when there is one. */
  pathOf(relative: string): string | undefined;
}

export function folderSource(folder: string): ModelSource {
  return {
    description: folder,
    read: (relative) => {
      const file = path.join(folder, relative);
      return existsSync(file) && statSync(file).isFile() ? readWhole(file) : undefined;
    },
    exists: (relative) => existsSync(path.join(folder, relative)),
    pathOf: (relative) => path.join(folder, relative),
  };
}

/** readFileSync refuses files over 2 GiB (a float32 SD 1.5 UNet's weights.pb is 3.4 GB): those are read in parts. */
function readWhole(file: string): Uint8Array {
  const size = statSync(file).size;
  if (size < 2 ** 31) return readFileSync(file);
  const bytes = Buffer.allocUnsafe(size);
  const fd = openSync(file, "r");
  try {
    for (let at = 0; at < size; ) {
      const read = readSync(fd, bytes, at, Math.min(2 ** 30, size - at), at);
      if (read === 0) throw new Error(`${file}: ended after ${at} of ${size} bytes`);
      at += read;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

export function memorySource(description: string, files: ReadonlyMap<string, Uint8Array>): ModelSource {
  return {
    description,
    read: (relative) => files.get(relative),
    exists: (relative) => files.has(relative),
    pathOf: () => undefined,
  };
}
