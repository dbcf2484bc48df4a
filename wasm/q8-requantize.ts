// QNNPACK's output stage on four int32 accumulators at once: Q31 multiply with round-half-up
// (floor((acc * multiplier + 2^30) / 2^31)), then a rounding right shift with ties away from
// zero, then the output zero point and the clamp. Mirrors requantizeQ31 in
// src/quant/q31-requantize.ts, the reference these lanes must equal.
//
// The stage is held in v128 locals, never in linear memory: several threads share one memory.

/** Words at `ptr`: [multiplier, shift, zeroPoint, min, max] (see src/kernels/wasm-conv.ts). */
@inline export function stageMultiplier(ptr: usize): v128 { return i32x4.splat(load<i32>(ptr)); }
@inline export function stageShift(ptr: usize): i32 { return load<i32>(ptr, 4); }
@inline export function stageMask(shift: i32): v128 { return i32x4.splat(shift == 0 ? 0 : <i32>((<u32>1 << <u32>shift) - 1)); }
@inline export function stageZeroPoint(ptr: usize): v128 { return i32x4.splat(load<i32>(ptr, 8)); }
@inline export function stageMin(ptr: usize): v128 { return i8x16.splat(<i8>load<i32>(ptr, 12)); }
@inline export function stageMax(ptr: usize): v128 { return i8x16.splat(<i8>load<i32>(ptr, 16)); }

/** Four accumulators to four values before clamping (zero point added). */
@inline
export function requantize4(acc: v128, multiplier: v128, mask: v128, shift: i32, zeroPoint: v128): v128 {
  // floor((p + 2^30) / 2^31) is the high word of 2p + 2^31 (|p| < 2^62, so no overflow): a
  // 64-bit left shift and a shuffle, where a 64-bit arithmetic right shift is slow on x86.
  const round = i64x2.splat(<i64>1 << 30);
  const lo = i64x2.shl(i64x2.add(i64x2.extmul_low_i32x4_s(acc, multiplier), round), 1);
  const hi = i64x2.shl(i64x2.add(i64x2.extmul_high_i32x4_s(acc, multiplier), round), 1);
  const q = i32x4.shuffle(lo, hi, 1, 3, 5, 7);
  // remainder = (q & mask) - (q < 0 ? 1 : 0); q >> 31 is -1 for negative q.
  const remainder = i32x4.add(v128.and(q, mask), i32x4.shr_s(q, 31));
  // The threshold is mask >> 1; gt_s gives -1 where the remainder is above it, so
  // subtracting rounds away from zero.
  const above = i32x4.gt_s(remainder, i32x4.shr_u(mask, 1));
  return i32x4.add(i32x4.sub(i32x4.shr_s(q, shift), above), zeroPoint);
}

/**
 * Eight requantized values (two vectors) to eight clamped bytes in the low half. Saturating
 * narrowing to int16 then uint8 before the clamp changes nothing: min and max lie in [0, 255].
 */
@inline
export function packBytes8(a: v128, b: v128, min: v128, max: v128): v128 {
  const words = i16x8.narrow_i32x4_s(a, b);
  const bytes = i8x16.narrow_i16x8_u(words, words);
  return i8x16.min_u(i8x16.max_u(bytes, min), max);
}
