/**
 * Makes the mask images that the example scenes use:
 *
 * - scenes/masks/arch.png (128 x 112, grey) a wall with an arched doorway: white is the wall, black
 *                          the opening (a 48 px wide door whose top is a half circle) (masks.scene).
 *
 * Each pixel is the exact share of its area inside the wall (4 x 4 samples), so the edges are
 * anti-aliased and the file is the same on every run. Run with `npm run masks`.
 */
import { mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import sharp from "sharp";
import { packageRoot } from "../src/package-root.js";

/** Whether (x, y) is in the arched doorway of a 128 x 112 wall. */
function inDoorway(x: number, y: number): boolean {
  const [left, right, springing] = [40, 88, 48];
  if (x < left || x > right) return false;
  if (y >= springing) return true;
  const r = (right - left) / 2;
  const cx = left + r;
  return (x - cx) * (x - cx) + (y - springing) * (y - springing) <= r * r;
}

/** A grey image of `inside`'s coverage of each pixel, from `samples` x `samples` points a pixel. */
function coverage(width: number, height: number, inside: (x: number, y: number) => boolean, samples = 4): Buffer {
  const data = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let hits = 0;
      for (let j = 0; j < samples; j++)
        for (let i = 0; i < samples; i++) if (inside(x + (i + 0.5) / samples, y + (j + 0.5) / samples)) hits++;
      data[y * width + x] = Math.round((255 * hits) / (samples * samples));
    }
  return data;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const file = join(root, "scenes", "masks", "arch.png");
  const [width, height] = [128, 112];
  mkdirSync(dirname(file), { recursive: true });
  await sharp(coverage(width, height, (x, y) => !inDoorway(x, y)), { raw: { width, height, channels: 1 } })
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toFile(file);
  console.log(`wrote ${relative(root, file)} (${width} x ${height})`);
}

await main();
