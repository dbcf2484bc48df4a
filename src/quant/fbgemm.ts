// FBGEMM's quantization arithmetic as Caffe2's DNNLOWP engine uses it (pytorch/FBGEMM v0.6.0:
// src/QuantUtils.cc, include/fbgemm/QuantUtils.h, src/QuantUtilsAvx2.cc, the requantization
// epilogue of src/OutputProcessing and the vpmaddubsw-based int8 kernels), plus the pieces of
// caffe2/quantization/server/dnnlowp.{h,cc} that pick quantization parameters.
//
// Every step that C++ does in float is mirrored with Math.fround; steps done in double stay in
// double. x86 conversions (cvtps2dq, lrintf) are modelled including their out-of-range results.
import { f32 } from './float32.js';

const INT32_MIN = -2147483648;
const TWO_POW_31 = 2147483648;
const TWO_POW_63 = 9223372036854775808;
const FLT_MAX = 3.4028234663852886e38;

// ---------------------------------------------------------------------------------------------
// Exact float32 primitives
// ---------------------------------------------------------------------------------------------

const bits32 = new DataView(new ArrayBuffer(4));

/** The float32 after x (x a finite float32), towards +infinity. */
function nextUpF32(x: number): number {
  if (x === 0) return 1.401298464324817e-45;
  bits32.setFloat32(0, x);
  const b = bits32.getUint32(0);
  bits32.setUint32(0, x > 0 ? b + 1 : b - 1);
  return bits32.getFloat32(0);
}

/** The float32 before x (x a finite float32), towards -infinity. */
function nextDownF32(x: number): number {
  return -nextUpF32(-x);
}

/**
 * C fmaf / _mm256_fmadd_ps: a·b + c rounded once to float32 (a, b, c float32 values).
 * a·b is exact in double (24 + 24 significant bits); adding c can round, so the exact sum is
 * kept as s + e (TwoSum) and e breaks the tie when s falls exactly half-way between two floats.
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return f32(s);
  const bv = s - p;
  const e = (p - (s - bv)) + (c - bv);
  const r = f32(s);
  if (e === 0 || r === s) return r;
  if (!Number.isFinite(r)) {
    // s rounded up to infinity: only the exact midpoint above FLT_MAX can come back down
    const top = Math.sign(s) * FLT_MAX;
    return Math.abs(s - top) === 2 ** 103 && e * s < 0 ? top : r;
  }
  // r is the float32 nearest to s; other is the float32 on s's other side
  const other = s > r ? nextUpF32(r) : nextDownF32(r);
  if (Math.abs(s - r) !== Math.abs(other - s)) return r;
  return e > 0 ? Math.max(r, other) : Math.min(r, other);
}

/** x86 cvtps2dq / _mm256_cvtps_epi32: round half to even; NaN and out-of-range give INT32_MIN. */
export function cvtps2dq(v: number): number {
  if (!(v >= -TWO_POW_31 && v < TWO_POW_31)) return INT32_MIN;
  return roundEven(v);
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Saturate to int16 (packssdw, and vpmaddubsw's pair sum). */
export function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/**
 * One int16 lane of vpmaddubsw: x0·w0 + x1·w1 with signed saturation, for uint8 x and int8 w.
 * FBGEMM's AVX2 and AVX512 (non-VNNI) int8 kernels sum adjacent K pairs this way before
 * widening to int32; AVX512-VNNI's vpdpbusd does not saturate.
 */
export function maddubsPair(x0: number, w0: number, x1: number, w1: number): number {
  return sat16(x0 * w0 + x1 * w1);
}

// ---------------------------------------------------------------------------------------------
// Quantization parameters
// ---------------------------------------------------------------------------------------------

export interface QuantParams {
  /** A float32 value. */
  scale: number;
  zeroPoint: number;
}

/** fbgemm SMALL_SCALE_THRESHOLD: scales below float16's smallest normal are raised to it. */
export const SMALL_SCALE_THRESHOLD = f32(6.1e-5);

/**
 * fbgemm::ChooseQuantizationParams (QuantUtils.cc, v0.6.0): the range is widened to include 0,
 * scale = float((double(max) - min) / (qmax - qmin)) (0.1 when that is 0 or its reciprocal
 * overflows), the 6.1e-5 floor, then the zero point from the endpoint with the smaller error,
 * clamped and rounded half to even. min and max must be finite.
 */
export function chooseQuantizationParams(
  minIn: number,
  maxIn: number,
  qmin: number,
  qmax: number,
  preserveSparsity = false,
  forceScalePowerOfTwo = false,
): QuantParams {
  let min = f32(minIn);
  let max = f32(maxIn);
  if (min < 0 && max > 0 && preserveSparsity) {
    const symmetricQmin = -(Math.trunc((qmax - qmin) / 2) + 1);
    const symmetricQmax = Math.trunc((qmax - qmin) / 2);
    // float divisions, std::max of floats, then double products stored back to float
    const maxScale = Math.max(Math.abs(f32(min / symmetricQmin)), Math.abs(f32(max / symmetricQmax)));
    min = f32(maxScale * symmetricQmin);
    max = f32(maxScale * symmetricQmax);
  }
  min = Math.min(min, 0);
  max = Math.max(max, 0);

  let scale = f32((max - min) / (qmax - qmin));
  if (scale === 0 || !Number.isFinite(f32(1 / scale))) scale = f32(0.1);

  if (forceScalePowerOfTwo) {
    if (scale < 1) scale = f32(1 / 2 ** Math.floor(Math.log2(1 / scale)));
    else scale = f32(2 ** Math.ceil(Math.log2(scale)));
  }

  if (scale < SMALL_SCALE_THRESHOLD) {
    const orgScale = scale;
    scale = SMALL_SCALE_THRESHOLD;
    if (min === 0) {
      max = f32(SMALL_SCALE_THRESHOLD * (qmax - qmin));
    } else if (max === 0) {
      min = f32(-SMALL_SCALE_THRESHOLD * (qmax - qmin));
    } else {
      const amplifier = f32(SMALL_SCALE_THRESHOLD / orgScale);
      min = f32(min * amplifier);
      max = f32(max * amplifier);
    }
  }

  // zero point in double, from whichever endpoint adds the smaller terms
  const zeroPointFromMin = qmin - min / scale;
  const zeroPointFromMax = qmax - max / scale;
  const zeroPointFromMinError = Math.abs(qmin) + Math.abs(min / scale);
  const zeroPointFromMaxError = Math.abs(qmax) + Math.abs(max / scale);
  let initialZeroPoint = zeroPointFromMinError < zeroPointFromMaxError ? zeroPointFromMin : zeroPointFromMax;
  if (min < 0 && max > 0 && preserveSparsity) initialZeroPoint = (qmin + qmax) / 2;

  let zeroPoint: number;
  if (initialZeroPoint < qmin) zeroPoint = qmin;
  else if (initialZeroPoint > qmax) zeroPoint = qmax;
  else zeroPoint = roundEven(initialZeroPoint);
  return { scale, zeroPoint };
}

/**
 * fbgemm::FindMinMax (QuantUtilsAvx2.cc) over values[offset, offset+len): eight vminps/vmaxps
 * lanes over the whole blocks, reduced with std::min/std::max, then the tail. For finite data
 * this is the plain min and max; the lane order only matters for NaN. len 0 gives (0, 0).
 */
export function findMinMax(values: ArrayLike<number>, offset: number, len: number): { min: number; max: number } {
  if (len <= 0) return { min: 0, max: 0 };
  let min = values[offset]!;
  let max = min;
  let i = 0;
  if (len >= 8) {
    const minLanes = new Array<number>(8).fill(min);
    const maxLanes = new Array<number>(8).fill(max);
    const blocks = len - (len % 8);
    for (; i < blocks; i += 8) {
      for (let j = 0; j < 8; j++) {
        const v = values[offset + i + j]!;
        const lo = minLanes[j]!;
        const hi = maxLanes[j]!;
        minLanes[j] = lo < v ? lo : v; // minps: the second operand unless the first is smaller
        maxLanes[j] = hi > v ? hi : v;
      }
    }
    for (let j = 0; j < 8; j++) {
      const lo = minLanes[j]!;
      const hi = maxLanes[j]!;
      if (lo < min) min = lo; // std::min(a, b) = b < a ? b : a
      if (max < hi) max = hi;
    }
  }
  for (; i < len; i++) {
    const v = values[offset + i]!;
    if (v < min) min = v;
    if (max < v) max = v;
  }
  return { min, max };
}

/** The DNNLOWP QuantizationFactory settings (dnnlowp.cc flags, overridable per op). */
export interface QuantizationFactory {
  activationPrecision: number;
  weightPrecision: number;
  preserveActivationSparsity: boolean;
  preserveWeightSparsity: boolean;
  forceScalePowerOfTwo: boolean;
}

export const DEFAULT_QUANTIZATION_FACTORY: QuantizationFactory = {
  activationPrecision: 8,
  weightPrecision: 8,
  preserveActivationSparsity: false,
  preserveWeightSparsity: false,
  forceScalePowerOfTwo: false,
};

/** QuantizationFactory::ChooseQuantizationParams(min, max, is_weight): unsigned [0, 2^p - 1]. */
export function chooseParamsForRange(factory: QuantizationFactory, min: number, max: number, isWeight: boolean): QuantParams {
  const precision = isWeight ? factory.weightPrecision : factory.activationPrecision;
  const preserve = isWeight ? factory.preserveWeightSparsity : factory.preserveActivationSparsity;
  return chooseQuantizationParams(min, max, 0, 2 ** precision - 1, preserve, factory.forceScalePowerOfTwo);
}

/**
 * The output qparams after a fused or following Relu (caffe2_dnnlowp_utils.cc
 * AdjustOutputTensorQuantizationParamsWithFollowedBy): ChooseQuantizationParams(0, qparams.Max())
 * with Max() = float(scale · (2^p - 1 - zero_point)). The zero point becomes 0.
 */
export function reluOutputQparams(factory: QuantizationFactory, q: QuantParams): QuantParams {
  const max = f32(q.scale * f32(2 ** factory.activationPrecision - 1 - q.zeroPoint));
  return chooseParamsForRange(factory, 0, max, false);
}

// ---------------------------------------------------------------------------------------------
// Quantize / dequantize
// ---------------------------------------------------------------------------------------------

/** The largest float below 2^31 (QuantizeAvx2 clips there before cvtps2dq). */
const INT32_FLOAT_MAX = 2147483520;

/**
 * fbgemm::Quantize<T> of an array, the AVX2/FMA path (QuantizeAvx2, LEGACY): for each x,
 * clamp(cvtps2dq(min(fmaf(x, float(1/scale), zp), 2147483520)), qmin, qmax). The zero point is
 * added before the single rounding. NaN lands on qmax (vminps returns its second operand).
 */
export function quantizeValues(
  src: ArrayLike<number>,
  srcOffset: number,
  dst: Uint8Array | Int8Array,
  dstOffset: number,
  len: number,
  q: QuantParams,
  qmin: number,
  qmax: number,
): void {
  const inverseScale = f32(1 / q.scale);
  const zeroPoint = f32(q.zeroPoint);
  for (let i = 0; i < len; i++) {
    let t = fmaf(src[srcOffset + i]!, inverseScale, zeroPoint);
    t = t < INT32_FLOAT_MAX ? t : INT32_FLOAT_MAX;
    const r = cvtps2dq(t);
    dst[dstOffset + i] = r < qmin ? qmin : r > qmax ? qmax : r;
  }
}

/** One value of quantizeValues. */
export function quantizeValue(x: number, q: QuantParams, qmin: number, qmax: number): number {
  const t0 = fmaf(x, f32(1 / q.scale), f32(q.zeroPoint));
  const r = cvtps2dq(t0 < INT32_FLOAT_MAX ? t0 : INT32_FLOAT_MAX);
  return r < qmin ? qmin : r > qmax ? qmax : r;
}

/**
 * fbgemm::Quantize<int32_t>(b, 0, scale, 32) for biases: nearbyint(float(b · float(1/scale))),
 * clamped in double to int32; NaN converts to INT32_MIN as on x86.
 */
export function quantizeBiasValue(b: number, scale: number): number {
  const t = f32(f32(b) * f32(1 / scale));
  if (Number.isNaN(t)) return INT32_MIN;
  const r = roundEven(t);
  return r < INT32_MIN ? INT32_MIN : r > TWO_POW_31 - 1 ? TWO_POW_31 - 1 : r;
}

/** fbgemm::Dequantize: float(scale · (q - zero_point)). */
export function dequantizeValue(q: number, scale: number, zeroPoint: number): number {
  return f32(scale * f32(q - zeroPoint));
}

// ---------------------------------------------------------------------------------------------
// Requantization (float multiplier)
// ---------------------------------------------------------------------------------------------

/** f32(f32(in_scale · w_scale) / out_scale), the DNNLOWP conv/FC real_multiplier. */
export function requantizationMultiplier(inScale: number, weightScale: number, outScale: number): number {
  return f32(f32(inScale * weightScale) / outScale);
}

/**
 * The AVX2 requantization epilogue (requantizeOutputProcessingAvx2; also the depthwise and
 * groupwise kernels): cvtps2dq(float(float(raw) · M)), packssdw to int16, paddsw with the zero
 * point as an int16, packuswb, then vpmaxub against the zero point (as a byte) under Relu.
 * raw is the int32 accumulator.
 */
export function requantizeAvx2(raw: number, multiplier: number, zeroPoint: number, relu: boolean): number {
  const r = cvtps2dq(f32(f32(raw) * multiplier));
  const zp16 = (zeroPoint << 16) >> 16;
  const v = sat16(sat16(r) + zp16);
  const u = v < 0 ? 0 : v > 255 ? 255 : v;
  if (relu) {
    const lo = zeroPoint & 255;
    return u < lo ? lo : u;
  }
  return u;
}

/**
 * fbgemm::Requantize<uint8_t> (scalar, QuantUtils.h): clamp(zp + lrintf(float(raw) · M), 0, 255)
 * in 64-bit; lrintf of NaN or of |v| >= 2^63 gives INT64_MIN, hence 0. The NCHW reference path.
 */
export function requantizeScalar(raw: number, multiplier: number, zeroPoint: number): number {
  const v = f32(f32(raw) * multiplier);
  if (!(v >= -TWO_POW_63 && v < TWO_POW_63)) return 0;
  const q = zeroPoint + roundEven(v);
  return q < 0 ? 0 : q > 255 ? 255 : q;
}
