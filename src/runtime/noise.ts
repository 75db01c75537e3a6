/**
 * Seeded standard-normal noise, identical on every machine.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 32-bit integer arithmetic only, its 128-bit state
 * filled by SplitMix32 from the seed's low 32-bit word, xor its high word times 0x9e3779b9, xor
 * the stream number times 0x85ebca6b (seeds go up to 2^53 − 1; stream 1 is Euler ancestral's
 * per-step noise). Normals: the Box–Muller transform on pairs of uniforms u = (k + 0.5) / 2^32,
 * producing cos then sin. Values are drawn channel by channel, row by row (C, H, W order).
 * V8 computes Math.log/sqrt/cos/sin in software (fdlibm), so the doubles are the same on every
 * platform; they are rounded to float32 at the end.
 */
export class NormalNoise {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  /** `stream` picks an independent sequence for the same seed (0: the initial noise). */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer from 0 to 2^53 - 1, got ${seed}`);
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9) ^ Math.imul(stream, 0x85ebca6b);
    const next = () => {
      // SplitMix32
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The next 32-bit output of xoshiro128**. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextNormal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u1 = (this.nextUint32() + 0.5) / 4294967296;
    const u2 = (this.nextUint32() + 0.5) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  }

  fill(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.nextNormal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Standard-normal noise for a [channels, height, width] tensor from a seed. */
export function seededNoise(seed: number, length: number): Float32Array {
  return new NormalNoise(seed).fill(new Float32Array(length));
}
