// QNNPACK's average pooling (q8avgpool) and global average pooling (q8gavgpool), with the SSE2
// kernels' output stage: acc = wrap32(Σ x - taps·xzp) over the window's taps inside the image,
// |acc| (read as uint32) times the 24-bit multiplier in 64 bits, plus 2^(shift-1), a logical
// right shift, the low 32 bits with the sign restored, int16 saturation, the output zero point
// added with int16 saturation, uint8 saturation, then the clamp. Mirrors averagePool2dNhwcQ8
// and globalAveragePoolNwcQ8 in ops/int8-pool.ts (scaleAvgPoolAccumulator and
// avgPoolOutputByte in src/quant/avgpool-requantize.ts). A global pool is the window that
// covers a 1 x width image.

/** Taps a block sums in uint16 lanes before widening them: 257 · 255 = 65535 still fits. */
const U16_TAPS = 257;

/** Four int32 accumulators to their scaled values before the zero point. */
@inline
function scale4(acc: v128, multiplier: v128, rounding: v128, shift: i32): v128 {
  const sign = i32x4.shr_s(acc, 31);
  // abs(INT32_MIN) stays 0x80000000, which the unsigned product reads as 2^31.
  const magnitude = i32x4.abs(acc);
  const lo = i64x2.shr_u(i64x2.add(i64x2.extmul_low_i32x4_u(magnitude, multiplier), rounding), shift);
  const hi = i64x2.shr_u(i64x2.add(i64x2.extmul_high_i32x4_u(magnitude, multiplier), rounding), shift);
  const low32 = i32x4.shuffle(lo, hi, 0, 2, 4, 6);
  return i32x4.sub(v128.xor(low32, sign), sign);
}

/** scale4 on one accumulator. */
@inline
function scale1(acc: i32, multiplier: u64, shift: u64): i32 {
  const magnitude = <u64><u32>(acc < 0 ? -acc : acc);
  const low32 = <i32>((magnitude * multiplier + (<u64>1 << (shift - 1))) >> shift);
  return acc < 0 ? -low32 : low32;
}

/** The int16 saturations, the zero point, uint8 saturation and the clamp, for one value. */
@inline
function outputByte(scaled: i32, zeroPoint: i32, min: i32, max: i32): u8 {
  let v = scaled < -32768 ? -32768 : scaled > 32767 ? 32767 : scaled;
  // Below 2^15 + 255: the second int16 saturation cannot change what the uint8 one gives.
  v += zeroPoint;
  v = v < 0 ? 0 : v > 255 ? 255 : v;
  v = v > max ? max : v;
  return <u8>(v < min ? min : v);
}

/**
 * Items [start, end): output pixels times channel blocks. With 16 channels or more a pixel has
 * ceil(channels / 16) blocks of 16 and the last one starts at channels - 16, so it rewrites some
 * of the block before it with the same values; with fewer, one scalar item per pixel.
 * Words at `p`: [input, output, h, w, channels, outH, outW, kernelH, kernelW, strideH, strideW,
 * padTop, padLeft, inputZeroPoint, multiplier, shift, outputZeroPoint, min, max].
 */
export function u8AvgPool(p: usize, start: i32, end: i32): void {
  const input = load<u32>(p), output = load<u32>(p, 4);
  const h = load<i32>(p, 8), w = load<i32>(p, 12), channels = load<i32>(p, 16);
  const outH = load<i32>(p, 20), outW = load<i32>(p, 24), kernelH = load<i32>(p, 28), kernelW = load<i32>(p, 32);
  const strideH = load<i32>(p, 36), strideW = load<i32>(p, 40), padTop = load<i32>(p, 44), padLeft = load<i32>(p, 48);
  const xzp = load<i32>(p, 52), multiplier = load<i32>(p, 56), shift = load<i32>(p, 60);
  const yzp = load<i32>(p, 64), min = load<i32>(p, 68), max = load<i32>(p, 72);
  const multiplierv = i32x4.splat(multiplier), rounding = i64x2.splat(<i64>1 << (shift - 1));
  const yzpv = i16x8.splat(<i16>yzp), minv = i8x16.splat(<i8>min), maxv = i8x16.splat(<i8>max);
  const blocks = channels < 16 ? 1 : (channels + 15) >> 4;
  const rowBytes = w * channels;
  if (start >= end) return;
  // Count through items, pixels and their coordinates (no division per item).
  let px = start / blocks;
  let block = start - px * blocks;
  let ox = px % outW, oy = (px / outW) % outH, b = px / outW / outH;
  let out = output + <u32>(px * channels);
  for (let item = start; item < end; ) {
    const y0 = oy * strideH - padTop, x0 = ox * strideW - padLeft;
    const iy0 = y0 < 0 ? 0 : y0, iy1 = y0 + kernelH > h ? h : y0 + kernelH;
    const ix0 = x0 < 0 ? 0 : x0, ix1 = x0 + kernelW > w ? w : x0 + kernelW;
    const rows = iy1 > iy0 ? iy1 - iy0 : 0, cols = ix1 > ix0 ? ix1 - ix0 : 0;
    const bias = -(rows * cols * xzp);
    const first = input + <u32>(((b * h + iy0) * w + ix0) * channels);
    if (channels < 16) {
      for (let c = 0; c < channels; c++) {
        let acc = bias;
        for (let r = 0; r < rows; r++) {
          const row = first + <u32>(r * rowBytes + c);
          for (let t = 0; t < cols; t++) acc += <i32>load<u8>(row + <u32>(t * channels));
        }
        store<u8>(out + c, outputByte(scale1(acc, <u64>multiplier, <u64>shift), yzp, min, max));
      }
      item++;
    } else {
      for (; block < blocks && item < end; block++, item++) {
        const c = (block << 4) + 16 > channels ? channels - 16 : block << 4;
        const biasv = i32x4.splat(bias);
        let a0 = biasv, a1 = biasv, a2 = biasv, a3 = biasv;
        for (let r = 0; r < rows; r++) {
          let tap = first + <u32>(r * rowBytes + c);
          for (let t = 0; t < cols; ) {
            const chunkEnd = cols - t > U16_TAPS ? t + U16_TAPS : cols;
            let lo = i16x8.splat(0), hi = i16x8.splat(0);
            for (; t < chunkEnd; t++) {
              const v = v128.load(tap);
              lo = i16x8.add(lo, i16x8.extend_low_i8x16_u(v));
              hi = i16x8.add(hi, i16x8.extend_high_i8x16_u(v));
              tap += channels;
            }
            a0 = i32x4.add(a0, i32x4.extend_low_i16x8_u(lo));
            a1 = i32x4.add(a1, i32x4.extend_high_i16x8_u(lo));
            a2 = i32x4.add(a2, i32x4.extend_low_i16x8_u(hi));
            a3 = i32x4.add(a3, i32x4.extend_high_i16x8_u(hi));
          }
        }
        const words0 = i16x8.add_sat_s(i16x8.narrow_i32x4_s(scale4(a0, multiplierv, rounding, shift), scale4(a1, multiplierv, rounding, shift)), yzpv);
        const words1 = i16x8.add_sat_s(i16x8.narrow_i32x4_s(scale4(a2, multiplierv, rounding, shift), scale4(a3, multiplierv, rounding, shift)), yzpv);
        const bytes = i8x16.narrow_i16x8_u(words0, words1);
        v128.store(out + c, i8x16.max_u(i8x16.min_u(bytes, maxv), minv));
      }
      block = 0;
    }
    out += channels;
    if (++ox == outW) {
      ox = 0;
      if (++oy == outH) {
        oy = 0;
        b++;
      }
    }
  }
}
