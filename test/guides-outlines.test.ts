/**
 * Guides with a shape or a mask: the outline's membership multiplies the guide image's own alpha,
 * so a guide pins the picture only inside it; the compiler records it and counts only what it pins
 * as accounted for (S2003). Rendered with the built-in model.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GuideDecoder } from "../src/cli/guide-check.js";
import { compile } from "../src/compiler/compile.js";
import { nodeHost } from "../src/compiler/node-host.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { colourDistance, loadBuiltinModel, meanColour, planIn, renderIn, solid, tempFolder, writeImage, type Box, samePixels } from "./helpers/guide-helpers.js";
import { lMask } from "./helpers/mask-images.js";

let model: OnnxDiffusionModel;
let dir: string;
let remove: () => void;

beforeAll(async () => {
  model = await loadBuiltinModel();
  ({ dir, remove } = tempFolder("scenec-guide-outlines-"));
  await writeImage(join(dir, "purple.png"), 128, 128, solid([170, 60, 190]));
  await writeImage(join(dir, "white.png"), 16, 16, solid([255, 255, 255]));
  await writeImage(join(dir, "black.png"), 16, 16, solid([0, 0, 0]));
  writeFileSync(join(dir, "l.png"), await lMask(64));
});
afterAll(() => remove?.());

const render = (text: string) => renderIn(dir, planIn(dir, text), model);
const same = samePixels;

// A 128 x 128 canvas that one region paints green, under a purple guide pinned for every step.
const GREEN = `canvas 128 x 128
steps 8
seed 21
region all { prompt "green grass" }
`;
const scene = (outline: string) => `${GREEN}guide "purple.png" { strength 1${outline} }\n`;
const PURPLE = [170, 60, 190] as const;
const patch = (x: number, y: number): Box => ({ x: x - 6, y: y - 6, width: 12, height: 12 });

describe("a guide's shape or mask", () => {
  it("pins only inside an ellipse: purple at its centre, the region's green in the rectangle's corners", async () => {
    const green = meanColour(await render(GREEN), patch(12, 12));
    const image = await render(scene("  shape ellipse"));
    expect(colourDistance(meanColour(image, patch(64, 64)), PURPLE), "centre").toBeLessThan(30);
    for (const [x, y] of [[12, 12], [116, 12], [12, 116], [116, 116]] as const) {
      const corner = meanColour(image, patch(x, y));
      expect(colourDistance(corner, PURPLE), `corner ${x}, ${y}: not the guide`).toBeGreaterThan(60);
      expect(colourDistance(corner, green), `corner ${x}, ${y}: the region's`).toBeLessThan(colourDistance(corner, PURPLE));
    }
  });

  it("pins only inside a mask's L", async () => {
    // The L's arms: x 0..32 (all rows) and y 96..128 (all columns).
    const image = await render(scene('  mask "l.png"'));
    for (const [x, y] of [[14, 20], [14, 110], [100, 112]] as const) expect(colourDistance(meanColour(image, patch(x, y)), PURPLE), `in the L at ${x}, ${y}`).toBeLessThan(30);
    for (const [x, y] of [[80, 40], [110, 16]] as const) expect(colourDistance(meanColour(image, patch(x, y)), PURPLE), `off the L at ${x}, ${y}`).toBeGreaterThan(60);
  });

  it("multiplies the image's alpha: an all-white mask pins what the guide alone pins", async () => {
    expect(same(await render(scene('  mask "white.png"')), await render(scene("")))).toBe(true);
  });
});

describe("a guide's shape or mask in the compiler", () => {
  it("records the shape or mask in the plan, and a `fit` on its own line is the guide's", () => {
    const plan = planIn(dir, scene("  shape ellipse feather 8"));
    expect(plan.guides[0]!.shape).toEqual({ kind: "ellipse", feather: 8, invert: false });
    const own = planIn(dir, scene('\n  mask "l.png" fit contain invert\n  fit cover\n'));
    expect(own.guides[0]).toMatchObject({ fit: "cover", mask: { path: "l.png", fit: "contain", invert: true } });
  });

  it("counts only what a masked strength-1 guide pins as accounted for (S2003)", async () => {
    // The L pins x 0..40 and y 88..128 (its arms, and half of the default 16 px feather).
    const text = `canvas 128 x 128\nregion left { size 32 x 128 }\nguide "purple.png" { strength 1 mask "l.png" }\n`;
    const result = await new GuideDecoder().compile((host) => compile(text, { path: join(dir, "x.scene"), host }), nodeHost);
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([["S2003", "canvas pixels covered by no region: 88 x 88 at 40, 0"]]);
    expect(planIn(dir, `canvas 128 x 128\nregion left { size 32 x 128 }\nguide "purple.png" { strength 1 }\n`).guides).toHaveLength(1);
  });

  it("reports a guide whose shape or mask pins nothing (S2031, S2033)", async () => {
    const text = `${GREEN}guide "purple.png" { mask "black.png" }\nguide "purple.png" { size 64 x 64  shape polygon (0, 0) (64, 0) (64, 64) (0, 64) invert }\n`;
    const result = await new GuideDecoder().compile((host) => compile(text, { path: join(dir, "x.scene"), host }), nodeHost);
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["S2033", 'the mask `black.png` of `guide "purple.png"` covers none of its rectangle'],
      ["S2031", 'the shape of `guide "purple.png"` covers none of its rectangle'],
    ]);
  });
});
