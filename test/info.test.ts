import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_SCENE, scenecPngText } from "../src/runtime/image/png-text.js";
import { encodePng, writePng } from "../src/runtime/image/png-write.js";
import { ROOT, runScenec, type CliRun } from "./helpers/scenec-cli.js";

/**
 * `scenec info`, run as a user runs it: `node bin/scenec.js info …` on PNGs written by the runtime's
 * PNG writer. It runs the built package (dist/), which `npm test` builds first.
 */

const SCENE = `# a postcard from Kyoto — 京都 🌸
canvas 96 x 64
seed 7178915308
region sky { prompt "été, a clear sky" }
`;
const SHA = "3f".repeat(32);

let dir: string;

function scenec(...args: string[]): Promise<CliRun> {
  return runScenec(args, { cwd: dir });
}

function expectOneLineError(r: CliRun, ...fragments: string[]): void {
  expect(r.status).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.startsWith("scenec: ")).toBe(true);
  for (const f of fragments) expect(r.stderr).toContain(f);
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist", "src", "cli", "commands", "info.js"))) {
    throw new Error("dist/ is missing `scenec info`: run `npm run build` first (`npm test` does)");
  }
  dir = mkdtempSync(join(tmpdir(), "scenec-info-"));
  const rgb = new Uint8Array(96 * 64 * 3).fill(128);
  const meta = scenecPngText({ scene: SCENE, planSha256: SHA, seed: 7178915308, version: "0.1.0" });
  await writePng(join(dir, "render.png"), rgb, 96, 64, meta);
  await writePng(join(dir, "no-newline.png"), rgb, 96, 64, { ...meta, [KEY_SCENE]: "canvas 96 x 64" });
  writeFileSync(join(dir, "extra.png"), await encodePng(rgb, 96, 64, { ...meta, Comment: "hand-added ✍" }));
  await sharp(rgb, { raw: { width: 96, height: 64, channels: 3 } }).png().toFile(join(dir, "plain.png"));
  writeFileSync(join(dir, "notes.txt"), "not an image\n");
  const png = await encodePng(rgb, 96, 64, meta);
  writeFileSync(join(dir, "cut.png"), png.subarray(0, png.length - 20));
  mkdirSync(join(dir, "folder.png"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent("scenec info", () => {
  it("prints the size, seed, plan hash and version, then the scene", async () => {
    const r = await scenec("info", "render.png");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        "file:        render.png",
        "size:        96 x 64",
        "seed:        7178915308",
        `plan sha256: ${SHA}`,
        "version:     0.1.0",
        "software:    scenec 0.1.0",
        "",
        "--- scene ---",
        SCENE,
      ].join("\n"),
    );
  });

  it("ends the scene with a newline even when the source has none", async () => {
    const r = await scenec("info", "no-newline.png");
    expect(r.status).toBe(0);
    expect(r.stdout.endsWith("--- scene ---\ncanvas 96 x 64\n")).toBe(true);
  });

  it("prints every text chunk as JSON with --json", async () => {
    const r = await scenec("info", "extra.png", "--json");
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      file: "extra.png",
      width: 96,
      height: 64,
      text: {
        "scenec:scene": SCENE,
        "scenec:plan-sha256": SHA,
        "scenec:seed": "7178915308",
        "scenec:version": "0.1.0",
        Software: "scenec 0.1.0",
        Comment: "hand-added ✍",
      },
    });
  });

  it("says so, with exit 0, for a PNG without scenec metadata", async () => {
    const r = await scenec("info", "plain.png");
    expect(r).toEqual({ status: 0, stdout: "plain.png: 96 x 64 PNG, no scenec metadata\n", stderr: "" });
    const json = await scenec("info", "plain.png", "--json");
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ file: "plain.png", width: 96, height: 64, text: {} });
  });

  it("reports a file that is not a PNG, or a damaged one, exit 2", async () => {
    expectOneLineError(await scenec("info", "notes.txt"), "scenec: notes.txt is not a PNG\n");
    expectOneLineError(await scenec("info", "cut.png"), "scenec: cut.png is not a valid PNG: truncated");
  });

  it("reports a file it cannot read, exit 2", async () => {
    expectOneLineError(await scenec("info", "missing.png"), "cannot read missing.png: no such file or directory");
    expectOneLineError(await scenec("info", "folder.png"), "cannot read folder.png: is a directory");
  });

  it("needs exactly one IMAGE", async () => {
    expectOneLineError(await scenec("info"), "info needs an IMAGE", "scenec info --help");
    expectOneLineError(await scenec("info", "a.png", "b.png"), "info takes one IMAGE, not 2");
    expectOneLineError(await scenec("info", "render.png", "--yaml"), "unknown option `--yaml`");
  });

  it("is listed in the help, with its own help page", async () => {
    const help = await scenec("--help");
    expect(help.stdout).toMatch(/^ {2}info /m);
    const page = await scenec("help", "info");
    expect(page.status).toBe(0);
    expect(page.stdout.startsWith("usage: scenec info IMAGE.png [--json]\n")).toBe(true);
    expect(page.stdout).toContain("--json");
  });
});
