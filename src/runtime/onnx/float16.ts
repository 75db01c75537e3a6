/**
 * float16 ⇄ number. Node 20 has no Float16Array, so ONNX Runtime takes and returns binary16
 * tensors as Uint16Array bit patterns; these convert them.
 */
/** One float32 and its bits, for {@link toHalf}: reading a number's bits allocates nothing. */
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE 754 binary16 bits of a number, rounded to float32 first (round to nearest even). */
export function toHalf(value: number): number {
  scratch[0] = value;
  return halfOfFloatBits(scratchBits[0]!);
}

/** The binary16 bits nearest the float32 of bits `bits` (round to nearest, ties to even; NaN stays a quiet NaN). */
function halfOfFloatBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** The number a binary16 bit pattern stands for. */
function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * The binary16 bits of every value, into `out` when given (a buffer the caller reuses, at least as
 * long), else into a new array. The values' bits are read through one view of their buffer, with
 * no allocation per value.
 */
export function float32ToHalfArray(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  if (out.length < values.length) throw new RangeError(`float32ToHalfArray: ${values.length} values do not fit in ${out.length}`);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfOfFloatBits(bits[i]!);
  return out;
}

/** Every binary16 value, by bit pattern (256 KB, made on first use): looking up is over 10x faster than decoding each. */
let halves: Float32Array | undefined;

export function halfArrayToFloat32(bits: Uint16Array): Float32Array {
  const table = (halves ??= Float32Array.from({ length: 0x10000 }, (_, b) => fromHalf(b)));
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}
