// QNNPACK's average-pooling arithmetic (SEMANTICS.md §3.4): the create-time scale checks of
// qnnp_create_average_pooling2d_nhwc_q8 / qnnp_create_global_average_pooling_nwc_q8, the
// parameters of qnnp_compute_avgpool_quantization_params (QNNPACK src/qnnpack/requantization.h),
// and the output stage of the SSE2 q8avgpool / q8gavgpool micro-kernels.
//
// The kernels add `bias = -zp·rows` to the sum of the window's bytes; padded and surplus rows
// read a buffer whose bytes cancel that bias, so the int32 accumulator is wrap32(Σ (x - zp))
// over the real taps. It is then scaled by a 24-bit multiplier with one rounding (half away from
// zero at 2^-shift), saturated to int16, offset by the output zero point and clamped.
import { Caffe2Error } from '../errors.js';
import { f32, float32Bits, formatScale, isNormalFloat32 } from './float32.js';

export interface AvgPoolRequantization {
  /** float32 in_scale / (out_scale · N), the value QNNPACK derives the multiplier from. */
  scale: number;
  /** 24-bit mantissa of `scale`, in [2^23, 2^24). */
  multiplier: number;
  /** Right shift after the product, in [16, 55]: scale = multiplier · 2^-shift exactly. */
  shift: number;
}

const TWO_POW_M32 = 2 ** -32;
const TWO_POW_M8 = 2 ** -8;
const TWO_POW_8 = 2 ** 8;

/**
 * The scale checks QNNPACK runs when it creates an (global) average-pooling operator: both scales
 * positive and normal (invalid parameter), then f32(in/out) in [2^-8, 2^8) (unsupported parameter).
 * `what` names the operator in the message, e.g. "Average Pooling".
 */
export function checkAvgPoolScales(inputScale: number, outputScale: number, what: string): void {
  const fail = (why: string): never => {
    throw new Caffe2Error(`failed to create QNNPACK ${what} operator: ${why}`);
  };
  if (!(inputScale > 0) || !isNormalFloat32(inputScale)) fail(`input scale ${formatScale(inputScale)} must be finite, positive and normal`);
  if (!(outputScale > 0) || !isNormalFloat32(outputScale)) fail(`output scale ${formatScale(outputScale)} must be finite, positive and normal`);
  const ratio = f32(inputScale / outputScale);
  if (ratio < TWO_POW_M8 || ratio >= TWO_POW_8) {
    fail(
      `input-to-output scale ratio ${formatScale(ratio)} = ${formatScale(inputScale)} / ${formatScale(outputScale)} must lie in [2^-8, 2^8), which QNNPACK requires`,
    );
  }
}

/**
 * qnnp_compute_avgpool_quantization_params for N pooled elements: scale = f32(in / f32(out · f32(N))),
 * multiplier = its 24-bit mantissa, shift = 150 - biased exponent. QNNPACK only asserts
 * 2^-32 <= scale < 256; we refuse a scale outside that range (kind 'invalid').
 */
export function avgPoolRequantization(inputScale: number, outputScale: number, count: number): AvgPoolRequantization {
  const scale = f32(inputScale / f32(outputScale * f32(count)));
  if (!(scale >= TWO_POW_M32 && scale < 256)) {
    throw new Caffe2Error(
      `average pooling over ${count} elements gives the requantization scale ${formatScale(scale)} = ${formatScale(inputScale)} / (${formatScale(outputScale)} * ${count}), outside [2^-32, 256) (QNNPACK only asserts this)`,
      {},
      'invalid',
    );
  }
  const bits = float32Bits(scale);
  return { scale, multiplier: (bits & 0x7fffff) | 0x800000, shift: 150 - (bits >>> 23) };
}

const TWO_POW_53 = 2 ** 53;

/**
 * Scales an int32 accumulator as the SSE2 kernels do: |acc| (as an unsigned 32-bit value) times
 * the multiplier, plus 2^(shift-1), shifted right by `shift`, truncated to 32 bits, sign restored.
 * The result is rounded half away from zero; it is returned before the output zero point.
 */
export function scaleAvgPoolAccumulator(acc: number, multiplier: number, shift: number): number {
  const negative = acc < 0;
  const magnitude = negative ? -acc : acc; // |INT32_MIN| = 2^31 is still exact here
  const product = magnitude * multiplier;
  let scaled: number;
  if (product < TWO_POW_53) {
    // product is exact; floor((p + 2^(s-1)) / 2^s) = floor((floor(p / 2^(s-1)) + 1) / 2).
    scaled = Math.floor((Math.floor(product / 2 ** (shift - 1)) + 1) / 2);
  } else {
    // Only reachable with |acc| >= 2^29 (pooling areas near QNNPACK's 2^24 limit).
    const p = BigInt(magnitude) * BigInt(multiplier) + (1n << BigInt(shift - 1));
    scaled = Number(p >> BigInt(shift));
  }
  // The kernels keep the low 32 bits of each 64-bit lane before restoring the sign (ToInt32 is
  // exactly that modulo 2^32).
  const low = scaled | 0;
  return negative ? -low | 0 : low;
}

/** The int16 saturations of packs_epi32 / adds_epi16, then packus_epi16 and the min/max clamp. */
export function avgPoolOutputByte(scaled: number, zeroPoint: number, outMin: number, outMax: number): number {
  let v = scaled < -32768 ? -32768 : scaled > 32767 ? 32767 : scaled;
  v += zeroPoint;
  v = v > 32767 ? 32767 : v; // zeroPoint is a uint8, so only the upper bound can saturate
  v = v < 0 ? 0 : v > 255 ? 255 : v;
  if (v > outMax) v = outMax;
  if (v < outMin) v = outMin;
  return v;
}
