/**
 * The A1111 `parameters` infotext and the `scenec:render` record of a rendered PNG: written as
 * Automatic1111 writes them, read back with A1111's own regular expression, and carried by a real
 * PNG from a real render (the built package, as a user runs it; `npm test` builds it first).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { a1111Quote, formatA1111Parameters, parseA1111Parameters, type A1111Generation } from "../src/cli/a1111-parameters.js";
import { A1111_PARAM_PATTERN } from "../src/cli/import/a1111-infotext.js";
import { A1111_KARRAS_SCHEDULE, A1111_RNG, A1111_SAMPLERS } from "../src/cli/a1111-samplers.js";
import { dominantPaint } from "../src/cli/dominant-paint.js";
import { importedTexts, parseRenderRecord, renderRecord } from "../src/cli/render-record.js";
import { SCHEDULER_NAMES } from "../src/compiler/plan/plan.js";
import { SourceFile } from "../src/compiler/diagnostics/source-file.js";
import { KEY_PARAMETERS, KEY_RENDER, KEY_SCENE, pngChunks, readPngText } from "../src/runtime/image/png-text.js";
import { renderedImageText } from "../src/cli/image-metadata.js";
import { encodeNpy } from "../src/compiler/check/npy-file.js";
import { golden } from "./helpers/golden.js";
import { memoryHost } from "./helpers/memory-host.js";
import { compileScene } from "./helpers/render-helpers.js";
import { ROOT, runScenec } from "./helpers/scenec-cli.js";

/** A generation whose prompt and model name hold everything A1111's format must survive. */
const TRICKY: A1111Generation = {
  prompt: 'a "red" house, by the sea: at dusk\n(masterpiece:1.2), [blurry]',
  negative: "ugly, deformed\nlow quality",
  steps: 30,
  scheduler: { name: "dpmpp_2m", karras: true },
  cfgScale: 7.5,
  seed: 7178915308,
  width: 1024,
  height: 512,
  model: 'sd-1.5, "pruned": emaonly\nv2 \\ final',
  noise: "torch",
  extra: [
    ["scenec", "0.0.0-test"],
    ["scenec scene", KEY_SCENE],
  ],
};

describe("A1111's quote()", () => {
  it("leaves a value without `,` `:` or a newline as it is, and writes one with them as a JSON string", () => {
    expect(a1111Quote("Euler a")).toBe("Euler a");
    expect(a1111Quote('say "hi"!')).toBe('say "hi"!');
    expect(a1111Quote("a, b")).toBe('"a, b"');
    expect(a1111Quote("x: y")).toBe('"x: y"');
    expect(a1111Quote('one\ntwo "three" \\ four,')).toBe('"one\\ntwo \\"three\\" \\\\ four,"');
  });

  it("also quotes a value A1111 would misread bare: a leading space, or quotes around it", () => {
    expect(a1111Quote(" padded")).toBe('" padded"');
    expect(a1111Quote('"quoted"')).toBe('"\\"quoted\\""');
    for (const value of [" padded", '"quoted"']) expect(parseA1111Parameters(`p\nSteps: 1, Seed: 2, Model: ${a1111Quote(value)}`).params["Model"]).toBe(value);
    // Bare, A1111 would read them otherwise.
    expect(parseA1111Parameters('p\nSteps: 1, Seed: 2, Model:  padded, Hash: "quoted"').params).toMatchObject({ Model: "padded", Hash: "quoted" });
  });
});

describe("A1111's regex, ported", () => {
  it("reads A1111's own example infotext (its parse_generation_parameters docstring) as A1111 does", () => {
    const text = [
      "girl with an artist's beret, determined, blue eyes, desert scene, ((eyeshadow)), (coquettish), detailed, intricate",
      "Negative prompt: ugly, fat, obese, (((deformed))), [blurry], bad anatomy",
      "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b",
    ].join("\n");
    expect(parseA1111Parameters(text)).toEqual({
      prompt: "girl with an artist's beret, determined, blue eyes, desert scene, ((eyeshadow)), (coquettish), detailed, intricate",
      negativePrompt: "ugly, fat, obese, (((deformed))), [blurry], bad anatomy",
      params: { Steps: "20", Sampler: "Euler a", "CFG scale": "7", Seed: "965400086", "Size-1": "512", "Size-2": "512", "Model hash": "45dee52b" },
    });
  });

  it("is A1111's re_param_code, with Python's Unicode \\w and its `.`", () => {
    const pairs = (line: string) => [...line.matchAll(A1111_PARAM_PATTERN)].map((m) => [m[1], m[2]]);
    expect(pairs('Steps: 20, Lora hashes: "a: 1, b: 2", Größe-x/y: 3')).toEqual([
      ["Steps", "20"],
      ["Lora hashes", '"a: 1, b: 2"'],
      ["Größe-x/y", "3"],
    ]);
    // A backslash escapes any character but a newline, the carriage return too.
    expect(pairs('Key: "a\\\rb, c", Other: 1')).toEqual([
      ["Key", '"a\\\rb, c"'],
      ["Other", "1"],
    ]);
    // A key is two characters at least.
    expect(pairs("K: 1, Ke: 2")).toEqual([["Ke", "2"]]);
  });

  it("parses our settings line back to every key and value, through commas, colons, quotes and newlines", () => {
    const text = formatA1111Parameters(TRICKY);
    const lines = text.split("\n");
    expect(lines.at(-1)).toBe(
      'Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, Seed: 7178915308, Size: 1024x512, Model: "sd-1.5, \\"pruned\\": emaonly\\nv2 \\\\ final", RNG: CPU, scenec: 0.0.0-test, scenec scene: "scenec:scene"',
    );
    expect(parseA1111Parameters(text)).toEqual({
      prompt: TRICKY.prompt,
      negativePrompt: TRICKY.negative,
      params: {
        Steps: "30",
        Sampler: "DPM++ 2M",
        "Schedule type": "Karras",
        "CFG scale": "7.5",
        Seed: "7178915308",
        "Size-1": "1024",
        "Size-2": "512",
        Model: TRICKY.model,
        RNG: "CPU",
        scenec: "0.0.0-test",
        "scenec scene": "scenec:scene",
      },
    });
  });

  it("leaves out the negative prompt line when there is none, and the schedule type without Karras", () => {
    const text = formatA1111Parameters({ ...TRICKY, negative: null, scheduler: { name: "euler_ancestral", karras: false }, noise: "scenec" });
    expect(text).not.toContain("Negative prompt:");
    expect(text).not.toContain("Schedule type");
    expect(formatA1111Parameters({ ...TRICKY, negative: "" })).not.toContain("Negative prompt:");
    const parsed = parseA1111Parameters(text);
    expect(parsed.negativePrompt).toBe("");
    expect(parsed.params).toMatchObject({ Sampler: "Euler a", RNG: "scenec" });
  });

  it("reads a hostile megabyte-long last line as prompt text, not settings (matching it would take hours)", () => {
    const parsed = parseA1111Parameters(`prompt\n${"a".repeat(2 ** 20)}`);
    expect(parsed.params).toEqual({});
    expect(parsed.prompt).toBe(`prompt\n${"a".repeat(2 ** 20)}`);
  });

  it("writes one parameters block exactly (golden)", () => {
    const text = `${formatA1111Parameters(TRICKY)}\n`;
    expect(text).toBe(golden(join(ROOT, "test", "golden", "a1111-parameters.txt"), text, "npx vitest run test/a1111-parameters.test.ts"));
  });
});

describe("the A1111 names of scenec's vocabularies", () => {
  it("names every scheduler as A1111 does, Karras as a schedule type, torch's noise A1111's CPU RNG and philox its NV", () => {
    expect(SCHEDULER_NAMES.map((name) => A1111_SAMPLERS[name])).toEqual(["LMS", "Euler", "Euler a", "DDIM", "DPM++ 2M"]);
    expect(A1111_KARRAS_SCHEDULE).toBe("Karras");
    expect(A1111_RNG).toEqual({ scenec: "scenec", torch: "CPU", philox: "NV" });
  });
});

describe("the prompt the infotext shows", () => {
  it("is the dominant paint's: the largest area × weight, a grid's cells counted together", () => {
    const background = compileScene('canvas 512 x 512\nregion sky { prompt "sky" }\nregion sun { at 128, 128 size 256 x 256 prompt "sun" }\n');
    expect(dominantPaint(background)?.prompt).toBe("sky");
    // 256² × 5 = 327,680 > 512² = 262,144.
    const heavy = compileScene('canvas 512 x 512\nregion sky { prompt "sky" }\nregion sun { at 128, 128 size 256 x 256 prompt "sun" weight 5 }\n');
    expect(dominantPaint(heavy)?.prompt).toBe("sun");
    // Six 256² cells of "forest" (393,216) outweigh one 512 x 256 strip of "river" (131,072), though each cell alone is smaller.
    const grid = compileScene('canvas 768 x 512\ngrid g { tile 256 x 256 prompt "forest" }\nregion river { at 0, 128 size 512 x 256 prompt "river" }\n');
    expect(dominantPaint(grid)?.prompt).toBe("forest");
  });

  it("is the first of equals", () => {
    const pair = compileScene('canvas 256 x 128\nregion left { size 128 x 128 prompt "red" }\nregion right { at 128, 0 size 128 x 128 prompt "blue" }\n');
    expect(dominantPaint(pair)?.prompt).toBe("red");
  });
});

describe("a rendered picture's text chunks", () => {
  const made = (scene: string, host = memoryHost()) => ({
    source: scene,
    sourceKind: "scene" as const,
    plan: compileScene(scene, { host }),
    model: { kind: "builtin" as const },
    imports: {},
    overrides: {},
    runtime: { device: "cpu" as const, batch: 1 },
  });

  it("name the built-in model and scenec's noise, and count the regions only when there are several", () => {
    const one = parseA1111Parameters(renderedImageText(made('canvas 128 x 64\nregion r { prompt "red" }\n'))[KEY_PARAMETERS]!);
    expect(one.params).toMatchObject({ Model: "scenec-builtin", RNG: "scenec", "CFG scale": "7.5" });
    expect(one.params["scenec regions"]).toBeUndefined();
    const two = renderedImageText(made('canvas 128 x 64\nregion r { prompt "red" }\nregion s { size 32 x 32 prompt "sun" }\n'));
    expect(parseA1111Parameters(two[KEY_PARAMETERS]!).params["scenec regions"]).toBe("2");
  });

  it("say when the noise came from a file, which no seed reproduces", () => {
    const host = memoryHost({ "noise.npy": encodeNpy(new Float32Array(4 * 8 * 16), [4, 8, 16]) });
    const text = renderedImageText(made('canvas 128 x 64\nnoise "noise.npy"\nregion r { prompt "red" }\n', host));
    expect(parseA1111Parameters(text[KEY_PARAMETERS]!).params["scenec noise file"]).toBe("noise.npy");
  });
});

describe("the render record", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "scenec-record-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("tells a model folder by its name, model_index.json's SHA-256 and its UNet files' sizes and times", () => {
    const model = join(dir, "my-model");
    mkdirSync(join(model, "unet", "nested"), { recursive: true });
    writeFileSync(join(model, "model_index.json"), '{"_class_name": "OnnxStableDiffusionPipeline"}');
    writeFileSync(join(model, "unet", "model.onnx"), new Uint8Array(1234));
    writeFileSync(join(model, "unet", "weights.pb"), new Uint8Array(99));
    const record = renderRecord({ source: "scene", model: { kind: "folder", path: model }, version: "9.9.9", overrides: { steps: 4, seed: undefined }, runtime: { device: "cpu", batch: 2 }, imports: {} });
    expect(record.model).toEqual({
      kind: "folder",
      name: "my-model",
      modelIndexSha256: createHash("sha256").update('{"_class_name": "OnnxStableDiffusionPipeline"}').digest("hex"),
      unet: ["model.onnx", "weights.pb"].map((name) => ({ file: `unet/${name}`, bytes: name === "model.onnx" ? 1234 : 99, modified: statSync(join(model, "unet", name)).mtime.toISOString() })),
    });
    expect(record.overrides).toEqual({ steps: 4 });
    expect(parseRenderRecord(JSON.stringify(record))).toEqual({ record });
  });

  it("keys imported files by their path from the scene's folder", () => {
    const sources = new Map([
      ["scenes/a.scene", new SourceFile("scenes/a.scene", "main")],
      ["scenes/styles/b.scene", new SourceFile("scenes/styles/b.scene", "style b")],
      ["shared/c.scene", new SourceFile("shared/c.scene", "style c")],
    ]);
    expect(importedTexts(sources, "scenes/a.scene")).toEqual({ "../shared/c.scene": "style c", "styles/b.scene": "style b" });
  });

  it("says what is wrong with a record that is not one", () => {
    expect(parseRenderRecord("{")).toMatchObject({ problem: expect.stringContaining("not JSON") });
    expect(parseRenderRecord('{"version": 2}')).toEqual({ problem: "version 2, not 1 (a newer scenec wrote it?)" });
    const record = renderRecord({ source: "plan", model: { kind: "builtin" }, version: "1", overrides: {}, runtime: { device: "auto", batch: 1 }, imports: {} });
    expect(parseRenderRecord(JSON.stringify({ ...record, imports: { "a.scene": 3 } }))).toEqual({ problem: "`imports` is not an object of texts" });
  });
});

describe("a rendered PNG", () => {
  const STYLES = 'style warm "warm light, golden: hour"\n';
  const SCENE = [
    'import "styles/base.scene"',
    'model "./exported"',
    "canvas 128 x 64",
    "seed 3",
    "steps 6",
    "scheduler euler",
    'region sky { prompt "{warm} sky, \\"blue\\": red\\nsecond line" negative "ugly, blurry" guidance 6.5 }',
    'region sun { at 96, 0 size 32 x 32 prompt "sun" }',
    "",
  ].join("\n");
  let dir: string;
  let text: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, "dist", "src", "cli", "image-metadata.js"))) throw new Error("dist/ is missing: run `npm run build` first (`npm test` does)");
    dir = mkdtempSync(join(tmpdir(), "scenec-parameters-"));
    mkdirSync(join(dir, "styles"));
    writeFileSync(join(dir, "styles", "base.scene"), STYLES);
    writeFileSync(join(dir, "a.scene"), SCENE);
    const exported = await runScenec(["model", "export-builtin", "exported"], { cwd: dir });
    expect(exported.status, exported.stderr).toBe(0);
    const render = await runScenec(["render", "a.scene", "--steps", "2", "--seed", "77", "--noise", "torch", "-o", "out.png"], { cwd: dir });
    expect(render.status, render.stderr).toBe(0);
    text = readPngText(readFileSync(join(dir, "out.png")));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("carries an A1111 infotext of its dominant region, with the command line's steps, seed and noise", () => {
    expect(parseA1111Parameters(text[KEY_PARAMETERS]!)).toEqual({
      prompt: 'warm light, golden: hour sky, "blue": red\nsecond line',
      negativePrompt: "ugly, blurry",
      params: {
        Steps: "2",
        Sampler: "Euler",
        "CFG scale": "6.5",
        Seed: "77",
        "Size-1": "128",
        "Size-2": "64",
        Model: "exported",
        RNG: "CPU",
        scenec: JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version,
        "scenec scene": KEY_SCENE,
        "scenec regions": "2",
      },
    });
    expect(text[KEY_SCENE]).toBe(SCENE);
  });

  it("writes the infotext as a tEXt chunk when it is Latin-1, as A1111 (Pillow) does", () => {
    const chunk = pngChunks(readFileSync(join(dir, "out.png"))).find((c) => c.type === "tEXt" && Buffer.from(c.data).toString("latin1").startsWith(`${KEY_PARAMETERS}\0`));
    expect(chunk).toBeDefined();
  });

  it("records the model folder it resolved to, the overrides and the imports' texts", () => {
    const parsed = parseRenderRecord(text[KEY_RENDER]!);
    if (!("record" in parsed)) throw new Error(parsed.problem);
    const unet = join(dir, "exported", "unet", "model.onnx");
    expect(parsed.record).toMatchObject({
      version: 1,
      source: "scene",
      model: {
        kind: "folder",
        name: "exported",
        modelIndexSha256: createHash("sha256").update(readFileSync(join(dir, "exported", "model_index.json"))).digest("hex"),
      },
      overrides: { steps: 2, seed: 77, noise: "torch" },
      runtime: { device: "auto", batch: 1 },
      imports: { "styles/base.scene": STYLES },
    });
    expect(parsed.record.model.kind === "folder" && parsed.record.model.unet).toContainEqual({ file: "unet/model.onnx", bytes: statSync(unet).size, modified: statSync(unet).mtime.toISOString() });
  });

  it("says when what it holds is a saved plan, which needs no imports", async () => {
    expect((await runScenec(["plan", "a.scene", "-o", "a.plan.json"], { cwd: dir })).status).toBe(0);
    const render = await runScenec(["render", "a.plan.json", "-o", "plan.png"], { cwd: dir });
    expect(render.status, render.stderr).toBe(0);
    const planText = readPngText(readFileSync(join(dir, "plan.png")));
    expect(planText[KEY_SCENE]).toBe(readFileSync(join(dir, "a.plan.json"), "utf8"));
    expect(parseRenderRecord(planText[KEY_RENDER]!)).toMatchObject({ record: { source: "plan", overrides: {}, imports: {} } });
  });

  it("is shown by scenec info: model, overrides, imports, the infotext and each import's text", async () => {
    const run = await runScenec(["info", "out.png"], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^model: {7}exported \(model folder; model_index\.json sha256 [0-9a-f]{64}; unet\/model\.onnx [\d,]+ bytes, modified \d{4}-\d\d-\d\dT[\d:.]+Z; unet\/weights\.pb [\d,]+ bytes, modified [\dT:.Z-]+\)$/m);
    expect(run.stdout).toContain("\noverrides:   --steps 2 --seed 77 --noise torch\nruntime:     --device auto --batch 1\nimports:     styles/base.scene (38 characters)\n");
    expect(run.stdout).toContain(`\n--- parameters (A1111) ---\n${text[KEY_PARAMETERS]}\n\n--- scene ---\n${SCENE}`);
    expect(run.stdout.endsWith(`\n--- import styles/base.scene ---\n${STYLES}`)).toBe(true);
    const json = JSON.parse((await runScenec(["info", "out.png", "--json"], { cwd: dir })).stdout);
    expect(json.render).toEqual(JSON.parse(text[KEY_RENDER]!));
    expect(json.parameters).toEqual(parseA1111Parameters(text[KEY_PARAMETERS]!));
  });
});
