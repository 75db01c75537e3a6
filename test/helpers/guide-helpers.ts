/** Shared tools for the guide-image tests: the built-in model, guide files made with sharp, metrics. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { compile, type CompileResult, type Limits } from "../../src/compiler/compile.js";
import { nodeHost } from "../../src/compiler/node-host.js";
import type { Plan } from "../../src/compiler/plan/plan.js";
import type { OnnxDiffusionModel } from "../../src/runtime/model/onnx-model.js";
import { renderCaches, renderPlan, type RenderCaches, type RenderedImage } from "../../src/runtime/render.js";

export type Rgb = readonly [number, number, number];
export type Rgba = readonly [number, number, number, number];
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export { loadBuiltinModel } from "./render-helpers.js";

/** Whether two renders are the same picture, byte for byte. */
export const samePixels = (a: RenderedImage, b: RenderedImage): boolean => Buffer.from(a.rgb).equals(Buffer.from(b.rgb));

/** A fresh temporary folder and a function that removes it. */
export function tempFolder(prefix = "scenec-guides-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Pixels of a picture computed from their coordinates: interleaved RGBA, 8-bit. */
export function pixels(width: number, height: number, pixel: (x: number, y: number) => Rgb | Rgba): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const c = pixel(x, y);
      const o = (y * width + x) * 4;
      for (let k = 0; k < 3; k++) data[o + k] = Math.max(0, Math.min(255, Math.round(c[k]!)));
      data[o + 3] = c.length === 4 ? Math.max(0, Math.min(255, Math.round(c[3]))) : 255;
    }
  return data;
}

/** Writes a picture with sharp (PNG keeps alpha; JPEG takes an EXIF orientation). */
export async function writeImage(
  file: string,
  width: number,
  height: number,
  pixel: (x: number, y: number) => Rgb | Rgba,
  options: { format?: "png" | "jpeg"; orientation?: number } = {},
): Promise<void> {
  let image = sharp(pixels(width, height, pixel), { raw: { width, height, channels: 4 } });
  if (options.format === "jpeg") {
    image = image.removeAlpha().jpeg({ quality: 95 });
    if (options.orientation !== undefined) image = image.withMetadata({ orientation: options.orientation });
    await image.toFile(file);
  } else await image.png().toFile(file);
}

/** A smooth diagonal gradient (the kind the built-in VAE reproduces well). */
export const gradient =
  (width: number, height: number) =>
  (x: number, y: number): Rgb => [40 + (180 * x) / width, 60 + (150 * y) / height, 200 - (120 * (x + y)) / (width + height)];

/** A solid colour. */
export const solid =
  (c: Rgb) =>
  (): Rgb =>
    c;

/** Compiles a scene as if it were `x.scene` in `dir` (guides resolve against `dir`). */
export function compileIn(dir: string, text: string, limits?: Partial<Limits>): CompileResult {
  return compile(text, { path: join(dir, "x.scene"), host: nodeHost, ...(limits ? { limits } : {}) });
}

/** Compiles and insists on a plan with no diagnostics at all. */
export function planIn(dir: string, text: string): Plan {
  const result = compileIn(dir, text);
  if (!result.plan || result.diagnostics.length > 0)
    throw new Error(`scene does not compile cleanly: ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}`);
  return result.plan;
}

export function renderIn(dir: string, plan: Plan, model: OnnxDiffusionModel, caches: RenderCaches = renderCaches(model)): Promise<RenderedImage> {
  return renderPlan(plan, model, caches, { folder: dir, batch: 1 });
}

/** The RGB of a picture file, interleaved, alpha dropped (no resizing). */
export async function readRgb(file: string): Promise<RenderedImage> {
  const { data, info } = await sharp(file).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** The pixels of `box`, interleaved RGB. */
export function crop(image: RenderedImage, box: Box): Uint8Array {
  const out = new Uint8Array(box.width * box.height * 3);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * image.width + box.x) * 3;
    out.set(image.rgb.subarray(from, from + box.width * 3), y * box.width * 3);
  }
  return out;
}

/** The RGB of a pixel function over `width` x `height`, interleaved (alpha ignored). */
export function rgbOf(width: number, height: number, pixel: (x: number, y: number) => Rgb | Rgba): Uint8Array {
  const rgba = pixels(width, height, pixel);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = rgba[i * 4 + c]!;
  return out;
}

/** Peak signal-to-noise ratio in dB between two 8-bit arrays of the same length. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`psnr: lengths differ (${a.length}, ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Mean absolute difference (0–255) over all values of two arrays of the same length. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`meanAbsDiff: lengths differ (${a.length}, ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** Mean colour (0–255 per channel) of `box`. */
export function meanColour(image: RenderedImage, box: Box): [number, number, number] {
  const sum = [0, 0, 0];
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) for (let c = 0; c < 3; c++) sum[c]! += image.rgb[(y * image.width + x) * 3 + c]!;
  const n = box.width * box.height;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

/** Euclidean distance between two colours (0–255 units). */
export function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

/** Box shrunk by `m` pixels on every side (to stay clear of the decoder's 8-pixel blend). */
export function inset(box: Box, m: number): Box {
  return { x: box.x + m, y: box.y + m, width: box.width - 2 * m, height: box.height - 2 * m };
}
