import type { NoiseGenerator } from "../compiler/plan/plan.js";
import { PhiloxGenerator, philoxRandn } from "./noise/philox-randn.js";
import { TorchGenerator, torchRandn } from "./noise/torch-randn.js";

/**
 * Seeded standard-normal noise, identical on every machine.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 32-bit integer arithmetic only. Its 128-bit state
 * is two outputs of SplitMix64 started at key = seed + stream · 2^53 (seeds go up to 2^53 − 1;
 * stream 0 is the initial noise, stream 1 Euler ancestral's per-step noise), high word first.
 * SplitMix64's output function is a bijection, so different (seed, stream) pairs always start
 * from different states. Normals: the Box–Muller transform on pairs of uniforms
 * u = (k + 0.5) / 2^32, producing cos then sin. Values are drawn channel by channel, row by row
 * (C, H, W order). V8 computes Math.log/sqrt/cos/sin in software (fdlibm), so the doubles are
 * the same on every platform; they are rounded to float32 at the end.
 */
export class NormalNoise {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  /** `stream` picks an independent sequence for the same seed (0 to 2047). */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer from 0 to 2^53 - 1, got ${seed}`);
    if (!Number.isInteger(stream) || stream < 0 || stream >= 2048) throw new RangeError(`stream must be an integer from 0 to 2047, got ${stream}`);
    let state = BigInt(seed) + (BigInt(stream) << 53n);
    const next = () => {
      // SplitMix64 (Steele, Lea & Flood).
      state = (state + 0x9e3779b97f4a7c15n) & MASK64;
      let z = state;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      return z ^ (z >> 31n);
    };
    const a = next();
    const b = next();
    this.s0 = Number(a >> 32n) | 0;
    this.s1 = Number(a & 0xffffffffn) | 0;
    this.s2 = Number(b >> 32n) | 0;
    this.s3 = Number(b & 0xffffffffn) | 0;
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

const MASK64 = 0xffffffffffffffffn;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Standard-normal noise for a [channels, height, width] tensor from a seed. */
export function seededNoise(seed: number, length: number): Float32Array {
  return new NormalNoise(seed).fill(new Float32Array(length));
}

/**
 * The initial noise of a [channels, height, width] tensor from a seed, drawn by the plan's
 * generator: scenec's (above), torch.randn on torch's CPU generator (noise/torch-randn.ts), or
 * A1111's Philox imitation of torch's CUDA randn (noise/philox-randn.ts).
 */
export function initialNoiseDraw(generator: NoiseGenerator, seed: number, length: number): Float32Array {
  return INITIAL_DRAWS[generator](seed, length);
}

const INITIAL_DRAWS: Record<NoiseGenerator, (seed: number, length: number) => Float32Array> = {
  scenec: seededNoise,
  torch: torchRandn,
  philox: philoxRandn,
};

/**
 * Where euler_ancestral's per-step noise comes from, one `fill` a step. scenec: stream 1 of the
 * seed. torch: the seed's torch generator after the canvas's initial draw of `canvasLength`
 * values, as diffusers passes one generator to prepare_latents and then to every scheduler step.
 * philox: the seed's Philox generator from its second draw on (offset 1), as A1111's ImageRNG
 * draws every step's noise from the generator that drew the initial latents.
 */
export function stepNoiseSource(generator: NoiseGenerator, seed: number, canvasLength: number): { fill(out: Float32Array): Float32Array } {
  return STEP_SOURCES[generator](seed, canvasLength);
}

const STEP_SOURCES: Record<NoiseGenerator, (seed: number, canvasLength: number) => { fill(out: Float32Array): Float32Array }> = {
  scenec: (seed) => new NormalNoise(seed, 1),
  torch: (seed, canvasLength) => {
    const torch = new TorchGenerator(seed);
    torch.fill(new Float32Array(canvasLength));
    return torch;
  },
  philox: (seed) => new PhiloxGenerator(seed, 1),
};
