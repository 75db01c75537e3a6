import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/scenec-cli.js";

/**
 * The install never downloads CUDA binaries (onnxruntime-node's postinstall fetches them from
 * NuGet, which fails offline), and npm has nothing to warn about on every `npx scenec`.
 */
describe("install configuration", () => {
  it("denies onnxruntime-node's download script through package.json's allowScripts", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean>; engines?: Record<string, string> };
    expect(pkg.allowScripts?.["onnxruntime-node"]).toBe(false);
    // allowScripts is honoured from npm 11.16 on: older npm would run the download.
    expect(pkg.engines?.["npm"]).toBe(">=11.16.0");
  });

  it("`npx scenec` prints no npm config warning", async () => {
    const { stdout, stderr } = await promisify(execFile)("npm", ["exec", "--offline", "--no", "--", "scenec", "--version"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(stderr).not.toMatch(/Unknown project config/);
  });
});
