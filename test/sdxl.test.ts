import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnetConditioning } from "../src/runtime/model/conditioning.js";
import type { DiffusionModel, Shape4 } from "../src/runtime/model/diffusion-model.js";
import { folderSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { renderCaches, renderPlan } from "../src/runtime/render.js";
import { CONFORMANCE_ROOT } from "./helpers/conformance-cases.js";
import { compileScene } from "./helpers/render-helpers.js";
import { runScenec } from "./helpers/scenec-cli.js";

/**
 * SDXL scenes (tiny-sdxl of ../shared/conformance, random weights, so pictures are noise and the
 * checks are on what the UNet is given): every region is conditioned on both encoders, its pooled
 * embedding and its own micro-conditioning (its size, and its offset in the canvas as the crop);
 * a region without a negative prompt on zeros, one with `negative ""` on the empty prompt's
 * encoding. The diffusers comparison itself is in conformance-cases.test.ts.
 */

const sdxl = path.join(CONFORMANCE_ROOT, "models/tiny-sdxl");
const present = existsSync(sdxl);
if (!present) console.log(`sdxl: ${sdxl} is absent; the SDXL scene checks are skipped`);

const THREE_REGIONS = (model: string) => `canvas 448 x 256
model "${model}"
steps 2
scheduler euler
guidance 5
region sky   { at 0, 0    size 256 x 256  prompt "a red sports car" }
region road  { at 192, 0  size 256 x 256  prompt "a blue bus" negative "" }
region sun   { at 128, 64 size 128 x 128  prompt "the sun" negative "blurry" guidance 1 }
`;

/** Each UNet call's items: its batch shape and conditioning, copied. */
interface Call {
  shape: Shape4;
  conditioning: UnetConditioning;
}

describe.runIf(present)("SDXL scenes", () => {
  let model: OnnxDiffusionModel;
  const work = mkdtempSync(path.join(tmpdir(), "scenec-sdxl-"));
  beforeAll(async () => {
    model = await OnnxDiffusionModel.load(folderSource(sdxl), { device: "cpu" });
  }, 60_000);
  afterAll(async () => {
    await model?.release();
    rmSync(work, { recursive: true, force: true });
  });

  it("the folder loads as SDXL: both encoders' widths, the pooled width, time ids, zeros for a missing negative", () => {
    expect(model.description).toMatch(/\(optimum layout, SDXL\)$/);
    expect(model.conditioning).toEqual({ hiddenSize: 64, pooledSize: 32, timeIds: true, zeroMissingNegative: true });
  });

  it("each region's items get its embeddings, pooled embedding and time ids; no negative prompt is zeros, `negative \"\"` is the empty prompt", async () => {
    const plan = compileScene(THREE_REGIONS(sdxl));
    const calls: Call[] = [];
    const recording: DiffusionModel = Object.assign(Object.create(model) as DiffusionModel, {
      unet: (sample: Float32Array, shape: Shape4, timestep: number, c: UnetConditioning) => {
        calls.push({ shape, conditioning: { sequenceLength: c.sequenceLength, hidden: c.hidden.slice(), pooled: c.pooled.slice(), timeIds: c.timeIds.slice() } });
        return model.unet(sample, shape, timestep, c);
      },
    });
    const [car, empty, sun] = await model.encodePrompts([{ text: "a red sports car" }, { text: "" }, { text: "the sun" }]);
    await renderPlan(plan, recording, renderCaches(recording), { folder: work, batch: 4 });

    // Batch 4: the two 256² regions (guided: 2 items each) in one call, the 128² one (unguided) in another; 2 steps.
    expect(calls.map((c) => c.shape[0])).toEqual([4, 1, 4, 1]);
    const item = (c: Call, i: number) => ({
      hidden: c.conditioning.hidden.subarray(i * 77 * 64, (i + 1) * 77 * 64),
      pooled: c.conditioning.pooled.subarray(i * 32, (i + 1) * 32),
      timeIds: Array.from(c.conditioning.timeIds.subarray(i * 6, (i + 1) * 6)),
    });
    const [pair, single] = calls as [Call, Call];
    const [skyNegative, skyPrompt, roadNegative] = [item(pair, 0), item(pair, 1), item(pair, 2)];
    expect(skyNegative.hidden.every((v) => v === 0) && skyNegative.pooled.every((v) => v === 0)).toBe(true);
    expect(skyPrompt.hidden).toEqual(car!.sequence);
    expect(skyPrompt.pooled).toEqual(car!.pooled);
    expect(roadNegative.hidden).toEqual(empty!.sequence);
    expect(roadNegative.pooled).toEqual(empty!.pooled);
    expect(empty!.pooled.some((v) => v !== 0)).toBe(true);
    // [original h, w, crop top, left, target h, w]: the region's size and its offset in the canvas.
    expect(skyNegative.timeIds).toEqual([256, 256, 0, 0, 256, 256]);
    expect(skyPrompt.timeIds).toEqual([256, 256, 0, 0, 256, 256]);
    expect(roadNegative.timeIds).toEqual([256, 256, 0, 192, 256, 256]);
    expect(item(single, 0).timeIds).toEqual([128, 128, 64, 128, 128, 128]);
    expect(item(single, 0).hidden).toEqual(sun!.sequence);
  });

  it("SDXL-Turbo's way: a trailing schedule, one step at `guidance 0`: one UNet item per region, at the last timestep", async () => {
    // tiny-sdxl with SDXL-Turbo's scheduler config (the Hub's: Euler ancestral, trailing spacing).
    const turbo = path.join(work, "turbo");
    mkdirSync(path.join(turbo, "scheduler"), { recursive: true });
    for (const entry of readdirSync(sdxl)) if (entry !== "scheduler") symlinkSync(path.join(sdxl, entry), path.join(turbo, entry));
    const config = JSON.parse(readFileSync(path.join(sdxl, "scheduler/scheduler_config.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(path.join(turbo, "scheduler/scheduler_config.json"), JSON.stringify({ ...config, _class_name: "EulerAncestralDiscreteScheduler", timestep_spacing: "trailing" }));
    const fast = await OnnxDiffusionModel.load(folderSource(turbo), { device: "cpu" });
    try {
      const calls: { items: number; timestep: number }[] = [];
      const recording: DiffusionModel = Object.assign(Object.create(fast) as DiffusionModel, {
        unet: (sample: Float32Array, shape: Shape4, timestep: number, c: UnetConditioning) => {
          calls.push({ items: shape[0], timestep });
          return fast.unet(sample, shape, timestep, c);
        },
      });
      const plan = compileScene(`canvas 448 x 256\nsteps 1\nscheduler euler_ancestral\nguidance 0\nregion a { at 0, 0 size 256 x 256 prompt "a car" }\nregion b { at 192, 0 size 256 x 256 prompt "a bus" }\n`);
      const image = await renderPlan(plan, recording, renderCaches(recording), { folder: work, batch: 2 });
      expect(calls).toEqual([{ items: 2, timestep: 999 }]);
      expect([image.width, image.height]).toEqual([448, 256]);
    } finally {
      await fast.release();
    }
  });

  it("`scenec render` of a three-region scene writes the PNG", async () => {
    const scene = path.join(work, "three.scene");
    writeFileSync(scene, THREE_REGIONS(sdxl));
    const run = await runScenec(["render", "three.scene", "-o", "three.png"], { cwd: work });
    expect(run.status, run.stderr).toBe(0);
    const meta = await sharp(readFileSync(path.join(work, "three.png"))).metadata();
    expect([meta.width, meta.height]).toEqual([448, 256]);
  }, 120_000);
});
