import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import type { RenderCaches } from "../src/runtime/render.js";
import type { RenderedImage } from "../src/runtime/render.js";
import { compileScene, loadBuiltinModel, meanColour, newCaches, renderWith, type Rgb } from "./helpers/render-helpers.js";

/**
 * Shaped regions with the built-in model, whose picture for a prompt is that prompt's colour plus
 * texture (test/render-composition.test.ts): a red ellipse over a blue sky is red inside its
 * outline and blue outside it, the corners of its rectangle included.
 */

let model: OnnxDiffusionModel;
let caches: RenderCaches;
beforeAll(async () => {
  model = await loadBuiltinModel();
  caches = newCaches(model);
});
afterAll(async () => {
  await model?.release();
});

/** Red minus blue of the 8 x 8 patch centred on (x, y): positive where the red prompt painted. */
function redness(image: RenderedImage, x: number, y: number): number {
  const c: Rgb = meanColour(image, x - 4, x + 4, y - 4, y + 4);
  return c[0] - c[2];
}

// A circle of radius 96 at (128, 128), inscribed in the sun's 192 x 192 rectangle. Constant
// kernels, so that only the shape decides where the sun is: inside it the sun holds 9/10 of the
// mix, outside none. The default feather is 16 px, ±8 px about the outline; the samples sit 24 px
// from it, past the feather and the few pixels the UNet blurs an edge by.
const scene = (modifiers: string) => `canvas 256 x 256
seed 11
steps 8
blend constant
region sky { prompt "blue" }
region sun { at 32, 32  size 192 x 192  shape ellipse${modifiers}  prompt "red"  weight 9 }
`;
const RADIUS = 96;
const MARGIN = 24;
const around = (radius: number) =>
  Array.from({ length: 8 }, (_, k) => {
    const angle = (k * Math.PI) / 4 + Math.PI / 8;
    return [Math.round(128 + radius * Math.cos(angle)), Math.round(128 + radius * Math.sin(angle))] as const;
  });
const CORNERS = [[40, 40], [216, 40], [40, 216], [216, 216]] as const;

describe("shaped regions with the built-in model", () => {
  it("paints an ellipse: red at its centre and inside its outline, blue outside it and in its rectangle's corners", async () => {
    const image = await renderWith(compileScene(scene("")), model, caches);
    expect(redness(image, 128, 128), "centre").toBeGreaterThan(60);
    for (const [x, y] of around(RADIUS - MARGIN)) expect(redness(image, x, y), `inside at ${x}, ${y}`).toBeGreaterThan(40);
    for (const [x, y] of around(RADIUS + MARGIN)) expect(redness(image, x, y), `outside at ${x}, ${y}`).toBeLessThan(-40);
    for (const [x, y] of CORNERS) expect(redness(image, x, y), `corner at ${x}, ${y}`).toBeLessThan(-40);
  });

  it("paints the rest of its rectangle with `invert`", async () => {
    const image = await renderWith(compileScene(scene(" invert")), model, caches);
    expect(redness(image, 128, 128), "centre").toBeLessThan(-40);
    for (const [x, y] of CORNERS) expect(redness(image, x, y), `corner at ${x}, ${y}`).toBeGreaterThan(40);
  });
});
