import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderedImageText } from "../src/cli/image-metadata.js";
import { nodeHost } from "../src/compiler/node-host.js";
import type { Plan } from "../src/compiler/plan/plan.js";
import { formatPlan } from "../src/cli/plan-output.js";
import { loadRenderInput } from "../src/cli/render-input.js";
import { parseInfotext } from "../src/cli/import/a1111-infotext.js";
import { a1111Scene } from "../src/cli/import/a1111-scene.js";
import { comfyuiScene } from "../src/cli/import/comfyui-graph.js";
import { writeScene } from "../src/cli/import/scene-writer.js";
import { writeImage } from "../src/runtime/image/image-write.js";
import { readPngText } from "../src/runtime/image/png-text.js";
import { writePng } from "../src/runtime/image/png-write.js";
import { golden } from "./helpers/golden.js";
import { compileScene, loadBuiltinModel, newCaches, renderWith } from "./helpers/render-helpers.js";
import { ROOT, runScenec } from "./helpers/scenec-cli.js";
import { runMain } from "./helpers/scenec-main.js";

/** What a render on the built-in model records, for PNGs the tests write themselves. */
const provenance = (source: string, sourceKind: "scene" | "plan", plan: Plan) => ({
  source,
  sourceKind,
  plan,
  model: { kind: "builtin" as const },
  imports: {},
  overrides: {},
  runtime: { device: "cpu" as const, batch: 1 },
});

/**
 * `scenec import` (a scenec PNG's scene back, verbatim; an A1111 infotext and a plain ComfyUI
 * txt2img graph as scenes that compile), `scenec render IMAGE.png` and `scenec check IMAGE.png`.
 * In-process through main() except the one re-render, which runs as a user's does (dist/).
 */

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scenec-import-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tiny black PNG carrying `text` (the project's PNG writer, as iTXt chunks). */
async function pngWith(name: string, text: Record<string, string>): Promise<string> {
  const file = join(dir, name);
  await writePng(file, new Uint8Array(8 * 8 * 3), 8, 8, text);
  return file;
}

/** `scenec check FILE` on a scene text, in-process. */
async function checkScene(name: string, scene: string): Promise<{ status: number; stderr: string }> {
  const file = join(dir, name);
  writeFileSync(file, scene);
  return runMain("check", file);
}

const INFOTEXT = [
  'a (red:1.5) fox in {curly} braces, "quoted", a back\\slash and \\(escaped\\) parens',
  "on a second line",
  "Negative prompt: blurry, lowres",
  "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model hash: abc, Model: foo, RNG: CPU, Hires upscale: 2",
].join("\n");

describe("A1111's infotext, read as parse_generation_parameters reads it", () => {
  it("finds the pairs of the last line with A1111's regex: the same as Python's re.findall", () => {
    // Each expected list is what Python 3's `re.findall(re_param_code, line)` returns for the
    // line (run with A1111's re_param_code), after unquote; an empty value is skipped, as A1111's
    // `v[0]` raises on it inside its try.
    const pairs = (line: string) => [...parseInfotext(`p\n${line}`).params];
    expect(pairs('Steps: 20, Lora hashes: "a: 1, b: \\"x\\"", Model: , Größe: 5, ADetailer model: face_yolov8n.pt, TI hashes: "x: 1", Version: v1.10.1')).toEqual([
      ["Steps", "20"],
      ["Lora hashes", 'a: 1, b: "x"'],
      ["Größe", "5"],
      ["ADetailer model", "face_yolov8n.pt"],
      ["TI hashes", "x: 1"],
      ["Version", "v1.10.1"],
    ]);
    // A quote that is never closed is no JSON string: the text stays as it is.
    expect(pairs('Steps: 20, Sampler: Euler a, Cfg: "unterminated, Seed: 5')).toEqual([
      ["Steps", "20"],
      ["Sampler", "Euler a"],
      ["Cfg", '"unterminated'],
      ["Seed", "5"],
    ]);
  });

  it("reads the prompt's lines, the negative prompt's, and a last line with fewer than three pairs as prompt", () => {
    expect(parseInfotext(INFOTEXT)).toMatchObject({
      prompt: 'a (red:1.5) fox in {curly} braces, "quoted", a back\\slash and \\(escaped\\) parens\non a second line',
      negativePrompt: "blurry, lowres",
    });
    expect(parseInfotext("  a cat: sitting, on a mat  \nNegative prompt:   dogs\n  more dogs \n")).toEqual({ prompt: "a cat: sitting, on a mat", negativePrompt: "dogs\nmore dogs", params: new Map() });
  });
});

describe("an A1111 PNG", () => {
  it("becomes a scene with its settings mapped, the prompt exactly as written, Hires fix listed as not mapped; it compiles", async () => {
    const png = await pngWith("a1111.png", { parameters: INFOTEXT });
    const run = await runMain("import", png);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(golden(join(ROOT, "test/golden/import/a1111.scene"), run.stdout, "npx vitest run test/import.test.ts"));
    for (const line of ["canvas 512 x 768", "seed 1234", "noise torch", "steps 20", "scheduler dpmpp_2m karras", "guidance 7", 'negative "blurry, lowres"', '# model "foo"'])
      expect(run.stdout.split("\n")).toContain(line);
    expect(run.stdout).toMatch(/^#\s+Hires upscale: 2$/m);
    expect(run.stderr).toContain("warning: not mapped: Hires upscale: 2");

    const checked = await checkScene("a1111.scene", run.stdout);
    expect(checked).toEqual({ status: 0, stdout: "", stderr: "" });
    // The compiled prompt is the A1111 prompt, character for character (braces and quotes included).
    const plan = compileScene(run.stdout);
    expect(plan.regions[0]!.prompt).toBe(parseInfotext(INFOTEXT).prompt);
    expect(plan.regions[0]!.negative).toBe("blurry, lowres");
  });

  it("writes A1111's default GPU generator (and NV) as `noise philox`", () => {
    const noise = (rng: string) => a1111Scene(`a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7${rng}`).noise;
    expect([noise(""), noise(", RNG: GPU"), noise(", RNG: NV"), noise(", RNG: CPU")]).toEqual(["philox", "philox", "philox", "torch"]);
    const scene = writeScene(a1111Scene("a cat\nSteps: 20, Sampler: Euler a, Seed: 5"), "x.png");
    expect(scene).toMatch(/^noise philox$/m);
    expect(compileScene(scene).noise).toBe("philox");
  });

  it("maps the samplers scenec has, with Karras from the schedule type or the sampler's name, and lists the others", () => {
    const scheduler = (sampler: string) => {
      const scene = a1111Scene(`a cat\nSteps: 20, Sampler: ${sampler}, CFG scale: 7`);
      return [scene.scheduler, scene.unmapped];
    };
    expect(scheduler("Euler a")).toEqual([{ name: "euler_ancestral", karras: false }, []]);
    expect(scheduler("DPM++ 2M Karras")).toEqual([{ name: "dpmpp_2m", karras: true }, []]);
    expect(scheduler("LMS, Schedule type: Karras")).toEqual([{ name: "lms", karras: true }, []]);
    expect(scheduler("DDIM, Schedule type: Uniform")).toEqual([{ name: "ddim", karras: false }, []]);
    expect(scheduler("Euler, Schedule type: Exponential")).toEqual([{ name: "euler", karras: false }, ["Schedule type: Exponential (scenec has Karras σ or the model's own spacing; the model's own is used)"]]);
    expect(scheduler("Heun")).toEqual([undefined, ["Sampler: Heun (no scenec scheduler is that sampler; scenec's default, lms, is used)"]]);
  });

  it("rounds a size to multiples of 8 and says so; lists clip skip, denoising strength and the like", async () => {
    const scene = a1111Scene("a cat\nSteps: 20, Sampler: Euler, Size: 513x770, Clip skip: 2, Denoising strength: 0.7, VAE: kl-f8, RNG: CPU, Seed: 99999999999");
    expect([scene.width, scene.height]).toEqual([512, 768]);
    expect(scene.notes).toContain("Size 513x770 is rounded to 512 x 768: scenec's sizes are multiples of 8");
    expect(scene.unmapped).toEqual(["Clip skip: 2", "Denoising strength: 0.7", "VAE: kl-f8"]);
    expect(scene.seed).toBe(99999999999);
    expect(await checkScene("rounded.scene", writeScene(scene, "x.png"))).toMatchObject({ status: 0 });
  });

  it("refuses a `parameters` text without A1111's settings line (another tool's), exit 1", async () => {
    const png = await pngWith("fooocus.png", { parameters: '{"prompt": "a cat", "steps": 30}' });
    expect(await runMain("import", png)).toEqual({
      status: 1,
      stdout: "",
      stderr: `${png}: nothing to import: its \`parameters\` text has no line of settings (\`Steps: …, Sampler: …, Seed: …\`): it is not an A1111 infotext\n`,
    });
  });

  it("keeps a torch seed beyond 2^53 − 1 as its low 32 bits, all of it that torch reads", () => {
    const scene = a1111Scene("a cat\nSteps: 20, Sampler: Euler, RNG: CPU, Seed: 18446744073709551615");
    expect(scene.seed).toBe(0xffffffff);
    expect(scene.unmapped).toEqual([]);
  });
});

describe("the scene writer", () => {
  it("writes any prompt as strings that compile back to exactly that prompt: long ones over several lines", () => {
    const word = "x".repeat(450);
    const prompt = `${"masterpiece, best quality, ".repeat(12)}${word} {not a style} \\ "q" a\r\nb\u{1f338}`;
    const scene = writeScene({ origin: "a test", width: 64, height: 64, prompt: `${prompt}\0`, negative: "", notes: [], unmapped: [] }, "t.png");
    expect(Math.max(...scene.split("\n").map((line) => line.length))).toBeLessThan(220);
    const plan = compileScene(scene);
    expect(plan.regions[0]!.prompt).toBe(prompt.replace("\r\n", "\n"));
    expect(scene).toContain("# the prompt had NUL or U+FFFD characters, which a scene file cannot hold: they are left out");
  });
});

/** ComfyUI's default txt2img graph, as its PNGs carry it (API format). */
function comfyGraph(): Record<string, { class_type: string; inputs: Record<string, unknown> }> {
  return {
    "3": { class_type: "KSampler", inputs: { seed: 156680208700286, steps: 20, cfg: 8, sampler_name: "euler_ancestral", scheduler: "karras", denoise: 1, model: ["4", 0], positive: ["6", 0], negative: ["7", 0], latent_image: ["5", 0] } },
    "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "SD15/v1-5-pruned-emaonly.safetensors" } },
    "5": { class_type: "EmptyLatentImage", inputs: { width: 512, height: 512, batch_size: 1 } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: "beautiful scenery nature glass bottle landscape, , purple galaxy bottle,", clip: ["4", 1] } },
    "7": { class_type: "CLIPTextEncode", inputs: { text: "text, watermark", clip: ["4", 1] } },
    "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
    "9": { class_type: "SaveImage", inputs: { filename_prefix: "ComfyUI", images: ["8", 0] } },
  };
}

describe("a ComfyUI PNG", () => {
  it("becomes a scene where its graph is a plain txt2img, with torch's noise; it compiles", async () => {
    const png = await pngWith("comfy.png", { prompt: JSON.stringify(comfyGraph()), workflow: "{}" });
    const run = await runMain("import", png);
    expect(run).toMatchObject({ status: 0 });
    for (const line of ["canvas 512 x 512", "seed 156680208700286", "noise torch", "steps 20", "scheduler euler_ancestral karras", "guidance 8", 'negative "text, watermark"', '# model "v1-5-pruned-emaonly"'])
      expect(run.stdout.split("\n")).toContain(line);
    expect(run.stderr).not.toContain("not mapped");
    expect(await checkScene("comfy.scene", run.stdout)).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("says what it found where the graph is not a plain txt2img, exit 1", async () => {
    const graph = comfyGraph();
    graph["10"] = { class_type: "LoraLoader", inputs: { model: ["4", 0], clip: ["4", 1], lora_name: "x.safetensors", strength_model: 1, strength_clip: 1 } };
    graph["3"]!.inputs["model"] = ["10", 0];
    const png = await pngWith("comfy-lora.png", { prompt: JSON.stringify(graph) });
    const run = await runMain("import", png);
    expect(run).toEqual({
      status: 1,
      stdout: "",
      stderr: `${png}: nothing to import: its ComfyUI graph is not a plain txt2img (CheckpointLoaderSimple → CLIPTextEncode ×2 → KSampler ← EmptyLatentImage → VAEDecode): the \`model\` of node 3 (KSampler) comes from node 10 (LoraLoader), not a CheckpointLoaderSimple\n`,
    });
    const second = comfyGraph();
    second["11"] = { ...second["3"]!, inputs: { ...second["3"]!.inputs, latent_image: ["3", 0] } };
    expect(() => comfyuiScene(JSON.stringify(second))).toThrow("it has 2 sampler nodes (node 3 (KSampler), node 11 (KSampler)): a second pass, such as a hires fix or a refiner, cannot be imported");
  });

  it("lists what it leaves out: another sampler schedule, a denoise below 1, nodes beside the path", () => {
    const graph = comfyGraph();
    Object.assign(graph["3"]!.inputs, { scheduler: "sgm_uniform", denoise: 0.6 });
    graph["12"] = { class_type: "UpscaleModelLoader", inputs: { model_name: "4x.pth" } };
    expect(comfyuiScene(JSON.stringify(graph)).unmapped).toEqual([
      "scheduler: sgm_uniform (scenec has karras or the model's own spacing; the model's own is used)",
      "denoise: 0.6 (scenec denoises from pure noise)",
      "node 12 (UpscaleModelLoader): not part of a plain txt2img, left out",
    ]);
  });
});

describe("a scenec PNG", () => {
  const SCENE = `# a tiny sky, round-tripped through its PNG
canvas 64 x 64
steps 2
seed 11
style soft "soft light, {curly} braces \\{kept\\}"
style curly "pastel"
region sky { prompt "a blue \\"sky\\", {soft}" }
`;
  let png: string;
  let rgb: Uint8Array;

  beforeAll(async () => {
    const plan = compileScene(SCENE);
    const model = await loadBuiltinModel();
    const image = await renderWith(plan, model, newCaches(model));
    rgb = image.rgb;
    mkdirSync(join(dir, "renders"), { recursive: true });
    png = join(dir, "renders", "sky.png");
    await writeImage(png, image.rgb, image.width, image.height, renderedImageText(provenance(SCENE, "scene", plan)));
  });

  it("imports as the scene it was rendered from, byte for byte, to stdout or atomically to -o", async () => {
    expect(await runMain("import", png)).toEqual({ status: 0, stdout: SCENE, stderr: "" });
    const out = join(dir, "sky-again.scene");
    expect(await runMain("import", png, "-o", out)).toEqual({ status: 0, stdout: "", stderr: `wrote ${out}\n` });
    expect(readFileSync(out, "utf8")).toBe(SCENE);
    expect(await runMain("import", png, "-o", png)).toMatchObject({ status: 2, stderr: expect.stringContaining("is the PNG itself") });
  });

  it("renders again with `scenec render IMAGE.png`: beside it as NAME.rerender.png, the same pixels, the same scene", async () => {
    const run = await runScenec(["render", "renders/sky.png"], { cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    const again = join(dir, "renders", "sky.rerender.png");
    expect(run.stderr).toContain(`wrote renders/sky.rerender.png (64 x 64)`);
    expect(new Uint8Array(await sharp(again).removeAlpha().raw().toBuffer())).toEqual(rgb);
    expect(readPngText(readFileSync(again))["scenec:scene"]).toBe(SCENE);
  });

  it("renders a PNG rendered from a saved plan from that plan, and says so on import", async () => {
    const plan = compileScene(SCENE);
    const planPng = join(dir, "from-plan.png");
    const planText = formatPlan(plan, "json");
    await writeImage(planPng, rgb, 64, 64, renderedImageText(provenance(planText, "plan", plan)));
    const terminal = { color: false, stdout: { write: () => {} }, stderr: { write: () => {} } };
    const input = await loadRenderInput(planPng, {}, terminal);
    expect(input).toMatchObject({ plan, source: planText, output: join(dir, "from-plan.rerender.png") });
    expect(input!.files[0]).toBe(planPng);
    expect(await runMain("import", planPng)).toMatchObject({ status: 1, stderr: expect.stringContaining("it was rendered from a saved plan, not a scene") });
  });

  it("re-renders with the imports and overrides the PNG recorded, whatever the disk holds now", async () => {
    const scene = 'import "look.scene"\ncanvas 64 x 64\nregion sky { prompt "a sky, {look}" }\n';
    writeFileSync(join(dir, "look.scene"), 'style look "stormy"\n');
    const plan = compileScene(scene, { path: join(dir, "stormy.scene"), host: nodeHost });
    const made = { ...provenance(scene, "scene", plan), imports: { "look.scene": 'style look "stormy"\n' }, overrides: { steps: 3 } };
    const stormy = join(dir, "stormy.png");
    await writeImage(stormy, rgb, 64, 64, renderedImageText(made));
    // Since the render, the style changed on disk.
    writeFileSync(join(dir, "look.scene"), 'style look "sunny"\n');
    const terminal = { color: false, stdout: { write: () => {} }, stderr: { write: () => {} } };
    const input = await loadRenderInput(stormy, {}, terminal);
    expect(input?.plan.regions[0]!.prompt).toBe("a sky, stormy");
    expect(input?.overrides).toEqual({ steps: 3 });
  });

  it("refuses to render a PNG without a scene, pointing at `scenec import`, and -o that is the PNG", async () => {
    const plain = await pngWith("plain.png", { parameters: INFOTEXT });
    const run = await runMain("render", plain);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `scenec: ${plain} carries no scenec scene to render (no \`scenec:scene\` text chunk) (\`scenec import ${plain} -o NAME.scene\` turns an A1111 or ComfyUI PNG's parameters into a scene; \`scenec info ${plain}\` shows what the PNG carries)\n`,
    );
    expect(await runMain("render", png, "-o", png)).toMatchObject({ status: 2, stderr: expect.stringContaining("rendering would overwrite it") });
  });
});

describe("scenec check on a PNG", () => {
  it("says to use `scenec import` (and `scenec info`) for another tool's PNG, and a PNG with nothing says so on import", async () => {
    const a1111 = await pngWith("check-a1111.png", { parameters: INFOTEXT });
    const run = await runMain("check", a1111);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("not a scene file: it is a PNG image with AUTOMATIC1111's generation parameters");
    expect(run.stderr).toContain(`help: \`scenec import ${a1111} -o NAME.scene\` turns them into a scene; \`scenec info ${a1111}\` shows what the PNG carries`);
    const comfy = await runMain("check", await pngWith("check-comfy.png", { prompt: JSON.stringify(comfyGraph()) }));
    expect(comfy.stderr).toContain("it is a PNG image with a ComfyUI graph");

    const empty = await pngWith("empty.png", {});
    expect((await runMain("check", empty)).stderr).toContain(`scenec reads \`.scene\` files (\`scenec info ${empty}\` shows what a PNG carries)`);
    expect(await runMain("import", empty)).toEqual({
      status: 1,
      stdout: "",
      stderr: `${empty}: nothing to import: it has no scene and no generation parameters: no \`scenec:scene\`, A1111 \`parameters\` or ComfyUI \`prompt\` text chunk\n`,
    });
  });

  it("reads a PNG larger than a scene may be, to say what it is rather than that it is too large", async () => {
    const big = join(dir, "big.png");
    // Noise does not compress: 1400² RGB is about 5.9 MB, over the 4 MB a scene file may have.
    await writePng(big, randomBytes(1400 * 1400 * 3), 1400, 1400, { parameters: INFOTEXT });
    expect(existsSync(big) && readFileSync(big).length > 4 * 1024 * 1024).toBe(true);
    expect((await runMain("check", big)).stderr).toContain("it is a PNG image with AUTOMATIC1111's generation parameters");
  });
});
