// Lookup tables that QNNPACK builds when Caffe2 creates its sigmoid, softmax (soft-argmax) and
// leaky-relu operators (QNNPACK src/sigmoid.c, src/softargmax.c, src/leaky-relu.c), and the
// libm function they depend on.
//
// Where JS math can differ from the C build (x86-64, glibc):
//  * float arithmetic: C does each float +, -, *, / in binary32. We do it in binary64 and
//    round with Math.fround. For these four operations on float operands that is exactly the
//    same (binary64 has more than 2*24+2 bits, so the double rounding is innocuous).
//  * lrintf / lrint: round half to even in the default rounding mode; roundHalfEven mirrors
//    it. Exact .5 ties do occur in these tables (e.g. a sigmoid value of exactly k + 0.5, or the
//    softmax scale 4294967295/1542 = 2785322.5), so Math.round would be wrong.
//  * expf (sigmoid): glibc's expf is not correctly rounded: on 154,970 binary32 inputs in
//    [-30, 30] it returns the other neighbour of the exact value, and Math.fround(Math.exp(x))
//    (V8's own double exp, then rounding) returns the nearest one there. An exhaustive check of
//    those inputs found that none of them changes a sigmoid table entry (outside [-30, 30]
//    the entry saturates), so the simple JS expression would also give the right tables; we
//    nevertheless run glibc's algorithm itself (`glibcExpf`, below: pure binary64 arithmetic,
//    so it is reproduced exactly) to keep every intermediate float identical. Checked against
//    glibc 2.36 on every binary32 input in [-110, 90]: identical to its generic (SSE2) build.
//    Its FMA build (chosen on CPUs with FMA and AVX2) differs on exactly two inputs
//    (x = 0x1.04845ep+5 and -0x1.f8cbb2p+5), where the sigmoid saturates anyway (0 and 255),
//    so every sigmoid table is the same under both builds. glibc releases before 2.27 used a
//    different expf and are not modelled.
//  * exp (softmax): the table uses double exp. Math.exp (V8's port of fdlibm) differs from
//    glibc 2.36's exp in the last bit on about 10% of the arguments (i - 255) * scale, and
//    glibc's FMA and SSE2 builds differ from each other on 0.07% of them, so no single
//    choice is exact for every build. An entry is lrint(q * exp(...)) with q * exp(...) <= 2^23,
//    so a last-bit difference moves the product by at most about 2^-29 and changes the entry
//    only if the product lies that close to a half-integer. A scan of 13,845 tables (scales
//    2^-10 .. 2, 15 channel counts) against glibc found every entry equal, the closest product
//    3.3e-7 away from a half-integer (apart from entry 255, where exp(0) = 1 is exact). We use
//    Math.exp.
import { f32, roundHalfEven } from './float32.js';

// --- glibc expf (sysdeps/ieee754/flt-32/e_expf.c, data in e_exp2f_data.c, glibc >= 2.27) ---
// exp(x) = 2^(k/32) * 2^(r/32) with k = round(x * 32/ln2), r the remainder, and 2^(r/32)
// approximated by a cubic. The constants are glibc's (numeric facts needed for bit-exactness).

const EXPF_TABLE_BITS = 5;
const EXPF_N = 1 << EXPF_TABLE_BITS;
/** 32/ln2, as glibc stores it (0x1.71547652b82fep+0 * 32). */
const EXPF_INV_LN2_N = 0x171547652b82fe / 2 ** 52 * EXPF_N;
/** 1.5 * 2^52: adding it rounds a double below 2^51 in magnitude to an integer, ties to even. */
const ROUND_SHIFT = 1.5 * 2 ** 52;
/** The cubic's coefficients (glibc's poly_scaled: each divided by a power of 32). */
const EXPF_C0 = 0x1c6af84b912394 / 2 ** 57 / EXPF_N ** 3;
const EXPF_C1 = 0x1ebfce50fac4f3 / 2 ** 55 / EXPF_N ** 2;
const EXPF_C2 = 0x162e42ff0c52d6 / 2 ** 53 / EXPF_N;
/** Above log(2^128) the result overflows; below log(2^-150) it underflows to +0. */
const EXPF_OVERFLOW = 0x162e42e / 2 ** 18; // 0x1.62e42ep6
const EXPF_UNDERFLOW = -0x19fe368 / 2 ** 18; // -0x1.9fe368p6

/**
 * 2^(j/32) for j = 0..31, each rounded to the nearest double: glibc's table holds exactly these
 * values (with j/32 folded into the exponent bits). Computed here with integers: the
 * 53-bit significand m of 2^(j/32) is round(2^(52 + j/32)), i.e. the integer whose 32nd power
 * is nearest below or above 2^(52*32 + j).
 */
function exp2Table(): Float64Array {
  const out = new Float64Array(EXPF_N);
  for (let j = 0; j < EXPF_N; j++) {
    const target = 1n << BigInt(52 * EXPF_N + j);
    // floor of the 32nd root by bisection over [2^52, 2^53).
    let lo = 1n << 52n;
    let hi = 1n << 53n;
    while (hi - lo > 1n) {
      const mid = (lo + hi) >> 1n;
      if (mid ** BigInt(EXPF_N) <= target) lo = mid;
      else hi = mid;
    }
    // Round to nearest: compare (lo + 1/2)^32 with the target, i.e. (2lo+1)^32 with 2^32 target.
    const up = (2n * lo + 1n) ** BigInt(EXPF_N) <= target << BigInt(EXPF_N);
    out[j] = Number(up ? lo + 1n : lo) / 2 ** 52;
  }
  return out;
}

let exp2TableCache: Float64Array | undefined;
/** Exact powers of two 2^q for the k/32 exponents reached (q in [-160, 130]). */
let pow2Cache: Float64Array | undefined;
const POW2_BIAS = 160;

function tables(): { t: Float64Array; p: Float64Array } {
  if (!exp2TableCache || !pow2Cache) {
    exp2TableCache = exp2Table();
    pow2Cache = new Float64Array(POW2_BIAS + 131);
    let v = 1;
    for (let q = 0; q <= 130; q++, v *= 2) pow2Cache[POW2_BIAS + q] = v;
    v = 1;
    for (let q = 0; q <= POW2_BIAS; q++, v /= 2) pow2Cache[POW2_BIAS - q] = v;
  }
  return { t: exp2TableCache, p: pow2Cache };
}

/** The 2^(j/32) table, exposed for tests (glibc's e_exp2f_data.c holds the same doubles). */
export function expfTable(): Float64Array {
  return Float64Array.from(tables().t);
}

/**
 * expf(x) exactly as glibc >= 2.27 computes it on x86-64 (generic build; see the header for
 * the FMA build). x must be a binary32 value; the result is one.
 */
export function glibcExpf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax >= 88) {
    if (x === -Infinity) return 0;
    if (x === Infinity) return x;
    if (x > EXPF_OVERFLOW) return Infinity;
    if (x < EXPF_UNDERFLOW) return 0;
  }
  const { t, p } = tables();
  const z = EXPF_INV_LN2_N * x;
  const k = z + ROUND_SHIFT - ROUND_SHIFT; // round(z), ties to even, as glibc's shift trick does
  const r = z - k;
  // 2^(k/32) = 2^(j/32) * 2^q with k = 32q + j, 0 <= j < 32; the scaling by 2^q is exact.
  const j = k & (EXPF_N - 1);
  const s = t[j]! * p[POW2_BIAS + (k - j) / EXPF_N]!;
  const c = EXPF_C0 * r + EXPF_C1;
  const r2 = r * r;
  let y = EXPF_C2 * r + 1;
  y = c * r2 + y;
  return f32(y * s);
}

// --- the tables ---

/**
 * QNNPACK sigmoid table (sigmoid.c; output scale 1/256, zero point 0, limits 0..255):
 * x = f32(X.scale * (i - X.zp)), v = f32(256 / f32(1 + expf(-x))), clamped to [0, 255],
 * entry = lrintf(v).
 */
export function sigmoidLut(inputScale: number, inputZeroPoint: number, outputMin = 0, outputMax = 255): Uint8Array {
  const s = f32(inputScale);
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const x = f32(s * (i - inputZeroPoint));
    let v = f32(256 / f32(1 + glibcExpf(-x)));
    if (v < outputMin) v = outputMin;
    if (v > outputMax) v = outputMax;
    lut[i] = roundHalfEven(v);
  }
  return lut;
}

/** The scale factor of the soft-argmax table: min(UINT32_MAX / channels, 2^23 - 1), in double. */
export function softargmaxTableScale(channels: number): number {
  return Math.min(4294967295 / channels, 8388607);
}

/**
 * QNNPACK soft-argmax table (softargmax.c), in double precision:
 * entry i = lrint(q * exp((i - 255) * X.scale)) with q from softargmaxTableScale, so that a
 * row's sum of entries fits 32 bits. Entry 255 (exp(0) = 1) is lrint(q), which is an exact
 * .5 tie for some channel counts (e.g. 1542), resolved to even.
 */
export function softargmaxLut(inputScale: number, channels: number): Uint32Array {
  const q = softargmaxTableScale(channels);
  const s = f32(inputScale);
  const lut = new Uint32Array(256);
  for (let i = 0; i < 256; i++) lut[i] = roundHalfEven(q * Math.exp((i - 255) * s));
  return lut;
}

/**
 * QNNPACK leaky-relu table (leaky-relu.c): with r = f32(X.scale / Y.scale),
 * x = f32(r * (i - X.zp)), y = x < 0 ? f32(x * alpha) : x, clamped to
 * [min - Y.zp, max - Y.zp], entry = uint8(lrintf(y) + Y.zp). Zero points are the uint8 values.
 */
export function leakyReluLut(
  inputScale: number,
  inputZeroPoint: number,
  outputScale: number,
  outputZeroPoint: number,
  alpha: number,
  outputMin = 0,
  outputMax = 255,
): Uint8Array {
  const ratio = f32(f32(inputScale) / f32(outputScale));
  const slope = f32(alpha);
  const lo = outputMin - outputZeroPoint;
  const hi = outputMax - outputZeroPoint;
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    const x = f32(ratio * (i - inputZeroPoint));
    let y = x < 0 ? f32(x * slope) : x;
    if (y < lo) y = lo;
    if (y > hi) y = hi;
    lut[i] = (roundHalfEven(y) + outputZeroPoint) & 255;
  }
  return lut;
}

/** QNNPACK's x8lut kernel: y[i] = table[x[i]]. */
export function applyLut(lut: Uint8Array, x: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < x.length; i++) out[i] = lut[x[i]!]!;
}
