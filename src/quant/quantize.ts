// Float <-> uint8 conversion as Caffe2's Int8Quantize / Int8Dequantize do it on x86
// (caffe2/operators/quantized/int8_utils.h, int8_quantize_op.h, int8_dequantize_op.h).
import { clamp, f32, roundHalfEven } from './float32.js';

const INT32_MIN = -2147483648;
const TWO_POW_31 = 2147483648;

/**
 * clamp(zp + int32(nearbyintf(x / scale)), 0, 255), with the division in float32.
 * On x86 the float->int32 conversion of NaN or of a value outside int32 gives INT32_MIN
 * (cvttss2si's "integer indefinite"), so such inputs saturate to 0, even +inf.
 */
export function quantizeUint8(scale: number, zeroPoint: number, x: number): number {
  const r = roundHalfEven(f32(x / scale));
  const q = Number.isNaN(r) || r >= TWO_POW_31 || r < -TWO_POW_31 ? INT32_MIN : r;
  return clamp(zeroPoint + q, 0, 255);
}

/** float32((q - zp) * scale), the tensor's own scale and zero point. */
export function dequantizeUint8(scale: number, zeroPoint: number, q: number): number {
  return f32((q - zeroPoint) * scale);
}

/** The activation clamp of a fused Relu: the quantized value of 0.0 (caffe2 int8_utils activationLimits). */
export function reluLowerBound(yScale: number, yZeroPoint: number): number {
  return quantizeUint8(yScale, yZeroPoint, 0);
}
