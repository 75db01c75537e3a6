/**
 * The incremental-workflow example: scenes/incremental.scene pins the bottom half of a render of
 * scenes/countryside.scene (scenes/guides/countryside-bottom.png, made by
 * scripts/make-incremental-guide.ts) with strength 1 and re-rolls the top half with another seed.
 *
 * Both renders run at 6 steps instead of the scenes' 50 (the `--steps` override), to keep this file
 * well under 30 s on two cores: a strength-1 guide is imposed after every step whatever their
 * number, so the kept half does not depend on it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { nodeHost } from "../src/compiler/node-host.js";
import { withOverrides } from "../src/compiler/plan/plan-overrides.js";
import type { Plan } from "../src/compiler/plan/plan.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { crop, loadBuiltinModel, meanAbsDiff, psnr, readRgb, renderIn } from "./helpers/guide-helpers.js";

const SCENES = join(import.meta.dirname, "..", "scenes");
const STEPS = 6;
const TOP = { x: 0, y: 0, width: 1408, height: 320 };
const BOTTOM = { x: 0, y: 320, width: 1408, height: 320 };

let model: OnnxDiffusionModel;
beforeAll(async () => {
  model = await loadBuiltinModel();
});

function compileScene(name: string): Plan {
  const file = join(SCENES, name);
  const result = compile(readFileSync(file, "utf8"), { path: file, host: nodeHost });
  expect(result.diagnostics).toEqual([]);
  return result.plan!;
}

describe("scenes/incremental.scene", () => {
  it("compiles with no diagnostics, its guide the 1408 x 320 bottom half at strength 1", () => {
    const plan = compileScene("incremental.scene");
    const countryside = compileScene("countryside.scene");
    expect(plan.guides).toHaveLength(1);
    const guide = plan.guides[0]!;
    expect(guide).toMatchObject({ path: "guides/countryside-bottom.png", strength: 1, steps: plan.steps, imageSize: { width: 1408, height: 320 } });
    expect(guide.rect).toEqual(BOTTOM);
    // The same picture as countryside.scene but for the seed: same canvas, regions and settings.
    expect(plan.seed).not.toBe(countryside.seed);
    expect(plan.canvas).toEqual(countryside.canvas);
    expect(plan.regions.map(({ source: _, ...r }) => r)).toEqual(countryside.regions.map(({ source: _, ...r }) => r));
    expect([plan.steps, plan.scheduler, plan.model]).toEqual([countryside.steps, countryside.scheduler, countryside.model]);
  });

  it("keeps the pinned half and paints a new top half", async () => {
    const guide = await readRgb(join(SCENES, "guides", "countryside-bottom.png"));
    const second = await renderIn(SCENES, withOverrides(compileScene("incremental.scene"), { steps: STEPS }), model);
    const first = await renderIn(SCENES, withOverrides(compileScene("countryside.scene"), { steps: STEPS }), model);

    // The kept half is the guide: measured 37.7 dB at 6 steps (37.8 at the scene's 50).
    expect(psnr(crop(second, BOTTOM), guide.rgb)).toBeGreaterThanOrEqual(25);
    // The guide is countryside's bottom half: its 6-step render is near the 50-step one the file
    // was cut from (measured 4.0 of 255 apart on average at 6 steps, 2.5 at 10).
    expect(meanAbsDiff(crop(first, BOTTOM), guide.rgb)).toBeLessThan(8);
    // The top half is new: measured 17.0 of 255 apart on average from countryside's at 6 steps (21.4 at 50).
    expect(meanAbsDiff(crop(second, TOP), crop(first, TOP))).toBeGreaterThan(10);
  });
});
