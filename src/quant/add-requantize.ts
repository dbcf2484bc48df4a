// QNNPACK's quantized elementwise add (SEMANTICS.md §3.3): the parameter checks of
// qnnp_create_add_nc_q8 (QNNPACK src/add.c), the fixed-point parameters of
// qnnp_compute_add_quantization_params (src/qnnpack/requantization.h) and the per-element
// arithmetic of the q8vadd SSE2 micro-kernel (src/q8vadd/sse2.c; its scalar n<8 loop gives the
// same integers). Every value here fits an int32, so plain JS numbers are exact.
import { Caffe2Error } from '../errors.js';
import { f32, float32Bits, formatScale, isNormalFloat32, roundHalfEven } from './float32.js';

const TWO_POW_M14 = 2 ** -14;
const TWO_POW_8 = 256;

export interface AddQuantization {
  /** f32(a_scale / y_scale) and f32(b_scale / y_scale), as QNNPACK validates them. */
  aRatio: number;
  bRatio: number;
  /** 22-bit multipliers: round_half_even(ratio * 2^shift); the larger one is in [2^21, 2^22). */
  aMultiplier: number;
  bMultiplier: number;
  /** -(aMultiplier * a_zp + bMultiplier * b_zp), folded into every accumulator. */
  zeroPointProduct: number;
  /** 21 - exponent(max ratio), in [14, 31] (ratios whose maximum is below 2^-10 are refused). */
  shift: number;
  /** Output zero point and clamp, all already narrowed to uint8. */
  yZeroPoint: number;
  yMin: number;
  yMax: number;
}

export interface AddOperands {
  /** Zero points as QNNPACK receives them (uint8_t); callers narrow with `& 255`. */
  aZeroPoint: number;
  aScale: number;
  bZeroPoint: number;
  bScale: number;
  yZeroPoint: number;
  yScale: number;
  yMin: number;
  yMax: number;
}

function fail(reason: string): Caffe2Error {
  return new Caffe2Error(`failed to create QNNPACK add operator: ${reason}`);
}

/**
 * Validates the operands in the order qnnp_create_add_nc_q8 does (scales positive and normal,
 * y_min < y_max, each input-to-output ratio in [2^-14, 2^8)) and derives the fixed-point
 * parameters. Every refusal is the CAFFE_ENFORCE Caffe2 raises on a failed create status.
 */
export function addQuantization(p: AddOperands): AddQuantization {
  for (const [what, s] of [['A', p.aScale], ['B', p.bScale], ['output', p.yScale]] as const) {
    if (!(s > 0) || !isNormalFloat32(s)) throw fail(`${what} scale ${formatScale(s)} must be finite, positive and normal`);
  }
  if (p.yMin >= p.yMax) {
    throw fail(`output range [${p.yMin}, ${p.yMax}] is empty: QNNPACK requires the range min to be below the range max`);
  }
  // QNNPACK add.c: both ratios are float divisions checked against [2^-14, 2^8).
  const aRatio = f32(p.aScale / p.yScale);
  const bRatio = f32(p.bScale / p.yScale);
  for (const [what, r] of [['A', aRatio], ['B', bRatio]] as const) {
    if (r < TWO_POW_M14 || r >= TWO_POW_8) {
      throw fail(`${what}-to-output scale ratio ${formatScale(r)} must be in the range [2^-14, 2^8)`);
    }
  }
  // requantization.h: the shift comes from the exponent of the larger ratio, so that ratio's
  // multiplier lands in [2^21, 2^22); ratio * 2^shift is exact in float and lrintf rounds half to even.
  const maxRatio = aRatio > bRatio ? aRatio : bRatio;
  const exponent = ((float32Bits(maxRatio) >>> 23) & 0xff) - 127;
  const shift = 21 - exponent;
  // The ratio checks allow a shift up to 35, but QNNPACK only asserts shift < 32: beyond that
  // its 32-bit shifts are undefined (x86 masks the count for the mask and the scalar path,
  // while the SSE2 psrad saturates), so the bytes depend on the build. Caffe2 does not check.
  if (shift > 31) {
    throw new Caffe2Error(
      `QNNPACK add with scale ratios ${formatScale(aRatio)} and ${formatScale(bRatio)}: the larger ratio is below 2^-10, which needs a shift of ${shift} > 31 (QNNPACK only asserts this; the result is undefined)`,
      {},
      'invalid',
    );
  }
  const aMultiplier = roundHalfEven(f32(aRatio * 2 ** shift));
  const bMultiplier = roundHalfEven(f32(bRatio * 2 ** shift));
  return {
    aRatio,
    bRatio,
    aMultiplier,
    bMultiplier,
    // uint32 arithmetic upstream; both products stay below 2^30, so the negation is exact.
    zeroPointProduct: -(aMultiplier * p.aZeroPoint + bMultiplier * p.bZeroPoint),
    shift,
    yZeroPoint: p.yZeroPoint,
    yMin: p.yMin,
    yMax: p.yMax,
  };
}

/**
 * One output element: acc = zpp + a*am + b*bm (|acc| < 2^31), an arithmetic right shift
 * rounded half away from zero (the remainder test of q8vadd), then + y_zp and the clamp.
 * The SSE2 path saturates to int16 and uint8 before the clamp, which gives the same byte.
 */
export function addElement(q: AddQuantization, a: number, b: number): number {
  const acc = q.zeroPointProduct + a * q.aMultiplier + b * q.bMultiplier;
  const mask = 2 ** q.shift - 1;
  const remainder = (acc & mask) - (acc < 0 ? 1 : 0);
  const v = (acc >> q.shift) + (remainder > mask >>> 1 ? 1 : 0) + q.yZeroPoint;
  return v < q.yMin ? q.yMin : v > q.yMax ? q.yMax : v;
}

/** The whole vector, as q8vadd runs it over `batch = numel` elements with stride 1. */
export function addVectors(q: AddQuantization, a: Uint8Array, b: Uint8Array, out: Uint8Array): void {
  const { aMultiplier: am, bMultiplier: bm, zeroPointProduct: zpp, shift, yZeroPoint: yzp, yMin, yMax } = q;
  const mask = 2 ** shift - 1;
  const threshold = mask >>> 1;
  for (let i = 0; i < out.length; i++) {
    const acc = zpp + a[i]! * am + b[i]! * bm;
    const v = (acc >> shift) + (((acc & mask) - (acc < 0 ? 1 : 0)) > threshold ? 1 : 0) + yzp;
    out[i] = v < yMin ? yMin : v > yMax ? yMax : v;
  }
}
