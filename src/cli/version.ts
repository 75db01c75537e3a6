import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../package-root.js";

/** package.json's version. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown };
  if (typeof pkg.version !== "string") throw new Error("scenec's package.json has no version");
  return pkg.version;
}
