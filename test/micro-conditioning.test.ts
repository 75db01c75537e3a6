import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import type { UnetConditioning } from "../src/runtime/model/conditioning.js";
import type { DiffusionModel, Shape4 } from "../src/runtime/model/diffusion-model.js";
import { folderSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { renderCaches, renderPlan } from "../src/runtime/render.js";
import { CONFORMANCE_ROOT } from "./helpers/conformance-cases.js";
import { memoryHost } from "./helpers/memory-host.js";
import { compileScene, withModel } from "./helpers/render-helpers.js";

/**
 * SDXL micro-conditioning settings (`original`, `crop`, `target` and their `negative-` forms):
 * where they may be written, what the checker refuses, what the plan records, and the time ids
 * the UNet gets from them.
 */

function diagnostics(text: string) {
  return compile(text, { path: "test.scene", host: memoryHost() }).diagnostics.map((d) => ({ code: d.code, line: d.location.start.line, column: d.location.start.column, message: d.message }));
}

describe("micro-conditioning in the plan", () => {
  it("is absent from a scene that sets none", () => {
    const plan = compileScene(`canvas 256 x 256\nregion a { prompt "x" }\n`);
    expect(plan.regions[0]).not.toHaveProperty("microConditioning");
  });

  it("inherits scene -> grid -> cell and scene -> region, key by key; any positive size and any crop >= 0 is accepted", () => {
    const plan = compileScene(`canvas 512 x 256
original 1024 x 1024
negative-target 1000 x 999
region r { at 0, 0 size 256 x 256 prompt "r" crop 0, 128 target 1024 x 768 }
grid g { at 256, 0 tile 256 x 128 columns 1 rows 2 prompt "g" negative-crop 3, 5
  cell 0, 1 { original 2048 x 512 negative-original 640 x 480 } }
`);
    const micro = Object.fromEntries(plan.regions.map((r) => [r.name, r.microConditioning]));
    expect(micro["r"]).toEqual({ original: { width: 1024, height: 1024 }, crop: { x: 0, y: 128 }, target: { width: 1024, height: 768 }, negativeTarget: { width: 1000, height: 999 } });
    expect(micro["g[0,0]"]).toEqual({ original: { width: 1024, height: 1024 }, negativeCrop: { x: 3, y: 5 }, negativeTarget: { width: 1000, height: 999 } });
    expect(micro["g[0,1]"]).toEqual({
      original: { width: 2048, height: 512 },
      negativeOriginal: { width: 640, height: 480 },
      negativeCrop: { x: 3, y: 5 },
      negativeTarget: { width: 1000, height: 999 },
    });
    // Keys in the plan's canonical order, whatever order the scene wrote them in.
    expect(Object.keys(micro["r"]!)).toEqual(["original", "crop", "target", "negativeTarget"]);
  });

  it("is recorded for a shifted grid", () => {
    const plan = compileScene(`canvas 512 x 256\ngrid g { tile 256 x 256 columns 2 rows 1 tiling shifted prompt "g" target 2048 x 1024 }\n`);
    expect(plan.shiftedGrids![0]!.microConditioning).toEqual({ target: { width: 2048, height: 1024 } });
  });
});

describe("micro-conditioning diagnostics", () => {
  it("refuses sizes that are not positive integers and negative crops, pointing at the number", () => {
    expect(diagnostics(`canvas 256 x 256\nregion a { prompt "x" original 0 x 1024 crop -8, 0 target 1024.5 x 1024 }\n`)).toEqual([
      { code: "S2010", line: 2, column: 32, message: "original width `0` is out of range" },
      { code: "S2010", line: 2, column: 46, message: "crop x `-8` is out of range" },
      { code: "S2019", line: 2, column: 59, message: "target width must be a whole number, not `1024.5`" },
    ]);
  });

  it("says where a setting belongs when written in a guide, and that one given twice is one too many", () => {
    const guide = diagnostics(`canvas 256 x 256\nregion a { prompt "x" }\nguide "g.png" { crop 0, 0 }\n`).find((d) => d.code === "S2015");
    expect(guide?.message).toMatch(/crop/);
    expect(diagnostics(`canvas 256 x 256\nregion a { prompt "x" original 64 x 64 original 128 x 128 }\n`).map((d) => d.code)).toEqual(["S2016"]);
  });

  it("keeps `negative-original` apart from `negative` and `crop` a fit-mode typo", () => {
    const plan = compileScene(`canvas 256 x 256\nregion a { prompt "x" negative "blur" negative-original 64 x 32 }\n`);
    expect(plan.regions[0]!.negative).toBe("blur");
    expect(plan.regions[0]!.microConditioning).toEqual({ negativeOriginal: { width: 64, height: 32 } });
    expect(diagnostics(`canvas 256 x 256\nregion a { prompt "x" }\nguide "g.png" { fit crop }\n`).map((d) => d.code)).toContain("S2009");
  });
});

/** Each UNet call's time ids, copied. */
interface Call {
  shape: Shape4;
  timeIds: number[];
}

function recording(model: OnnxDiffusionModel, calls: Call[]): DiffusionModel {
  return Object.assign(Object.create(model) as DiffusionModel, {
    unet: (sample: Float32Array, shape: Shape4, timestep: number, c: UnetConditioning) => {
      calls.push({ shape, timeIds: Array.from(c.timeIds) });
      return model.unet(sample, shape, timestep, c);
    },
  });
}

const sdxl = path.join(CONFORMANCE_ROOT, "models/tiny-sdxl");
const sd15 = path.join(CONFORMANCE_ROOT, "models/tiny-sd15");

describe.runIf(existsSync(sdxl))("micro-conditioning on an SDXL UNet", () => {
  let model: OnnxDiffusionModel;
  withModel(() => OnnxDiffusionModel.load(folderSource(sdxl), { device: "cpu" }), (m) => (model = m));

  it("the positive item gets original, crop and target; the negative item the negative ones, each defaulting to the positive one", async () => {
    const plan = compileScene(`canvas 448 x 256
model "${sdxl}"
steps 1
scheduler euler
guidance 5
region a { at 0, 0   size 256 x 256 prompt "a" original 1024 x 768 crop 16, 32 }
region b { at 192, 0 size 256 x 256 prompt "b" target 2048 x 1536 negative-original 448 x 256 negative-crop 0, 0 }
`);
    const calls: Call[] = [];
    const model_ = recording(model, calls);
    await renderPlan(plan, model_, renderCaches(model_), { batch: 4 });
    expect(calls).toHaveLength(1);
    // [original h, w, crop top, left, target h, w] for a's negative, a's prompt, b's negative, b's prompt.
    expect(calls[0]!.timeIds).toEqual([
      ...[768, 1024, 32, 16, 256, 256],
      ...[768, 1024, 32, 16, 256, 256],
      ...[256, 448, 0, 0, 1536, 2048],
      ...[256, 256, 0, 192, 1536, 2048],
    ]);
  }, 60_000);

  it("a shifted grid's windows take its crop in place of their moving offsets", async () => {
    const scene = (crop: string) => `canvas 512 x 256
model "${sdxl}"
steps 2
scheduler euler
guidance 1
grid g { tile 256 x 256 columns 2 rows 1 tiling shifted prompt "g"${crop} }
`;
    const crops = async (crop: string) => {
      const calls: Call[] = [];
      const model_ = recording(model, calls);
      await renderPlan(compileScene(scene(crop)), model_, renderCaches(model_), { batch: 1 });
      // Each call is one window: [h, w, crop top, left, h, w].
      return calls.map((c) => c.timeIds.slice(2, 4));
    };
    const moving = await crops("");
    expect(new Set(moving.map((c) => c.join())).size).toBeGreaterThan(2);
    expect(await crops(" crop 64, 32")).toEqual(moving.map(() => [32, 64]));
  }, 60_000);
});

describe.runIf(existsSync(sd15))("micro-conditioning on an SD 1.x UNet", () => {
  it("is ignored, with a warning naming the regions", async () => {
    const model = await OnnxDiffusionModel.load(folderSource(sd15), { device: "cpu" });
    try {
      const plan = compileScene(`canvas 64 x 64\nmodel "${sd15}"\nsteps 1\noriginal 1024 x 1024\nregion a { prompt "a" }\n`);
      const warnings: string[] = [];
      await renderPlan(plan, model, renderCaches(model), { batch: 1, onWarning: (m) => warnings.push(m) });
      expect(warnings).toEqual(["`a` set SDXL micro-conditioning (original, crop, target), which this model's UNet does not take: it is ignored"]);
    } finally {
      await model.release();
    }
  }, 60_000);
});
