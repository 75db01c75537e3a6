import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TorchGenerator, torchRandn } from "../src/runtime/noise/torch-randn.js";

/**
 * `noise torch` (src/runtime/noise/torch-randn.ts) against torch's own numbers:
 * ../shared/conformance/torch-randn/cases.json holds torch.randn for six seeds (up to 2^63 − 1)
 * and sizes 7 (the double path), 16, 17 (the float path and its partial last block) up to
 * [1, 4, 80, 176].
 */

const casesPath = path.resolve("../shared/conformance/torch-randn/cases.json");
const present = existsSync(casesPath);
if (!present) console.log(`torch-randn: ${casesPath} is absent; the bit-exact torch.randn check is skipped`);

interface RandnCase {
  seed_str: string;
  shape: number[];
  numel: number;
  base64_f32le: string;
}

describe.runIf(present)("torchRandn", () => {
  const cases = present ? (JSON.parse(readFileSync(casesPath, "utf8")) as { cases: RandnCase[] }).cases : [];

  it("covers both torch paths and a partial last block", () => {
    const sizes = new Set(cases.map((c) => c.numel));
    expect([...sizes].some((n) => n < 16)).toBe(true);
    expect([...sizes].some((n) => n >= 16 && n % 16 !== 0)).toBe(true);
  });

  it("is bit-exact on every vector", () => {
    for (const c of cases) {
      const bytes = Buffer.from(c.base64_f32le, "base64");
      const expected = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const got = torchRandn(BigInt(c.seed_str), c.numel);
      let differing = 0;
      for (let i = 0; i < c.numel; i++) if (Object.is(got[i], expected[i]) === false) differing++;
      expect(differing, `seed ${c.seed_str} shape [${c.shape.join(", ")}]: values that differ from torch`).toBe(0);
    }
  });
});

describe("TorchGenerator", () => {
  it("continues the generator from one draw to the next, as torch does", () => {
    // torch's float path turns each 16 uniforms into 16 normals, so two calls of 16 on one
    // generator give torch.randn(32)'s values; a draw under 16 uses 53-bit doubles in pairs.
    const g = new TorchGenerator(42);
    const parts = [g.fill(new Float32Array(16)), g.fill(new Float32Array(16))];
    expect(Float32Array.from([...parts[0]!, ...parts[1]!])).toEqual(torchRandn(42, 32));
    const h = new TorchGenerator(42);
    h.fill(new Float32Array(3));
    const afterOdd = h.fill(new Float32Array(3));
    // The third value of the first call was a cosine; its sine is the first of the next call.
    expect(afterOdd[0]).toBe(torchRandn(42, 4)[3]);
  });
});
