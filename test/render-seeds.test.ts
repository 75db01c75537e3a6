import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { parseSeedList, seededOutput } from "../src/cli/seed-list.js";
import { readPngText } from "../src/runtime/image/png-text.js";
import { runScenec } from "./helpers/scenec-cli.js";
import { runMain } from "./helpers/scenec-main.js";

// Variations: `--seeds` sweeps and several scenes in one `scenec render`, on one loaded model.
// Renders spawn the built CLI (its render worker is dist/'s); refusals run in-process.

describe("--seeds lists", () => {
  it("reads seeds and ranges in the order written", () => {
    expect(parseSeedList("1-4,10", "render")).toEqual([1, 2, 3, 4, 10]);
    expect(parseSeedList(" 7 , 3-3 ", "render")).toEqual([7, 3]);
  });

  it("refuses what is not a list of seeds, with what to write", () => {
    for (const [list, why] of [["1-", "neither a seed nor a range"], ["5-2", "goes down"], ["1,1", "twice"], ["0-20000", "more than 10,000"], ["x", "neither"], ["9007199254740992", "over 2^53"]] as const)
      expect(() => parseSeedList(list, "render")).toThrow(why);
  });

  it("names each picture NAME-SEED, or where the name says {seed}", () => {
    expect(seededOutput("out/forest.png", 7)).toBe("out/forest-7.png");
    expect(seededOutput("sweep/{seed}.webp", 12)).toBe("sweep/12.webp");
    expect(seededOutput("my.dir/picture", 3)).toBe("my.dir/picture-3");
  });
});

describe("`seeds` in a scene", () => {
  it("plans the list, the first seed as the plan's seed; the command line's seed makes one picture", async () => {
    const { compileScene } = await import("./helpers/render-helpers.js");
    const { withOverrides } = await import("../src/compiler/plan/plan-overrides.js");
    const plan = compileScene('canvas 64 x 64\nseeds 5..7, 2\nregion r { prompt "x" }\n');
    expect(plan).toMatchObject({ seed: 5, seeds: [5, 6, 7, 2] });
    const one = withOverrides(plan, { seed: 9 });
    expect(one.seed).toBe(9);
    expect(one.seeds).toBeUndefined();
    expect(Object.keys(one)).toEqual(Object.keys(plan).filter((k) => k !== "seeds"));
  });

  it("is formatted as `A..B`", async () => {
    const { formatScene } = await import("../src/compiler/format/format-scene.js");
    expect(formatScene("seeds 1 .. 4,9\n", "s.scene")).toEqual({ ok: true, text: "seeds 1..4, 9\n" });
  });
});

describe("scenec render with several pictures", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-seeds-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const scene = (name: string, prompt: string) => {
    const file = path.join(dir, `${name}.scene`);
    writeFileSync(file, `canvas 64 x 64\nsteps 2\nregion r { prompt "${prompt}" }\n`);
    return file;
  };
  const pixels = async (file: string) => new Uint8Array(await sharp(file).removeAlpha().raw().toBuffer());

  it("--seeds 1-3 writes one picture per seed, each the picture --seed gives", async () => {
    const sky = scene("sky", "a blue sky");
    const run = await runScenec(["render", sky, "--seeds", "1-3"], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/sky-3\.png \(64 x 64\) in [\d.]+ s \[3\/3\]/);
    for (const s of [1, 2, 3]) expect(readPngText(readFileSync(path.join(dir, `sky-${s}.png`)))["scenec:seed"]).toBe(String(s));
    expect(await runScenec(["render", sky, "--seed", "2", "-o", "two.png"], { cwd: dir })).toMatchObject({ status: 0 });
    expect(await pixels(path.join(dir, "sky-2.png"))).toEqual(await pixels(path.join(dir, "two.png")));
    expect(await pixels(path.join(dir, "sky-1.png"))).not.toEqual(await pixels(path.join(dir, "sky-2.png")));
  });

  it("-o with --seeds is the pattern: NAME-SEED, or {seed} where it says", async () => {
    const sea = scene("sea", "a blue sea");
    expect((await runScenec(["render", sea, "--seeds", "4,5", "-o", "fixed.png"], { cwd: dir })).status).toBe(0);
    expect([4, 5].map((s) => existsSync(path.join(dir, `fixed-${s}.png`)))).toEqual([true, true]);
    expect((await runScenec(["render", sea, "--seeds", "6", "-o", "seed{seed}.png"], { cwd: dir })).status).toBe(0);
    expect(existsSync(path.join(dir, "seed6.png"))).toBe(true);
  });

  it("a scene's `seeds` renders each; a picture of the sweep renders again as itself", async () => {
    const file = path.join(dir, "sweep.scene");
    writeFileSync(file, 'canvas 64 x 64\nsteps 2\nseeds 8..9\nregion r { prompt "a green field" }\n');
    const run = await runScenec(["render", file], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    expect([8, 9].map((s) => existsSync(path.join(dir, `sweep-${s}.png`)))).toEqual([true, true]);
    const again = await runScenec(["render", "sweep-9.png"], { cwd: dir });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain("wrote sweep-9.rerender.png (64 x 64)");
    expect(await pixels(path.join(dir, "sweep-9.rerender.png"))).toEqual(await pixels(path.join(dir, "sweep-9.png")));
  });

  it("renders several scenes, each to its own output", async () => {
    const run = await runScenec(["render", scene("red", "red"), scene("green", "green")], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(path.join(dir, "red.png")) && existsSync(path.join(dir, "green.png"))).toBe(true);
  });

  it("refuses what would be ambiguous before rendering anything", async () => {
    const a = scene("a", "a");
    expect((await runMain("render", a, "--seed", "1", "--seeds", "1-2")).stderr).toContain("--seed and --seeds exclude each other");
    expect((await runMain("render", a, scene("b", "b"), "-o", path.join(dir, "x.png"))).stderr).toContain("-o names one picture");
    expect((await runMain("render", a, "--seeds", "1-2", "--save-latents", path.join(dir, "l.npy"))).stderr).toContain("--save-latents writes one file");
    const twice = await runMain("render", a, a);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain("would both write");
    expect(existsSync(path.join(dir, "a.png"))).toBe(false);
  });
});
