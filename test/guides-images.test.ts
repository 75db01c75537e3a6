/**
 * Guide images as pictures: alpha (a transparent pixel is not pinned, so a fully transparent guide
 * changes nothing and a PNG with a transparent hole asks for inpainting), the fit modes, and EXIF
 * orientation. Rendered with the built-in model.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import type { RenderedImage } from "../src/runtime/render.js";
import { colourDistance, compileIn, crop, inset, loadBuiltinModel, meanColour, planIn, psnr, renderIn, rgbOf, tempFolder, writeImage, type Box, type Rgb, samePixels } from "./helpers/guide-helpers.js";

let model: OnnxDiffusionModel;
let dir: string;
let remove: () => void;

beforeAll(async () => {
  model = await loadBuiltinModel();
  ({ dir, remove } = tempFolder());
});
afterAll(() => remove?.());

const render = (text: string) => renderIn(dir, planIn(dir, text), model);
const same = samePixels;

// A 64 x 64 canvas that one region paints green.
const GREEN_SCENE = `canvas 64 x 64
steps 8
seed 21
region all { prompt "green grass" }
`;

describe("alpha", () => {
  it("a fully transparent guide changes nothing", async () => {
    await writeImage(join(dir, "clear.png"), 64, 64, () => [255, 0, 255, 0]);
    expect(same(await render(`${GREEN_SCENE}guide "clear.png" { strength 1 }\n`), await render(GREEN_SCENE))).toBe(true);
  });

  it("a transparent hole is inpainted: pinned outside, painted inside", async () => {
    // A smooth purple-to-orange guide with a transparent 32 x 32 hole at (16, 16); the RGB under
    // the hole is the guide's own, so "inside differs from the guide" is the hole being repainted.
    const guide = (x: number, y: number): Rgb => [120 + 2 * x, 60 + y, 200 - 2 * x];
    const hole: Box = { x: 16, y: 16, width: 32, height: 32 };
    const inHole = (x: number, y: number) => x >= hole.x && x < hole.x + hole.width && y >= hole.y && y < hole.y + hole.height;
    await writeImage(join(dir, "holed.png"), 64, 64, (x, y) => [...guide(x, y), inHole(x, y) ? 0 : 255]);
    const image = await render(`${GREEN_SCENE}guide "holed.png" { strength 1 }\n`);
    const want = rgbOf(64, 64, guide);
    const wanted: RenderedImage = { width: 64, height: 64, rgb: want };

    // Outside the hole (the 8-pixel frame at the canvas edge, clear of the decoder's blend at the
    // hole's border): the guide's pixels. Measured 39.7 to 44.3 dB.
    const frames: Box[] = [
      { x: 0, y: 0, width: 64, height: 8 },
      { x: 0, y: 56, width: 64, height: 8 },
      { x: 0, y: 8, width: 8, height: 48 },
      { x: 56, y: 8, width: 8, height: 48 },
    ];
    for (const frame of frames) expect(psnr(crop(image, frame), crop(wanted, frame))).toBeGreaterThanOrEqual(25);
    // Inside the hole (4 pixels in from its border): repainted. Measured 15.1 dB from the guide, a
    // mean colour (139, 142, 106) 74 units from the guide's (183, 92, 137) and 51 from the green
    // the region paints without a guide (101, 164, 79): green, pulled towards its pinned frame.
    const inner = inset(hole, 4);
    expect(psnr(crop(image, inner), crop(wanted, inner))).toBeLessThan(20);
    const inside = meanColour(image, inner);
    const fromGuide = colourDistance(inside, meanColour(wanted, inner));
    expect(fromGuide).toBeGreaterThan(50);
    expect(colourDistance(inside, meanColour(await render(GREEN_SCENE), inner))).toBeLessThan(fromGuide);
  });
});

describe("fit", () => {
  // A 64 x 32 picture of four vertical bands, 16 px each: red, yellow, cyan, blue.
  const BANDS: Rgb[] = [
    [220, 30, 30],
    [230, 220, 40],
    [40, 220, 230],
    [30, 40, 220],
  ];
  const band = (x: number, width: number) => BANDS[Math.floor((4 * x) / width)]!;

  beforeAll(() => writeImage(join(dir, "bands.png"), 64, 32, (x) => band(x, 64)));

  /** The colour nearest to a box's mean: one of the bands, or "green" (the region's own paint). */
  function nearest(image: RenderedImage, box: Box): string {
    const names = ["red", "yellow", "cyan", "blue"];
    const mean = meanColour(image, box);
    let best = "green";
    let distance = colourDistance(mean, [50, 150, 60]);
    BANDS.forEach((c, i) => {
      const d = colourDistance(mean, c);
      if (d < distance) [best, distance] = [names[i]!, d];
    });
    return best;
  }

  // The 64 x 64 canvas seen as a 4 x 4 grid of 16 x 16 cells, each cell's 8 x 8 centre named.
  async function layout(fit: string): Promise<string[]> {
    const image = await render(`${GREEN_SCENE}guide "bands.png" { fit ${fit} strength 1 }\n`);
    const rows: string[] = [];
    for (let r = 0; r < 4; r++) {
      const row: string[] = [];
      for (let c = 0; c < 4; c++) row.push(nearest(image, { x: 16 * c + 4, y: 16 * r + 4, width: 8, height: 8 }));
      rows.push(row.join(" "));
    }
    return rows;
  }

  it("stretch fills the rectangle, ignoring the aspect ratio", async () => {
    expect(await layout("stretch")).toEqual(Array(4).fill("red yellow cyan blue"));
  });

  it("cover fills it, cropping the overflow (centred): the two middle bands, twice as wide", async () => {
    expect(await layout("cover")).toEqual(Array(4).fill("yellow yellow cyan cyan"));
  });

  it("contain fits it inside, centred, and leaves the margins unpinned", async () => {
    expect(await layout("contain")).toEqual(["green green green green", "red yellow cyan blue", "red yellow cyan blue", "green green green green"]);
  });
});

describe("EXIF orientation", () => {
  it("is applied: the compiler's size is swapped and the rendered guide is turned", async () => {
    // Stored 64 wide x 32 tall, red on the left and blue on the right; orientation 6 says "turn a
    // quarter clockwise to show", so it shows 32 x 64 with red on top and blue below.
    await writeImage(join(dir, "turned.jpg"), 64, 32, (x) => (x < 32 ? [220, 30, 30] : [30, 40, 220]), { format: "jpeg", orientation: 6 });
    const text = `${GREEN_SCENE}guide "turned.jpg" { at 16, 0 strength 1 }\n`;
    const result = compileIn(dir, text);
    expect(result.diagnostics).toEqual([]);
    const guide = result.plan!.guides[0]!;
    expect(guide.imageSize).toEqual({ width: 32, height: 64 });
    expect(guide.rect).toEqual({ x: 16, y: 0, width: 32, height: 64 });

    const image = await renderIn(dir, result.plan!, model);
    const top = meanColour(image, { x: 24, y: 8, width: 16, height: 16 });
    const bottom = meanColour(image, { x: 24, y: 40, width: 16, height: 16 });
    expect(colourDistance(top, [220, 30, 30])).toBeLessThan(40);
    expect(colourDistance(bottom, [30, 40, 220])).toBeLessThan(40);
  });
});
