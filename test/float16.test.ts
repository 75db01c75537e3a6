import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { folderSource } from "../src/runtime/model/model-source.js";
import { OnnxDiffusionModel } from "../src/runtime/model/onnx-model.js";
import { CONFORMANCE_ROOT } from "./helpers/conformance-cases.js";
import { float32ToHalfArray, halfArrayToFloat32, toHalf } from "../src/runtime/onnx/float16.js";
import { HalfInputs } from "../src/runtime/model/half-inputs.js";

/**
 * float32 → binary16 against an oracle computed another way: the exact value scaled to an integer
 * count of half-precision steps and rounded half to even in double arithmetic (exact for every
 * float32). Checked on every half's rounding boundaries (ties, just below, just above), the
 * subnormal and overflow ranges, NaN, infinities and signed zeros, and 300,000 random patterns.
 */
const oracleBits = new Uint32Array(1);
const oracleValue = new Float32Array(oracleBits.buffer);

function oracle(bits: number): number {
  oracleBits[0] = bits;
  const value = oracleValue[0]!;
  const sign = bits >>> 31 ? 0x8000 : 0;
  if (Number.isNaN(value)) return sign | 0x7e00;
  const a = Math.abs(value);
  // 65520 is halfway between the largest half (65504) and 65536: ties to even, which is infinity.
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal: steps of 2^-24 (1024 steps: the smallest normal)
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let steps = roundHalfEven(a * 2 ** (10 - e)); // in [1024, 2048]
  if (steps === 2048) (steps = 1024), e++;
  if (e + 15 >= 31) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | (steps - 1024);
}

function roundHalfEven(q: number): number {
  const f = Math.floor(q);
  const d = q - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** float32 bit patterns on every half's rounding boundaries and around the special values. */
function boundaryPatterns(): Uint32Array {
  const patterns: number[] = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001, 0x00000001, 0x007fffff, 0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000];
  for (let exp = 0; exp < 256; exp++) {
    // Where the rounding position falls in the float32 mantissa: 13 bits for normal halves, more for subnormal ones.
    const e = exp - 112;
    const shift = e >= 1 ? 13 : Math.min(24, 14 - e);
    const mid = shift >= 24 ? 1 << 23 : 1 << (shift - 1);
    for (let top = 0; top < 1 << 10; top++) {
      const high = shift >= 23 ? 0 : (top << shift) & 0x7fffff;
      for (const low of [0, 1, mid - 1, mid, mid + 1, (mid << 1) - 1]) {
        const mant = (high | (low & ((1 << Math.min(shift, 23)) - 1))) & 0x7fffff;
        for (const sign of [0, 0x80000000]) patterns.push((sign | (exp << 23) | mant) >>> 0);
      }
    }
  }
  return Uint32Array.from(patterns);
}

describe("float32 → float16", () => {
  const boundaries = boundaryPatterns();
  let seed = 12345;
  const random = Uint32Array.from({ length: 300_000 }, () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0));

  it("rounds to nearest, ties to even, on every boundary, subnormal, overflow and special value, and on random values", () => {
    for (const patterns of [boundaries, random]) {
      const halves = float32ToHalfArray(new Float32Array(patterns.buffer));
      const wrong: string[] = [];
      for (let i = 0; i < patterns.length && wrong.length < 5; i++) {
        const expected = oracle(patterns[i]!);
        if (halves[i] !== expected) wrong.push(`0x${patterns[i]!.toString(16)} → 0x${halves[i]!.toString(16)}, expected 0x${expected.toString(16)}`);
      }
      expect(wrong).toEqual([]);
    }
  });

  it("the specific cases: the largest half, overflow to infinity, the smallest subnormal, NaN, -0", () => {
    expect([65504, 65519.99, 65520, 1e6, -Infinity].map(toHalf)).toEqual([0x7bff, 0x7bff, 0x7c00, 0x7c00, 0xfc00]);
    expect([2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -25, 2 ** -14 - 2 ** -25].map(toHalf)).toEqual([0x0001, 0x0000, 0x0001, 0x0002, 0x0400]);
    expect([NaN, -0, 1, 1 + 2 ** -11, 1 + 3 * 2 ** -11].map(toHalf)).toEqual([0x7e00, 0x8000, 0x3c00, 0x3c00, 0x3c02]);
  });

  it("writes into a buffer the caller reuses, from a view at any offset, and toHalf agrees with the array conversion", () => {
    const values = Float32Array.from({ length: 100 }, (_, i) => (i - 50) * 0.731);
    const view = values.subarray(7, 91);
    const out = new Uint16Array(120).fill(0xffff);
    expect(float32ToHalfArray(view, out)).toBe(out);
    expect(Array.from(out.subarray(0, view.length))).toEqual(Array.from(view, toHalf));
    expect(out[view.length]).toBe(0xffff);
    expect(() => float32ToHalfArray(values, new Uint16Array(10))).toThrow(RangeError);
    // Back to float32: every value within half a float16 step.
    const back = halfArrayToFloat32(out.subarray(0, view.length));
    back.forEach((v, i) => expect(Math.abs(v - view[i]!)).toBeLessThanOrEqual(Math.abs(view[i]!) * 2 ** -11));
  });
});

describe("a float16 UNet's inputs", () => {
  const embeddings = (k: number) => Float32Array.from({ length: 2 * 77 * 8 }, (_, i) => Math.sin(i * 0.01 + k));

  it("the embeddings are converted once per content, whatever array holds them", () => {
    const inputs = new HalfInputs();
    const shared = new Float32Array(2 * 77 * 8);
    shared.set(embeddings(1));
    const first = inputs.embedding(shared);
    expect(Array.from(first)).toEqual(Array.from(float32ToHalfArray(embeddings(1))));
    shared.set(embeddings(2));
    const second = inputs.embedding(shared);
    expect(Array.from(second)).toEqual(Array.from(float32ToHalfArray(embeddings(2))));
    shared.set(embeddings(1));
    expect(inputs.embedding(shared)).toBe(first);
    expect(inputs.embedding(embeddings(2))).toBe(second);
    expect(inputs.embedding(embeddings(2).subarray(0, 77 * 8))).not.toBe(second);
  });

  it("the sample's buffer is reused once a call has given it back, never while one holds it", () => {
    const inputs = new HalfInputs();
    const a = inputs.sample(Float32Array.of(1, 2, 3, 4));
    const b = inputs.sample(Float32Array.of(5, 6, 7, 8));
    expect(b.buffer).not.toBe(a.buffer);
    expect(Array.from(a)).toEqual([1, 2, 3, 4].map(toHalf));
    inputs.release(a);
    inputs.release(b);
    const c = inputs.sample(Float32Array.of(9, 10));
    expect([a.buffer, b.buffer]).toContain(c.buffer);
    expect(Array.from(c)).toEqual([9, 10].map(toHalf));
  });
});

const fp16 = path.join(CONFORMANCE_ROOT, "models/tiny-sd15-fp16");

describe.runIf(existsSync(fp16))("a float16 UNet", () => {
  it("sees each call's embeddings, though they come in one buffer rewritten between calls, and its sample buffer reused", async () => {
    const model = await OnnxDiffusionModel.load(folderSource(fp16), { device: "cpu", modelCache: null });
    try {
      const size = 2 * 77 * model.conditioning.hiddenSize;
      const prompt = (k: number) => Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.05 + k));
      const sample = (k: number) => Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.cos(i * 0.3 + k));
      const shared = new Float32Array(size);
      const call = (hidden: Float32Array, k: number) => model.unet(sample(k), [2, 4, 8, 8], 400, { sequenceLength: 77, hidden, pooled: new Float32Array(0), timeIds: new Float32Array(0) });
      shared.set(prompt(1));
      const a = await call(shared, 1);
      shared.set(prompt(2));
      const b = await call(shared, 2);
      expect(b).not.toEqual(a);
      expect(b).toEqual(await call(prompt(2), 2));
      shared.set(prompt(1));
      expect(await call(shared, 1)).toEqual(a);
      // Calls at the same time each keep their own sample.
      const [x, y] = await Promise.all([call(prompt(1), 1), call(prompt(2), 2)]);
      expect([x, y]).toEqual([a, b]);
    } finally {
      await model.release();
    }
  });
});
