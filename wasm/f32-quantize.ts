// Int8Quantize and Int8Dequantize of the default engine, as the scalar code of Caffe2's
// int8_quantize_op.h and int8_dequantize_op.h behaves on x86. Quantize: the float32 quotient
// x / scale, rounded to nearest with ties to even, then converted to int32 the way cvttss2si
// does it (NaN, and anything outside the int32 range, gives INT32_MIN); the zero point is added
// without wrapping and the sum saturated to [0, 255]. Dequantize: (q - zeroPoint) as a float32
// (exact: the wrapper keeps |q - zeroPoint| <= 2^24) times the float32 scale, one rounding.
// Mirror quantizeUint8 and dequantizeUint8 in src/quant/quantize.ts.

const TWO_POW_31: f32 = 2147483648.0;
/** 2^23: adding it to a float32 integer k in [0, 2^23) leaves k in the low mantissa bits. */
const MAGIC: f32 = 8388608.0;
const MAGIC_BITS = 0x4b000000;

/**
 * clamp(zeroPoint + r, 0, 255) for four floats x, as int32 lanes; lanes that must give 0 because
 * r is NaN or >= 2^31 come out negative. r is clamped to [-zeroPoint, 255 - zeroPoint] in the
 * float domain (r below -2^31, INT32_MIN upstream, lands on the low bound like any r that
 * saturates to 0), so r + (zeroPoint + 2^23) is exact and its bits less 0x4b000000 are the sum.
 */
@inline
function quantize4(x: v128, scale: v128, lo: v128, hi: v128, offset: v128): v128 {
  const r = f32x4.nearest(f32x4.div(x, scale));
  // NaN passes the clamps and r >= 2^31 is clamped to the top: the mask clears both.
  const sum = f32x4.add(f32x4.pmin(f32x4.pmax(r, lo), hi), offset);
  return i32x4.sub(v128.and(sum, f32x4.lt(r, f32x4.splat(TWO_POW_31))), i32x4.splat(MAGIC_BITS));
}

/**
 * Elements [start, end). Words at `p`: [input (float32), output (uint8), scale (float32 bits),
 * zeroPoint], |zeroPoint| <= 2^23 (so that zeroPoint + 2^23 and the bounds are exact floats).
 */
export function f32QuantizeU8(p: usize, start: i32, end: i32): void {
  const input = load<u32>(p), output = load<u32>(p, 4);
  const scale = reinterpret<f32>(load<i32>(p, 8)), zeroPoint = load<i32>(p, 12);
  const lo = <f32>(-zeroPoint), hi = <f32>(<i32>255 - zeroPoint);
  const scalev = f32x4.splat(scale), lov = f32x4.splat(lo), hiv = f32x4.splat(hi), offset = f32x4.splat(<f32>zeroPoint + MAGIC);
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const x = input + (<u32>i << 2);
    const v0 = quantize4(v128.load(x), scalev, lov, hiv, offset);
    const v1 = quantize4(v128.load(x, 16), scalev, lov, hiv, offset);
    const v2 = quantize4(v128.load(x, 32), scalev, lov, hiv, offset);
    const v3 = quantize4(v128.load(x, 48), scalev, lov, hiv, offset);
    // Lanes are in [0, 255] or negative (masked): the saturating narrowings give their bytes.
    v128.store(output + i, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(v0, v1), i16x8.narrow_i32x4_s(v2, v3)));
  }
  for (; i < end; i++) {
    const r = nearest<f32>(load<f32>(input + (<u32>i << 2)) / scale);
    let v = 0;
    if (r < TWO_POW_31) v = <i32>(r < lo ? lo : r > hi ? hi : r) + zeroPoint;
    store<u8>(output + i, <u8>v);
  }
}

/**
 * Elements [start, end). Words at `p`: [input (uint8), output (float32), scale (float32 bits),
 * zeroPoint].
 */
export function u8DequantizeF32(p: usize, start: i32, end: i32): void {
  const input = load<u32>(p), output = load<u32>(p, 4);
  const scale = reinterpret<f32>(load<i32>(p, 8)), zeroPoint = load<i32>(p, 12);
  const scalev = f32x4.splat(scale), zpv = i32x4.splat(zeroPoint);
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const v = v128.load(input + i);
    const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
    const y = output + (<u32>i << 2);
    v128.store(y, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_u(lo), zpv)), scalev));
    v128.store(y, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_u(lo), zpv)), scalev), 16);
    v128.store(y, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_u(hi), zpv)), scalev), 32);
    v128.store(y, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_u(hi), zpv)), scalev), 48);
  }
  for (; i < end; i++) store<f32>(output + (<u32>i << 2), <f32>(<i32>load<u8>(input + i) - zeroPoint) * scale);
}
