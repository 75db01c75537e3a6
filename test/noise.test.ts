import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NormalNoise, seededNoise } from "../src/runtime/noise.js";

/**
 * The seeded noise generator (src/runtime/noise.ts): its values are part of every picture, so
 * they are pinned, and checked against an independent implementation of the documented
 * algorithm (SplitMix32 seeding, xoshiro128**, Box–Muller with cos then sin).
 */

const MAX_SEED = 2 ** 53 - 1;

/** The documented generator, written independently with BigInt arithmetic. */
class ReferenceNoise {
  private s: bigint[];
  private spare: number | undefined;
  static readonly M = 0xffffffffn;

  constructor(seed: number, stream = 0) {
    const M = ReferenceNoise.M;
    const low = BigInt(seed) & M;
    const high = BigInt(seed) >> 32n;
    let state = (low ^ ((high * 0x9e3779b9n) & M) ^ ((BigInt(stream) * 0x85ebca6bn) & M)) & M;
    const splitmix32 = () => {
      state = (state + 0x9e3779b9n) & M;
      let z = state;
      z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M;
      z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M;
      return z ^ (z >> 16n);
    };
    this.s = [splitmix32(), splitmix32(), splitmix32(), splitmix32()];
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
  it("gives pinned values for seed 0", () => {
    const u = new NormalNoise(0);
    expect([u.nextUint32(), u.nextUint32(), u.nextUint32(), u.nextUint32()]).toEqual([3809008728, 1133695204, 53579671, 2891528803]);
    expect(Array.from(draw(0, 6))).toEqual([
      -0.04292575642466545, 0.48816728591918945, -1.3734577894210815, -2.6232943534851074, -2.608858108520508, -0.21337103843688965,
    ]);
    expect(Array.from(draw(0, 4, 1))).toEqual([0.7203384637832642, 0.8946890830993652, -0.4778406620025635, -0.636259138584137]);
  });

  it("gives pinned values for seed 7178915308 (the paper's seed, over 2^32)", () => {
    const u = new NormalNoise(7178915308);
    expect([u.nextUint32(), u.nextUint32(), u.nextUint32(), u.nextUint32()]).toEqual([3679842779, 2273401142, 221421391, 1621215808]);
    expect(Array.from(draw(7178915308, 6))).toEqual([
      -0.5466039180755615, -0.10184279084205627, -1.7484575510025024, 1.6950396299362183, -0.2588784098625183, -0.0666821077466011,
    ]);
    expect(Array.from(draw(7178915308, 4, 1))).toEqual([-0.5413854718208313, 0.08454453945159912, -0.3358193039894104, -0.20218512415885925]);
  });

  it("gives pinned values for the largest seed, 2^53 - 1", () => {
    const u = new NormalNoise(MAX_SEED);
    expect([u.nextUint32(), u.nextUint32(), u.nextUint32(), u.nextUint32()]).toEqual([1212605407, 3964891305, 34424621, 2301469027]);
    expect(Array.from(draw(MAX_SEED, 4))).toEqual([1.408552646636963, -0.7384611368179321, -3.0284061431884766, -0.6939817667007446]);
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
