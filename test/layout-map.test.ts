import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { layoutMap, paintColour } from "../src/runtime/layout-map.js";
import { lMask } from "./helpers/mask-images.js";
import { memoryHost } from "./helpers/memory-host.js";
import { compileScene } from "./helpers/render-helpers.js";
import { runMain } from "./helpers/scenec-main.js";

// `scenec plan --layout`: who owns each pixel, from the renderer's own mixing weights.

const root = path.resolve(import.meta.dirname, "..");
const countryside = compileScene(readFileSync(path.join(root, "scenes/countryside.scene"), "utf8"), { path: "countryside.scene" });
const pixel = (map: ReturnType<typeof layoutMap>, x: number, y: number) => [...map.rgb.subarray(3 * (y * map.width + x), 3 * (y * map.width + x) + 3)];
const sun = (at: string) => layoutMap(compileScene(`canvas 512 x 512\nregion sky { prompt "a blue sky" }\nregion sun { at ${at}  size 128 x 128  prompt "a red sun" }\n`));

describe("the layout map", () => {
  it("gives countryside's three regions their shares: the outer two own more than the middle one, together all of it", () => {
    const map = layoutMap(countryside);
    expect(map.paints.map((p) => p.name)).toEqual(["house", "road", "robot"]);
    const [house, road, robot] = map.paints.map((p) => p.owned) as [number, number, number];
    expect(house + road + robot).toBeCloseTo(1, 12);
    expect(house).toBeGreaterThan(road);
    expect(robot).toBeCloseTo(house, 2);
  });

  it("colours a region's own area in its colour and an overlap as a blend of both", () => {
    const map = layoutMap(countryside);
    expect(pixel(map, 4, 40)).toEqual(paintColour(0));
    expect(pixel(map, 72, 40)).toEqual(paintColour(1));
    // Between house and road (x 384–640 px), near the point where their Gaussians cross.
    const blend = pixel(map, 64, 40);
    expect(blend).not.toEqual(paintColour(0));
    expect(blend).not.toEqual(paintColour(1));
  });

  it("shows that a small sun at the sky's centre owns nothing, and higher up owns its middle", () => {
    const centre = sun("192, 192");
    expect(centre.paints[1]).toMatchObject({ name: "sun", owned: 0 });
    expect(centre.paints[1]!.best).toBeCloseTo(0.477, 3);
    const high = sun("192, 96");
    expect(high.paints[1]!.owned).toBeGreaterThan(0);
    // At the sun's centre (latent 32, 20) the map is nearer the sun's colour than the sky's.
    const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(...a.map((v, c) => v - b[c]!));
    expect(distance(pixel(high, 32, 20), paintColour(1))).toBeLessThan(distance(pixel(high, 32, 20), paintColour(0)));
  });
});

describe("the layout picture's outlines", () => {
  it("draw a shaped region's ellipse or polygon, with its rectangle dashed", async () => {
    const { layoutOverlay } = await import("../src/cli/layout-image.js");
    const plan = compileScene('canvas 256 x 128\nregion sky { prompt "sky" }\nregion sun { at 64, 0  size 64 x 64  shape ellipse  prompt "sun" }\nregion hill { at 128, 64  size 128 x 64  shape polygon (0, 64) (64, 0) (128, 64)  prompt "hill" }\n');
    const svg = layoutOverlay(layoutMap(plan), 256, 128);
    expect(svg).toContain('<ellipse cx="96" cy="32" rx="32" ry="32"');
    expect(svg).toContain('<polygon points="128,128 192,64 256,128"');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
  });

  it("draw a masked region's outline where its membership is one half, with its rectangle dashed", async () => {
    const { layoutOverlay, maskContours } = await import("../src/cli/layout-image.js");
    const { decodeMaskImage } = await import("../src/runtime/guides/mask-image.js");
    const l = await lMask(64);
    const plan = compileScene('canvas 256 x 128\nregion sky { prompt "sky" }\nregion wall { at 64, 0  size 128 x 128  mask "l.png"  prompt "wall" }\n', { host: memoryHost({ "l.png": l }) });
    const masks = new Map([[plan.regions[1]!.mask!.sha256, await decodeMaskImage(l, 64 * 64)]]);
    const svg = layoutOverlay(layoutMap(plan, masks), 256, 128, maskContours(plan, masks));
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(1);
    // The L's arms are the box's left quarter (32 px) and bottom quarter: one vertical and one
    // horizontal stroke inside the box, none along its sides.
    expect(svg).toContain('<path d="M96,0V96M96,96H192"');
  });
});

describe("scenec plan --layout", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-layout-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a PNG at the canvas's size and names each region's share; the plan still goes to stdout", async () => {
    const out = path.join(dir, "layout.png");
    const run = await runMain("plan", path.join(root, "scenes/countryside.scene"), "--layout", out);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(`wrote ${out}: house 36%, road 27%, robot 36% of the canvas\n`);
    expect(run.stdout).toMatch(/^version: 2$/m);
    expect(await sharp(out).metadata()).toMatchObject({ format: "png", width: 1408, height: 640 });
  });

  it("shows a masked region's shares: the sky owns masks.scene's doorway, inside the wall's rectangle", async () => {
    const out = path.join(dir, "masks.png");
    const run = await runMain("plan", path.join(root, "scenes/masks.scene"), "--layout", out);
    expect(run.status, run.stderr).toBe(0);
    // The wall's rectangle is 256 x 224 of the 512 x 256 canvas (44%); the doorway is the sky's.
    expect(run.stderr).toBe(`wrote ${out}: sky 68%, wall 32% of the canvas\n`);
    const { data } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...data.subarray(3 * (y * 512 + x), 3 * (y * 512 + x) + 3)];
    expect(at(256, 200), "the doorway: the sky's alone").toEqual(paintColour(0));
    // The wall holds 9/10 of the mix (weight 9 over the sky's 1): nine tenths its colour.
    const wall = at(160, 200);
    paintColour(1).forEach((c, k) => expect(Math.abs(wall[k]! - (0.9 * c + 0.1 * paintColour(0)[k]!)), `the wall, channel ${k}`).toBeLessThanOrEqual(1));
  });

  it("refuses a name that is not a PNG, and a file the scene reads", async () => {
    expect((await runMain("plan", path.join(root, "scenes/countryside.scene"), "--layout", path.join(dir, "x.jpg"))).status).toBe(2);
    const guide = path.join(root, "scenes/guides/postcard-sea.png");
    const run = await runMain("plan", path.join(root, "scenes/postcard.scene"), "--layout", guide);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("cannot write the layout to");
  });
});
