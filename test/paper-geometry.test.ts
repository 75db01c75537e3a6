import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import type { Plan } from "../src/compiler/plan/plan.js";
import { memoryHost } from "./helpers/memory-host.js";

// The geometries of the Mixture of Diffusers paper, asserted on the plan.
function plan(text: string): Plan {
  const result = compile(text, { path: "paper.scene", host: memoryHost() });
  expect(result.diagnostics).toEqual([]);
  return result.plan!;
}

function expectGrid(p: Plan, name: string, columns: number, rows: number, tile: [number, number], stride: [number, number]) {
  expect(p.regions).toHaveLength(columns * rows);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) {
      const region = p.regions[r * columns + c]!;
      expect(region.name).toBe(`${name}[${c},${r}]`);
      expect(region.rect).toEqual({ x: c * stride[0], y: r * stride[1], width: tile[0], height: tile[1] });
      expect(region.latent).toEqual({ x: (c * stride[0]) / 8, y: (r * stride[1]) / 8, width: tile[0] / 8, height: tile[1] / 8 });
    }
}

describe("paper geometries", () => {
  it("3840 x 2160 from 8 rows x 11 columns of 640 x 480 tiles (Figure 8)", () => {
    for (const counts of ["", "columns 11 rows 8"]) {
      const p = plan(`canvas 3840 x 2160\ngrid mosaic { tile 640 x 480 overlap 320 x 240 ${counts} prompt "a mosaic" }`);
      expect(p.canvas).toEqual({ width: 3840, height: 2160 });
      expect(p.latent).toMatchObject({ width: 480, height: 270 });
      expectGrid(p, "mosaic", 11, 8, [640, 480], [320, 240]);
      expect(p.regions[87]!.latent).toEqual({ x: 400, y: 210, width: 80, height: 60 });
    }
  });

  it("2560 x 480 from 13 tiles of 640 x 480 overlapping by 480 (Figure 9)", () => {
    const p = plan(`canvas 2560 x 480\ngrid strip { tile 640 x 480 overlap 480 x 0 prompt "a forest" }`);
    expectGrid(p, "strip", 13, 1, [640, 480], [160, 0]);
    expect(p.regions[12]!.rect.x + 640).toBe(2560);
  });

  it("1408 x 896 from 2 x 3 tiles of 640 x 640 with overlaps 256 x 384", () => {
    // Overlap 256 across and 384 down: strides of 384 and 256, so 640 + 2 * 384 = 1408 and 640 + 256 = 896.
    const p = plan(`canvas 1408 x 896\ngrid g { tile 640 x 640 overlap 256 x 384 prompt "a landscape" }`);
    expectGrid(p, "g", 3, 2, [640, 640], [384, 256]);
  });

  it("the countryside triptych: three 640 x 640 regions at x = 0, 384, 768 over 1408 x 640", () => {
    const p = plan(
      `canvas 1408 x 640\n` +
        ["house", "road", "robot"].map((n, i) => `region ${n} { at ${i * 384}, 0 size 640 x 640 prompt "${n}" }`).join("\n"),
    );
    expect(p.regions.map((r) => r.latent)).toEqual([0, 48, 96].map((x) => ({ x, y: 0, width: 80, height: 80 })));
    expect(p.cost).toEqual({ regions: 3, unetEvaluationsPerStep: 6, unetEvaluationsTotal: 180, textEncodings: 4 });
  });
});
