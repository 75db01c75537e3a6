import { describe, expect, it } from "vitest";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import type { RenderCaches } from "../src/runtime/render.js";
import { compileScene, meanColour, renderWith, type Rgb, withBuiltinModel } from "./helpers/render-helpers.js";

/**
 * Composition with the built-in model: each prompt paints where its region is. The built-in
 * model's picture for a prompt is its colour plus texture (README.md, "The built-in model";
 * src/runtime/builtin/), so the mean colour of a patch tells which prompt painted it.
 */

let model: OnnxDiffusionModel;
let caches: RenderCaches;
withBuiltinModel((m, c) => ([model, caches] = [m, c]));

const [R, G, B] = [0, 1, 2] as const;

/** How far channel `c` stands above the other two (both margins positive: it dominates). */
function lead(colour: Rgb, c: 0 | 1 | 2): number {
  return Math.min(...[0, 1, 2].filter((k) => k !== c).map((k) => colour[c] - colour[k]!));
}

describe("composition with the built-in model", () => {
  it("paints red on the left and blue on the right", async () => {
    // Two 256-wide regions overlapping by 128 px, gaussian-blended (the default).
    const plan = compileScene(`canvas 384 x 128
seed 7178915308
steps 8
region left  { at 0, 0    size 256 x 128  prompt "red" }
region right { at 128, 0  size 256 x 128  prompt "blue" }
`);
    const image = await renderWith(plan, model, caches);
    expect([image.width, image.height]).toEqual([384, 128]);
    const left = meanColour(image, 0, 96);
    const right = meanColour(image, 288, 384);
    // Measured: left ≈ (190, 53, 55), right ≈ (61, 82, 185).
    expect(left[R] - left[B], `left quarter ${left.map(Math.round)}`).toBeGreaterThan(80);
    expect(lead(left, R), `left quarter ${left.map(Math.round)}`).toBeGreaterThan(60);
    expect(right[B] - right[R], `right quarter ${right.map(Math.round)}`).toBeGreaterThan(80);
    expect(lead(right, B), `right quarter ${right.map(Math.round)}`).toBeGreaterThan(60);
    // The middle of the overlap is a mix: neither pure red nor pure blue.
    const middle = meanColour(image, 176, 208);
    expect(middle[R]).toBeLessThan(left[R]);
    expect(middle[B]).toBeLessThan(right[B]);
  });

  it("paints a green forest green between a red and a blue region", async () => {
    const plan = compileScene(`canvas 640 x 128
seed 3
steps 8
region a { at 0, 0    size 256 x 128  prompt "a red desert" }
region b { at 192, 0  size 256 x 128  prompt "a green forest" }
region c { at 384, 0  size 256 x 128  prompt "a blue sea" }
`);
    const image = await renderWith(plan, model, caches);
    const left = meanColour(image, 0, 128);
    const centre = meanColour(image, 272, 368);
    const right = meanColour(image, 512, 640);
    // Measured: left ≈ (204, 112, 74), centre ≈ (36, 120, 42), right ≈ (19, 88, 186).
    expect(lead(left, R), `left ${left.map(Math.round)}`).toBeGreaterThan(40);
    expect(lead(centre, G), `centre ${centre.map(Math.round)}`).toBeGreaterThan(30);
    expect(lead(right, B), `right ${right.map(Math.round)}`).toBeGreaterThan(40);
  });

  it("paints a green forest green on its own", async () => {
    const plan = compileScene(`canvas 128 x 128
seed 3
steps 8
region forest { prompt "green forest" }
`);
    const colour = meanColour(await renderWith(plan, model, caches), 0, 128);
    // Measured ≈ (44, 120, 51).
    expect(lead(colour, G), `forest ${colour.map(Math.round)}`).toBeGreaterThan(40);
  });

  it("places regions vertically too: a blue sky above a green meadow", async () => {
    // Rows exercise the other axis of the crop and mixing loops.
    const plan = compileScene(`canvas 128 x 384
seed 5
steps 8
region sky    { at 0, 0    size 128 x 256  prompt "blue sky" }
region meadow { at 0, 128  size 128 x 256  prompt "green grass" }
`);
    const image = await renderWith(plan, model, caches);
    const top = meanColour(image, 0, 128, 0, 96);
    const bottom = meanColour(image, 0, 128, 288, 384);
    // Measured: top ≈ (72, 128, 209), bottom ≈ (85, 149, 80).
    expect(lead(top, B), `top ${top.map(Math.round)}`).toBeGreaterThan(40);
    expect(lead(bottom, G), `bottom ${bottom.map(Math.round)}`).toBeGreaterThan(30);
  });
});
