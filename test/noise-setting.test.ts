import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withOverrides } from "../src/compiler/plan/plan-overrides.js";
import { renderSettings } from "../src/cli/render-options.js";
import { UsageError } from "../src/cli/errors.js";
import { initialNoise } from "../src/runtime/mixture.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { torchRandn } from "../src/runtime/noise/torch-randn.js";
import { NormalNoise, seededNoise, stepNoiseSource } from "../src/runtime/noise.js";
import { TorchGenerator } from "../src/runtime/noise/torch-randn.js";
import { compileScene, difference, loadBuiltinModel, newCaches, renderWith, withModel } from "./helpers/render-helpers.js";

/**
 * The `noise` setting and `--noise`: `noise torch` starts from torch.randn's latents (a region's
 * own seed draws its rectangle the same way), renders deterministically and differently from the
 * default, and the command line's `--noise` overrides the scene's.
 */

const SCENE = `canvas 256 x 128
seed 1234
steps 4
region left  { at 0, 0    size 128 x 128  prompt "a red desert" }
region right { at 128, 0  size 128 x 128  prompt "a blue sea" seed 7 }
`;
const TORCH_SCENE = SCENE.replace("seed 1234", "seed 1234\nnoise torch");

let model: OnnxDiffusionModel;
withModel(loadBuiltinModel, (loaded) => (model = loaded));

/** Channel c, row j of the [4, h, w] rectangle at (x, y) of a [4, H, W] canvas. */
function rect(noise: Float32Array, W: number, H: number, x: number, y: number, w: number, h: number): Float32Array {
  const out = new Float32Array(4 * h * w);
  for (let c = 0; c < 4; c++) for (let j = 0; j < h; j++) out.set(noise.subarray((c * H + y + j) * W + x, (c * H + y + j) * W + x + w), (c * h + j) * w);
  return out;
}

describe("noise torch", () => {
  it("is in the plan, scenec by default", () => {
    expect(compileScene(SCENE).noise).toBe("scenec");
    expect(compileScene(TORCH_SCENE).noise).toBe("torch");
  });

  it("draws the canvas with torch.randn from the seed, and a region's rectangle from its own seed", () => {
    const plan = compileScene(TORCH_SCENE);
    const { width: W, height: H } = plan.latent;
    const noise = initialNoise(plan);
    expect(rect(noise, W, H, 0, 0, 16, 16)).toEqual(rect(torchRandn(1234, 4 * W * H), W, H, 0, 0, 16, 16));
    expect(rect(noise, W, H, 16, 0, 16, 16)).toEqual(torchRandn(7, 4 * 16 * 16));
    // The default generator draws other values for the same seeds.
    const scenec = initialNoise(compileScene(SCENE));
    expect(rect(scenec, W, H, 0, 0, 16, 16)).toEqual(rect(seededNoise(1234, 4 * W * H), W, H, 0, 0, 16, 16));
    expect(scenec).not.toEqual(noise);
  });

  it("renders the same picture twice, and another than the default", async () => {
    const caches = newCaches(model);
    const torch = compileScene(TORCH_SCENE);
    const a = await renderWith(torch, model, caches);
    const b = await renderWith(torch, model, newCaches(model));
    expect(difference(a.rgb, b.rgb).count).toBe(0);
    const scenec = await renderWith(compileScene(SCENE), model, caches);
    const diff = difference(a.rgb, scenec.rgb);
    expect(diff.count / a.rgb.length).toBeGreaterThan(0.5);
    expect(diff.max).toBeGreaterThan(20);
    // --noise torch on the default scene is the scene with `noise torch`.
    const overridden = await renderWith(withOverrides(compileScene(SCENE), { noise: "torch" }), model, caches);
    expect(difference(a.rgb, overridden.rgb).count).toBe(0);
  });

  it("gives euler_ancestral its step noise from the same torch generator, after the canvas's draw", async () => {
    const length = 4 * 32 * 16;
    const torch = new TorchGenerator(1234);
    torch.fill(new Float32Array(length));
    const steps = stepNoiseSource("torch", 1234, length);
    for (let i = 0; i < 3; i++) expect(steps.fill(new Float32Array(length))).toEqual(torch.fill(new Float32Array(length)));
    expect(stepNoiseSource("scenec", 1234, length).fill(new Float32Array(8))).toEqual(new NormalNoise(1234, 1).fill(new Float32Array(8)));
    const plan = compileScene(TORCH_SCENE.replace("steps 4", "steps 4\nscheduler euler_ancestral"));
    const a = await renderWith(plan, model, newCaches(model));
    const b = await renderWith(plan, model, newCaches(model));
    expect(difference(a.rgb, b.rgb).count).toBe(0);
  });
});

describe("--noise", () => {
  it("overrides the scene's generator either way", () => {
    expect(renderSettings({ noise: "torch" }, "render").noise).toBe("torch");
    expect(renderSettings({}, "render").noise).toBeUndefined();
    expect(withOverrides(compileScene(TORCH_SCENE), { noise: "scenec" }).noise).toBe("scenec");
    expect(withOverrides(compileScene(TORCH_SCENE), {}).noise).toBe("torch");
  });

  it("is a usage error for a name that is no generator", () => {
    expect(() => renderSettings({ noise: "pytorch" }, "watch")).toThrow(UsageError);
    expect(() => renderSettings({ noise: "pytorch" }, "watch")).toThrow("--noise must be scenec, torch or philox, not `pytorch`");
  });
});

const casesRoot = path.resolve("../shared/conformance/cases");
const present = existsSync(casesRoot);
if (!present) console.log(`noise-setting: ${casesRoot} is absent; the check against the conformance cases' noise.f32 is skipped`);

describe.runIf(present)("noise torch against the conformance cases", () => {
  it("gives every case's noise.f32 from its canvas and seed", () => {
    for (const name of present ? readdirSync(casesRoot) : []) {
      const folder = path.join(casesRoot, name);
      // Python's json writes sigmas' -Infinity bare, which JSON.parse refuses; they are not needed here.
      const text = readFileSync(path.join(folder, "case.json"), "utf8").replace(/-?Infinity|NaN/g, "null");
      const meta = JSON.parse(text) as { seed: number; canvas: { width: number; height: number } };
      const { width, height } = meta.canvas;
      const plan = compileScene(`canvas ${width} x ${height}\nseed ${meta.seed}\nnoise torch\nregion all { prompt "x" }\n`);
      const bytes = readFileSync(path.join(folder, "noise.f32"));
      const expected = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      expect(initialNoise(plan), name).toEqual(expected);
    }
  });
});
