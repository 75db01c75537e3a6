/**
 * `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))` for float32, bit for bit:
 * the initial noise diffusers' pipelines and ComfyUI draw on the CPU.
 *
 * The generator is mt19937 seeded with the seed's low 32 bits (torch truncates it). Under 16
 * values torch draws each as a double normal: Box–Muller on two 53-bit uniforms, cos first and
 * the sine kept for the next value. From 16 values on it fills every value with a 24-bit float
 * uniform, then turns each block of 16 into normals in float arithmetic: the first 8 with
 * u1 = 1 − data[j], u2 = data[j + 8], cos into the first half and sin into the second; when the
 * size is not a multiple of 16 the last 16 values are drawn again and transformed as one block,
 * overwriting the tail of the previous one. That float path is torch's AVX2 kernel
 * (avx_mathfun's cephes log and sincos, with the multiply–adds GCC fuses into FMA), which is what
 * torch runs on x86-64; torch on ARM or without AVX2 uses libm there and differs in the last bit.
 */
export function torchRandn(seed: bigint | number, length: number): Float32Array {
  return new TorchGenerator(seed).fill(new Float32Array(length));
}

/**
 * `torch.Generator("cpu").manual_seed(seed)`: each `fill` is one torch.randn call of that size
 * on it, continuing where the last left off (as diffusers' schedulers draw their per-step noise
 * from the generator that drew the initial latents), the spare double normal included.
 */
export class TorchGenerator {
  private readonly engine: Mt19937;
  private spare: number | undefined;

  constructor(seed: bigint | number) {
    this.engine = new Mt19937(BigInt(seed));
  }

  fill(out: Float32Array): Float32Array {
    const length = out.length;
    const engine = this.engine;
    if (length < 16) {
      for (let i = 0; i < length; i++) out[i] = this.nextDoubleNormal();
      return out;
    }
    for (let i = 0; i < length; i++) out[i] = engine.nextFloat();
    for (let i = 0; i + 16 <= length; i += 16) normalBlock16(out, i);
    if (length % 16 !== 0) {
      const start = length - 16;
      for (let i = 0; i < 16; i++) out[start + i] = engine.nextFloat();
      normalBlock16(out, start);
    }
    return out;
  }

  private nextDoubleNormal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u1 = this.engine.nextDouble();
    const u2 = this.engine.nextDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** The Mersenne Twister MT19937, as torch's CPU generator holds it. */
class Mt19937 {
  private readonly state = new Uint32Array(624);
  private index = 624;

  constructor(seed: bigint) {
    const mt = this.state;
    mt[0] = Number(BigInt.asUintN(32, seed));
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.state[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** torch's uniform float: the low 24 bits of one output over 2^24. */
  nextFloat(): number {
    return (this.nextUint32() & 0xffffff) / 16777216;
  }

  /** torch's uniform double: the low 53 bits of (first output · 2^32 + second) over 2^53. */
  nextDouble(): number {
    const high = this.nextUint32() & 0x1fffff;
    const low = this.nextUint32();
    return (high * 4294967296 + low) / 9007199254740992;
  }

  private twist(): void {
    const mt = this.state;
    for (let k = 0; k < 624; k++) {
      const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
      mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

const f = Math.fround;
const bitsView = new DataView(new ArrayBuffer(4));

function floatBits(x: number): number {
  bitsView.setFloat32(0, x);
  return bitsView.getInt32(0);
}

function bitsFloat(bits: number): number {
  bitsView.setInt32(0, bits);
  return bitsView.getFloat32(0);
}

/**
 * Float fused multiply–add, a·b + c rounded once. a·b of two floats is exact in a double; the sum
 * is made exact with TwoSum, and the one case where rounding that double to float could round
 * twice (the double sits exactly between two floats) is settled by the sum's error term.
 */
function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bv = s - p;
  const err = p - (s - bv) + (c - bv);
  const r = f(s);
  if (err === 0 || r === s) return r;
  const other = bitsFloat(floatBits(r) + ((r < s) === r >= 0 ? 1 : -1));
  if (Math.abs(s - r) !== Math.abs(other - s)) return r;
  return err > 0 === other > r ? other : r;
}

const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
  3.3333331174e-1,
].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);
const SQRT_HALF = f(0.707106781186547524);
const HALF_BITS = floatBits(0.5);

/** avx_mathfun's log256_ps for one lane (x in (0, 1]: always a normal float here). */
function logf(x: number): number {
  let e = f(((floatBits(x) >>> 23) - 127) + 1);
  let m = bitsFloat((floatBits(x) & ~0x7f800000) | HALF_BITS);
  const below = m < SQRT_HALF;
  const tmp = below ? m : 0;
  m = f(m - 1);
  if (below) e = f(e - 1);
  m = f(m + tmp);
  const z = f(m * m);
  let y = LOG_P[0]!;
  for (let k = 1; k < LOG_P.length; k++) y = fmaf(y, m, LOG_P[k]!);
  y = f(y * m);
  y = fmaf(y, z, f(e * LOG_Q1));
  y = fmaf(-z, 0.5, y);
  return fmaf(e, LOG_Q2, f(m + y));
}

const DP1 = f(-0.78515625);
const DP2 = f(-2.4187564849853515625e-4);
const DP3 = f(-3.77489497744594108e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const FOUR_OVER_PI = f(1.27323954473516);

/** avx_mathfun's sincos256_ps for one lane, x ≥ 0 (θ = 2π·u here). */
function sincosf(x: number): [sin: number, cos: number] {
  let j = Math.trunc(f(x * FOUR_OVER_PI));
  j = (j + 1) & ~1;
  const sinSign = j & 4 ? -1 : 1;
  const cosSign = ~(j - 2) & 4 ? -1 : 1;
  const sinPolynomial = (j & 2) === 0;
  let r = fmaf(j, DP1, x);
  r = fmaf(j, DP2, r);
  r = fmaf(j, DP3, r);
  const z = f(r * r);
  let c = fmaf(fmaf(COS_P[0]!, z, COS_P[1]!), z, COS_P[2]!);
  c = f(c * z);
  c = f(fmaf(c, z, -f(z * 0.5)) + 1);
  let s = fmaf(fmaf(SIN_P[0]!, z, SIN_P[1]!), z, SIN_P[2]!);
  s = fmaf(f(s * z), r, r);
  return sinPolynomial ? [sinSign * s, cosSign * c] : [sinSign * c, cosSign * s];
}

const TWO_PI = f(2 * Math.PI);

/** torch's normal_fill_16_AVX2 (mean 0, std 1) on data[start .. start + 16). */
function normalBlock16(data: Float32Array, start: number): void {
  for (let j = 0; j < 8; j++) {
    const radius = f(Math.sqrt(f(-2 * logf(f(1 - data[start + j]!)))));
    const [sin, cos] = sincosf(f(TWO_PI * data[start + j + 8]!));
    data[start + j] = radius * cos;
    data[start + j + 8] = radius * sin;
  }
}
