import { existsSync, readFileSync, statSync } from "node:fs";
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
      return existsSync(file) && statSync(file).isFile() ? readFileSync(file) : undefined;
    },
    exists: (relative) => existsSync(path.join(folder, relative)),
    pathOf: (relative) => path.join(folder, relative),
  };
}

export function memorySource(description: string, files: ReadonlyMap<string, Uint8Array>): ModelSource {
  return {
    description,
    read: (relative) => files.get(relative),
    exists: (relative) => files.has(relative),
    pathOf: () => undefined,
  };
}
