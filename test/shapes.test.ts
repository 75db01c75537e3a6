import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { shapeMask } from "../src/compiler/plan/shape-mask.js";
import { planWeightMaps, weightShares } from "../src/compiler/plan/weight-map.js";
import { memoryHost } from "./helpers/memory-host.js";

function compileText(text: string) {
  return compile(text, { path: "scene.scene", host: memoryHost() });
}

describe("shapes", () => {
  it("an ellipse's mask is whole at its centre, empty in its rectangle's corners and fractional along its outline", () => {
    // A 64 x 64 px circle: 8 x 8 latent elements.
    const hard = shapeMask({ kind: "ellipse", feather: 0, invert: false }, 64, 64, 8);
    expect(hard[3 * 8 + 3]).toBe(1);
    expect(hard[0]).toBe(0);
    // The outline crosses element (1, 0) (pixels 8..16 of the top row): part of it is in.
    expect(hard[1]).toBeGreaterThan(0);
    expect(hard[1]).toBeLessThan(1);
    // Area-averaged: the mask's total is the circle's area, π r² = π 32², in elements of 64 px.
    const area = hard.reduce((sum, m) => sum + m, 0) * 64;
    expect(area / (Math.PI * 32 * 32)).toBeCloseTo(1, 2);
    const inverted = shapeMask({ kind: "ellipse", feather: 0, invert: true }, 64, 64, 8);
    hard.forEach((m, i) => expect(inverted[i]).toBeCloseTo(1 - m, 6));
  });

  it("feathers an elongated ellipse by the true distance to its outline", () => {
    // Halfway along a 256 x 32 ellipse's major axis, the outline is 13.8 px above and below: at
    // feather 64 the membership there is 0.5 + 13.8 / 64, not the 1 a first-order estimate gives.
    const mask = shapeMask({ kind: "ellipse", feather: 64, invert: false }, 256, 32, 8);
    const row = Array.from(mask.slice(32, 64));
    expect(row[23]).toBeCloseTo(0.5 + 13 / 64, 1);
    expect(Math.max(...row)).toBeLessThan(0.75);
  });

  it("a feather widens the fractional band around the outline", () => {
    const fractional = (feather: number) => Array.from(shapeMask({ kind: "ellipse", feather, invert: false }, 256, 256, 8)).filter((m) => m > 0.01 && m < 0.99).length;
    expect(fractional(32)).toBeGreaterThan(2 * fractional(0));
  });

  it("records the shape in the plan, and the renderer's shares leave the rectangle's corners to what is under it", () => {
    const result = compileText(`canvas 256 x 256
blend constant
region sky { prompt "blue" }
region sun { at 64, 64  size 128 x 128  shape ellipse invert feather 8  prompt "red" }
`);
    expect(result.diagnostics).toEqual([]);
    const sun = result.plan!.regions[1]!;
    expect(sun.shape).toEqual({ kind: "ellipse", feather: 8, invert: true });
    expect(result.plan!.regions[0]!.shape).toBeUndefined();
    const [, shares] = weightShares(planWeightMaps(result.plan!), 32, 32);
    // Inverted: none of the mix at the ellipse's centre, some in its rectangle's corners.
    expect(shares![8 * 16 + 8]).toBe(0);
    expect(shares![0]).toBeGreaterThan(0.4);
  });

  it("counts only what a shape reaches as covered (S2003), and a shaped region's share inside its shape (S2502)", () => {
    const lone = compileText(`canvas 256 x 256\nregion sun { shape ellipse  prompt "red" }\n`);
    expect(lone.diagnostics.map((d) => d.code)).toEqual(["S2003"]);
    // A full-canvas ellipse and its inverse cover the canvas between them: no hole.
    const pair = compileText(`canvas 256 x 256\nregion sun { shape ellipse  prompt "red" }\nregion sky { shape ellipse invert  prompt "blue" }\n`);
    expect(pair.diagnostics).toEqual([]);
    // Hills in the corners around a heavy sun hold a third of the mix there: drowned by the sky
    // they share the corners with, not by the sun, which outweighs them only where they are not.
    const hills = compileText(`canvas 512 x 256
blend constant
region sky { prompt "blue" }
region sun { at 192, 32  size 192 x 192  shape ellipse  prompt "red"  weight 9 }
region hills { at 128, 0  size 320 x 256  shape ellipse invert  prompt "green"  weight 0.5 }
`);
    expect(hills.diagnostics.map((d) => d.message)).toEqual(["region `hills` is drowned out by `sky`: at best 33.3% of the mix"]);
  });

  it("lets a grid's cell have a shape", () => {
    const result = compileText(`canvas 256 x 128
region sky { prompt "blue" }
grid cells { tile 128 x 128  columns 2  rows 1  prompt "green"  cell 1, 0 { shape ellipse feather 0 } }
`);
    expect(result.diagnostics).toEqual([]);
    expect(result.plan!.regions.map((r) => r.shape?.kind)).toEqual([undefined, undefined, "ellipse"]);
  });
});

describe("polygons", () => {
  const polygon = (points: [number, number][], feather: number, invert = false) => ({ kind: "polygon" as const, points: points.map(([x, y]) => ({ x, y })), feather, invert });

  it("a triangle's mask holds its area, and edges along the rectangle's sides are not feathered", () => {
    // Half of a 64 x 64 square, below its diagonal.
    const hard = shapeMask(polygon([[0, 0], [64, 64], [0, 64]], 0), 64, 64, 8);
    expect((hard.reduce((sum, m) => sum + m, 0) * 64) / (64 * 64 / 2)).toBeCloseTo(1, 1);
    const soft = shapeMask(polygon([[0, 0], [64, 64], [0, 64]], 16), 64, 64, 8);
    // The bottom-left element is whole: its sides are the box's; the diagonal is 11 px away.
    expect(soft[7 * 8]).toBe(1);
    expect(shapeMask(polygon([[0, 0], [64, 64], [0, 64]], 16, true), 64, 64, 8)[7 * 8]).toBe(0);
  });

  it("checks corners, crossings and emptiness", () => {
    const codes = (shape: string) => compileText(`canvas 256 x 256\nblend constant\nregion sky { prompt "blue" }\nregion r { at 64, 64  size 128 x 128  shape ${shape} }\n`).diagnostics.map((d) => d.code);
    expect(codes("polygon (0, 0) (128, 0) (64, 128)")).toEqual([]);
    expect(codes("polygon (0 0) (128 0) (64 128) feather 0 invert")).toEqual([]);
    expect(codes("polygon (0, 0) (128, 0)")).toEqual(["S2030"]);
    expect(codes("polygon (0, 0) (128, 128) (128, 0) (0, 128)")).toEqual(["S2030"]);
    // A repeated corner and a spike that runs back over itself are no outline either.
    expect(codes("polygon (0, 0) (128, 0) (128, 0) (64, 128)")).toEqual(["S2030"]);
    expect(codes("polygon (0, 0) (128, 0) (64, 0) (64, 128)")).toEqual(["S2030"]);
    expect(codes("polygon (0, 0) (129, 0) (64, 128)")).toEqual(["S2029"]);
    expect(codes("polygon (0, 0) (128, 0) (128, 128) (0, 128) invert")).toEqual(["S2031"]);
  });
});
