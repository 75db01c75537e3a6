import sharp from "sharp";
import type { Plan, PlanShape, Rect } from "../compiler/plan/plan.js";
import { writeImageFile } from "../runtime/image/image-write.js";
import { layoutMap, type LayoutMap } from "../runtime/layout-map.js";
import type { MaskImages } from "../compiler/plan/image-mask.js";
import { memberships } from "../compiler/plan/outline-membership.js";
import { loadPlanMasks } from "../runtime/guides/mask-image.js";
import { membershipContour } from "./membership-contour.js";

/**
 * `scenec plan --layout OUT.png`: the layout map (layout-map.ts) drawn at the canvas's size, each
 * region outlined in its colour and labelled with its name and the share of the canvas it owns.
 * Instant: no model is loaded.
 */
export async function writeLayoutImage(plan: Plan, folder: string, file: string): Promise<LayoutMap> {
  const { map, png } = await layoutImage(plan, folder);
  await writeImageFile(file, png);
  return map;
}

/** The layout map and its picture (a PNG at the canvas's size); the preview page overlays it. Mask paths are relative to `folder`. */
export async function layoutImage(plan: Plan, folder: string): Promise<{ map: LayoutMap; png: Uint8Array }> {
  const masks = await loadPlanMasks(plan, folder);
  const map = layoutMap(plan, masks);
  const { width, height } = plan.canvas;
  const base = await sharp(map.rgb, { raw: { width: map.width, height: map.height, channels: 3 }, limitInputPixels: false })
    .resize(width, height, { kernel: "nearest" })
    .raw()
    .toBuffer();
  const png = await sharp(base, { raw: { width, height, channels: 3 }, limitInputPixels: false })
    .composite([{ input: Buffer.from(layoutOverlay(map, width, height, maskContours(plan, masks))), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return { map, png };
}

/** Each masked region's outline (membership-contour.ts), by the region's name. */
export function maskContours(plan: Plan, masks: MaskImages): Map<string, string> {
  const membership = memberships(masks);
  const { factor } = plan.latent;
  const contours = new Map<string, string>();
  for (const { name, rect, mask } of plan.regions) {
    const values = mask && membership({ mask }, rect, factor);
    if (values) contours.set(name, membershipContour(values, rect.width / factor, rect.height / factor, factor, rect.x, rect.y));
  }
  return contours;
}

/**
 * Outlines and labels as SVG (names are identifiers and `grid[c,r]`, escaped anyway); a masked
 * region's outline is its entry in `contours`.
 */
export function layoutOverlay(map: LayoutMap, width: number, height: number, contours: ReadonlyMap<string, string> = new Map()): string {
  const size = Math.max(12, Math.round(Math.min(width, height) / 40));
  const shapes = map.paints.map(({ name, rect, shape, masked, colour, owned }) => {
    const stroke = `rgb(${colour.join(",")})`;
    const label = `${escapeXml(name)} ${formatShare(owned)}`;
    // A shaped or masked region: its outline, and its rectangle dashed (it still crops and fades there).
    const partial = shape !== undefined || masked === true;
    const contour = contours.get(name);
    const box = `<rect x="${rect.x + 1}" y="${rect.y + 1}" width="${rect.width - 2}" height="${rect.height - 2}" fill="none" stroke="${stroke}" stroke-width="${partial ? 1 : 2}"${partial ? ' stroke-dasharray="6 4"' : ""}/>`;
    return [
      box,
      ...(shape ? [outline(shape, rect, stroke)] : []),
      ...(contour ? [`<path d="${contour}" fill="none" stroke="${stroke}" stroke-width="2"/>`] : []),
      `<text x="${rect.x + 6}" y="${rect.y + 6 + size}" font-family="sans-serif" font-size="${size}" fill="white" stroke="black" stroke-width="${size / 8}" paint-order="stroke">${label}</text>`,
    ].join("");
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join("")}</svg>`;
}

function outline(shape: PlanShape, rect: Rect, stroke: string): string {
  const paint = `fill="none" stroke="${stroke}" stroke-width="2"`;
  if (shape.kind === "ellipse") return `<ellipse cx="${rect.x + rect.width / 2}" cy="${rect.y + rect.height / 2}" rx="${rect.width / 2}" ry="${rect.height / 2}" ${paint}/>`;
  return `<polygon points="${shape.points.map((p) => `${rect.x + p.x},${rect.y + p.y}`).join(" ")}" ${paint}/>`;
}

export function formatShare(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
