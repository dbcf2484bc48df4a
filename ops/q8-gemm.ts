// What QNNPACK's GEMM-shaped int8 kernels (conv, fully connected, deconvolution) have in common:
// weights centred on their zero point, the dot product over one contiguous run of channels, and
// the output stage (Q31 requantization, output zero point, activation clamp).
import { requantizeQ31, type Q31Requantization } from '../src/quant/q31-requantize.js';

/** QNNPACK's output stage, frozen when the operator is created (qnnp_conv_quantization_params). */
export interface Q8OutputStage {
  requant: Q31Requantization;
  /** Output zero point as QNNPACK holds it: the Caffe2 value narrowed to uint8_t. */
  zeroPoint: number;
  min: number;
  max: number;
}

/** The output stage; `min` is 0, or the output zero point's clamp for fused Relu. */
export function q8OutputStage(requant: Q31Requantization, outputZeroPoint: number, min = 0): Q8OutputStage {
  // Caffe2 passes zero points as uint8_t parameters, so 300 reaches QNNPACK as 44.
  return { requant, zeroPoint: outputZeroPoint & 255, min, max: 255 };
}

/**
 * Σ_{i<length} (x[xOffset+i] - xZeroPoint) · w[wOffset+i], where w already holds (weight - kernel
 * zero point). Exact in a double for any realistic length (each term is below 2^16 in magnitude);
 * the caller wraps the total to int32 as the kernels' int32 lanes do.
 */
export function dotQ8(x: Uint8Array, xOffset: number, xZeroPoint: number, w: Int16Array, wOffset: number, length: number): number {
  let acc = 0;
  for (let i = 0; i < length; i++) acc += (x[xOffset + i]! - xZeroPoint) * w[wOffset + i]!;
  return acc;
}

/**
 * One output byte from an accumulator: wrap to int32 (the q8gemm/q8conv lanes are int32 and
 * the packed bias folds the zero-point terms in mod 2^32), Q31 requantization, zero point, clamp.
 */
export function requantizeToUint8(acc: number, stage: Q8OutputStage): number {
  const v = requantizeQ31(acc | 0, stage.requant.multiplier, stage.requant.shift) + stage.zeroPoint;
  return v < stage.min ? stage.min : v > stage.max ? stage.max : v;
}

/** (w - kernelZeroPoint) for every weight byte (in [-255, 255]), as QNNPACK's packed kernel effectively holds. */
export function centeredWeights(w: Uint8Array, count: number, kernelZeroPoint: number): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = w[i]! - kernelZeroPoint;
  return out;
}
