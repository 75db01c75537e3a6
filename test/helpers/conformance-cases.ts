/**
 * The diffusers reference cases of ../shared/conformance/cases/ (see its README), turned into what
 * a scenec user would write: a scene file with `noise "noise.npy"` (the case's x_T), and a model
 * folder whose scheduler config is the one diffusers ran with. `case.json` says everything; a new
 * case in the folder is picked up without code changes. The shared folder is read-only: everything
 * written goes to a temporary folder.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { encodeNpy } from "../../src/compiler/check/npy-file.js";
import type { SchedulerName } from "../../src/compiler/plan/plan.js";
import { parsePythonJson } from "../../src/runtime/model/python-json.js";

export const CONFORMANCE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "../shared/conformance");

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ConformanceCase {
  name: string;
  folder: string;
  model: string;
  pipeline: string;
  canvas: { width: number; height: number };
  steps: number;
  seed: number;
  prompt?: string;
  negative_prompt?: string | null;
  guidance_scale?: number;
  regions?: { rect_px: Rect; prompt: string; negative_prompt?: string; guidance_scale: number; mask_type: string; mask_weight: number }[];
  /** tiling_sdxl: the tiles, each with the six time ids its negative and positive UNet items got. */
  tiles?: { rect_px: Rect; prompt: string; negative_prompt: string | null; guidance_scale: number; time_ids: { negative: number[]; prompt: number[] } }[];
  scheduler: { class: string; config: Record<string, unknown> };
  noise: { file: string; shape: number[] };
  latents: { file: string; shape: number[] };
  image: { file: string };
}

/** The cases present, by name; empty when ../shared/conformance is absent. */
export function conformanceCases(): ConformanceCase[] {
  const dir = path.join(CONFORMANCE_ROOT, "cases");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(path.join(dir, name, "case.json")))
    .sort()
    .map((name) => ({ name, folder: path.join(dir, name), ...(parsePythonJson(readFileSync(path.join(dir, name, "case.json"), "utf8")) as Omit<ConformanceCase, "name" | "folder">) }));
}

/** JSON as Python writes it: non-finite numbers as `Infinity`, `-Infinity`, `NaN`. */
function pythonJson(value: unknown): string {
  const words = new Map<string, string>();
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== "number" || Number.isFinite(v)) return v;
      const word = Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      const mark = `@@python:${word}@@`;
      words.set(`"${mark}"`, word);
      return mark;
    },
    2,
  );
  return text.replace(/"@@python:[-A-Za-z]+@@"/g, (m) => words.get(m) ?? m);
}

/** diffusers' scheduler classes, as the scene names them. */
const SCHEDULER_CLASSES: Record<string, SchedulerName> = {
  LMSDiscreteScheduler: "lms",
  EulerDiscreteScheduler: "euler",
  EulerAncestralDiscreteScheduler: "euler_ancestral",
  DDIMScheduler: "ddim",
  DPMSolverMultistepScheduler: "dpmpp_2m",
};

/** The pipelines a case can come from that map to one scene region over the whole canvas. */
const WHOLE_CANVAS_PIPELINES = ["txt2img", "txt2img_sdxl"];

/**
 * Why scenec cannot run a case yet, or undefined when it can. A case in a form this harness does
 * not know is reported the same way, so a new kind of case shows up as a skip with its reason
 * instead of passing unnoticed.
 */
export function unsupportedReason(c: ConformanceCase): string | undefined {
  if (c.name.endsWith("-community-unscaled")) return "it records the community pipeline's missing noise scaling (a bug), which no scene reproduces by design";
  if (!WHOLE_CANVAS_PIPELINES.includes(c.pipeline) && c.pipeline !== "canvas" && c.pipeline !== "tiling_sdxl") return `pipeline \`${c.pipeline}\` is not known to this harness`;
  if (!(c.scheduler.class in SCHEDULER_CLASSES)) return `scheduler class ${c.scheduler.class} has no scenec counterpart`;
  if (c.scheduler.class === "DPMSolverMultistepScheduler" && (c.scheduler.config["algorithm_type"] !== "dpmsolver++" || c.scheduler.config["solver_order"] !== 2))
    return "only DPM-Solver++ of order 2 (dpmpp_2m) exists in scenec";
  if (c.regions?.some((r) => r.mask_type !== "gaussian" || r.mask_weight !== 1)) return "only gaussian masks of weight 1 map to scenec regions";
  return undefined;
}

/** A scene string literal: `"`, `\`, braces and line breaks escaped. */
function sceneString(text: string): string {
  return `"${text.replace(/[\\"{}]/g, (c) => `\\${c}`).replace(/\n/g, "\\n")}"`;
}

/**
 * SDXL time ids [original h, w, crop top, left, target h, w] as scene settings, the negative
 * item's with the `negative-` words.
 */
function microConditioning(ids: { negative: number[]; prompt: number[] }): string {
  const words = (t: number[], prefix: string) => `${prefix}original ${t[1]} x ${t[0]} ${prefix}crop ${t[3]}, ${t[2]} ${prefix}target ${t[5]} x ${t[4]}`;
  return ` ${words(ids.prompt, "")} ${words(ids.negative, "negative-")}`;
}

/**
 * The scene for a case: the canvas, its steps and scheduler, `noise "noise.npy"`, and its regions
 * (one over the whole canvas for a plain pipeline, whose gaussian weights then normalise to 1
 * everywhere; a tiling pipeline's tiles as gaussian regions, with the time ids each tile got). A case without a negative prompt (diffusers' `negative_prompt=None`) gets none in
 * the scene either: SD then encodes `""` and SDXL conditions on zeros, as diffusers does.
 */
export function caseScene(c: ConformanceCase, model: string): string {
  const scheduler = SCHEDULER_CLASSES[c.scheduler.class]!;
  const karras = c.scheduler.config["use_karras_sigmas"] === true ? " karras" : "";
  const lines = [`# conformance case ${c.name}`, `canvas ${c.canvas.width} x ${c.canvas.height}`, `model ${sceneString(model)}`, `steps ${c.steps}`, `scheduler ${scheduler}${karras}`, `noise "noise.npy"`];
  const regions: { rect: Rect; prompt: string; negative: string | null | undefined; guidance: number; micro?: string }[] =
    c.pipeline === "canvas"
      ? c.regions!.map((r) => ({ rect: r.rect_px, prompt: r.prompt, negative: r.negative_prompt, guidance: r.guidance_scale }))
      : c.pipeline === "tiling_sdxl"
        ? c.tiles!.map((t) => ({ rect: t.rect_px, prompt: t.prompt, negative: t.negative_prompt, guidance: t.guidance_scale, micro: microConditioning(t.time_ids) }))
        : [{ rect: { x: 0, y: 0, ...c.canvas }, prompt: c.prompt ?? "", negative: c.negative_prompt, guidance: c.guidance_scale ?? 7.5 }];
  regions.forEach((r, i) => {
    const negative = typeof r.negative === "string" ? ` negative ${sceneString(r.negative)}` : "";
    lines.push(`region r${i} { at ${r.rect.x}, ${r.rect.y} size ${r.rect.width} x ${r.rect.height} prompt ${sceneString(r.prompt)}${negative} guidance ${r.guidance}${r.micro ?? ""} }`);
  });
  return `${lines.join("\n")}\n`;
}

export function readF32(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Writes a case's inputs under `dir`: `noise.npy` (the case's x_T), the scene, and `model/`, the
 * case's model folder with its parts linked and the case's own scheduler config. Returns the scene.
 */
export function prepareCase(c: ConformanceCase, dir: string, modelFolder = c.model): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "noise.npy"), encodeNpy(readF32(path.join(c.folder, c.noise.file)), c.noise.shape));
  const source = path.join(CONFORMANCE_ROOT, modelFolder);
  const model = path.join(dir, "model");
  mkdirSync(path.join(model, "scheduler"), { recursive: true });
  for (const entry of readdirSync(source)) if (entry !== "scheduler") symlinkSync(path.join(source, entry), path.join(model, entry));
  writeFileSync(path.join(model, "scheduler", "scheduler_config.json"), pythonJson(c.scheduler.config));
  const scene = path.join(dir, `${c.name}.scene`);
  writeFileSync(scene, caseScene(c, "./model"));
  return scene;
}

/** ‖a − b‖ / ‖b‖. */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i]! - b[i]!;
    num += d * d;
    den += b[i]! * b[i]!;
  }
  return Math.sqrt(num / den);
}


/** A case's reference picture as interleaved 8-bit RGB. */
export async function referenceImage(c: ConformanceCase): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path.join(c.folder, c.image.file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data), width: info.width, height: info.height };
}
