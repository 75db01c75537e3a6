import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import type { Plan } from "../src/compiler/plan/plan.js";
import { memoryHost } from "./helpers/memory-host.js";

/** `tiling shifted` in a grid, as the compiler checks it and the plan records it (grammar/reference.md, Shifted windows). */

function compileText(text: string) {
  return compile(text, { path: "shifted.scene", host: memoryHost() });
}

function plan(text: string): Plan {
  const result = compileText(text);
  expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return result.plan!;
}

/** code, line:column and message of each diagnostic, with the related notes' locations. */
function diagnostics(text: string) {
  return compileText(text).diagnostics.map((d) => ({
    code: d.code,
    at: `${d.location.start.line}:${d.location.start.column}`,
    message: d.message,
    related: d.related.map((r) => `${r.location.start.line}:${r.location.start.column}`),
  }));
}

const MOSAIC = `canvas 3840 x 2160
scheduler ddim
grid mosaic {
  tile 640 x 432
  tiling shifted
  prompt "a mosaic"
  cell 3, 2 { prompt "a robot" guidance 9 }
  cell 1, 4 { prompt "a robot" seed 7 weight 2 }
}
`;

describe("grids with tiling shifted", () => {
  it("plan the grid once, with its derived columns and rows, its tile and its area", () => {
    const p = plan(MOSAIC);
    expect(p.shiftedGrids).toEqual([
      {
        name: "mosaic",
        source: "shifted.scene:3:6",
        prompt: "a mosaic",
        negative: null,
        promptText: 0,
        negativeText: 1,
        guidance: 7.5,
        blend: "gaussian",
        weight: 1,
        seed: null,
        columns: 6,
        rows: 5,
        tile: { width: 640, height: 432 },
        latentTile: { width: 80, height: 54 },
        rect: { x: 0, y: 0, width: 3840, height: 2160 },
        latent: { x: 0, y: 0, width: 480, height: 270 },
      },
    ]);
  });

  it("make each cell override a region that stays on the cell's rectangle, with the grid's options under the cell's own", () => {
    const p = plan(MOSAIC);
    expect(p.regions.map((r) => [r.name, r.rect, r.prompt, r.guidance, r.weight, r.seed])).toEqual([
      ["mosaic[3,2]", { x: 1920, y: 864, width: 640, height: 432 }, "a robot", 9, 1, null],
      ["mosaic[1,4]", { x: 640, y: 1728, width: 640, height: 432 }, "a robot", 7.5, 2, 7],
    ]);
  });

  it("cost one UNet evaluation per window and guided prompt a step, and say what the same tiles would cost overlapping by half", () => {
    const p = plan(MOSAIC);
    // 30 windows + 2 cells, all guided (two items each); overlapping: 11 x 9 tiles + the 2 cells.
    expect(p.cost).toEqual({ regions: 2, unetEvaluationsPerStep: 64, unetEvaluationsTotal: 64 * 30, unetEvaluationsPerStepOverlapping: 2 * 99 + 4, textEncodings: 3 });
    const unguided = plan(`canvas 1024 x 256\nscheduler euler\nguidance 1\ngrid strip { tile 256 x 256 tiling shifted prompt "hills" }`);
    expect(unguided.cost).toMatchObject({ unetEvaluationsPerStep: 4, unetEvaluationsPerStepOverlapping: 7 });
  });

  it("accept `overlap 0 x 0`, and leave a fixed grid's plan exactly as without `tiling`", () => {
    expect(plan(MOSAIC.replace("tiling shifted", "tiling shifted  overlap 0 x 0"))).toEqual(plan(MOSAIC));
    const fixed = `canvas 1024 x 512\ngrid g { tile 512 x 512 overlap 256 x 0 prompt "a field" }`;
    const p = plan(fixed.replace("overlap", "tiling fixed overlap"));
    expect(p).toEqual(plan(fixed));
    expect(p.shiftedGrids).toBeUndefined();
    expect(p.cost.unetEvaluationsPerStepOverlapping).toBeUndefined();
    expect(p.regions).toHaveLength(3);
  });

  it("re-draw the whole area from a grid seed, with explicit columns and rows and an origin", () => {
    const p = plan(`canvas 1024 x 768\nscheduler euler\nregion sky { size 1024 x 256 prompt "sky" }\nregion tree { at 0, 256 size 256 x 512 prompt "a tree" }\ngrid land { at 256, 256 tile 256 x 256 columns 3 rows 2 tiling shifted seed 40 prompt "hills" }`);
    expect(p.shiftedGrids![0]).toMatchObject({ seed: 40, columns: 3, rows: 2, rect: { x: 256, y: 256, width: 768, height: 512 }, latent: { x: 32, y: 32, width: 96, height: 64 } });
  });

  it("report an overlap, a prompt list and an unknown tiling where they are written", () => {
    expect(
      diagnostics(`canvas 768 x 512
scheduler euler
grid a { tile 256 x 256 tiling shifted overlap 128 x 0 prompt "sea" }
grid b { at 0, 256 tile 256 x 256 tiling shifted prompts [ "x", "y", "z" ] }
`),
    ).toEqual([
      { code: "S2020", at: "3:40", message: "grid `a` has `tiling shifted` and `overlap 128 x 0`", related: ["3:25"] },
      { code: "S2020", at: "4:50", message: "grid `b` has `tiling shifted` and `prompts`", related: ["4:35"] },
    ]);
    expect(diagnostics(`canvas 512 x 512\ngrid a { tile 256 x 256 tiling shifed prompt "sea" }`)).toEqual([
      { code: "S2024", at: "2:32", message: "unknown grid tiling `shifed`", related: [] },
    ]);
    expect(compileText(`canvas 512 x 512\ngrid a { tile 256 x 256 tiling shifed prompt "sea" }`).diagnostics[0]!.help).toBe("did you mean `shifted`?");
  });

  it("report a tile that does not divide the canvas, with what would fit", () => {
    const [d] = compileText(`canvas 3840 x 2160\nscheduler ddim\ngrid mosaic { tile 640 x 480 tiling shifted prompt "a mosaic" }`).diagnostics;
    expect(d).toMatchObject({ code: "S2011", message: "grid `mosaic` cannot tile the canvas height: 480-pixel tiles overlapping by 0 never span exactly 2160 pixels" });
    expect(d!.help).toContain("tile height 432 with 5 tiles");
  });

  it("put `tiling` only in a grid", () => {
    expect(diagnostics(`canvas 512 x 512\ntiling shifted\nregion r { prompt "sea" tiling shifted }`).map((d) => [d.code, d.at])).toEqual([
      ["S2015", "2:1"],
      ["S2015", "3:25"],
    ]);
  });

  it("warn that the default lms scheduler leaves seams with shifted windows, pointing at `tiling`", () => {
    expect(diagnostics(`canvas 768 x 256\ngrid sea { tile 256 x 256 tiling shifted prompt "a calm sea" }`)).toEqual([
      { code: "S2504", at: "2:27", message: "grid `sea` has shifted windows, but the scene uses the `lms` scheduler", related: [] },
    ]);
    expect(diagnostics(`canvas 768 x 256\nscheduler lms\ngrid sea { tile 256 x 256 tiling shifted prompt "a calm sea" }`)[0]!.related).toEqual(["2:1"]);
    for (const scheduler of ["euler", "euler_ancestral", "ddim", "dpmpp_2m"]) expect(diagnostics(`canvas 768 x 256\nscheduler ${scheduler}\ngrid sea { tile 256 x 256 tiling shifted prompt "a calm sea" }`)).toEqual([]);
  });

  it("does not warn that a region on a shifted grid is drowned out, nor the grid under it", () => {
    expect(diagnostics(`canvas 1024 x 512\nscheduler euler\ngrid g { tile 256 x 256 tiling shifted prompt "hills" }\nregion house { at 384, 128 size 256 x 256 prompt "a house" }`)).toEqual([]);
  });
});
