/**
 * Automatic1111's "NV" random numbers (its `modules/rng_philox.py`, "RNG imitating torch cuda
 * randn on CPU"), bit for bit: the noise of A1111's NV seeds, its stand-in on any machine for
 * its default GPU ones.
 *
 * Each value i of a draw is one Philox4x32-10 block (Salmon et al., Random123) with the counter
 * [offset, 0, i, 0] and the key [seed's low 32 bits, seed's high 32 bits]; its first two words
 * x, y become one normal by the first half of Box–Muller, as A1111's numpy code computes it:
 * u = x·c + c/2 and v = y·d + d/2 in doubles, where c = float32(2.3283064e-10), which is 2^-32,
 * and d = float32(2.3283064e-10 · 6.2831855), which is float32(2π)·2^-32 (not quite 2π·2^-32),
 * then sqrt(−2 ln u)·sin(v) in doubles, rounded to float32. `offset` is the number of draws
 * made before on the generator.
 */
export function philoxRandn(seed: bigint | number, length: number): Float32Array {
  return new PhiloxGenerator(seed).fill(new Float32Array(length));
}

/**
 * A1111's `rng_philox.Generator(seed)`: each `fill` is one `randn` call of that size, the first
 * at offset 0, the next at offset 1, and so on (A1111's ancestral samplers draw every step's
 * noise this way from the generator that drew the initial latents). A draw's values depend only
 * on the seed, its offset and their index, so a generator can start at any offset.
 */
export class PhiloxGenerator {
  private readonly key0: number;
  private readonly key1: number;
  private offset: number;

  /** `offset`: the number of draws made before, 0 for a new generator (0 to 2^32 − 1). */
  constructor(seed: bigint | number, offset = 0) {
    if (!Number.isInteger(offset) || offset < 0 || offset > 0xffffffff) throw new RangeError(`offset must be an integer from 0 to 2^32 - 1, got ${offset}`);
    this.offset = offset;
    const key = BigInt.asUintN(64, BigInt(seed));
    this.key0 = Number(key & 0xffffffffn);
    this.key1 = Number(key >> 32n);
  }

  fill(out: Float32Array): Float32Array {
    const block = new Uint32Array(4);
    const offset = this.offset;
    this.offset = (offset + 1) >>> 0;
    for (let i = 0; i < out.length; i++) {
      block[0] = offset;
      block[1] = 0;
      block[2] = i;
      block[3] = 0;
      philox4x32(block, this.key0, this.key1);
      // The double steps of A1111's numpy: uint32 times a float32 array is a float64 array.
      const u = block[0]! * TWO_POW32_INV + TWO_POW32_INV / 2;
      const v = block[1]! * TWO_POW32_INV_2PI + TWO_POW32_INV_2PI / 2;
      out[i] = Math.sqrt(-2 * Math.log(u)) * Math.sin(v);
    }
    return out;
  }
}

/** A1111's constants, float32 arrays in its code (curand's CURAND_2POW32_INV and _2PI). */
const TWO_POW32_INV = Math.fround(2.3283064e-10);
const TWO_POW32_INV_2PI = Math.fround(2.3283064e-10 * 6.2831855);

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9 | 0;
const W1 = 0xbb67ae85 | 0;

/**
 * Philox4x32-10 in place: `block` holds the counter on entry and the four output words on return;
 * the key is (key0, key1), bumped by the Weyl constants between rounds. Words are kept as int32
 * (the same bits) so that V8 keeps them in registers.
 */
export function philox4x32(block: Uint32Array, key0: number, key1: number): void {
  let c0 = block[0]! | 0;
  let c1 = block[1]! | 0;
  let c2 = block[2]! | 0;
  let c3 = block[3]! | 0;
  let k0 = key0 | 0;
  let k1 = key1 | 0;
  for (let round = 0; round < 10; round++) {
    const lo0 = Math.imul(c0, M0);
    const lo1 = Math.imul(c2, M1);
    const hi0 = mulhi(c0, M0, lo0);
    const hi1 = mulhi(c2, M1, lo1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 = (k0 + W0) | 0;
    k1 = (k1 + W1) | 0;
  }
  block[0] = c0;
  block[1] = c1;
  block[2] = c2;
  block[3] = c3;
}

/**
 * The high word of the 64-bit product a·m of two uint32s whose low word `lo` is known. The
 * double product is within 2^11 of the exact one, and so is its difference with `lo`: that is
 * hi·2^32 give or take 2^12, so rounding it over 2^32 gives hi exactly.
 */
function mulhi(a: number, m: number, lo: number): number {
  return (((a >>> 0) * m - (lo >>> 0)) * 2 ** -32 + 0.5) | 0;
}
