import sharp from "sharp";
import type { Plan } from "../compiler/plan/plan.js";
import { writeImageFile } from "../runtime/image/image-write.js";
import { layoutMap, type LayoutMap } from "../runtime/layout-map.js";

/**
 * `scenec plan --layout OUT.png`: the layout map (layout-map.ts) drawn at the canvas's size, each
 * region outlined in its colour and labelled with its name and the share of the canvas it owns.
 * Instant: no model is loaded.
 */
export async function writeLayoutImage(plan: Plan, file: string): Promise<LayoutMap> {
  const map = layoutMap(plan);
  const { width, height } = plan.canvas;
  const base = await sharp(map.rgb, { raw: { width: map.width, height: map.height, channels: 3 }, limitInputPixels: false })
    .resize(width, height, { kernel: "nearest" })
    .raw()
    .toBuffer();
  const png = await sharp(base, { raw: { width, height, channels: 3 }, limitInputPixels: false })
    .composite([{ input: Buffer.from(overlay(map, width, height)), top: 0, left: 0 }])
    .png()
    .toBuffer();
  await writeImageFile(file, png);
  return map;
}

/** Outlines and labels as SVG (names are identifiers and `grid[c,r]`, escaped anyway). */
function overlay(map: LayoutMap, width: number, height: number): string {
  const size = Math.max(12, Math.round(Math.min(width, height) / 40));
  const shapes = map.paints.map(({ name, rect, colour, owned }) => {
    const stroke = `rgb(${colour.join(",")})`;
    const label = `${escapeXml(name)} ${formatShare(owned)}`;
    return [
      `<rect x="${rect.x + 1}" y="${rect.y + 1}" width="${rect.width - 2}" height="${rect.height - 2}" fill="none" stroke="${stroke}" stroke-width="2"/>`,
      `<text x="${rect.x + 6}" y="${rect.y + 6 + size}" font-family="sans-serif" font-size="${size}" fill="white" stroke="black" stroke-width="${size / 8}" paint-order="stroke">${label}</text>`,
    ].join("");
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join("")}</svg>`;
}

export function formatShare(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
