/**
 * Guide strength with the built-in model: a strength-1 guide keeps its pixels, strength 0 changes
 * nothing, and the distance to the guide shrinks as the strength grows. Also the exact rule (the
 * guide is imposed at the start and after each of the first round(strength × steps) steps, with
 * the scheduler's add_noise at the level the latents are then at and the fixed initial noise), and
 * overlapping guides (the later one in the file wins).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanGuide } from "../src/compiler/plan/plan.js";
import { GuideImposer } from "../src/runtime/guides/apply-guides.js";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { SD_SCHEDULER_CONFIG, createScheduler } from "../src/runtime/schedulers/scheduler.js";
import { crop, gradient, inset, loadBuiltinModel, meanAbsDiff, meanColour, planIn, psnr, renderIn, rgbOf, solid, tempFolder, writeImage, samePixels } from "./helpers/guide-helpers.js";

let model: OnnxDiffusionModel;
let dir: string;
let remove: () => void;

// One region over a 128 x 64 canvas paints red rocks; the guide pins the left 64 x 64.
const SCENE = `canvas 128 x 64
steps 8
seed 3
region all { prompt "red rocks" }
`;
const GUIDED = { x: 0, y: 0, width: 64, height: 64 };
const OUTSIDE = { x: 64, y: 0, width: 64, height: 64 };
const withGuide = (strength: number) => `${SCENE}guide "gradient.png" { size 64 x 64 strength ${strength} }\n`;

beforeAll(async () => {
  model = await loadBuiltinModel();
  ({ dir, remove } = tempFolder());
  await writeImage(join(dir, "gradient.png"), 64, 64, gradient(64, 64));
  await writeImage(join(dir, "red.png"), 64, 64, solid([220, 30, 30]));
  await writeImage(join(dir, "blue.png"), 64, 64, solid([30, 60, 220]));
});
afterAll(() => remove?.());

const render = (text: string) => renderIn(dir, planIn(dir, text), model);
const same = samePixels;

describe("strength", () => {
  it("strength 1 keeps the guide's pixels, and the pixels around it follow", async () => {
    const free = await render(SCENE);
    const guided = await render(withGuide(1));
    const guide = rgbOf(64, 64, gradient(64, 64));
    // Measured: 38.7 dB (the built-in VAE is 8 x 8 pooling and bilinear upsampling).
    expect(psnr(crop(guided, GUIDED), guide)).toBeGreaterThanOrEqual(25);
    // Measured: 11.2 of 255 on average over the unguided half.
    expect(meanAbsDiff(crop(guided, OUTSIDE), crop(free, OUTSIDE))).toBeGreaterThan(3);
  });

  it("strength 0 gives byte-identical pixels to no guide", async () => {
    const plan = planIn(dir, withGuide(0));
    expect(plan.guides[0]!.steps).toBe(0);
    expect(same(await renderIn(dir, plan, model), await render(SCENE))).toBe(true);
  });

  it("the distance to the guide shrinks as the strength grows", async () => {
    const guide = rgbOf(64, 64, gradient(64, 64));
    const scores: number[] = [];
    for (const strength of [0, 0.25, 0.5, 0.75, 1]) scores.push(psnr(crop(await render(withGuide(strength)), GUIDED), guide));
    // Measured (dB): 12.2, 13.2, 14.9, 16.5, 38.7.
    for (let i = 1; i < scores.length; i++) expect(scores[i]!, `PSNR at strength ${[0, 0.25, 0.5, 0.75, 1][i]}: ${scores.map((s) => s.toFixed(2))}`).toBeGreaterThan(scores[i - 1]!);
  });

  it("the plan records round(strength × steps) imposed steps, halves rounded up", () => {
    const steps = (strength: number, total: number) =>
      planIn(dir, `canvas 64 x 64\nsteps ${total}\nregion all { prompt "red" }\nguide "gradient.png" { strength ${strength} }\n`).guides[0]!.steps;
    expect(steps(0.25, 30)).toBe(8); // 7.5
    expect(steps(0.8, 30)).toBe(24);
    expect(steps(0.9, 50)).toBe(45);
    expect(steps(0.5, 1)).toBe(1); // 0.5
    expect(steps(0.49, 1)).toBe(0);
    expect(steps(1, 7)).toBe(7);
  });
});

describe("the imposing rule (GuideImposer)", () => {
  // A 4 x 2 latent canvas with a 2 x 2 guide at latent (1, 0).
  const W = 4;
  const H = 2;
  const guide = (steps: number, x = 1): PlanGuide => ({
    path: "g.png",
    source: "x.scene:1:7",
    sha256: "0".repeat(64),
    imageSize: { width: 16, height: 16 },
    fit: "stretch",
    strength: 1,
    steps,
    rect: { x: x * 8, y: 0, width: 16, height: 16 },
    latent: { x, y: 0, width: 2, height: 2 },
  });
  const encoded = (value: number, mask = 1) => ({ latents: new Float32Array(4 * 2 * 2).fill(value), mask: new Float32Array(4).fill(mask) });
  const noise = Float32Array.from({ length: 4 * W * H }, (_, i) => ((i * 37) % 11) / 5 - 1);
  const at = (c: number, y: number, x: number) => (c * H + y) * W + x;

  it("imposes at the start and after each of the first `steps` steps, with add_noise at that level", () => {
    const scheduler = createScheduler("euler", 6, { karras: false, config: SD_SCHEDULER_CONFIG });
    const imposer = new GuideImposer([{ guide: guide(3), encoded: encoded(0.5) }], scheduler, noise, W, H);
    for (let level = 0; level <= 6; level++) {
      const latents = new Float32Array(4 * W * H).fill(100);
      imposer.impose(latents, level);
      for (let c = 0; c < 4; c++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const inside = x >= 1 && x < 3;
            // σ-scheduler add_noise: x_g + σ_level · x_T, with x_T the fixed initial noise there.
            const want = inside && level <= 3 ? 0.5 + scheduler.sigmas[level]! * noise[at(c, y, x)]! : 100;
            expect(latents[at(c, y, x)]).toBeCloseTo(want, 4);
          }
    }
  });

  it("after the last step of a strength-1 guide, the latents are the guide's exactly", () => {
    const scheduler = createScheduler("lms", 5, { karras: false, config: SD_SCHEDULER_CONFIG });
    const imposer = new GuideImposer([{ guide: guide(5), encoded: encoded(0.25) }], scheduler, noise, W, H);
    const latents = new Float32Array(4 * W * H).fill(9);
    imposer.impose(latents, 5);
    expect(latents[at(2, 1, 2)]).toBe(0.25);
    expect(latents[at(2, 1, 0)]).toBe(9);
  });

  it("alpha blends, and where guides overlap the later one wins", () => {
    const scheduler = createScheduler("euler", 4, { karras: false, config: SD_SCHEDULER_CONFIG });
    const imposer = new GuideImposer(
      [
        { guide: guide(4, 1), encoded: encoded(1) },
        { guide: guide(4, 2), encoded: encoded(-1) },
      ],
      scheduler,
      noise,
      W,
      H,
    );
    const latents = new Float32Array(4 * W * H).fill(7);
    imposer.impose(latents, 4); // σ = 0: the guides' own latents
    expect([0, 1, 2, 3].map((x) => latents[at(0, 0, x)])).toEqual([7, 1, -1, -1]);

    const half = new GuideImposer([{ guide: guide(4), encoded: encoded(1, 0.5) }], scheduler, noise, W, H);
    const blended = new Float32Array(4 * W * H).fill(3);
    half.impose(blended, 4);
    expect(blended[at(0, 0, 1)]).toBeCloseTo(2, 6); // 0.5 · 1 + 0.5 · 3
  });
});

describe("overlapping guides", () => {
  it("the later guide in the file wins where they overlap", async () => {
    // Red at x 0..64, blue at x 32..96; the overlap 32..64 is blue. Swapped, it is red.
    const scene = (first: string, second: string) =>
      `${SCENE}guide "${first}.png" { at 0, 0 size 64 x 64 strength 1 }\nguide "${second}.png" { at 32, 0 size 64 x 64 strength 1 }\n`;
    const overlap = inset({ x: 32, y: 0, width: 32, height: 64 }, 8);
    // Measured: exactly the later guide's colour, (30, 60, 220) and (220, 30, 30).
    const redThenBlue = meanColour(await render(scene("red", "blue")), overlap);
    const blueThenRed = meanColour(await render(scene("blue", "red")), overlap);
    expect(redThenBlue[2]).toBeGreaterThan(190);
    expect(redThenBlue[0]).toBeLessThan(60);
    expect(blueThenRed[0]).toBeGreaterThan(190);
    expect(blueThenRed[2]).toBeLessThan(60);
  });
});
