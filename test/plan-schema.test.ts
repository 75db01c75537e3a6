import { describe, expect, it } from "vitest";
import { BLEND_KERNELS, FIT_MODES, NOISE_GENERATORS, SCHEDULER_NAMES, SHAPE_KINDS, type Plan } from "../src/compiler/plan/plan.js";
import { planSchema, validatePlan } from "../src/compiler/plan/plan-schema.js";

/** A plan written by hand: 1024 x 512, two overlapping regions, a sky band and one guide. */
function validPlan(): Plan {
  return {
    version: 2,
    scene: "harbour.scene",
    canvas: { width: 1024, height: 512 },
    latent: { width: 128, height: 64, channels: 4, factor: 8 },
    model: { kind: "builtin" },
    seed: 7178915308,
    noise: "torch",
    steps: 30,
    scheduler: { name: "euler_ancestral", karras: true },
    output: "renders/harbour.png",
    texts: ["a red house by the sea", "", "a blue sea, bright", "a pale sky", "blurry"].map((text) => ({ text })),
    regions: [
      {
        name: "house",
        source: "harbour.scene:4:1",
        prompt: "a red house by the sea",
        negative: "",
        promptText: 0,
        negativeText: 1,
        guidance: 7.5,
        blend: "gaussian",
        weight: 1,
        seed: null,
        rect: { x: 0, y: 0, width: 640, height: 512 },
        latent: { x: 0, y: 0, width: 80, height: 64 },
      },
      {
        name: "strip[1,0]",
        source: "harbour.scene:10:1",
        prompt: "a blue sea, bright",
        negative: "",
        promptText: 2,
        negativeText: 1,
        guidance: 9,
        blend: "quartic",
        weight: 1.5,
        seed: 42,
        rect: { x: 384, y: 0, width: 640, height: 512 },
        latent: { x: 48, y: 0, width: 80, height: 64 },
      },
      {
        name: "sky",
        source: "",
        prompt: "a pale sky",
        negative: "blurry",
        promptText: 3,
        negativeText: 4,
        guidance: 0,
        blend: "constant",
        weight: 0.25,
        seed: 9007199254740991,
        rect: { x: 0, y: 0, width: 1024, height: 128 },
        latent: { x: 0, y: 0, width: 128, height: 16 },
      },
    ],
    guides: [
      {
        path: "guides/sea.png",
        source: "harbour.scene:16:1",
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        imageSize: { width: 500, height: 333 },
        fit: "cover",
        strength: 0.8,
        steps: 24,
        rect: { x: 0, y: 256, width: 512, height: 256 },
        latent: { x: 0, y: 32, width: 64, height: 32 },
      },
    ],
    cost: { regions: 3, unetEvaluationsPerStep: 6, unetEvaluationsTotal: 180, textEncodings: 5 },
  };
}

/** The messages for a copy of the valid plan changed by `change`. */
function errorsAfter(change: (plan: any) => void): string[] {
  const plan = structuredClone(validPlan());
  change(plan);
  return validatePlan(plan);
}

describe("plan schema", () => {
  it("is a draft 2020-12 schema with an id and a title", () => {
    const schema = planSchema();
    expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema["$id"]).toBeTypeOf("string");
    expect(schema["title"]).toBeTypeOf("string");
  });

  it("enumerates the compiler's schedulers, blend kernels, fit modes, shapes and noise generators, in its order, and describes each", () => {
    const defs = planSchema()["$defs"] as any;
    const places = [
      [(planSchema()["properties"] as any).scheduler.properties.name, SCHEDULER_NAMES],
      [defs.region.properties.blend, BLEND_KERNELS],
      [defs.shiftedGrid.properties.blend, BLEND_KERNELS],
      [defs.guide.properties.fit, FIT_MODES],
      [defs.shape.properties.kind, SHAPE_KINDS],
      [defs.mask.properties.fit, FIT_MODES],
      [(planSchema()["properties"] as any).noise, NOISE_GENERATORS],
    ] as const;
    for (const [property, names] of places) {
      expect(property.enum).toEqual(names);
      expect(names.filter((name) => !property.description.includes(`\`${name}\``))).toEqual([]);
    }
  });

  it("accepts a valid hand-written plan", () => {
    expect(validatePlan(validPlan())).toEqual([]);
  });

  it("accepts the other model kinds and a plan without guides", () => {
    expect(validatePlan({ ...validPlan(), model: { kind: "named", name: "sd15" } })).toEqual([]);
    expect(validatePlan({ ...validPlan(), model: { kind: "path", path: "models/sd15-onnx" } })).toEqual([]);
    expect(validatePlan({ ...validPlan(), guides: [] })).toEqual([]);
  });

  it("rejects what is not an object", () => {
    expect(validatePlan(null)).toEqual(["(plan): must be object"]);
    expect(validatePlan([])).toEqual(["(plan): must be object"]);
  });

  it("names a missing field", () => {
    expect(errorsAfter((p) => delete p.regions[1].guidance)).toEqual(["/regions/1/guidance: is required"]);
    expect(errorsAfter((p) => delete p.cost)).toEqual(["/cost: is required"]);
  });

  it("names an extra field", () => {
    expect(errorsAfter((p) => (p.regions[0].opacity = 1))).toEqual(["/regions/0/opacity: is not a known property"]);
    expect(errorsAfter((p) => (p.scheduler.eta = 0))).toEqual(["/scheduler/eta: is not a known property"]);
  });

  it("lists the schedulers when the scheduler is unknown", () => {
    expect(errorsAfter((p) => (p.scheduler.name = "eulr_a"))).toEqual([
      '/scheduler/name: must be one of "lms", "euler", "euler_ancestral", "ddim", "dpmpp_2m"',
    ]);
  });

  it("rejects bad blend and fit values", () => {
    expect(errorsAfter((p) => (p.regions[2].blend = "linear"))).toEqual([
      '/regions/2/blend: must be one of "gaussian", "quartic", "constant"',
    ]);
    expect(errorsAfter((p) => (p.guides[0].fit = "fill"))).toEqual([
      '/guides/0/fit: must be one of "stretch", "cover", "contain"',
    ]);
  });

  it("requires pixel rectangles and the canvas in multiples of 8", () => {
    expect(errorsAfter((p) => (p.regions[0].rect.width = 636))).toEqual(["/regions/0/rect/width: must be multiple of 8"]);
    expect(errorsAfter((p) => (p.guides[0].rect.y = 250))).toEqual(["/guides/0/rect/y: must be multiple of 8"]);
    expect(errorsAfter((p) => (p.canvas.height = 500))).toEqual(["/canvas/height: must be multiple of 8"]);
    expect(errorsAfter((p) => (p.canvas.width = 0))).toEqual(["/canvas/width: must be >= 8"]);
    expect(errorsAfter((p) => (p.regions[1].rect.x = -8))).toEqual(["/regions/1/rect/x: must be >= 0"]);
  });

  it("requires a positive weight", () => {
    expect(errorsAfter((p) => (p.regions[1].weight = -1))).toEqual(["/regions/1/weight: must be > 0"]);
    expect(errorsAfter((p) => (p.regions[1].weight = 0))).toEqual(["/regions/1/weight: must be > 0"]);
  });

  it("requires a sha256 of 64 lowercase hex digits", () => {
    expect(errorsAfter((p) => (p.guides[0].sha256 = "9f86d081"))).toEqual([
      "/guides/0/sha256: must be 64 lowercase hexadecimal digits",
    ]);
    expect(errorsAfter((p) => (p.guides[0].sha256 = "z".repeat(64)))).toEqual([
      "/guides/0/sha256: must be 64 lowercase hexadecimal digits",
    ]);
  });

  it("checks the ranges of seeds, steps, guidance and strength", () => {
    expect(errorsAfter((p) => (p.seed = 2 ** 53))).toEqual(["/seed: must be <= 9007199254740991"]);
    expect(errorsAfter((p) => (p.seed = 1.5))).toEqual(["/seed: must be integer"]);
    expect(errorsAfter((p) => (p.regions[0].seed = -1))).toEqual(["/regions/0/seed: must be >= 0"]);
    expect(errorsAfter((p) => (p.steps = 0))).toEqual(["/steps: must be >= 1"]);
    expect(errorsAfter((p) => (p.steps = 1001))).toEqual(["/steps: must be <= 1000"]);
    expect(errorsAfter((p) => (p.regions[2].guidance = 51))).toEqual(["/regions/2/guidance: must be <= 50"]);
    expect(errorsAfter((p) => (p.guides[0].strength = 1.2))).toEqual(["/guides/0/strength: must be <= 1"]);
    expect(errorsAfter((p) => (p.version = 1))).toEqual(["/version: must be 2"]);
  });

  it("gives one precise message for a bad model", () => {
    expect(errorsAfter((p) => (p.model = { kind: "named" }))).toEqual(["/model/name: is required"]);
    expect(errorsAfter((p) => (p.model = { kind: "builtin", path: "x" }))).toEqual([
      "/model/path: is not a known property",
    ]);
    expect(errorsAfter((p) => (p.model = { kind: "remote" }))).toEqual([
      '/model/kind: must be one of "default", "builtin", "named", "path"',
    ]);
    expect(errorsAfter((p) => (p.model = {}))).toEqual(["/model/kind: is required"]);
  });

  it("reports every error of a plan, not only the first", () => {
    const errors = errorsAfter((p) => {
      p.steps = 0;
      p.regions[0].weight = -2;
      delete p.guides[0].sha256;
    });
    expect(errors).toHaveLength(3);
    expect(errors).toContain("/steps: must be >= 1");
    expect(errors).toContain("/regions/0/weight: must be > 0");
    expect(errors).toContain("/guides/0/sha256: is required");
  });
});
