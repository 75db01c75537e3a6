import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * vitest's global setup: every test run caches optimised models (src/runtime/model/model-cache.ts)
 * in a fresh temporary folder, removed at the end, never in the user's ~/.cache. The test
 * processes and the CLIs they start inherit SCENEC_CACHE_DIR.
 */
export default function setup(): () => void {
  const folder = mkdtempSync(path.join(tmpdir(), "scenec-test-cache-"));
  process.env["SCENEC_CACHE_DIR"] = folder;
  return () => rmSync(folder, { recursive: true, force: true });
}
