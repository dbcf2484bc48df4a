// QNNPACK's q8vadd on 16 bytes at a time: acc = zeroPointProduct + a·aMultiplier + b·bMultiplier
// (int32, below 2^31 in magnitude), a rounding right shift with ties away from zero, the output
// zero point and the clamp. Mirrors addVectors in src/quant/add-requantize.ts.

@inline
function round4(acc: v128, shift: i32, mask: v128, zeroPoint: v128): v128 {
  const remainder = i32x4.add(v128.and(acc, mask), i32x4.shr_s(acc, 31));
  const above = i32x4.gt_s(remainder, i32x4.shr_u(mask, 1));
  return i32x4.add(i32x4.sub(i32x4.shr_s(acc, shift), above), zeroPoint);
}

/**
 * Elements [start, end). Words at `p`: [a, b, output, zeroPointProduct, aMultiplier,
 * bMultiplier, shift, yZeroPoint, yMin, yMax].
 */
export function q8Add(p: usize, start: i32, end: i32): void {
  const a = load<u32>(p), b = load<u32>(p, 4), out = load<u32>(p, 8);
  const zpp = load<i32>(p, 12), am = load<i32>(p, 16), bm = load<i32>(p, 20), shift = load<i32>(p, 24);
  const yzp = load<i32>(p, 28), yMin = load<i32>(p, 32), yMax = load<i32>(p, 36);
  const mask = i32x4.splat(shift == 0 ? 0 : <i32>((<u32>1 << <u32>shift) - 1));
  const zppv = i32x4.splat(zpp), amv = i32x4.splat(am), bmv = i32x4.splat(bm), yzpv = i32x4.splat(yzp);
  const minv = i8x16.splat(<i8>yMin), maxv = i8x16.splat(<i8>yMax);
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const va = v128.load(a + i), vb = v128.load(b + i);
    const aLo = i16x8.extend_low_i8x16_u(va), aHi = i16x8.extend_high_i8x16_u(va);
    const bLo = i16x8.extend_low_i8x16_u(vb), bHi = i16x8.extend_high_i8x16_u(vb);
    const r0 = round4(i32x4.add(zppv, i32x4.add(i32x4.mul(i32x4.extend_low_i16x8_u(aLo), amv), i32x4.mul(i32x4.extend_low_i16x8_u(bLo), bmv))), shift, mask, yzpv);
    const r1 = round4(i32x4.add(zppv, i32x4.add(i32x4.mul(i32x4.extend_high_i16x8_u(aLo), amv), i32x4.mul(i32x4.extend_high_i16x8_u(bLo), bmv))), shift, mask, yzpv);
    const r2 = round4(i32x4.add(zppv, i32x4.add(i32x4.mul(i32x4.extend_low_i16x8_u(aHi), amv), i32x4.mul(i32x4.extend_low_i16x8_u(bHi), bmv))), shift, mask, yzpv);
    const r3 = round4(i32x4.add(zppv, i32x4.add(i32x4.mul(i32x4.extend_high_i16x8_u(aHi), amv), i32x4.mul(i32x4.extend_high_i16x8_u(bHi), bmv))), shift, mask, yzpv);
    // Saturating narrowing before the clamp changes nothing: yMin and yMax lie in [0, 255].
    const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(r0, r1), i16x8.narrow_i32x4_s(r2, r3));
    v128.store(out + i, i8x16.min_u(i8x16.max_u(bytes, minv), maxv));
  }
  const m = shift == 0 ? 0 : <i32>((<u32>1 << <u32>shift) - 1);
  for (; i < end; i++) {
    const acc = zpp + <i32>load<u8>(a + i) * am + <i32>load<u8>(b + i) * bm;
    const remainder = (acc & m) - (acc < 0 ? 1 : 0);
    let v = (acc >> shift) + (remainder > (m >>> 1) ? 1 : 0) + yzp;
    v = v < yMin ? yMin : v > yMax ? yMax : v;
    store<u8>(out + i, <u8>v);
  }
}
