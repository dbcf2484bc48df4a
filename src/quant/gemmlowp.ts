// The gemmlowp fixed-point helpers Caffe2 uses outside QNNPACK (only Int8RoIAlign in the
// final sources): QuantizeMultiplierSmallerThanOne from caffe2/operators/quantized/int8_utils.h,
// and SaturatingRoundingDoublingHighMul / RoundingDivideByPOT from gemmlowp's
// fixedpoint/fixedpoint.h. Everything here is integer-exact on plain JS numbers (no BigInt).
import { Caffe2Error } from '../errors.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_POW_15 = 32768;
const TWO_POW_16 = 65536;
const TWO_POW_30 = 1073741824;
const TWO_POW_31 = 2147483648;

export interface QuantizedMultiplier {
  /** Q31 mantissa: 0, or in [2^30, 2^31). */
  multiplier: number;
  /** Right shift applied after the Q31 multiply; >= 0 (may exceed 31 for tiny multipliers). */
  shift: number;
}

/** C frexp for a finite positive double: d = q * 2^e with q in [0.5, 1). */
function frexpPositive(d: number): { q: number; e: number } {
  let e = Math.floor(Math.log2(d)) + 1;
  // log2 can be off by one near powers of two; settle it exactly. 2^e stays representable
  // (>= 2^-1074) because d >= 2^-1074, so the division below is exact.
  if (e < -1073) e = -1073;
  let q = d / 2 ** e;
  while (q >= 1) {
    e += 1;
    q = d / 2 ** e;
  }
  while (q < 0.5) {
    e -= 1;
    q = d / 2 ** e;
  }
  return { q, e };
}

/** Round half to even on an exact double (C nearbyint in the default mode). */
function nearbyint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * int8_utils.h QuantizeMultiplierSmallerThanOne: (q, e) = frexp(d), multiplier =
 * nearbyint(q * 2^31) and shift = -e, with a carry to 2^31 folded back into the shift.
 * Its CHECKs (0 <= d < 1, shift >= 0) abort Caffe2, so they throw with kind 'fatal'.
 */
export function quantizeMultiplierSmallerThanOne(d: number): QuantizedMultiplier {
  if (!(d >= 0)) throw new Caffe2Error(`Check failed: double_multiplier >= 0. (multiplier ${d})`, {}, 'fatal');
  if (!(d < 1)) throw new Caffe2Error(`Check failed: double_multiplier < 1. (multiplier ${d})`, {}, 'fatal');
  if (d === 0) return { multiplier: 0, shift: 0 };
  const { q, e } = frexpPositive(d);
  let shift = 0 - e; // not -e, which gives -0 for e = 0
  // q * 2^31 is exact (a power-of-two scaling), so only the rounding to an integer matters.
  let qFixed = nearbyint(q * TWO_POW_31);
  if (qFixed === TWO_POW_31) {
    qFixed /= 2;
    shift -= 1;
  }
  if (!(shift >= 0)) {
    throw new Caffe2Error(`Check failed: *right_shift >= 0 (${shift} vs. 0): multiplier ${d} rounds up to 1.0`, {}, 'fatal');
  }
  return { multiplier: qFixed, shift };
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul on int32 a, b: the high 32 bits of 2*a*b with
 * the 64-bit product nudged by +2^30 (or 1-2^30 when negative) and divided by 2^31 with C's
 * truncation toward zero; INT32_MIN*INT32_MIN saturates to INT32_MAX.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  a |= 0;
  b |= 0;
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const negative = a < 0 !== b < 0 && a !== 0 && b !== 0;
  const ua = Math.abs(a);
  const ub = Math.abs(b);
  // |ab| = hi*2^16 + lo, each partial product below 2^47 and so exact.
  const hi = ua * Math.floor(ub / TWO_POW_16);
  const lo = ua * (ub % TWO_POW_16);
  // (|ab| + nudge') / 2^31 where nudge' is 2^30 for a positive product and 2^30 - 1 for a
  // negative one: trunc((ab + nudge)/2^31) = sign * floor((|ab| + nudge')/2^31).
  const nudge = negative ? TWO_POW_30 - 1 : TWO_POW_30;
  const hiQ = Math.floor(hi / TWO_POW_15); // hi*2^16 = hiQ*2^31 + hiR*2^16
  const hiR = hi - hiQ * TWO_POW_15;
  const rest = hiR * TWO_POW_16 + lo + nudge; // < 2^48, exact
  const magnitude = hiQ + Math.floor(rest / TWO_POW_31);
  return (negative ? -magnitude : magnitude) | 0; // never above 2^31 - 1 in magnitude; | 0 also drops -0
}

/**
 * gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
 * gemmlowp only asserts 0 <= exponent <= 31 (a larger shift is undefined behaviour in C);
 * we refuse it.
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 31) {
    throw new Caffe2Error(`RoundingDivideByPOT exponent ${exponent} is outside [0, 31] (gemmlowp only asserts this)`, {}, 'invalid');
  }
  x |= 0;
  const mask = exponent === 31 ? INT32_MAX : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** int8_utils.h MultiplyByQuantizedMultiplierSmallerThanOne: RDBP(SRDHM(x, m), shift). */
export function multiplyByQuantizedMultiplierSmallerThanOne(x: number, multiplier: number, shift: number): number {
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), shift);
}
