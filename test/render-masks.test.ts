import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GuideDecoder } from "../src/cli/guide-check.js";
import { compile } from "../src/compiler/compile.js";
import type { Plan } from "../src/compiler/plan/plan.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { StaleGuideError } from "../src/runtime/guides/guide-image.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import type { RenderCaches } from "../src/runtime/render.js";
import { lMask } from "./helpers/mask-images.js";
import { redness, renderWith, withBuiltinModel } from "./helpers/render-helpers.js";

/**
 * Mask images with the built-in model, whose picture for a prompt is that prompt's colour plus
 * texture (test/render-composition.test.ts): a red region masked by an L over a blue sky is red in
 * the L and blue in the rest of its rectangle.
 */

let model: OnnxDiffusionModel;
let caches: RenderCaches;
withBuiltinModel((m, c) => ([model, caches] = [m, c]));

let folder: string;
beforeAll(async () => {
  folder = mkdtempSync(path.join(tmpdir(), "scenec-masks-"));
  writeFileSync(path.join(folder, "l.png"), await lMask(64));
  // A 2:1 white picture: `contain` in a square leaves bands above and below it.
  writeFileSync(path.join(folder, "band.png"), await sharp({ create: { width: 128, height: 64, channels: 3, background: "#ffffff" } }).png().toBuffer());
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Compiles as the CLI does (masks decoded, so the checks see them), failing on errors. */
async function compileIn(text: string): Promise<Plan> {
  const file = path.join(folder, "s.scene");
  const result = await new GuideDecoder().compile((host) => compile(text, { path: file, host }), nodeHost);
  if (!result.plan) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return result.plan;
}

const render = (plan: Plan) => renderWith(plan, model, caches, { folder });

// The L's arms are a quarter of the 192 px box: x 32..80 (all rows) and y 176..224 (all columns).
// Samples sit 24 px from its edges, past the default 16 px feather and the UNet's blur.
const scene = (mask: string) => `canvas 256 x 256
seed 11
steps 8
blend constant
region sky { prompt "blue" }
region wall { at 32, 32  size 192 x 192  mask ${mask}  prompt "red"  weight 9 }
`;
const IN_L = [[56, 56], [56, 120], [56, 200], [120, 200], [200, 200]] as const;
const OFF_L = [[128, 128], [200, 56], [120, 80], [200, 140]] as const;

describe("mask images with the built-in model", () => {
  it("paints an L: red in the L, blue in the rest of its rectangle", async () => {
    const image = await render(await compileIn(scene('"l.png"')));
    for (const [x, y] of IN_L) expect(redness(image, x, y), `in the L at ${x}, ${y}`).toBeGreaterThan(40);
    for (const [x, y] of OFF_L) expect(redness(image, x, y), `off the L at ${x}, ${y}`).toBeLessThan(-40);
  });

  it("paints the rest of its rectangle with `invert`", async () => {
    const image = await render(await compileIn(scene('"l.png" invert')));
    for (const [x, y] of IN_L) expect(redness(image, x, y), `in the L at ${x}, ${y}`).toBeLessThan(-40);
    for (const [x, y] of OFF_L) expect(redness(image, x, y), `off the L at ${x}, ${y}`).toBeGreaterThan(40);
  });

  it("places the image by `fit`: `contain` leaves the bands above and below a wide image out, `stretch` does not", async () => {
    // The 2:1 image contained in the 192 px box covers its rows 48..144 (canvas y 80..176).
    const contained = await render(await compileIn(scene('"band.png" fit contain')));
    expect(redness(contained, 128, 128), "in the band").toBeGreaterThan(40);
    expect(redness(contained, 128, 52), "above it").toBeLessThan(-40);
    expect(redness(contained, 128, 204), "below it").toBeLessThan(-40);
    const stretched = await render(await compileIn(scene('"band.png"')));
    expect(redness(stretched, 128, 52), "stretched over the whole box").toBeGreaterThan(40);
  });

  it("refuses a mask file changed since the plan was made", async () => {
    const plan = await compileIn(scene('"l.png"'));
    const changed = path.join(folder, "changed.png");
    writeFileSync(changed, await lMask(32));
    const stale: Plan = { ...plan, regions: plan.regions.map((r) => (r.mask ? { ...r, mask: { ...r.mask, path: "changed.png" } } : r)) };
    await expect(render(stale)).rejects.toThrow(StaleGuideError);
    await expect(render(stale)).rejects.toThrow("mask image");
  });
});
