import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { golden } from "./helpers/golden.js";

/** The golden-file rule every golden test follows (helpers/golden.ts). */
describe("golden files", () => {
  const dirs: string[] = [];
  const folder = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "scenec-golden-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("a missing golden is a failure that says how to write it, and writes nothing", () => {
    const file = path.join(folder(), "x.plan.yaml");
    expect(() => golden(file, "plan\n", "npx vitest run test/x.test.ts", false)).toThrow(
      `missing golden file ${file}; write it with \`UPDATE_GOLDEN=1 npx vitest run test/x.test.ts\` and read the diff`,
    );
    expect(existsSync(file)).toBe(false);
  });

  it("only an explicit update writes it", () => {
    const file = path.join(folder(), "x.plan.yaml");
    expect(golden(file, "new plan\n", "npx vitest run test/x.test.ts", true)).toBe("new plan\n");
    expect(readFileSync(file, "utf8")).toBe("new plan\n");
    // Without the update, what is stored is what the test compares with, whatever it is given.
    expect(golden(file, "other plan\n", "npx vitest run test/x.test.ts", false)).toBe("new plan\n");
  });
});
