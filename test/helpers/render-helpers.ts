import { afterAll, beforeAll } from "vitest";
import { compile } from "../../src/compiler/compile.js";
import type { CompilerHost } from "../../src/compiler/host.js";
import type { Plan } from "../../src/compiler/plan/plan.js";
import { builtinModelFiles } from "../../src/runtime/builtin/builtin-model.js";
import { memorySource } from "../../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../../src/runtime/model/onnx-model.js";
import { renderCaches, renderPlan, type RenderCaches, type RenderedImage, type RenderOptions } from "../../src/runtime/render.js";
import { memoryHost } from "./memory-host.js";

/**
 * Rendering helpers for the tests that look at pictures: the built-in model, scenes compiled from
 * text, and the measurements the tests make (mean colours, column profiles, pixel differences).
 */

/** The built-in model, generated in memory and loaded through the ONNX path, on the CPU. */
export function loadBuiltinModel(): Promise<OnnxDiffusionModel> {
  return OnnxDiffusionModel.load(memorySource("built-in", builtinModelFiles()), { device: "cpu" });
}

/**
 * A model for the tests of a file (or of a describe block): loaded before them by `load` (a
 * minute allowed), handed to `use`, and released after them.
 */
export function withModel(load: () => Promise<OnnxDiffusionModel>, use: (model: OnnxDiffusionModel) => void): void {
  let model: OnnxDiffusionModel | undefined;
  beforeAll(async () => {
    model = await load();
    use(model);
  }, 60_000);
  afterAll(async () => {
    await model?.release();
  });
}

/** The built-in model and fresh caches for a test file's tests (see withModel). */
export function withBuiltinModel(use: (model: OnnxDiffusionModel, caches: RenderCaches) => void): void {
  withModel(loadBuiltinModel, (model) => use(model, newCaches(model)));
}

/** What one loaded model keeps between renders (prompt embeddings, encoded guides). */
export function newCaches(model: OnnxDiffusionModel): RenderCaches {
  return renderCaches(model);
}

/** Compiles a scene, failing with its diagnostics when it has errors. */
export function compileScene(text: string, options: { path?: string; host?: CompilerHost } = {}): Plan {
  const result = compile(text, { path: options.path ?? "test.scene", host: options.host ?? memoryHost() });
  if (!result.plan) {
    const messages = result.diagnostics.map((d) => `${d.code} ${d.location.start.line}:${d.location.start.column} ${d.message}`);
    throw new Error(`the scene does not compile:\n${messages.join("\n")}`);
  }
  return result.plan;
}

export function renderWith(plan: Plan, model: OnnxDiffusionModel, caches: RenderCaches, options: Partial<RenderOptions> = {}): Promise<RenderedImage> {
  return renderPlan(plan, model, caches, { batch: 1, ...options });
}

export type Rgb = [number, number, number];

/** Mean colour of the pixels in [x0, x1) × [y0, y1) (whole height by default). */
export function meanColour(image: RenderedImage, x0: number, x1: number, y0 = 0, y1 = image.height): Rgb {
  const sum: Rgb = [0, 0, 0];
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const o = (y * image.width + x) * 3;
      sum[0] += image.rgb[o]!;
      sum[1] += image.rgb[o + 1]!;
      sum[2] += image.rgb[o + 2]!;
    }
  const n = (x1 - x0) * (y1 - y0);
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/** Red minus blue of the 8 x 8 patch centred on (x, y), clipped to the picture: positive where a red prompt painted. */
export function redness(image: RenderedImage, x: number, y: number): number {
  const c = meanColour(image, Math.max(0, x - 4), Math.min(image.width, x + 4), Math.max(0, y - 4), Math.min(image.height, y + 4));
  return c[0] - c[2];
}

/** The mean colour of every pixel column, left to right. */
export function columnMeans(image: RenderedImage): Rgb[] {
  const out: Rgb[] = [];
  for (let x = 0; x < image.width; x++) out.push(meanColour(image, x, x + 1));
  return out;
}

export function rgbDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** The largest RGB distance between adjacent column means over the pairs (x, x + 1), from ≤ x < to. */
export function largestColumnJump(columns: readonly Rgb[], from: number, to: number): { jump: number; at: number } {
  let jump = 0;
  let at = -1;
  for (let x = Math.max(0, from); x < Math.min(to, columns.length - 1); x++) {
    const d = rgbDistance(columns[x]!, columns[x + 1]!);
    if (d > jump) {
      jump = d;
      at = x;
    }
  }
  return { jump, at };
}

/** The largest absolute difference between two byte (or float) arrays of the same length, and how many elements differ. */
export function difference(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; count: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let max = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) count++;
    if (d > max) max = d;
  }
  return { max, count };
}
