import { describe, expect, it } from "vitest";
import type { Plan } from "../src/compiler/plan/plan.js";
import { denoise } from "../src/runtime/mixture.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { createScheduler } from "../src/runtime/schedulers/scheduler.js";
import { TextEmbeddings } from "../src/runtime/text-embeddings.js";
import { compileScene, difference, loadBuiltinModel, meanColour, newCaches, renderWith, withModel } from "./helpers/render-helpers.js";

/**
 * `guidance ≤ 1` means no classifier-free guidance, as in diffusers (`guidance_scale > 1`): the
 * region's prediction is its positive prompt's alone, one UNet item a step instead of two, so
 * SD-Turbo scenes written with `guidance 0` paint their prompt.
 */

let model: OnnxDiffusionModel;
withModel(loadBuiltinModel, (loaded) => (model = loaded));

/** One region at the given guidance, by default with a red prompt and a blue negative prompt. */
const single = (guidance: string, prompt = "a red desert", negative = "a blue sea") => `canvas 256 x 128
seed 5
steps 6
region only { prompt "${prompt}" negative "${negative}" guidance ${guidance} }
`;

/** Two disjoint same-size regions, each with its own seed (so its noise does not depend on the canvas). */
const MIXED = `canvas 512 x 128
seed 5
steps 6
negative "a blue sea"
region turbo  { at 0, 0    size 256 x 128  prompt "a red desert"   guidance 0  seed 21 }
region guided { at 256, 0  size 256 x 128  prompt "a green forest" guidance 8  seed 22 }
`;

/** The same region on its own canvas: `at 0, 0`, same size and seed. */
const alone = (prompt: string, guidance: number, seed: number) => `canvas 256 x 128
seed 5
steps 6
negative "a blue sea"
region r { at 0, 0  size 256 x 128  prompt "${prompt}" guidance ${guidance} seed ${seed} }
`;

async function finalLatents(plan: Plan, batch: number): Promise<Float32Array> {
  const scheduler = createScheduler(plan.scheduler.name, plan.steps, { karras: plan.scheduler.karras, config: model.schedulerConfig });
  const { embeddings, padding } = await new TextEmbeddings(model).forPlan(plan);
  return denoise({ model, plan, scheduler, embeddings, padding, batch });
}

/** The [4, h, w] crop at latent column x0 of [4, H, W] latents. */
function crop(latents: Float32Array, W: number, H: number, x0: number, w: number): Float32Array {
  const out = new Float32Array(4 * H * w);
  for (let c = 0; c < 4; c++) for (let y = 0; y < H; y++) out.set(latents.subarray((c * H + y) * W + x0, (c * H + y) * W + x0 + w), (c * H + y) * w);
  return out;
}

describe("guidance at most 1: no classifier-free guidance", () => {
  it("a region with guidance 0 paints its prompt, not its negative prompt", async () => {
    const caches = newCaches(model);
    const red = meanColour(await renderWith(compileScene(single("0")), model, caches), 0, 256);
    const blue = meanColour(await renderWith(compileScene(single("0", "a blue sea", "a red desert")), model, caches), 0, 256);
    // Measured: red ≈ (134, 117, 117), blue ≈ (111, 115, 131): pale, as the built-in model is
    // without guidance. Before, guidance 0 painted the negative prompt: the other way round.
    expect(red[0] - red[2], `prompt red, negative blue: ${red.map(Math.round)}`).toBeGreaterThan(10);
    expect(blue[2] - blue[0], `prompt blue, negative red: ${blue.map(Math.round)}`).toBeGreaterThan(10);
  });

  it("guidance 1 and guidance 0 give the same bytes (the positive prompt alone either way)", async () => {
    const caches = newCaches(model);
    const zero = await renderWith(compileScene(single("0")), model, caches);
    const one = await renderWith(compileScene(single("1")), model, caches);
    expect(difference(zero.rgb, one.rgb).count).toBe(0);
    // Just above 1 classifier-free guidance is back: the negative prompt takes part.
    const guided = await renderWith(compileScene(single("1.5")), model, caches);
    expect(difference(zero.rgb, guided.rgb).count).toBeGreaterThan(0);
  });

  it("in a mixed scene each region renders as it does alone, batched or not", async () => {
    const mixed = compileScene(MIXED);
    const { width: W, height: H } = mixed.latent;
    const one = await finalLatents(mixed, 1);
    const four = await finalLatents(mixed, 4);
    // Both regions are 32 x 16 latents: batch 4 puts them in one UNet call of 3 items.
    expect(four).toEqual(one);
    const turbo = await finalLatents(compileScene(alone("a red desert", 0, 21)), 1);
    const guided = await finalLatents(compileScene(alone("a green forest", 8, 22)), 1);
    expect(crop(one, W, H, 0, 32)).toEqual(turbo);
    expect(crop(one, W, H, 32, 32)).toEqual(guided);
  });

  it("--batch 4 gives the same bytes as --batch 1 on a mixed scene", async () => {
    const plan = compileScene(MIXED);
    const caches = newCaches(model);
    const a = await renderWith(plan, model, caches, { batch: 1 });
    const b = await renderWith(plan, model, caches, { batch: 4 });
    expect(difference(a.rgb, b.rgb).count).toBe(0);
  });

  it("the plan's cost counts one UNet evaluation a step per unguided region, two per guided one", () => {
    const plan = compileScene(`canvas 512 x 128
steps 10
region a { at 0, 0    size 128 x 128  prompt "red"   guidance 0 }
region b { at 128, 0  size 128 x 128  prompt "green" guidance 1 }
region c { at 256, 0  size 128 x 128  prompt "blue"  guidance 1.5 }
region d { at 384, 0  size 128 x 128  prompt "gold" }
`);
    expect(plan.cost).toMatchObject({ regions: 4, unetEvaluationsPerStep: 1 + 1 + 2 + 2, unetEvaluationsTotal: 60 });
  });
});
