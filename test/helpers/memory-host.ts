import type { CompilerHost } from "../../src/compiler/host.js";

/** A compiler host over an in-memory folder: `files` maps paths to text or bytes. */
export function memoryHost(files: Record<string, string | Uint8Array> = {}): CompilerHost {
  return {
    readFile(path) {
      const content = files[path];
      if (content === undefined) return { ok: false, reason: "missing", message: "no such file" };
      return { ok: true, bytes: typeof content === "string" ? new TextEncoder().encode(content) : content };
    },
  };
}
