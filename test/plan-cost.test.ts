import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { textsToEncode } from "../src/compiler/plan/plan.js";
import { costSummary, formatCostSummary } from "../src/cli/plan-cost.js";
import { readModelProfile } from "../src/runtime/model/model-profile.js";
import { folderSource, memorySource } from "../src/runtime/model/model-source.js";
import { modelSource } from "../src/runtime/model/resolve-model.js";
import { CONFORMANCE_ROOT } from "./helpers/conformance-cases.js";
import { compileScene } from "./helpers/render-helpers.js";
import { runMain } from "./helpers/scenec-main.js";

// `scenec plan --cost`: what a scene costs on its model, read from the folder's configs alone.

const none = new Uint8Array(0);
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
/** An SDXL folder as far as the profile reads it: two text encoders, configs that give no size. */
const sdxlFolder = (modelIndex: Record<string, unknown> = {}) =>
  memorySource("sdxl", new Map([["model_index.json", json({ _class_name: "StableDiffusionXLPipeline", ...modelIndex })], ["text_encoder/model.onnx", none], ["text_encoder_2/model.onnx", none]]));

const twoRegions = `canvas 1536 x 1024
region sky { at 0, 0  size 1536 x 1024  prompt "a blue sky" }
region house { at 512, 512  size 512 x 512  prompt "a red house"  negative "blurry" }
region tree { at 1024, 0  size 512 x 1024  prompt "a tree"  guidance 1 }
`;

describe("which texts a render encodes", () => {
  const plan = compileScene(twoRegions);
  const index = (text: string) => plan.texts.findIndex((t) => t.text === text);

  it("every prompt, and negatives only where guidance uses them", () => {
    // `tree` has guidance 1: its negative ("") is never read; `sky`'s missing negative is "" on SD.
    expect(textsToEncode(plan, false).map((i) => plan.texts[i]!.text)).toEqual(["a blue sky", "", "a red house", "blurry", "a tree"]);
    expect(plan.cost.textEncodings).toBe(5);
  });

  it("a model that conditions missing negatives on zeros skips the empty text", () => {
    expect(textsToEncode(plan, true)).not.toContain(index(""));
    expect(textsToEncode(plan, true)).toHaveLength(4);
  });
});

describe("model profiles", () => {
  it("an SDXL folder without size configs: two encoders, zeros for missing negatives, 1024 by the family's default", () => {
    expect(readModelProfile(sdxlFolder())).toEqual({ family: "sdxl", textEncoders: 2, zeroMissingNegative: true, nativeSize: 1024, nativeSizeFrom: "the family's default" });
    expect(readModelProfile(sdxlFolder({ force_zeros_for_empty_prompt: false })).zeroMissingNegative).toBe(false);
  });

  it("the built-in model is SD-1.x-shaped: one encoder, no native size", () => {
    expect(readModelProfile(modelSource({ kind: "builtin" }))).toEqual({ family: "sd", textEncoders: 1, zeroMissingNegative: false });
  });

  it.skipIf(!existsSync(CONFORMANCE_ROOT))("tiny-sdxl's size comes from its UNet's sample_size", () => {
    expect(readModelProfile(folderSource(path.join(CONFORMANCE_ROOT, "models/tiny-sdxl")))).toMatchObject({ family: "sdxl", textEncoders: 2, nativeSize: 256, nativeSizeFrom: "unet/config.json" });
  });
});

describe("the cost summary", () => {
  const plan = compileScene(twoRegions);

  it("SDXL: each encoded text runs through both encoders; tiles are weighed against 1024²", () => {
    const s = costSummary(plan, "models/sdxl", readModelProfile(sdxlFolder()));
    // 4 texts (no "") × 2 encoders; `sky` is guided without a negative: zeros.
    expect(s.text).toEqual({ texts: 4, encoderRuns: 8, zeroNegatives: 1 });
    // sky 2 items × 1.5, house 2 × 0.25, tree 1 × 0.5.
    expect(s.unet).toEqual({ itemsPerStep: 5, total: 5 * plan.steps, nativeEquivalentsPerStep: 4, nativeEquivalentsTotal: 4 * plan.steps });
    expect(s.offSize).toEqual([{ name: "house", width: 512, height: 512, relation: "under half" }]);
    expect(formatCostSummary(s)).toContain("`house` (512 x 512) is under half the model's native area (1024 x 1024)");
  });

  it("the built-in model: one run per text, no size notes", () => {
    const s = costSummary(plan, { builtin: true }, readModelProfile(modelSource({ kind: "builtin" })));
    expect(s.text).toEqual({ texts: 5, encoderRuns: 5, zeroNegatives: 0 });
    expect(s.unet.nativeEquivalentsPerStep).toBeUndefined();
    expect(formatCostSummary(s)).toMatch(/^model {3}the built-in model: SD-1\.x-shaped, 1 text encoder, exact at any size\n/);
  });

  it("a sweep of seeds multiplies the UNet work, not the text encoding", () => {
    const sweep = compileScene(`canvas 512 x 512\nsteps 10\nseeds 1..4\nregion r { prompt "red" }\n`);
    const s = costSummary(sweep, { builtin: true }, readModelProfile(modelSource({ kind: "builtin" })));
    expect(s.pictures).toBe(4);
    expect(formatCostSummary(s)).toContain("seeds   4 pictures: 80 UNet evaluations in all; the texts are encoded once\n");
    expect(costSummary(plan, { builtin: true }, undefined).pictures).toBe(1);
  });

  it("a shifted grid's windows are counted per step at the window's size", () => {
    const grid = compileScene(`canvas 2048 x 1024\ngrid g { tile 1024 x 1024 columns 2 rows 1 tiling shifted prompt "g" }\n`);
    const s = costSummary(grid, "models/sdxl", readModelProfile(sdxlFolder()));
    expect(s.unet.nativeEquivalentsPerStep).toBe(s.unet.itemsPerStep);
    expect(s.offSize).toEqual([]);
  });
});

describe("scenec plan --cost", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-cost-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("resolves the model through scenec.yaml and prints the summary; --json gives the same as data", async () => {
    const folder = path.join(dir, "sdxl");
    for (const [file, bytes] of [["model_index.json", "{}"], ["text_encoder/model.onnx", ""], ["text_encoder_2/model.onnx", ""], ["unet/config.json", '{"sample_size": 128}']] as const) {
      mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
      writeFileSync(path.join(folder, file), bytes);
    }
    writeFileSync(path.join(dir, "scenec.yaml"), "models:\n  xl: sdxl\n");
    const scene = path.join(dir, "a.scene");
    writeFileSync(scene, `model "xl"\n${twoRegions}`);
    const text = await runMain("plan", scene, "--cost");
    expect(text.stderr).toBe("");
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^model {3}\S*sdxl: SDXL, 2 text encoders, native size 1024 x 1024 \(unet\/config\.json\)$/m);
    expect(text.stdout).toMatch(/^text {4}4 texts, 8 encoder runs; 1 region has no negative prompt and is conditioned on zeros$/m);
    const data = await runMain("plan", scene, "--cost", "--json");
    expect(JSON.parse(data.stdout)).toMatchObject({ text: { encoderRuns: 8 }, unet: { nativeEquivalentsPerStep: 4 } });
  });

  it("a model that cannot be resolved is a warning: the scene's figures still print", async () => {
    const scene = path.join(dir, "b.scene");
    writeFileSync(scene, `model "./missing-folder"\n${twoRegions}`);
    const run = await runMain("plan", scene, "--cost");
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^warning: .*missing-folder: no such model folder/);
    expect(run.stdout).toMatch(/^model {3}\S*missing-folder: cannot be read; the figures below assume one text encoder$/m);
  });
});
