import { describe, expect, it } from "vitest";
import { withOverrides } from "../src/compiler/plan/plan-overrides.js";
import { encodePng } from "../src/runtime/image/png-write.js";
import { scenecPngText } from "../src/runtime/image/png-text.js";
import { initialNoise } from "../src/runtime/mixture.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { NormalNoise } from "../src/runtime/noise.js";
import { compileScene, difference, loadBuiltinModel, newCaches, renderWith, withModel } from "./helpers/render-helpers.js";

/**
 * Determinism: a scene and a seed make one picture, byte for byte; batching same-size regions
 * changes nothing beyond float tolerance; a region's own seed re-rolls only its own noise.
 */

let model: OnnxDiffusionModel;
withModel(loadBuiltinModel, (loaded) => (model = loaded));

const SCENE = `canvas 384 x 128
seed 7178915308
steps 6
region left  { at 0, 0    size 256 x 128  prompt "a red desert" }
region right { at 128, 0  size 256 x 128  prompt "a blue sea with pale clouds" }
`;

function text(seed: number) {
  return scenecPngText({ scene: SCENE, planSha256: "0".repeat(64), seed, version: "0.0.0-test" });
}

describe("render determinism", () => {
  for (const scheduler of ["lms", "euler_ancestral"]) {
    it(`the same scene and seed give byte-identical PNGs (${scheduler})`, async () => {
      const plan = compileScene(SCENE.replace("steps 6", `steps 6\nscheduler ${scheduler}`));
      // Separate caches: the second render encodes its prompts again.
      const a = await renderWith(plan, model, newCaches(model));
      const b = await renderWith(plan, model, newCaches(model));
      expect(difference(a.rgb, b.rgb).count).toBe(0);
      const pngA = await encodePng(a.rgb, a.width, a.height, text(plan.seed));
      const pngB = await encodePng(b.rgb, b.width, b.height, text(plan.seed));
      expect(Buffer.from(pngA).equals(Buffer.from(pngB))).toBe(true);
    });
  }

  it("another seed gives another picture", async () => {
    const plan = compileScene(SCENE);
    const caches = newCaches(model);
    const a = await renderWith(plan, model, caches);
    const b = await renderWith(withOverrides(plan, { seed: 7178915309 }), model, caches);
    const diff = difference(a.rgb, b.rgb);
    // Measured: 98% of the bytes differ, by up to 60 levels.
    expect(diff.count / a.rgb.length).toBeGreaterThan(0.5);
    expect(diff.max).toBeGreaterThan(20);
    const pngA = await encodePng(a.rgb, a.width, a.height, text(plan.seed));
    const pngB = await encodePng(b.rgb, b.width, b.height, text(plan.seed));
    expect(Buffer.from(pngA).equals(Buffer.from(pngB))).toBe(false);
  });

  it("batching same-size regions gives the same picture as one region per UNet call", async () => {
    // A 3 x 2 grid of 256 x 256 tiles (six same-size regions, six prompts): batch 4 makes calls
    // of 4 and 2 regions, batch 6 one call of 6.
    const plan = compileScene(`canvas 512 x 384
seed 11
steps 6
grid g {
  tile 256 x 256
  overlap 128 x 128
  prompts [ "a red desert", "a blue sea", "a green forest", "golden light", "purple", "dark clouds" ]
}
`);
    expect(plan.regions).toHaveLength(6);
    const caches = newCaches(model);
    const one = await renderWith(plan, model, caches, { batch: 1 });
    for (const batch of [4, 6]) {
      const many = await renderWith(plan, model, caches, { batch });
      // Measured: identical (max difference 0); float tolerance allows one level.
      expect(difference(one.rgb, many.rgb).max, `batch ${batch}`).toBeLessThanOrEqual(1);
    }
  });

  it("a region's seed re-rolls the initial noise under that region only", () => {
    const scene = (seed: string) => `canvas 384 x 256
seed 7
region ground { prompt "a red desert" }
region right  { at 128, 64  size 192 x 128  prompt "a blue sea" ${seed} }
`;
    const base = compileScene(scene(""));
    const reseeded = compileScene(scene("seed 42"));
    const right = reseeded.regions.find((r) => r.name === "right")!;
    expect(right.seed).toBe(42);
    const { width: W, height: H } = reseeded.latent;
    const { x, y, width: w, height: h } = right.latent;
    const a = initialNoise(base);
    const b = initialNoise(reseeded);
    expect(a).toHaveLength(4 * W * H);
    // The canvas noise is the seeded draw over the whole latent canvas, in C, H, W order.
    expect(a).toEqual(new NormalNoise(7).fill(new Float32Array(4 * W * H)));
    const own = new NormalNoise(42).fill(new Float32Array(4 * w * h));
    let inside = 0;
    let insideSame = 0;
    for (let c = 0; c < 4; c++)
      for (let j = 0; j < H; j++)
        for (let i = 0; i < W; i++) {
          const k = (c * H + j) * W + i;
          if (i >= x && i < x + w && j >= y && j < y + h) {
            inside++;
            if (a[k] === b[k]) insideSame++;
            // Inside: the region's own draw over its rectangle, in C, H, W order.
            if (b[k] !== own[(c * h + j - y) * w + i - x]) expect.fail(`noise at c=${c} y=${j} x=${i} is not the region seed's`);
          } else if (a[k] !== b[k]) expect.fail(`noise outside the region changed at c=${c} y=${j} x=${i}`);
        }
    expect(inside).toBe(4 * w * h);
    expect(insideSame).toBe(0);
  });

  it("a region seed changes the picture most under that region", async () => {
    const scene = (seed: string) => `canvas 512 x 128
seed 7
steps 6
region left  { at 0, 0    size 256 x 128  prompt "a red desert" }
region mid   { at 128, 0  size 256 x 128  prompt "a red desert" }
region right { at 256, 0  size 256 x 128  prompt "a blue sea" ${seed} }
`;
    const caches = newCaches(model);
    const a = await renderWith(compileScene(scene("")), model, caches);
    const b = await renderWith(compileScene(scene("seed 42")), model, caches);
    const rows = (x0: number, x1: number) => {
      const pick = (img: typeof a) => {
        const out: number[] = [];
        for (let y = 0; y < img.height; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) out.push(img.rgb[(y * img.width + x) * 3 + c]!);
        return out;
      };
      return difference(pick(a), pick(b));
    };
    // Far left (not under `right`, which starts at x = 256): the mixture couples regions only
    // through the shared latents where they overlap, so the far left barely moves.
    const far = rows(0, 96);
    const under = rows(352, 512);
    // Measured: under `right` 98% of the bytes change, by up to 55 levels; at the far left 39%, by up to 5.
    expect(under.count / (160 * 128 * 3)).toBeGreaterThan(0.5);
    expect(far.max * 4).toBeLessThan(under.max);
  });
});
