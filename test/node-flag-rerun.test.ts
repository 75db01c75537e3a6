import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers/scenec-cli.js";

// A script that runs itself again with a V8 flag (as `scenec lsp` does, from the built dist/),
// then reports the flags it runs with and ends with status 7.
const folder = mkdtempSync(path.join(os.tmpdir(), "scenec-rerun-"));
const script = path.join(folder, "rerun.mjs");
const module = pathToFileURL(path.join(ROOT, "dist", "src", "cli", "node-flag-rerun.js")).href;
writeFileSync(
  script,
  `import { rerunWithNodeFlag } from ${JSON.stringify(module)};
const rerun = rerunWithNodeFlag("--max-semi-space-size=24");
if (rerun) process.exitCode = await rerun;
else { console.log(JSON.stringify({ execArgv: process.execArgv, args: process.argv.slice(2) })); process.exitCode = 7; }
`,
);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

const run = (env: NodeJS.ProcessEnv = {}) => {
  const done = spawnSync(process.execPath, [script, "lsp", "--stdio"], { env: { ...process.env, NODE_OPTIONS: "", ...env }, encoding: "utf8" });
  return { status: done.status, lines: done.stdout.trim().split("\n").map((l) => JSON.parse(l) as { execArgv: string[]; args: string[] }) };
};

describe("running again with a Node flag", () => {
  it("runs the same command line once more with the flag, and ends with its status", () => {
    const { status, lines } = run();
    expect(status).toBe(7);
    expect(lines).toEqual([{ execArgv: ["--max-semi-space-size=24"], args: ["lsp", "--stdio"] }]);
  });

  it("runs nothing again when NODE_OPTIONS already sets that flag", () => {
    const { status, lines } = run({ NODE_OPTIONS: "--max-semi-space-size=8" });
    expect(status).toBe(7);
    expect(lines).toEqual([{ execArgv: [], args: ["lsp", "--stdio"] }]);
  });
});
