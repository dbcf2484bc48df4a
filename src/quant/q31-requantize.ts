// QNNPACK's fixed-point requantization for convolution, deconvolution and fully-connected
// ops (qnnp_compute_conv_quantization_params in QNNPACK src/qnnpack/requantization.h and the
// SSE2 gemm/conv kernels). Integer-exact without BigInt.
import { Caffe2Error } from '../errors.js';
import { f32, float32Bits, formatScale, isNormalFloat32 } from './float32.js';

export interface Q31Requantization {
  /** float32 in_scale * kernel_scale / out_scale, the value QNNPACK validates. */
  scale: number;
  /** Q31 mantissa in [2^30, 2^31). */
  multiplier: number;
  /** Right shift after the Q31 product, in [0, 31]. */
  shift: number;
}

const TWO_POW_M32 = 2 ** -32;

/** Checks each scale as qnnp_create_* does (positive and normal), naming the offending one. */
export function checkQnnpackScale(what: string, s: number, opKind: string): void {
  if (!(s > 0) || !isNormalFloat32(s)) {
    throw new Caffe2Error(`failed to create QNNPACK ${opKind} object: ${what} scale ${formatScale(s)} must be finite, positive and normal`);
  }
}

/**
 * The requantization scale f32(f32(in*k)/out) and its Q31 form. QNNPACK refuses a scale
 * >= 1 (unsupported parameter) and only asserts scale >= 2^-32; we refuse both.
 */
export function q31Requantization(inScale: number, kernelScale: number, outScale: number, opKind: string): Q31Requantization {
  checkQnnpackScale('input', inScale, opKind);
  checkQnnpackScale('kernel', kernelScale, opKind);
  checkQnnpackScale('output', outScale, opKind);
  const scale = f32(f32(inScale * kernelScale) / outScale);
  if (scale >= 1) {
    throw new Caffe2Error(
      `failed to create QNNPACK ${opKind} object: requantization scale ${formatScale(scale)} = input scale ${formatScale(inScale)} * weight scale ${formatScale(kernelScale)} / output scale ${formatScale(outScale)} is >= 1.0, which QNNPACK does not support`,
    );
  }
  if (!(scale >= TWO_POW_M32)) {
    throw new Caffe2Error(
      `failed to create QNNPACK ${opKind} object: requantization scale ${formatScale(scale)} is below 2^-32 (QNNPACK only asserts this)`,
    );
  }
  const bits = float32Bits(scale);
  return { scale, multiplier: ((bits & 0x7fffff) | 0x800000) * 128, shift: 126 - (bits >>> 23) };
}

/**
 * Requantizes an int32 accumulator: q31 = floor((acc*multiplier + 2^30) / 2^31), then a
 * rounding right shift by `shift` with ties away from zero. Two roundings happen, so this is
 * not always round(acc*scale) (see SEMANTICS.md §3.2). Returns the value before the zero point.
 *
 * acc*multiplier needs 62 bits; it is split so every intermediate is an exact double:
 * multiplier = hi*2^15 + lo, acc*hi = A (< 2^47) = Ah*2^16 + Al, and then
 * acc*multiplier + 2^30 = Ah*2^31 + (Al*2^15 + acc*lo + 2^30).
 */
export function requantizeQ31(acc: number, multiplier: number, shift: number): number {
  const hi = Math.floor(multiplier / 32768);
  const lo = multiplier - hi * 32768;
  const a = acc * hi;
  const ah = Math.floor(a / 65536);
  const al = a - ah * 65536;
  const q31 = (ah + Math.floor((al * 32768 + acc * lo + 1073741824) / 2147483648)) | 0;
  const mask = 2 ** shift - 1;
  const threshold = Math.floor(mask / 2);
  const remainder = (q31 & mask) - (q31 < 0 ? 1 : 0);
  return (q31 >> shift) + (remainder > threshold ? 1 : 0);
}
