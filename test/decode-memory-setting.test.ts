import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/cli/config.js";
import { parseMemorySize } from "../src/cli/memory-size.js";
import { renderCaches, renderPlan } from "../src/runtime/render.js";
import { compileScene, loadBuiltinModel } from "./helpers/render-helpers.js";
import { runMain as run } from "./helpers/scenec-main.js";

/** The decode's memory budget as users set it: `--decode-memory SIZE` and scenec.yaml's `decode-memory:`. */

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe("memory sizes", () => {
  it("read a number and a unit (GB and MB are 1024³ and 1024², as GiB and MiB)", () => {
    expect(parseMemorySize("4GB")).toBe(4 * GiB);
    expect(parseMemorySize("1.5 GB")).toBe(1.5 * GiB);
    expect(parseMemorySize("512MB")).toBe(512 * MiB);
    expect(parseMemorySize(" 6gib ")).toBe(6 * GiB);
    expect(parseMemorySize("768 MiB")).toBe(768 * MiB);
  });

  it("refuse a bare number, an unknown unit, and sizes outside 256MB to 1024GB", () => {
    for (const text of ["4", "4TB", "4 G", "lots", "-1GB", "100MB", "2000GB", "", "4GB4"]) expect(parseMemorySize(text), text).toBeUndefined();
  });
});

describe("scenec.yaml's decode-memory", () => {
  it("sets the default budget; a bad value is refused where it is, with what to write", () => {
    expect(parseConfig("/p/scenec.yaml", "decode-memory: 6GB\n").decodeMemory).toBe(6 * GiB);
    expect(parseConfig("/p/scenec.yaml", "models: {}\n").decodeMemory).toBeUndefined();
    expect(() => parseConfig("/p/scenec.yaml", "decode-memory: 4\n")).toThrow("/p/scenec.yaml:1:16: `decode-memory` needs a size from 256MB to 1024GB, such as 4GB or 512MB, not 4");
    expect(() => parseConfig("/p/scenec.yaml", "models: {}\ndecode-memory:   lots\n")).toThrow('/p/scenec.yaml:2:18: `decode-memory` needs a size from 256MB to 1024GB, such as 4GB or 512MB, not "lots"');
  });
});

describe("--decode-memory", () => {
  it("is in render's and watch's help, and a bad value is a usage error (exit 2) saying what to write", async () => {
    for (const command of ["render", "watch"]) expect((await run(command, "--help")).stdout).toContain("--decode-memory SIZE");
    const bad = await run("render", "missing.scene", "--decode-memory", "4");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("scenec: --decode-memory needs a size from 256MB to 1024GB, such as 4GB or 512MB, not `4`");
    expect(bad.stderr).toContain("see `scenec render --help`");
  });

  it("reaches the decode: a canvas that decodes whole within the default budget decodes in tiles within 256MB", async () => {
    const model = await loadBuiltinModel();
    try {
      const plan = compileScene(`canvas 640 x 384\nseed 0\nsteps 1\nregion a { size 640 x 384 prompt "a red desert" }\n`);
      const tiles = async (memory?: number) => {
        let total = 0;
        await renderPlan(plan, model, renderCaches(model), {
          batch: 1,
          ...(memory !== undefined ? { decode: { memory } } : {}),
          onProgress: (p) => p.phase === "decode" && p.total !== undefined && (total = p.total),
        });
        return total;
      };
      expect(await tiles()).toBe(1);
      expect(await tiles(256 * MiB)).toBeGreaterThan(1);
    } finally {
      await model.release();
    }
  });
});
