import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { formatPlan } from "../src/cli/plan-output.js";
import { golden } from "./helpers/golden.js";

// Golden plans for every example: `UPDATE_GOLDEN=1 npx vitest run test/plan-golden.test.ts` rewrites them.
const root = path.resolve(import.meta.dirname, "..");
const goldenDir = path.join(import.meta.dirname, "golden", "plans");
const scenes = readdirSync(path.join(root, "scenes")).filter((f) => f.endsWith(".scene")).sort();

describe("golden plans of scenes/", () => {
  it("covers the five examples of the language spec", () => {
    expect(scenes).toEqual(expect.arrayContaining(["countryside.scene", "mosaic-4k.scene", "forest-styles.scene", "postcard.scene", "outpaint.scene"]));
  });

  it("has no golden plan without its scene", () => {
    const orphans = readdirSync(goldenDir).filter((f) => !scenes.includes(f.replace(/\.plan\.yaml$/, ".scene")));
    expect(orphans).toEqual([]);
  });

  for (const scene of scenes) {
    it(`${scene} compiles with no diagnostics and matches its golden plan`, () => {
      const file = `scenes/${scene}`;
      const host = { readFile: (p: string) => nodeHost.readFile(path.resolve(root, p)) };
      const result = compile(readFileSync(path.join(root, file), "utf8"), { path: file, host });
      expect(result.diagnostics).toEqual([]);
      expect(result.plan).toBeDefined();
      const yaml = formatPlan(result.plan!, "yaml");
      const goldenFile = path.join(goldenDir, scene.replace(/\.scene$/, ".plan.yaml"));
      const rerun = "npx vitest run test/plan-golden.test.ts";
      expect(yaml, `plan of ${file} changed; if intended, run UPDATE_GOLDEN=1 ${rerun}`).toBe(golden(goldenFile, yaml, rerun));
    });
  }
});
