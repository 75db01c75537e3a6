import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compile } from "../../src/compiler/compile.js";
import type { Plan } from "../../src/compiler/plan/plan.js";
import type { DiffusionModel } from "../../src/runtime/model/diffusion-model.js";
import { renderCaches, renderPlan, type RenderedImage } from "../../src/runtime/render.js";
import { memoryHost } from "./memory-host.js";

/** Writes a model folder's files (relative path → bytes, as builtinModelFiles returns them) under `dir`. */
export function writeModelFolder(dir: string, files: ReadonlyMap<string, Uint8Array>): string {
  for (const [relative, bytes] of files) {
    const target = path.join(dir, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
  return dir;
}

/** A small two-region scene: `red` on the left half, `blue` on the right. */
export const TWO_COLOURS_SCENE = `canvas 128 x 64
steps 8
scheduler euler
seed 11
region left {
  at 0, 0
  size 64 x 64
  prompt "red"
}
region right {
  at 64, 0
  size 64 x 64
  prompt "blue"
}
`;

export function compilePlan(text: string = TWO_COLOURS_SCENE): Plan {
  const result = compile(text, { path: "test.scene", host: memoryHost() });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (!result.plan || errors.length) throw new Error(`scene does not compile: ${errors.map((d) => d.message).join("; ")}`);
  return result.plan;
}

/** Renders a plan (one region per UNet call); the caches hold the model's TextEmbeddings. */
export function render(plan: Plan, model: DiffusionModel): Promise<RenderedImage> {
  return renderPlan(plan, model, renderCaches(model), { folder: ".", batch: 1 });
}

/** Mean R, G, B (0–255) over the columns [x0, x1) of an interleaved RGB image. */
export function meanColour(image: RenderedImage, x0 = 0, x1 = image.width): [number, number, number] {
  const sum = [0, 0, 0];
  for (let y = 0; y < image.height; y++)
    for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) sum[c]! += image.rgb[(y * image.width + x) * 3 + c]!;
  const n = image.height * (x1 - x0);
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

/** Mean absolute difference per channel (0–255) between two images of the same size. */
export function meanAbsDiff(a: RenderedImage, b: RenderedImage): [number, number, number] {
  if (a.width !== b.width || a.height !== b.height) throw new Error("images differ in size");
  const sum = [0, 0, 0];
  for (let i = 0; i < a.rgb.length; i++) sum[i % 3]! += Math.abs(a.rgb[i]! - b.rgb[i]!);
  const n = a.width * a.height;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}
