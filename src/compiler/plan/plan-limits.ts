import type { Limits } from "../host.js";
import type { Plan } from "./plan.js";

/**
 * Why a plan that was not compiled here (a saved plan file, a render farm's job) is over the
 * limits the compiler would have held its scene to, or undefined when it is within them: the
 * canvas's side and area, the number of regions, and the pixels of each guide and mask image
 * (the decoder is held to the size the plan records, so that size is what counts).
 */
export function planLimitProblem(plan: Plan, limits: Limits): string | undefined {
  const { width, height } = plan.canvas;
  if (Math.max(width, height) > limits.maxCanvasSide || width * height > limits.maxCanvasPixels)
    return `its canvas is ${width} x ${height}, over the limits of ${limits.maxCanvasSide} pixels a side and ${megapixels(limits.maxCanvasPixels)} megapixels (--max-side, --max-megapixels)`;
  if (plan.regions.length > limits.maxRegions) return `it has ${plan.regions.length} regions, over the limit of ${limits.maxRegions}`;
  const images = [...plan.guides.map((g) => ({ what: "guide image", path: g.path, size: g.imageSize })), ...[...plan.regions, ...plan.guides].flatMap(({ mask }) => (mask ? [{ what: "mask image", path: mask.path, size: mask.imageSize }] : []))];
  for (const { what, path, size } of images)
    if (size.width * size.height > limits.maxGuidePixels)
      return `its ${what} ${path} is ${size.width} x ${size.height}, over the limit of ${megapixels(limits.maxGuidePixels)} megapixels (--max-guide-megapixels)`;
  return undefined;
}

function megapixels(pixels: number): string {
  return String(Math.round(pixels / 1e5) / 10);
}
