import { readFileSync } from "node:fs";
import type { CompilerHost, ReadResult } from "./host.js";

/** The compiler's window on the real file system, for the CLI and watch mode. */
export const nodeHost: CompilerHost = {
  readFile(path: string): ReadResult {
    try {
      return { ok: true, bytes: readFileSync(path) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const missing = code === "ENOENT" || code === "ENOTDIR";
      return { ok: false, reason: missing ? "missing" : "unreadable", message: code === "EISDIR" ? "it is a folder" : (error as Error).message };
    }
  },
};
