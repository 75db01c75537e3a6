import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { colorFor, type OutputStream } from "../src/cli/terminal.js";
import { ROOT, runScenec, type CliRun } from "./helpers/scenec-cli.js";
import { runMain } from "./helpers/scenec-main.js";

/**
 * The `scenec` command line in a folder of scenes. Most runs are in-process, through main() in
 * that folder; what only a process shows is spawned as a user runs it (`node bin/scenec.js …`, the
 * built package in dist/, which `npm test` builds first, with NO_COLOR=1): the bin script and the
 * build, the exit status, the help and version, colour chosen from the environment, a file written.
 */

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

const SCENES: Record<string, string> = {
  "good.scene": `canvas 512 x 512
steps 20
region sky {
  at 0, 0
  size 512 x 512
  prompt "a clear blue sky"
}
`,
  "bad.scene": `canvas 512 x 512
steps 30
scheduler eulr_a
region sky {
  prompt "a clear blue sky"
}
`,
  "warn.scene": `canvas 512 x 512
style unused "film grain"
region sky {
  prompt "a clear blue sky"
}
`,
  "grid.scene": `# two tiles side by side, columns and rows derived from the canvas
canvas 1024 x 512
seed 7
grid tiles {
  tile 512 x 512
  prompts [ "a mountain lake", "a pine forest" ]
}
`,
};

let dir: string;
let startedIn: string;

/** `scenec ARGS…` in-process, in the folder of scenes (the current folder while this file runs). */
function scenec(...args: string[]): Promise<CliRun> {
  return runMain(...args);
}

/** `node bin/scenec.js ARGS…` in the folder of scenes. */
function spawned(...args: string[]): Promise<CliRun> {
  return runScenec(args, { cwd: dir });
}

/** Spawns scenec with `extra` on top of the plain environment. */
function spawnedWith(extra: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  return runScenec(args, { cwd: dir, env: extra });
}

/** A usage or file error: exit 2, one line on stderr, nothing on stdout, no stack trace. */
function expectOneLineError(r: CliRun, ...fragments: string[]): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.endsWith("\n")).toBe(true);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.startsWith("scenec: ")).toBe(true);
  for (const f of fragments) expect(r.stderr).toContain(f);
}

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "src", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (`npm test` does)");
  }
  dir = mkdtempSync(join(tmpdir(), "scenec-cli-"));
  for (const [name, text] of Object.entries(SCENES)) writeFileSync(join(dir, name), text);
  startedIn = process.cwd();
  process.chdir(dir);
});

afterAll(() => {
  if (startedIn) process.chdir(startedIn);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent("scenec usage", () => {
  it("prints help with --help, exit 0", async () => {
    const r = await spawned("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("usage: scenec COMMAND");
    expect(r.stdout).toMatch(/^ {2}check /m);
    expect(r.stdout).toMatch(/^ {2}plan /m);
    expect(r.stderr).toBe("");
  });

  it("prints a command's help with `help COMMAND` and `COMMAND --help`", async () => {
    const a = await scenec("help", "check");
    expect(a.status).toBe(0);
    expect(a.stdout).toContain("usage: scenec check FILE...");
    expect(a.stdout).toContain("--json");
    expect(a.stdout).toContain("prints nothing");
    const b = await scenec("check", "--help");
    expect(b.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect((await scenec("plan", "-h")).stdout).toContain("usage: scenec plan FILE");
  });

  it("prints the package version", async () => {
    const r = await spawned("--version");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
  });

  it("rejects an unknown command, exit 2", async () => {
    expectOneLineError(await scenec("chek", "good.scene"), "unknown command `chek`", "did you mean `check`?", "scenec --help");
    expectOneLineError(await scenec("frobnicate"), "unknown command `frobnicate`", "scenec --help");
    expectOneLineError(await scenec("help", "frobnicate"), "unknown command `frobnicate`");
  });

  it("rejects an unknown flag, exit 2", async () => {
    expectOneLineError(await scenec("check", "--frob", "good.scene"), "unknown option `--frob`", "scenec check --help");
    expectOneLineError(await scenec("--frob"), "unknown option `--frob`", "--help");
    expectOneLineError(await scenec("plan", "good.scene", "-o"), "needs a value", "scenec plan --help");
    expectOneLineError(await scenec("check", "--max-side", "lots", "good.scene"), "--max-side", "positive integer");
  });

  it("rejects a missing FILE argument, exit 2", async () => {
    expectOneLineError(await scenec("check"), "FILE", "scenec check --help");
    expectOneLineError(await scenec("plan"), "FILE", "scenec plan --help");
    expectOneLineError(await scenec("plan", "good.scene", "grid.scene"), "one FILE");
  });

  it("prints help on stderr with no arguments, exit 2", async () => {
    const r = await spawned();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("usage: scenec COMMAND");
  });

  it("reports a file that cannot be read, exit 2", async () => {
    expectOneLineError(await scenec("check", "nope.scene"), "scenec: cannot read nope.scene: no such file or directory");
    expectOneLineError(await scenec("check", "good.scene", "nope.scene"), "cannot read nope.scene");
    expectOneLineError(await scenec("check", "--json", "nope.scene"), "cannot read nope.scene");
    expectOneLineError(await scenec("plan", "."), "scenec: cannot read .: is a directory");
  });
});

describe.concurrent("scenec check", () => {
  it("is silent on a good scene, exit 0", async () => {
    const r = await scenec("check", "good.scene");
    expect(r).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("reports a typo'd scheduler with a location, code frame and suggestion, exit 1", async () => {
    const r = await spawned("check", "bad.scene");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("bad.scene:3:11: error[S2007]: ");
    expect(r.stderr).toContain("   3 │ scheduler eulr_a\n");
    expect(r.stderr).toMatch(/^ {5}│ {11}\^{6}/m);
    expect(r.stderr).toContain("did you mean `euler_ancestral`?");
    expect(r.stderr.endsWith("\n1 error\n")).toBe(true);
    expect(r.stderr).not.toContain("\x1b[");
  });

  it("colours diagnostics when FORCE_COLOR says so, even off a terminal", async () => {
    const r = await spawnedWith({ FORCE_COLOR: "1" }, "check", "bad.scene");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("\x1b[31m");
    expect(r.stderr.replace(/\x1b\[\d+m/g, "")).toBe((await spawned("check", "bad.scene")).stderr);
  });

  it("shows warnings but succeeds, exit 0", async () => {
    const r = await scenec("check", "warn.scene");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("warn.scene:2:7: warning[S2501]: ");
    expect(r.stderr.endsWith("\n1 warning\n")).toBe(true);
  });

  it("fails when any one of several files has errors", async () => {
    const r = await scenec("check", "good.scene", "bad.scene", "warn.scene");
    expect(r.status).toBe(1);
    expect(r.stderr.endsWith("\n1 error, 1 warning\n")).toBe(true);
  });

  it("prints one JSON document on stdout with --json, listing every file", async () => {
    const r = await scenec("check", "--json", "good.scene", "bad.scene", "warn.scene");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("");
    const doc = JSON.parse(r.stdout) as {
      version: number;
      files: { file: string; diagnostics: Record<string, unknown>[] }[];
      summary: { errors: number; warnings: number };
    };
    expect(doc.version).toBe(1);
    expect(doc.files.map((f) => f.file)).toEqual(["good.scene", "bad.scene", "warn.scene"]);
    expect(doc.files[0]!.diagnostics).toEqual([]);
    expect(doc.summary).toEqual({ errors: 1, warnings: 1 });

    const d = doc.files[1]!.diagnostics[0]!;
    expect(d).toMatchObject({
      code: "S2007",
      severity: "error",
      range: { start: { line: 3, column: 11, offset: 36 }, end: { line: 3, column: 17, offset: 42 } },
      related: [],
    });
    expect(typeof d["message"]).toBe("string");
    expect(d["help"]).toContain("euler_ancestral");
    expect(Object.keys(d).slice(0, 4)).toEqual(["code", "severity", "message", "range"]);
    expect(doc.files[2]!.diagnostics.map((x) => [x["code"], x["severity"]])).toEqual([["S2501", "warning"]]);
  });

  it("gives --json an empty list for a clean file, exit 0", async () => {
    const r = await scenec("check", "good.scene", "--json");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      version: 1,
      files: [{ file: "good.scene", diagnostics: [] }],
      summary: { errors: 0, warnings: 0 },
    });
  });

  it("applies --max-side", async () => {
    const r = await scenec("check", "--max-side", "256", "good.scene");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[S2014]");
  });
});

describe.concurrent("scenec plan", () => {
  interface PlanShape {
    version: number;
    canvas: { width: number; height: number };
    seed: number;
    regions: { name: string; prompt: string; seed: number | null; rect: Record<string, number> }[];
  }

  it("gives the regions of a grid with --json", async () => {
    const r = await scenec("plan", "grid.scene", "--json");
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(r.stdout).toContain('\n  "version": 2,\n');
    const plan = JSON.parse(r.stdout) as PlanShape;
    expect(plan.canvas).toEqual({ width: 1024, height: 512 });
    expect(plan.regions.map((x) => [x.name, x.prompt, x.rect])).toEqual([
      ["tiles[0,0]", "a mountain lake", { x: 0, y: 0, width: 512, height: 512 }],
      ["tiles[1,0]", "a pine forest", { x: 512, y: 0, width: 512, height: 512 }],
    ]);
  });

  it("prints identical YAML twice, the same plan as the JSON", async () => {
    const a = await scenec("plan", "grid.scene");
    const b = await scenec("plan", "grid.scene");
    expect(a.status).toBe(0);
    expect(a.stderr).toBe("");
    expect(a.stdout.length).toBeGreaterThan(0);
    expect(b.stdout).toBe(a.stdout);
    expect(a.stdout).not.toContain("&"); // no YAML anchors
    const json = await scenec("plan", "grid.scene", "--json");
    expect(parseYaml(a.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it("writes the plan to a file with -o", async () => {
    const r = await spawned("plan", "grid.scene", "-o", "out.yaml");
    expect(r).toEqual({ status: 0, stdout: "", stderr: "" });
    expect(readFileSync(join(dir, "out.yaml"), "utf8")).toBe((await scenec("plan", "grid.scene")).stdout);
    // Written atomically: no temporary file is left beside it.
    expect(readdirSync(dir).filter((f) => f.includes("out.yaml"))).toEqual(["out.yaml"]);

    expect((await scenec("plan", "grid.scene", "--output", "out.json")).status).toBe(0);
    expect(readFileSync(join(dir, "out.json"), "utf8")).toBe((await scenec("plan", "grid.scene", "--json")).stdout);
  });

  it("prints diagnostics and no plan for a scene with errors, exit 1", async () => {
    const r = await scenec("plan", "bad.scene", "-o", "never.yaml");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("bad.scene:3:11: error[S2007]");
    expect(existsSync(join(dir, "never.yaml"))).toBe(false);
  });

  it("prints warnings on stderr and the plan on stdout, exit 0", async () => {
    const r = await scenec("plan", "warn.scene", "--json");
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("warning[S2501]");
    expect((JSON.parse(r.stdout) as PlanShape).regions.map((x) => x.name)).toEqual(["sky"]);
  });

  it("reports an output folder that does not exist, exit 2", async () => {
    expectOneLineError(await scenec("plan", "grid.scene", "-o", "missing/out.yaml"), "cannot write missing/out.yaml");
  });
});

describe("terminal and main, in process", () => {
  const tty: OutputStream = { write: () => true, isTTY: true };
  const pipe: OutputStream = { write: () => true, isTTY: false };

  it("colours a TTY unless NO_COLOR (non-empty) or TERM=dumb; FORCE_COLOR wins", () => {
    expect(colorFor(tty, {})).toBe(true);
    expect(colorFor(pipe, {})).toBe(false);
    expect(colorFor(tty, { NO_COLOR: "1" })).toBe(false);
    expect(colorFor(tty, { NO_COLOR: "" })).toBe(true);
    expect(colorFor(tty, { TERM: "dumb" })).toBe(false);
    expect(colorFor(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorFor(pipe, { FORCE_COLOR: "" })).toBe(true);
    expect(colorFor(tty, { FORCE_COLOR: "1", NO_COLOR: "1" })).toBe(true);
    expect(colorFor(tty, { FORCE_COLOR: "0" })).toBe(false);
  });

  it("reports an unexpected exception as an internal error without a stack, exit 2", async () => {
    let stderr = "";
    const terminal = {
      color: false,
      stdout: {
        write: () => {
          throw new Error("the disk is on fire");
        },
      },
      stderr: { write: (s: string) => (stderr += s) },
    };
    const before = process.env["SCENEC_DEBUG"];
    delete process.env["SCENEC_DEBUG"];
    try {
      expect(await main(["--version"], terminal)).toBe(2);
    } finally {
      if (before !== undefined) process.env["SCENEC_DEBUG"] = before;
    }
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("scenec: internal error: the disk is on fire");
    expect(lines[1]).toContain("please report it");
    expect(lines).toHaveLength(2);
  });
});
