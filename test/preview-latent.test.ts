/**
 * The live preview of watch mode (src/runtime/latent-preview.ts): the clean-latent estimate of a
 * step, through the linear latent→RGB factors, computed in the render worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withOverrides } from "../src/compiler/plan/plan-overrides.js";
import { latentPreview, type LatentPreview } from "../src/runtime/latent-preview.js";
import { LATENT_RGB_FACTORS, latentForColour } from "../src/runtime/latent-rgb.js";
import type { DiffusionModel } from "../src/runtime/model/diffusion-model.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { modelSource } from "../src/runtime/model/resolve-model.js";
import { renderCaches, renderPlan } from "../src/runtime/render.js";
import { compilePlan } from "./helpers/model-folder.js";

/** Latents [4, h, w] of one colour everywhere, and standard-normal-ish noise of a fixed pattern. */
function field(w: number, h: number, colour: [number, number, number]) {
  const z = latentForColour(colour);
  const x0 = new Float32Array(4 * w * h);
  const eps = new Float32Array(4 * w * h);
  for (let c = 0; c < 4; c++)
    for (let i = 0; i < w * h; i++) {
      x0[c * w * h + i] = z[c]!;
      eps[c * w * h + i] = Math.sin(1.7 * i + c) * 1.3;
    }
  return { x0, eps };
}

function expectColour(preview: LatentPreview, colour: [number, number, number], tolerance = 1) {
  for (let i = 0; i < preview.width * preview.height; i++)
    for (let k = 0; k < 3; k++) expect(Math.abs(preview.rgb[i * 3 + k]! - colour[k]! * 255)).toBeLessThanOrEqual(tolerance);
}

describe("latentPreview", () => {
  const colour: [number, number, number] = [0.8, 0.3, 0.2];

  it("recovers the clean picture from σ-scaled latents and an ε prediction (LMS, Euler)", () => {
    const { x0, eps } = field(16, 8, colour);
    const sigma = 3.5;
    const latents = x0.map((v, i) => v + sigma * eps[i]!);
    const preview = latentPreview(latents, eps, 16, 8, { index: 4, steps: 20, inputScale: 1 / Math.sqrt(1 + sigma * sigma), sigma, predictionType: "epsilon" });
    expect(preview).toMatchObject({ step: 5, steps: 20, width: 16, height: 8 });
    expectColour(preview, colour);
  });

  it("recovers it from variance-preserving latents and a v prediction (DDIM, DPM++ on SD 2)", () => {
    const { x0, eps } = field(16, 8, colour);
    const sigma = 0.9;
    const alphaBar = 1 / (1 + sigma * sigma);
    const a = Math.sqrt(alphaBar);
    const b = Math.sqrt(1 - alphaBar);
    const latents = x0.map((v, i) => a * v + b * eps[i]!);
    const v = x0.map((x, i) => a * eps[i]! - b * x);
    expectColour(latentPreview(latents, v, 16, 8, { index: 0, steps: 1, inputScale: 1, sigma, predictionType: "v_prediction" }), colour);
  });

  it("maps a clean latent with the latent→RGB factors", () => {
    const latents = new Float32Array([0.5, -0.25, 0.1, 0.3]);
    const preview = latentPreview(latents, new Float32Array(4), 1, 1, { index: 0, steps: 1, inputScale: 1, sigma: 0, predictionType: "epsilon" });
    for (let k = 0; k < 3; k++) {
      const v = LATENT_RGB_FACTORS.reduce((s, row, c) => s + row[k]! * latents[c]!, 0);
      expect(preview.rgb[k]).toBe(Math.round(((v + 1) / 2) * 255));
    }
  });

  it("box-filters a large latent canvas down to maxSide", () => {
    const { x0 } = field(480, 270, colour);
    const preview = latentPreview(x0, new Float32Array(x0.length), 480, 270, { index: 0, steps: 1, inputScale: 1, sigma: 0, predictionType: "epsilon" }, 256);
    expect([preview.width, preview.height]).toEqual([240, 135]);
    expect(preview.rgb.length).toBe(240 * 135 * 3);
    expectColour(preview, colour);
  });
});

describe("previews of a render on the built-in model", () => {
  let model: DiffusionModel;
  beforeAll(async () => {
    model = await OnnxDiffusionModel.load(modelSource({ kind: "builtin" }), { device: "cpu" });
  });
  afterAll(async () => {
    await model?.release();
  });

  it("come every N steps and after the last; the last one is the final picture at 1/8 scale", async () => {
    const plan = compilePlan(); // euler, 8 steps, 128 x 64: red left, blue right
    const previews: LatentPreview[] = [];
    const image = await renderPlan(plan, model, renderCaches(model), { folder: ".", batch: 1, preview: { every: 3, onPreview: (p) => previews.push(p) } });
    expect(previews.map((p) => p.step)).toEqual([3, 6, 8]);
    const last = previews.at(-1)!;
    expect([last.width, last.height]).toEqual([16, 8]);
    // The built-in VAE is the linear map itself, so the last preview is the picture averaged over 8 x 8 blocks.
    let diff = 0;
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 16; x++)
        for (let k = 0; k < 3; k++) {
          let sum = 0;
          for (let dy = 0; dy < 8; dy++) for (let dx = 0; dx < 8; dx++) sum += image.rgb[((y * 8 + dy) * 128 + x * 8 + dx) * 3 + k]!;
          diff += Math.abs(sum / 64 - last.rgb[(y * 16 + x) * 3 + k]!);
        }
    expect(diff / (16 * 8 * 3)).toBeLessThan(4);
    // Red on the left, blue on the right, already in the first preview.
    const first = previews[0]!;
    const px = (x: number, y: number) => [0, 1, 2].map((k) => first.rgb[(y * 16 + x) * 3 + k]!);
    expect(px(2, 4)[0]!).toBeGreaterThan(px(2, 4)[2]!);
    expect(px(13, 4)[2]!).toBeGreaterThan(px(13, 4)[0]!);
  });

  it("travel from the render worker to the main thread", async () => {
    // The worker runs compiled JavaScript: the Renderer from dist/ (`npm test` builds first).
    const dist = new URL("../dist/src/runtime/render-client.js", import.meta.url).href;
    const { Renderer } = (await import(dist)) as typeof import("../src/runtime/render-client.js");
    const renderer = new Renderer();
    try {
      const previews: LatentPreview[] = [];
      const plan = withOverrides(compilePlan(), { steps: 4 });
      await renderer.render({ plan, model: { kind: "builtin" }, folder: ".", device: "cpu", batch: 1, preview: { every: 2, onPreview: (p) => previews.push(p) } });
      expect(previews.map((p) => [p.step, p.steps, p.width, p.height, p.rgb.length])).toEqual([
        [2, 4, 16, 8, 16 * 8 * 3],
        [4, 4, 16, 8, 16 * 8 * 3],
      ]);
    } finally {
      await renderer.close();
    }
  });
});
