/**
 * Outpainting with the built-in model: a guide in the middle of a strip of overlapping tiles (like
 * scenes/outpaint.scene, scaled down), and the generated pixels next to its edges continue its
 * colours.
 *
 * The measure: at each vertical edge of the guide, the mean colour of an 8-pixel strip just inside
 * the guide and of an 8-pixel strip just outside it (one latent column each), and the Euclidean
 * distance between the two (0–255 RGB units). Two references say what "not continued" looks like:
 * the same strip of a render without the guide, and the same strip of a render whose guide is a
 * very different colour (orange → blue, 268 units apart). Measured over seeds 1–3 at 30 steps:
 *
 *   strength 0.9: across the edge 31–34 (orange guide) and 44–70 (blue guide); without the guide
 *                 109–184; with the other guide's colour outside 171–208;
 *   strength 1:   across the edge 40–48 (orange) and 41–66 (blue); without 144–192; other 213–233.
 *
 * So the thresholds: across the edge below 0.35 × 268 ≈ 94 units (measured at most 70, and 84 since the built-in model filters crops with mirrored rather than periodic edges), and at most
 * half of both references (measured ratios at most 0.38 and 0.34). A strip that ignored the guide
 * would be at the reference distances, over 100 units.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { colourDistance, loadBuiltinModel, meanColour, planIn, renderIn, solid, tempFolder, writeImage, type Box, type Rgb } from "./helpers/guide-helpers.js";

let model: OnnxDiffusionModel;
let dir: string;
let remove: () => void;

const ORANGE: Rgb = [230, 140, 40];
const BLUE: Rgb = [30, 60, 200];
const GUIDE_DISTANCE = colourDistance(ORANGE, BLUE); // 268
const STRIP = 8;

beforeAll(async () => {
  model = await loadBuiltinModel();
  ({ dir, remove } = tempFolder());
  await writeImage(join(dir, "orange.png"), 64, 64, solid(ORANGE));
  await writeImage(join(dir, "blue.png"), 64, 64, solid(BLUE));
});
afterAll(() => remove?.());

// A 256 x 64 strip of seven 64 x 64 tiles, each 32 px from the last; the guide sits at x 96..160.
const scene = (seed: number, guide?: { file: string; strength: number }) =>
  `canvas 256 x 64
seed ${seed}
grid strip {
  tile 64 x 64
  overlap 32 x 0
  prompt "Rolling green hills under a blue sky with a pale sun, by vincent van gogh"
}
${guide ? `guide "${guide.file}" { at 96, 0 size 64 x 64 strength ${guide.strength} }` : ""}
`;

const EDGES: { name: string; inside: Box; outside: Box }[] = [
  { name: "left", inside: { x: 96, y: 0, width: STRIP, height: 64 }, outside: { x: 96 - STRIP, y: 0, width: STRIP, height: 64 } },
  { name: "right", inside: { x: 160 - STRIP, y: 0, width: STRIP, height: 64 }, outside: { x: 160, y: 0, width: STRIP, height: 64 } },
];

describe("outpainting", () => {
  for (const strength of [0.9, 1])
    it(`continues the guide's colours across its edges (strength ${strength})`, async () => {
      const lines: string[] = [];
      for (const seed of [1, 2, 3]) {
        const free = await renderIn(dir, planIn(dir, scene(seed)), model);
        const renders = {
          orange: await renderIn(dir, planIn(dir, scene(seed, { file: "orange.png", strength })), model),
          blue: await renderIn(dir, planIn(dir, scene(seed, { file: "blue.png", strength })), model),
        };
        for (const [colour, image] of Object.entries(renders)) {
          const other = colour === "orange" ? renders.blue : renders.orange;
          for (const edge of EDGES) {
            const inside = meanColour(image, edge.inside);
            const across = colourDistance(meanColour(image, edge.outside), inside);
            const withoutGuide = colourDistance(meanColour(free, edge.outside), inside);
            const otherGuide = colourDistance(meanColour(other, edge.outside), inside);
            lines.push(`seed ${seed} ${colour} ${edge.name}: across ${across.toFixed(1)}, without guide ${withoutGuide.toFixed(1)}, other guide ${otherGuide.toFixed(1)}`);
            const why = lines[lines.length - 1];
            expect(across, why).toBeLessThan(0.35 * GUIDE_DISTANCE);
            expect(across, why).toBeLessThan(0.5 * withoutGuide);
            expect(across, why).toBeLessThan(0.5 * otherGuide);
          }
        }
      }
      if (process.env.SCENEC_PRINT_MEASURES) console.log(lines.join("\n"));
    });
});
