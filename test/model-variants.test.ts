import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../src/compiler/plan/plan.js";
import { builtinModelFiles } from "../src/runtime/builtin/builtin-model.js";
import { DIFFUSERS_FP32, OPTIMUM_CURRENT, OPTIMUM_LEGACY, SD2_V_PREDICTION, SIGNATURES, type ModelSignature } from "../src/runtime/builtin/signature.js";
import { folderSource, memorySource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import type { RenderedImage } from "../src/runtime/render.js";
import { compilePlan, meanAbsDiff, meanColour, render, writeModelFolder } from "./helpers/model-folder.js";

/**
 * The loader over every exporter's signature: the built-in model (an exact denoiser) dressed as
 * diffusers fp32 / int64-timestep / fp16, optimum 1.6–1.22 / 1.23 / ≥ 1.24, SD 2 v-prediction and
 * SD-Turbo, written to a folder (so ONNX Runtime resolves weights.pb / model.onnx_data itself),
 * loaded and rendered. Every dress must give the picture of the plain diffusers fp32 export.
 *
 * Tolerances are mean absolute differences per channel on the 0–255 scale (measured: 0 for the
 * float32-timestep dresses, ≈ 0.02 for int64 timesteps, ≈ 0.05 for fp16):
 * - same dtypes, float timestep (optimum ≥ 1.24's scalar, v-prediction, SD-Turbo): 0.05. Only
 *   float rounding differs; v-prediction is converted back to ε by the scheduler (exact up to
 *   rounding), so it is held as tightly.
 * - int64 timesteps: 0.25. Euler's timesteps are fractional; the loader rounds them, which moves
 *   σ by at most half a training step (< 0.5 % of σ), a sub-level change in the final picture.
 * - fp16 everywhere: 0.5. binary16 keeps 11 significant bits (relative error 2⁻¹¹ ≈ 5·10⁻⁴ per
 *   value, ≈ 0.06 of a level on [-1, 1] → 0–255), re-rounded at each of the 8 steps' inputs and
 *   outputs; half a level bounds that with room while still catching any real misconversion
 *   (a wrong dtype or byte order moves colours by tens of levels).
 */
const TOLERANCE: Record<string, number> = {
  DIFFUSERS_FP32: 0,
  DIFFUSERS_INT64_TIMESTEP: 0.25,
  DIFFUSERS_FP16: 0.5,
  OPTIMUM_LEGACY: 0.25,
  OPTIMUM_1_23: 0.25,
  OPTIMUM_CURRENT: 0.05,
  SD2_V_PREDICTION: 0.05,
  SD_TURBO: 0.05,
};

/** SD-Turbo's trailing spacing changes the timesteps, so it is compared with fp32 + trailing. */
const FP32_TRAILING: ModelSignature = { ...DIFFUSERS_FP32, timestepSpacing: "trailing" };

let root: string;
let plan: Plan;
const images = new Map<string, RenderedImage>();
/** A test image, RGB in [-1, 1], [1, 3, 64, 64]: left half reddish, right half bluish. */
const testImage = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => {
  const c = Math.floor(i / (64 * 64));
  const x = i % 64;
  return x < 32 ? [0.6, -0.5, -0.6][c]! : [-0.6, -0.2, 0.7][c]!;
});
const encodings = new Map<string, Float32Array>();

async function loadFolder(name: string, files: ReadonlyMap<string, Uint8Array>): Promise<OnnxDiffusionModel> {
  const dir = writeModelFolder(path.join(root, name), files);
  return OnnxDiffusionModel.load(folderSource(dir), { device: "cpu" });
}

/** Loads, renders the plan, encodes the test image, releases; keeps the results by name. */
async function renderDress(name: string, files: ReadonlyMap<string, Uint8Array>, fromMemory = false) {
  const model = fromMemory ? await OnnxDiffusionModel.load(memorySource(name, files), { device: "cpu" }) : await loadFolder(name, files);
  try {
    const image = await render(plan, model);
    images.set(name, image);
    encodings.set(name, await model.encodeImage(testImage, [1, 3, 64, 64]));
    return { model, image };
  } finally {
    await model.release();
  }
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "scenec-variants-"));
  plan = compilePlan();
  await renderDress("DIFFUSERS_FP32", builtinModelFiles(DIFFUSERS_FP32));
  await renderDress("FP32_TRAILING", builtinModelFiles(FP32_TRAILING));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("every exporter's signature renders the same picture", () => {
  it("lists every preset once, by name", () => {
    expect(SIGNATURES.map((s) => s.name)).toEqual(Object.keys(TOLERANCE));
  });

  for (const { name, signature } of SIGNATURES) {
    it(`${name}: loads from a folder and renders the fp32 picture`, async () => {
      const files = builtinModelFiles(signature);
      const weights = signature.layout === "diffusers" ? "weights.pb" : "model.onnx_data";
      expect(files.has(`unet/${weights}`), `the UNet's weights go to unet/${weights}`).toBe(true);
      const { model, image } = await renderDress(name, files);
      expect(existsSync(path.join(root, name, "unet", weights))).toBe(true);

      // What the loader read from the folder.
      expect(model.schedulerConfig.predictionType).toBe(signature.prediction);
      expect(model.schedulerConfig.timestepSpacing).toBe(signature.timestepSpacing);
      expect(model.scalingFactor).toBe(signature.scalingFactor);
      expect(model.description.endsWith("(optimum layout)")).toBe(signature.layout === "optimum");
      expect(model.conditioning).toEqual({ hiddenSize: 12, pooledSize: 0, timeIds: false, zeroMissingNegative: false });

      // The picture: produced, the regions' colours, and the fp32 export's picture.
      expect(image.width).toBe(128);
      expect(image.height).toBe(64);
      expect(image.rgb.length).toBe(128 * 64 * 3);
      const [lr, lg, lb] = meanColour(image, 0, 48);
      const [rr, rg, rb] = meanColour(image, 80, 128);
      expect(lr, "the red region is red").toBeGreaterThan(Math.max(lg, lb) + 80);
      expect(rb, "the blue region is blue").toBeGreaterThan(Math.max(rr, rg) + 80);
      const reference = images.get(signature.timestepSpacing === "trailing" ? "FP32_TRAILING" : "DIFFUSERS_FP32")!;
      for (const d of meanAbsDiff(image, reference)) expect(d).toBeLessThanOrEqual(TOLERANCE[name]!);

      // The VAE encoder, whether it returns `latent_sample` or `latent_parameters` (mean, log-variance).
      const encoded = encodings.get(name)!;
      const expected = encodings.get("DIFFUSERS_FP32")!;
      expect(encoded.length).toBe(4 * 8 * 8);
      const tolerance = signature.float === "float16" ? 2e-2 : 1e-5;
      for (let i = 0; i < encoded.length; i++) expect(Math.abs(encoded[i]! - expected[i]!)).toBeLessThan(tolerance);
    });
  }

  it("loads a preset from memory (external weights passed as bytes) with the same result as from its folder", async () => {
    const files = builtinModelFiles(OPTIMUM_LEGACY);
    const onDisk = images.get("OPTIMUM_LEGACY") ?? (await renderDress("OPTIMUM_LEGACY", files)).image;
    const { model, image } = await renderDress("OPTIMUM_LEGACY (memory)", files, true);
    expect(model.description).toBe("OPTIMUM_LEGACY (memory) (optimum layout)");
    expect(meanAbsDiff(image, onDisk)).toEqual([0, 0, 0]);
  });
});

describe("configuration files are read", () => {
  it("takes scaling_factor from vae_decoder/config.json: a model with 0.13025 renders the same picture", async () => {
    // The built-in VAE decoder multiplies by the factor it was built with, so the picture only
    // comes out right if the loader divides by the same factor from config.json.
    const { model, image } = await renderDress("SCALING_0_13025", builtinModelFiles({ ...OPTIMUM_CURRENT, scalingFactor: 0.13025 }));
    expect(model.scalingFactor).toBe(0.13025);
    for (const d of meanAbsDiff(image, images.get("DIFFUSERS_FP32")!)) expect(d).toBeLessThanOrEqual(0.05);

    // Control: the same model without the key falls back to 0.18215 and the picture changes.
    const files = builtinModelFiles({ ...OPTIMUM_CURRENT, scalingFactor: 0.13025 });
    files.set("vae_decoder/config.json", new TextEncoder().encode(JSON.stringify({ _class_name: "AutoencoderKL", latent_channels: 4 })));
    const wrong = await renderDress("SCALING_MISSING", files);
    expect(wrong.model.scalingFactor).toBe(0.18215);
    expect(Math.max(...meanAbsDiff(wrong.image, images.get("DIFFUSERS_FP32")!))).toBeGreaterThan(5);
  });

  it("uses the default 0.18215 for a diffusers folder, which has no config.json", async () => {
    const files = builtinModelFiles(DIFFUSERS_FP32);
    expect([...files.keys()].filter((f) => /^(text_encoder|unet|vae_decoder|vae_encoder)\/config\.json$/.test(f))).toEqual([]);
    const model = await loadFolder("DEFAULT_SCALING", files);
    expect(model.scalingFactor).toBe(0.18215);
    await model.release();
  });

  it("reads prediction_type: v-prediction read as epsilon would give another picture", async () => {
    const files = builtinModelFiles(SD2_V_PREDICTION);
    const config = JSON.parse(new TextDecoder().decode(files.get("scheduler/scheduler_config.json"))) as Record<string, unknown>;
    expect(config.prediction_type).toBe("v_prediction");
    files.set("scheduler/scheduler_config.json", new TextEncoder().encode(JSON.stringify({ ...config, prediction_type: "epsilon" })));
    const { model, image } = await renderDress("V_AS_EPSILON", files);
    expect(model.schedulerConfig.predictionType).toBe("epsilon");
    expect(Math.max(...meanAbsDiff(image, images.get("DIFFUSERS_FP32")!))).toBeGreaterThan(5);
  });

  it("reads timestep_spacing: SD-Turbo's trailing timesteps change the picture a little", () => {
    const turbo = images.get("SD_TURBO") ?? images.get("FP32_TRAILING")!;
    const difference = Math.max(...meanAbsDiff(turbo, images.get("DIFFUSERS_FP32")!));
    // Larger than any tolerance above, so the trailing comparison is not vacuous.
    expect(difference).toBeGreaterThan(0.3);
  });
});
