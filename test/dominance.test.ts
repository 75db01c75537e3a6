import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { memoryHost } from "./helpers/memory-host.js";

function warnings(text: string) {
  return compile(text, { path: "scene.scene", host: memoryHost() }).diagnostics.filter((d) => d.code === "S2502");
}

describe("regions drowned out by others (S2502)", () => {
  it("names the region that drowns a light one out, and leaves balanced overlaps alone", () => {
    const drowned = warnings(`canvas 512 x 512
region sky  { prompt "a blue sky"  weight 20 }
region bird { at 192, 192  size 128 x 128  prompt "a seagull"  weight 0.1 }
`);
    expect(drowned.map((d) => d.message)).toEqual(["region `bird` is drowned out by `sky`: at best 0.5% of the mix"]);
    const balanced = warnings(`canvas 1024 x 512
region left  { size 640 x 512  prompt "a meadow" }
region right { at 384, 0  size 640 x 512  prompt "a forest" }
`);
    expect(balanced).toEqual([]);
  });

  it("warns of a small region at the centre of a larger one, which never holds the majority; off centre it shows", () => {
    // Both Gaussians peak at the canvas's centre and the sky's is the wider: the sun holds 47.7 %
    // at best and renders as a tint (issue 15's vanishing sun). Higher up, it holds 86 %.
    const sun = (at: string) => warnings(`canvas 512 x 512\nregion sky { prompt "a blue sky" }\nregion sun { at ${at}  size 128 x 128  prompt "a red sun" }\n`);
    expect(sun("192, 192").map((d) => d.message)).toEqual(["region `sun` is drowned out by `sky`: at best 47.7% of the mix"]);
    expect(sun("192, 96")).toEqual([]);
  });

  it("stays linear when thousands of regions share one place, and counts the rest in one warning", () => {
    // 8,000 identical regions: each has 1/8000 of the mix. A neighbour-by-neighbour search takes
    // minutes here; the summed weight field takes well under a second.
    const regions = Array.from({ length: 8000 }, (_, i) => `region r${i} { prompt "fog" }`).join("\n");
    const found = warnings(`canvas 512 x 512\n${regions}\n`);
    expect(found).toHaveLength(21);
    expect(found[0]!.message).toMatch(/^region `r0` is drowned out by `r\d+`: at best 0\.0% of the mix$/);
    expect(found[20]!.message).toBe("region `r20` and 7,979 more are drowned out too");
  });
});
