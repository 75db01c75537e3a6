import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NormalNoise, seededNoise } from "../src/runtime/noise.js";

/**
 * The seeded noise generator (src/runtime/noise.ts): its values are part of every picture, so
 * they are pinned, and checked against an independent implementation of the documented
 * algorithm (SplitMix64 seeding, xoshiro128**, Box–Muller with cos then sin).
 */

const MAX_SEED = 2 ** 53 - 1;

/** The documented generator, written independently with BigInt arithmetic. */
class ReferenceNoise {
  private s: bigint[];
  private spare: number | undefined;
  static readonly M = 0xffffffffn;

  constructor(seed: number, stream = 0) {
    // SplitMix64 from seed + stream * 2^53, written with BigInt.asUintN instead of masks.
    const u64 = (x: bigint) => BigInt.asUintN(64, x);
    let x = u64(BigInt(seed) + BigInt(stream) * 2n ** 53n);
    const splitmix64 = () => {
      x = u64(x + 0x9e3779b97f4a7c15n);
      let z = x;
      z = u64((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = u64((z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      return z ^ (z >> 31n);
    };
    const a = splitmix64();
    const b = splitmix64();
    this.s = [a >> 32n, BigInt.asUintN(32, a), b >> 32n, BigInt.asUintN(32, b)];
  }

  private static rotl(x: bigint, k: bigint): bigint {
    return ((x << k) | (x >> (32n - k))) & ReferenceNoise.M;
  }

  nextUint32(): number {
    const M = ReferenceNoise.M;
    const s = this.s;
    const result = (ReferenceNoise.rotl((s[1]! * 5n) & M, 7n) * 9n) & M;
    const t = (s[1]! << 9n) & M;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = ReferenceNoise.rotl(s[3]!, 11n);
    return Number(result);
  }

  nextNormal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u1 = (this.nextUint32() + 0.5) / 2 ** 32;
    const u2 = (this.nextUint32() + 0.5) / 2 ** 32;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
}

function draw(seed: number, n: number, stream = 0): Float32Array {
  return new NormalNoise(seed, stream).fill(new Float32Array(n));
}

describe("NormalNoise", () => {
  it("starts from SplitMix64's published first output (seed 0: 0xe220a8397b1dcdaf)", () => {
    // xoshiro128**'s first output is rotl(s1 * 5, 7) * 9 with s1 the low word of that value.
    const s1 = 0x7b1dcdaf;
    const expected = Math.imul(((Math.imul(s1, 5) << 7) | (Math.imul(s1, 5) >>> 25)) >>> 0, 9) >>> 0;
    expect(new NormalNoise(0).nextUint32()).toBe(expected);
  });

  it("gives pinned values for seed 0", () => {
    const u = new NormalNoise(0);
    expect([u.nextUint32(), u.nextUint32(), u.nextUint32(), u.nextUint32()]).toEqual([513008459, 2795874746, 972916236, 1374099887]);
    expect(Array.from(draw(0, 6))).toEqual([
      -1.2015860080718994, -1.6751134395599365, -0.7330895662307739, 1.5596096515655518, 0.7828388214111328, -0.9345942139625549,
    ]);
    expect(Array.from(draw(0, 4, 1))).toEqual([1.0778120756149292, -0.45345380902290344, -0.0693025141954422, -1.3224576711654663]);
  });

  it("gives pinned values for seed 7178915308 (the paper's seed, over 2^32)", () => {
    const u = new NormalNoise(7178915308);
    expect([u.nextUint32(), u.nextUint32(), u.nextUint32(), u.nextUint32()]).toEqual([3141717525, 3023053323, 1212450527, 2048593679]);
    expect(Array.from(draw(7178915308, 6))).toEqual([
      -0.22605963051319122, -0.7577899694442749, -1.5738575458526611, 0.2292885184288025, -0.8296815156936646, -1.3278719186782837,
    ]);
    expect(Array.from(draw(7178915308, 4, 1))).toEqual([-1.3907982110977173, -0.5724118947982788, -1.141760230064392, -0.541558027267456]);
  });

  it("gives pinned values for the largest seed, 2^53 - 1", () => {
    const u = new NormalNoise(MAX_SEED);
    expect([u.nextUint32(), u.nextUint32(), u.nextUint32(), u.nextUint32()]).toEqual([2256960655, 2188756253, 2143589989, 4237968077]);
    expect(Array.from(draw(MAX_SEED, 4))).toEqual([-1.1323268413543701, -0.06845133006572723, 1.174854040145874, -0.09819310903549194]);
  });

  it("never gives two seeds or streams the same start (the seeding is a bijection)", () => {
    // These collided under the earlier 32-bit seeding: low word xor high word times a constant.
    const pairs: [number, number, number, number][] = [
      [4294967296, 0, 2654435769, 0],
      [5, 1, (5 ^ 0x85ebca6b) >>> 0, 0],
      [7, 0, 7 * 2 ** 32, 0],
    ];
    for (const [a, sa, b, sb] of pairs) expect(Array.from(draw(a, 4, sa))).not.toEqual(Array.from(draw(b, 4, sb)));
  });

  it("matches an independent implementation of the documented algorithm", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_SEED }), fc.integer({ min: 0, max: 3 }), (seed, stream) => {
        const a = new NormalNoise(seed, stream);
        const b = new ReferenceNoise(seed, stream);
        for (let i = 0; i < 16; i++) expect(a.nextUint32()).toBe(b.nextUint32());
        const c = new NormalNoise(seed, stream);
        const d = new ReferenceNoise(seed, stream);
        for (let i = 0; i < 9; i++) expect(c.nextNormal()).toBe(d.nextNormal());
      }),
      { numRuns: 200 },
    );
  });

  it("is deterministic, and fill continues the sequence (the Box–Muller spare carries over)", () => {
    expect(draw(123, 1000)).toEqual(draw(123, 1000));
    const g = new NormalNoise(123);
    const parts = [g.fill(new Float32Array(3)), g.fill(new Float32Array(5)), g.fill(new Float32Array(2))];
    expect(Float32Array.from(parts.flatMap((p) => Array.from(p)))).toEqual(draw(123, 10));
    expect(seededNoise(123, 10)).toEqual(draw(123, 10));
  });

  it("gives different sequences for different seeds and different streams", () => {
    const seeds = [0, 1, 2, 42, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 7178915308, 7178915309, MAX_SEED - 1, MAX_SEED];
    const seen = new Set<string>();
    for (const seed of seeds)
      for (const stream of [0, 1]) {
        const key = Array.from(draw(seed, 8, stream)).join(",");
        expect(seen.has(key), `seed ${seed} stream ${stream} repeats another's values`).toBe(false);
        seen.add(key);
      }
    // Consecutive seeds (the grid seed rule hands them to neighbouring cells) are uncorrelated.
    const a = draw(100, 20_000);
    const b = draw(101, 20_000);
    let dot = 0;
    for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
    expect(Math.abs(dot / a.length)).toBeLessThan(0.03);
  });

  it("is standard normal: mean ≈ 0, variance ≈ 1, symmetric, over 1e5 draws", () => {
    for (const seed of [0, 7178915308, MAX_SEED]) {
      const n = 100_000;
      const x = draw(seed, n);
      let sum = 0;
      let sq = 0;
      let cube = 0;
      let fourth = 0;
      let within1 = 0;
      let finite = 0;
      for (const v of x) {
        if (Number.isFinite(v)) finite++;
        sum += v;
        sq += v * v;
        cube += v ** 3;
        fourth += v ** 4;
        if (Math.abs(v) < 1) within1++;
      }
      expect(finite).toBe(n);
      const mean = sum / n;
      const variance = sq / n - mean * mean;
      // Standard errors: mean 1/√n = 0.0032, variance √(2/n) = 0.0045; 5 of them allowed.
      expect(Math.abs(mean), `seed ${seed}`).toBeLessThan(0.016);
      expect(Math.abs(variance - 1), `seed ${seed}`).toBeLessThan(0.023);
      expect(Math.abs(cube / n), `seed ${seed} skewness`).toBeLessThan(0.04);
      expect(Math.abs(fourth / n - 3), `seed ${seed} kurtosis`).toBeLessThan(0.1);
      // P(|x| < 1) = 0.6827 for a standard normal (standard error 0.0015).
      expect(Math.abs(within1 / n - 0.6827), `seed ${seed}`).toBeLessThan(0.008);
    }
  });

  it("takes seeds from 0 to 2^53 - 1", () => {
    for (const seed of [0, 1, 2 ** 31, 2 ** 32, 2 ** 52, MAX_SEED]) {
      const x = draw(seed, 64);
      expect(x.every(Number.isFinite)).toBe(true);
      expect(new Set(x).size).toBe(64);
    }
  });

  it("rejects seeds that are not integers from 0 to 2^53 - 1", () => {
    for (const seed of [-1, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, 2 ** 64]) {
      expect(() => new NormalNoise(seed), String(seed)).toThrow(RangeError);
      expect(() => seededNoise(seed, 4), String(seed)).toThrow(/seed must be an integer from 0 to 2\^53 - 1/);
    }
  });
});
