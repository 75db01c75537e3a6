import { existsSync } from "node:fs";
import path from "node:path";
import onnxProto from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UnetConditioning } from "../src/runtime/model/conditioning.js";
import type { DiffusionModel, Shape4 } from "../src/runtime/model/diffusion-model.js";
import { builtinModelFiles } from "../src/runtime/builtin/builtin-model.js";
import { folderSource, memorySource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { renderCaches, renderPlan, type RenderCaches } from "../src/runtime/render.js";
import { CONFORMANCE_ROOT } from "./helpers/conformance-cases.js";
import { compileScene, difference, loadBuiltinModel, meanColour, renderWith, withModel } from "./helpers/render-helpers.js";

/**
 * Weighted and long prompts reach the picture as Automatic1111 encodes them (grammar/reference.md,
 * "How weighted and long prompts are encoded"): emphasis on the built-in model, whose colour
 * follows its words' weighted embeddings; a 150-token prompt on tiny-sd15, nothing cut; SDXL's two
 * encoders on tiny-sdxl.
 */

/** Each UNet call's item count and conditioning, copied. */
function recording(model: DiffusionModel, calls: { shape: Shape4; conditioning: UnetConditioning }[]): DiffusionModel {
  return Object.assign(Object.create(model) as DiffusionModel, {
    unet: (sample: Float32Array, shape: Shape4, timestep: number, c: UnetConditioning) => {
      calls.push({ shape, conditioning: { ...c, hidden: c.hidden.slice() } });
      return model.unet(sample, shape, timestep, c);
    },
  });
}

const { onnx } = onnxProto;

const redness = ([r, g, b]: [number, number, number]) => r - (g + b) / 2;

describe("emphasis on the built-in model", () => {
  let model: OnnxDiffusionModel;
  let caches: RenderCaches;
  beforeAll(async () => {
    model = await loadBuiltinModel();
    caches = renderCaches(model);
  });
  afterAll(async () => {
    await model?.release();
  });

  it("`(red:1.5) sky` comes out redder than `red sky`, and `[red] sky` less red", async () => {
    const render = async (prompt: string) => {
      const plan = compileScene(`canvas 128 x 128
seed 1234
steps 8
region all { prompt "${prompt}" }
`);
      return redness(meanColour(await renderWith(plan, model, caches), 0, 128));
    };
    const plain = await render("red sky");
    const strong = await render("(red:1.5) sky");
    const weak = await render("[red] sky");
    // Measured: 47 for `red sky`, 76 weighted 1.5, 41 weighted 1/1.1.
    expect(strong).toBeGreaterThan(plain + 10);
    expect(weak).toBeLessThan(plain - 3);
  });

  it("`BREAK` in a scene's prompt starts a new chunk of what the UNet sees", async () => {
    const plan = compileScene(`canvas 64 x 64
steps 2
region all { prompt "red BREAK blue" }
`);
    const text = plan.texts[plan.regions[0]!.promptText]!;
    expect(model.tokenChunks(text)).toHaveLength(2);
    const [encoding] = await model.encodePrompts([text]);
    expect(encoding!.sequenceLength).toBe(154);
  });
});

describe("UNet calls and prompt lengths", () => {
  it("same-size regions of different prompt lengths go to separate calls, so `--batch` does not change the picture", async () => {
    const model = await loadBuiltinModel();
    try {
      const plan = compileScene(`canvas 256 x 128
seed 5
steps 3
region left  { at 0, 0    size 128 x 128  prompt "${Array(75).fill("red").join(" ")} blue" }
region right { at 128, 0  size 128 x 128  prompt "green" }
`);
      const calls: { shape: Shape4; conditioning: UnetConditioning }[] = [];
      const recorder = recording(model, calls);
      const one = await renderPlan(plan, recorder, renderCaches(recorder), { batch: 1 });
      calls.length = 0;
      const two = await renderPlan(plan, recorder, renderCaches(recorder), { batch: 2 });
      expect(calls.slice(0, 2).map((c) => [c.shape[0], c.conditioning.sequenceLength])).toEqual([[2, 154], [2, 77]]);
      expect(difference(one.rgb, two.rgb).max).toBe(0);
    } finally {
      await model.release();
    }
  });
});

describe("a UNet exported with a fixed sequence of 77 tokens", () => {
  it("reads prompts of up to 75 tokens, and says what to do with a longer one", async () => {
    const files = builtinModelFiles();
    const unet = onnx.ModelProto.decode(files.get("unet/model.onnx")!);
    const hidden = unet.graph!.input!.find((i) => i.name === "encoder_hidden_states")!;
    hidden.type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({ dimValue: 77 });
    files.set("unet/model.onnx", onnx.ModelProto.encode(unet).finish());
    const model = await OnnxDiffusionModel.load(memorySource("the fixed model", files), { device: "cpu", modelCache: null });
    try {
      const [short] = await model.encodePrompts([{ text: Array(75).fill("red").join(" ") }]);
      expect(short!.sequenceLength).toBe(77);
      await expect(model.encodePrompts([{ text: Array(76).fill("red").join(" ") }])).rejects.toThrow(
        /^the fixed model: unet\/model\.onnx takes encoder_hidden_states of a fixed 77 tokens, but the prompt "red red .*\.\.\." needs 2 chunks of 77 \(154 tokens\); shorten it to 75 tokens, or export the UNet with a dynamic sequence axis/,
      );
    } finally {
      await model.release();
    }
  });
});

const sd15 = path.join(CONFORMANCE_ROOT, "models/tiny-sd15");
const sdxl = path.join(CONFORMANCE_ROOT, "models/tiny-sdxl");

/** 75 tokens exactly ("red" is one token of CLIP's vocabulary), then `tail`. */
const long = (tail: string) => `${Array(75).fill("red").join(" ")} ${tail}`;
const BLUE = Array(75).fill("blue").join(" ");
const GREEN = Array(75).fill("green").join(" ");

describe.runIf(existsSync(sd15))("long prompts on tiny-sd15", () => {
  let model: OnnxDiffusionModel;
  beforeAll(async () => {
    model = await OnnxDiffusionModel.load(folderSource(sd15), { device: "cpu" });
  }, 60_000);
  afterAll(async () => {
    await model?.release();
  });

  const scene = (prompt: string) => `canvas 128 x 128
seed 99
steps 2
scheduler euler
region all { prompt "${prompt}" negative "blurry" }
`;

  it("a 150-token prompt is two chunks, renders with no warning, and its second chunk changes the picture", async () => {
    expect(model.tokenChunks({ text: long(BLUE) })).toHaveLength(2);
    const warnings: string[] = [];
    const render = (prompt: string) => renderPlan(compileScene(scene(prompt)), model, renderCaches(model), { batch: 1, onWarning: (w) => warnings.push(w) });
    const a = await render(long(BLUE));
    const b = await render(long(GREEN));
    expect(warnings).toEqual([]);
    expect(difference(a.rgb, b.rgb).max).toBeGreaterThan(0);
  });

  it("the negative is padded to the prompt's chunks with the empty prompt's encoding", async () => {
    const calls: { shape: Shape4; conditioning: UnetConditioning }[] = [];
    const recorder = recording(model, calls);
    await renderPlan(compileScene(scene(long(GREEN))), recorder, renderCaches(recorder), { batch: 1 });
    const [negative, positive, empty] = await model.encodePrompts([{ text: "blurry" }, { text: long(GREEN) }, { text: "" }]);
    expect(positive!.sequenceLength).toBe(2 * 77);
    const chunk = 77 * model.conditioning.hiddenSize;
    for (const { shape, conditioning } of calls) {
      expect(shape[0]).toBe(2);
      expect(conditioning.sequenceLength).toBe(2 * 77);
      const items = [conditioning.hidden.subarray(0, 2 * chunk), conditioning.hidden.subarray(2 * chunk)];
      expect(items[0]!.subarray(0, chunk)).toEqual(negative!.sequence);
      expect(items[0]!.subarray(chunk)).toEqual(empty!.sequence);
      expect(items[1]).toEqual(positive!.sequence);
    }
  });

  it("a weighted token changes its chunk's embedding, the chunk's mean kept", async () => {
    const [plain, weighted] = await model.encodePrompts([{ text: "a red house" }, { text: "a (red:1.5) house", parts: [[{ text: "a", weight: 1 }, { text: "red", weight: 1.5 }, { text: " house", weight: 1 }]] }]);
    const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(weighted!.sequence).not.toEqual(plain!.sequence);
    expect(mean(weighted!.sequence)).toBeCloseTo(mean(plain!.sequence), 5);
    // Token 2 ("red") is scaled 1.5 times as much as the others.
    const h = model.conditioning.hiddenSize;
    const ratio = (t: number) => weighted!.sequence[t * h]! / plain!.sequence[t * h]!;
    expect(ratio(2) / ratio(1)).toBeCloseTo(1.5, 4);
  });
});

describe.runIf(existsSync(sdxl))("long prompts on tiny-sdxl", () => {
  let model: OnnxDiffusionModel;
  withModel(() => OnnxDiffusionModel.load(folderSource(sdxl), { device: "cpu" }), (m) => (model = m));

  it("a two-chunk prompt: both encoders per chunk, the pooled embedding from the first chunk", async () => {
    const first = Array(75).fill("red").join(" ");
    const [two, one] = await model.encodePrompts([{ text: long(BLUE) }, { text: first }]);
    expect(two!.sequenceLength).toBe(154);
    expect(two!.sequence).toHaveLength(154 * 64);
    expect(two!.sequence.subarray(0, 77 * 64)).toEqual(one!.sequence);
    expect(two!.sequence.subarray(77 * 64)).not.toEqual(one!.sequence);
    expect(two!.pooled).toEqual(one!.pooled);
  });

  it("a two-chunk prompt without a negative: the negative item is zeros of the prompt's length", async () => {
    const calls: { shape: Shape4; conditioning: UnetConditioning }[] = [];
    const recorder = recording(model, calls);
    const plan = compileScene(`canvas 128 x 128
model "${sdxl}"
steps 1
scheduler euler
region all { prompt "${long(BLUE)}" }
`);
    await renderPlan(plan, recorder, renderCaches(recorder), { batch: 1 });
    const [{ shape, conditioning }] = calls as [(typeof calls)[0]];
    expect(shape[0]).toBe(2);
    expect(conditioning.sequenceLength).toBe(154);
    expect(conditioning.hidden.subarray(0, 154 * 64).every((v) => v === 0)).toBe(true);
    expect(conditioning.hidden.subarray(154 * 64).some((v) => v !== 0)).toBe(true);
  });

  it("weights each encoder's chunk on its own: each half of the width keeps its own mean", async () => {
    const parts = [[{ text: "a", weight: 1 }, { text: "red", weight: 1.5 }, { text: " car", weight: 1 }]];
    const [plain, weighted] = await model.encodePrompts([{ text: "a red car" }, { text: "a (red:1.5) car", parts }]);
    const half = (v: Float32Array, e: number) => Array.from({ length: 77 }, (_, t) => v.subarray(t * 64 + e * 32, t * 64 + (e + 1) * 32)).flatMap((row) => Array.from(row));
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    for (const e of [0, 1]) expect(mean(half(weighted!.sequence, e))).toBeCloseTo(mean(half(plain!.sequence, e)), 5);
    expect(weighted!.pooled).toEqual(plain!.pooled);
  });
});
