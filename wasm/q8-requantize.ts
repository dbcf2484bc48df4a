// QNNPACK's output stage on four int32 accumulators at once: Q31 multiply with round-half-up
// (floor((acc * multiplier + 2^30) / 2^31)), then a rounding right shift with ties away from
// zero, then the output zero point and the clamp. Mirrors requantizeQ31 in
// src/quant/q31-requantize.ts, the reference these lanes must equal.
//
// It comes in two forms that give the same bytes. The short form needs accumulators packed at
// twice their value and no overflow anywhere (src/kernels/wasm-conv.ts proves both from the
// weights, bias and stage before choosing it); the exact form takes any int32 accumulator.
//
// The stage is held in v128 locals, never in linear memory: several threads share one memory.

/**
 * Words at `ptr`: [multiplier, shift, zeroPoint, min, max, offset]. offset is 0 for the exact
 * form, or 2^(shift-1) + zeroPoint * 2^shift (never 0, as shift >= 1) for the short form.
 */
@inline export function stageMultiplier(ptr: usize): v128 { return i32x4.splat(load<i32>(ptr)); }
@inline export function stageShift(ptr: usize): i32 { return load<i32>(ptr, 4); }
@inline export function stageMask(shift: i32): v128 { return i32x4.splat(shift == 0 ? 0 : <i32>((<u32>1 << <u32>shift) - 1)); }
@inline export function stageZeroPoint(ptr: usize): v128 { return i32x4.splat(load<i32>(ptr, 8)); }
@inline export function stageMin(ptr: usize): v128 { return i8x16.splat(<i8>load<i32>(ptr, 12)); }
@inline export function stageMax(ptr: usize): v128 { return i8x16.splat(<i8>load<i32>(ptr, 16)); }
@inline export function stageOffset(ptr: usize): v128 { return i32x4.splat(load<i32>(ptr, 20)); }
@inline export function stageIsShort(ptr: usize): bool { return load<i32>(ptr, 20) != 0; }

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
 * The short form on doubled accumulators (acc2 = 2 * acc), zero point included. The high word of
 * acc2 * multiplier + 2^31 is floor((acc * multiplier + 2^30) / 2^31), the Q31 value q, with no
 * 64-bit shift. For shift >= 1, rounding q / 2^shift half away from zero is
 * floor((q - [q < 0] + 2^(shift-1)) / 2^shift), and adding zeroPoint * 2^shift before the floor
 * adds the zero point: one add of `offset` and one arithmetic shift.
 */
@inline
export function requantizeShort4(acc2: v128, multiplier: v128, shift: i32, offset: v128): v128 {
  const round = i64x2.splat(<i64>1 << 31);
  const lo = i64x2.add(i64x2.extmul_low_i32x4_s(acc2, multiplier), round);
  const hi = i64x2.add(i64x2.extmul_high_i32x4_s(acc2, multiplier), round);
  const q = i32x4.shuffle(lo, hi, 1, 3, 5, 7);
  return i32x4.shr_s(i32x4.add(i32x4.add(q, i32x4.shr_s(q, 31)), offset), shift);
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

/** Eight accumulators to eight clamped bytes (low half) by the form the stage names. */
@inline
export function outputBytes8(a: v128, b: v128, short: bool, multiplier: v128, mask: v128, shift: i32, zeroPoint: v128, offset: v128, min: v128, max: v128): v128 {
  if (short) return packBytes8(requantizeShort4(a, multiplier, shift, offset), requantizeShort4(b, multiplier, shift, offset), min, max);
  return packBytes8(requantize4(a, multiplier, mask, shift, zeroPoint), requantize4(b, multiplier, mask, shift, zeroPoint), min, max);
}
