import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { ROOT, runScenec } from "./helpers/scenec-cli.js";
import { memoryHost } from "./helpers/memory-host.js";

describe("style libraries (files of only styles and imports)", () => {
  it("check cleanly: no 'no regions' error, no 'unused style' warnings, and no plan", () => {
    const host = memoryHost({ "lib/base.scene": 'style warm "warm light"\n' });
    const result = compile('import "base.scene"\nstyle sunset "{warm}, orange sky"\nstyle night "dark blue"\n', { path: "lib/art.scene", host });
    expect(result.diagnostics).toEqual([]);
    expect(result.library).toBe(true);
    expect(result.plan).toBeUndefined();
  });

  it("still report their own mistakes", () => {
    const result = compile('style a "{missing}"\n', { path: "lib.scene", host: memoryHost() });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["S2005"]);
  });

  it("a file with a setting is a scene, not a library", () => {
    const result = compile('steps 20\nstyle a "x"\n', { path: "s.scene", host: memoryHost() });
    expect(result.library).toBeUndefined();
    expect(result.diagnostics.map((d) => d.code).sort()).toEqual(["S2021", "S2501"]);
  });

  it("through the CLI: check passes, plan and render say there is nothing to plan (exit 1)", async () => {
    expect(await runScenec(["check", "scenes/styles/art.scene"], { cwd: ROOT })).toMatchObject({ status: 0, stderr: "" });
    for (const command of ["plan", "render"]) {
      const run = await runScenec([command, "scenes/styles/art.scene"], { cwd: ROOT });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("scenes/styles/art.scene: a style library (only `style` and `import` statements) has nothing to plan or render");
    }
  });
});
