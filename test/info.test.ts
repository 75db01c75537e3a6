import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_SCENE, MAX_PNG_TEXT_BYTES, scenecPngText } from "../src/runtime/image/png-text.js";
import { encodePng, writePng } from "../src/runtime/image/png-write.js";
import { chunk, handMadePng, ihdr2x1, latin1, PNG_SIGNATURE, zlibZeros } from "./helpers/png-chunks.js";
import { ROOT, runScenec, startScenec, type CliRun } from "./helpers/scenec-cli.js";
import { runMain } from "./helpers/scenec-main.js";

/**
 * `scenec info` on PNGs written by the runtime's PNG writer, in their folder: in-process through
 * main(), and as a user runs it (`node bin/scenec.js info …`, the built package in dist/, which
 * `npm test` builds first) where only a process shows it: the bin script, and a FIFO that would block.
 */

const SCENE = `# a postcard from Kyoto — 京都 🌸
canvas 96 x 64
seed 7178915308
region sky { prompt "été, a clear sky" }
`;
const SHA = "3f".repeat(32);

let dir: string;
let startedIn: string;

/** `scenec ARGS…` in-process, in the PNGs' folder (the current folder while this file runs). */
function scenec(...args: string[]): Promise<CliRun> {
  return runMain(...args);
}

/** `node bin/scenec.js ARGS…` in the PNGs' folder. */
function spawned(...args: string[]): Promise<CliRun> {
  return runScenec(args, { cwd: dir });
}

/** {@link spawned}, killed after `ms` (status null) if it has not ended by then. */
async function scenecWithin(ms: number, ...args: string[]): Promise<CliRun> {
  const run = startScenec(args, { cwd: dir });
  const deadline = setTimeout(() => run.child.kill("SIGKILL"), ms);
  const status = await run.done;
  clearTimeout(deadline);
  return { status, stdout: run.stdout(), stderr: run.stderr() };
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
  writeFileSync(join(dir, "no-idat.png"), Buffer.concat([PNG_SIGNATURE, ihdr2x1(), chunk("IEND", new Uint8Array(0))]));
  startedIn = process.cwd();
  process.chdir(dir);
});

afterAll(() => {
  if (startedIn) process.chdir(startedIn);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent("scenec info", () => {
  it("prints the size, seed, plan hash and version, then the scene", async () => {
    const r = await spawned("info", "render.png");
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

  it("shows the A1111 infotext of another tool's PNG, which has no scenec metadata", async () => {
    const infotext = "a castle\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 96x64";
    writeFileSync(join(dir, "a1111.png"), await encodePng(new Uint8Array(96 * 64 * 3), 96, 64, { parameters: infotext }));
    const r = await scenec("info", "a1111.png");
    expect(r).toEqual({ status: 0, stdout: `a1111.png: 96 x 64 PNG, no scenec metadata\n\n--- parameters (A1111) ---\n${infotext}\n`, stderr: "" });
    const json = JSON.parse((await scenec("info", "a1111.png", "--json")).stdout);
    expect(json.parameters).toEqual({
      prompt: "a castle",
      negativePrompt: "blurry",
      params: { Steps: "20", Sampler: "Euler a", "CFG scale": "7", Seed: "1", "Size-1": "96", "Size-2": "64" },
    });
  });

  it("says what is wrong with a damaged scenec:render record, and shows the rest", async () => {
    const meta = scenecPngText({ scene: SCENE, planSha256: SHA, seed: 7178915308, version: "0.1.0" });
    writeFileSync(join(dir, "bad-record.png"), await encodePng(new Uint8Array(96 * 64 * 3), 96, 64, { ...meta, "scenec:render": '{"version": 1, "source": "scene", "model": 3}' }));
    const r = await scenec("info", "bad-record.png");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("software:    scenec 0.1.0\nrender:      (unreadable: `model` is not a model record)\n\n--- scene ---\n");
    expect(JSON.parse((await scenec("info", "bad-record.png", "--json")).stdout).render).toBeUndefined();
  });

  it("reports a file that is not a PNG, or a damaged one, exit 2", async () => {
    expectOneLineError(await scenec("info", "notes.txt"), "scenec: notes.txt is not a PNG\n");
    expectOneLineError(await scenec("info", "cut.png"), "scenec: cut.png is not a valid PNG: truncated");
    expectOneLineError(await scenec("info", "no-idat.png"), "scenec: no-idat.png is not a valid PNG: damaged PNG file (it has no IDAT chunk, so no image data)\n");
  });

  it("reports a file it cannot read, exit 2", async () => {
    expectOneLineError(await scenec("info", "missing.png"), "cannot read missing.png: no such file or directory");
    expectOneLineError(await scenec("info", "folder.png"), "cannot read folder.png: is a directory");
  });

  it("never reads a device, and never blocks on a FIFO", async () => {
    expectOneLineError(await info("/dev/null"), "scenec: cannot read /dev/null: is a device\n");
    const fifo = join(dir, "pipe.png");
    execFileSync("mkfifo", [fifo]);
    // Spawned, with a deadline: a blocked open cannot be interrupted in this process.
    expectOneLineError(await scenecWithin(5000, "info", fifo), "scenec: cannot read", "pipe.png: is a FIFO (named pipe)\n");
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

/** `scenec info ARGS…` in this process. */
function info(...args: string[]): Promise<CliRun> {
  return scenec("info", ...args);
}

const iTXt = (keyword: string, text: string) => chunk("iTXt", Buffer.concat([latin1(`${keyword}\0\x00\x00\0\0`), Buffer.from(text, "utf8")]));

describe("scenec info on hostile PNGs", () => {
  it("shows control characters as escapes, so a PNG cannot retitle or clear the terminal; --json keeps them", async () => {
    const seed = "\x1b]0;pwned\x07\x1b[2J1";
    const scene = 'canvas 2 x 1\r\nregion r { prompt "\x1b[31mred\x1b[0m" }\rover\u202egnp.exe\x9b2J\x00\n\ttabbed\n';
    const file = join(dir, "escapes.png");
    writeFileSync(file, handMadePng([iTXt("scenec:seed", seed), iTXt("scenec:scene", scene), iTXt("Software", "new\nline")]));

    const r = await info(file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("seed:        \\x1b]0;pwned\\x07\\x1b[2J1\n");
    expect(r.stdout).toContain("software:    new\\x0aline\n");
    expect(r.stdout).toContain(
      '--- scene ---\ncanvas 2 x 1\r\nregion r { prompt "\\x1b[31mred\\x1b[0m" }\\x0dover\\u202egnp.exe\\x9b2J\\x00\n\ttabbed\n',
    );
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/);

    const json = await info(file, "--json");
    expect(JSON.parse(json.stdout).text).toEqual({ "scenec:seed": seed, "scenec:scene": scene, Software: "new\nline" });
  });

  it("cuts a huge scene or field with a note; --json prints them whole", async () => {
    // The cut falls inside the last 🌸 shown, which is left out rather than split.
    const scene = `a${"🌸".repeat(2 ** 19)}${"x".repeat(2 * 2 ** 20)}`;
    const file = join(dir, "huge.png");
    writeFileSync(file, handMadePng([iTXt("scenec:seed", "9".repeat(300)), iTXt("scenec:scene", scene)]));
    const r = await info(file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`seed:        ${"9".repeat(200)}… (the first 200 of 300 characters shown; \`scenec info --json\` prints them all)\n`);
    const note = "--- scene cut: the first 1,048,575 of 3,145,729 characters shown; `scenec info --json` prints them all ---\n";
    expect(r.stdout.endsWith(`--- scene ---\na${"🌸".repeat(2 ** 19 - 1)}\n${note}`)).toBe(true);
    const json = JSON.parse((await info(file, "--json")).stdout);
    expect(json.text["scenec:scene"]).toBe(scene);
    expect(json.truncated).toBeUndefined();
  });

  it("reads a 1 MB PNG whose zTXt inflates to 1 GiB in moments, and says the text was cut", async () => {
    const file = join(dir, "bomb.png");
    writeFileSync(file, handMadePng([chunk("zTXt", Buffer.concat([latin1("scenec:scene\0\0"), zlibZeros(1024)])), chunk("tEXt", latin1("scenec:seed\x007"))]));
    // Spawned, with a deadline, so that inflating the whole gigabyte (as scenec once did: 3 GB, 12 s
    // and more) ends in a failure after a few seconds, not a test that eats the machine.
    const run = await scenecWithin(5000, "info", file);
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toContain("seed:        7\n");
    expect(out.length).toBeLessThan(5 * 2 ** 20);
    expect(out).toMatch(/\n--- scene cut: the first 1,048,576 characters shown: the PNG holds more than 8 MiB of text, which is all scenec reads of it ---\n$/);

    const json = JSON.parse((await info(file, "--json")).stdout);
    expect(json.truncated).toEqual(["scenec:scene"]);
    expect(json.text["scenec:scene"].length).toBeLessThanOrEqual(MAX_PNG_TEXT_BYTES);
  });
});
