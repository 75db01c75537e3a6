import path from "node:path";
import type { Plan } from "../compiler/plan/plan.js";
import type { JobFile } from "./farm-job.js";

/**
 * The files a plan reads while it renders (its guides' images, its regions' and guides' mask
 * images, its noise file), by the path the plan gives, relative to the scene's folder, and the
 * sha256 the plan recorded for each.
 */
export function planFiles(plan: Plan): JobFile[] {
  const masks = [...plan.regions, ...plan.guides].flatMap(({ mask }) => (mask ? [{ path: mask.path, sha256: mask.sha256 }] : []));
  const files = [...plan.guides.map((g) => ({ path: g.path, sha256: g.sha256 })), ...masks, ...(plan.noiseFile ? [{ path: plan.noiseFile.path, sha256: plan.noiseFile.sha256 }] : [])];
  const seen = new Set<string>();
  return files.filter((f) => !seen.has(f.path) && seen.add(f.path));
}

/**
 * Why a path a job names cannot be a file of the job's folder, or undefined when it can: a
 * worker writes and reads only inside that folder, so an absolute path, a `..` step, a
 * backslash (a separator on Windows) or anything not in plain `a/b.png` form is refused.
 */
export function jobPathProblem(file: string): string | undefined {
  if (file === "" || file.length > 1024) return "is empty or too long";
  if (file.includes("\0") || file.includes("\\")) return "holds a NUL or a backslash";
  if (path.posix.isAbsolute(file) || path.win32.isAbsolute(file) || /^[a-z]:/i.test(file)) return "is absolute";
  const parts = file.split("/");
  if (parts.includes("..")) return "leaves the scene's folder (`..`)";
  if (parts.some((p) => p === "" || p === ".")) return "is not in plain form (`a/b.png`)";
  return undefined;
}

/** `file` inside `folder`, for a path {@link jobPathProblem} accepted. */
export function jobFilePath(folder: string, file: string): string {
  const resolved = path.resolve(folder, file);
  if (!resolved.startsWith(path.resolve(folder) + path.sep)) throw new Error(`${file} resolves outside ${folder}`);
  return resolved;
}
