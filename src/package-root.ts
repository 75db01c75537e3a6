import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * The folder that holds scenec's package.json, found by walking up from this module's folder: it
 * runs as src/package-root.ts under vitest and as dist/src/package-root.js once built (in a
 * checkout, or installed under node_modules/scenec). The schema and the grammar ship there; in a
 * checkout it is the repository root, with scenes/ and bench/ too. Found once, then cached.
 */
export function packageRoot(): string {
  cached ??= packageFolderAbove(dirname(fileURLToPath(import.meta.url)), "scenec");
  return cached;
}

/** The first folder at or above `start` whose package.json names the package `name`. */
export function packageFolderAbove(start: string, name: string): string {
  let dir = start;
  for (;;) {
    if (packageName(dir) === name) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package folder of ${name} above ${start}`);
    dir = parent;
  }
}

function packageName(dir: string): unknown {
  try {
    return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown }).name;
  } catch {
    return undefined; // no package.json here (or not JSON): keep going up
  }
}
