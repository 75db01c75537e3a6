import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Whether this run rewrites golden files: only when asked, `UPDATE_GOLDEN=1`. */
export const UPDATE_GOLDEN = process.env["UPDATE_GOLDEN"] === "1";

/**
 * The golden text stored at `file`, to compare `actual` with. With `update` (UPDATE_GOLDEN=1),
 * `actual` is written there first. A missing golden throws, whether or not CI is set: a test
 * that wrote its own missing golden would pass on anything.
 */
export function golden(file: string, actual: string, rerun: string, update = UPDATE_GOLDEN): string {
  if (update) writeFileSync(file, actual);
  if (!existsSync(file)) throw new Error(`missing golden file ${file}; write it with \`UPDATE_GOLDEN=1 ${rerun}\` and read the diff`);
  return readFileSync(file, "utf8");
}
