// WebAssembly SIMD kernels for QNNPACK-arithmetic int8 convolution and fully-connected layers.
// Every kernel computes exactly what the TypeScript reference conv2dNhwcQ8 (ops/int8-conv.ts)
// computes: acc = bias + Σ (x - xzp)(w - wzp), wrapped to int32 lanes, then the Q31 output stage.
//
// Operands live in linear memory, laid out by src/kernels/wasm-conv.ts:
// - for the general kernel the input is widened to int16 (x - xzp), once per run or, for 1x1
//   convolutions, tile by tile inside q8Conv, so a padded tap can point at zeros; the
//   depthwise kernel reads the uint8 input itself (see there);
// - an indirection table holds, per output pixel and kernel tap, the byte offset from the input
//   block of that tap's input pixel (or of the zero row after it, or PADDING), as QNNPACK's
//   indirection buffer does; offsets rather than addresses let an op keep its table from run
//   to run;
// - weights are packed once, as int16 (w - wzp), in blocks of 8 output channels (doubled for the
//   short output stage; int8 for q8Gemv).
// The kernels take a range of work items so that threads sharing this memory can split one op.
import { outputBytes8, stageIsShort, stageMask, stageMax, stageMin, stageMultiplier, stageOffset, stageShift, stageZeroPoint } from './q8-requantize';

/**
 * dst[i] = src[i] - zeroPoint as int16 for bytes [start, end), a range so threads can share it.
 * Words at `p`: [src, dst, zeroPoint].
 */
export function centerU8(p: usize, start: i32, end: i32): void {
  center(load<u32>(p), load<u32>(p, 4), load<i32>(p, 8), start, end);
}

@inline
function center(src: usize, dst: usize, zeroPoint: i32, start: i32, end: i32): void {
  const zp = i16x8.splat(<i16>zeroPoint);
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const v = v128.load(src + i);
    v128.store(dst + (i << 1), i16x8.sub(i16x8.extend_low_i8x16_u(v), zp));
    v128.store(dst + (i << 1), i16x8.sub(i16x8.extend_high_i8x16_u(v), zp), 16);
  }
  for (; i < end; i++) store<i16>(dst + (i << 1), <i16>(<i32>load<u8>(src + i) - zeroPoint));
}

/**
 * Fills the indirection table with input + byte offset of each tap's pixel, or the word zeroRow
 * (an offset, or PADDING) for a tap in the padding. Words at `p`: [table, input, zeroRow, n, h, w, pixelBytes,
 * outH, outW, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft].
 */
export function buildIndirection(p: usize): void {
  const table = load<u32>(p), input = load<u32>(p, 4), zeroRow = load<u32>(p, 8);
  const n = load<i32>(p, 12), h = load<i32>(p, 16), w = load<i32>(p, 20), pixelBytes = load<i32>(p, 24);
  const outH = load<i32>(p, 28), outW = load<i32>(p, 32), kernelH = load<i32>(p, 36), kernelW = load<i32>(p, 40);
  const strideH = load<i32>(p, 44), strideW = load<i32>(p, 48), dilationH = load<i32>(p, 52), dilationW = load<i32>(p, 56);
  const padTop = load<i32>(p, 60), padLeft = load<i32>(p, 64);
  let entry = table;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ky = 0; ky < kernelH; ky++) {
          const iy = oy * strideH + ky * dilationH - padTop;
          for (let kx = 0; kx < kernelW; kx++) {
            const ix = ox * strideW + kx * dilationW - padLeft;
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            store<u32>(entry, inside ? input + <u32>(((b * h + iy) * w + ix) * pixelBytes) : zeroRow);
            entry += 4;
          }
        }
      }
    }
  }
}

/**
 * im2col rows for output pixels [pixelStart, pixelEnd), for convolutions with at most 4 input
 * channels, where reading tap by tap would waste most of each channel pair: every row holds the
 * pixel's taps one after another (taps × channels int16, the packed weights' order). Words at `p`:
 * [table, input, rows, taps, channelBytes, rowBytes]. Each tap is copied as 8 bytes and the next
 * tap overwrites the excess; what is left past the last tap meets zero weights.
 */
export function im2colRows(p: usize, pixelStart: i32, pixelEnd: i32): void {
  const table = load<u32>(p), input = load<u32>(p, 4), rows = load<u32>(p, 8);
  const taps = load<i32>(p, 12), channelBytes = load<u32>(p, 16), rowBytes = load<u32>(p, 20);
  for (let px = pixelStart; px < pixelEnd; px++) {
    const entry = table + <u32>(px * taps) * 4;
    let dst = rows + <u32>px * rowBytes;
    for (let t = 0; t < taps; t++) {
      store<u64>(dst, load<u64>(input + load<u32>(entry + <u32>t * 4)));
      dst += channelBytes;
    }
  }
}

/** Stores the first `count` (< 8) bytes of `v`. Lane indices must be constants. */
@inline
function storePartial8(ptr: usize, v: v128, count: i32): void {
  if (count > 0) store<u8>(ptr, i8x16.extract_lane_u(v, 0));
  if (count > 1) store<u8>(ptr, i8x16.extract_lane_u(v, 1), 1);
  if (count > 2) store<u8>(ptr, i8x16.extract_lane_u(v, 2), 2);
  if (count > 3) store<u8>(ptr, i8x16.extract_lane_u(v, 3), 3);
  if (count > 4) store<u8>(ptr, i8x16.extract_lane_u(v, 4), 4);
  if (count > 5) store<u8>(ptr, i8x16.extract_lane_u(v, 5), 5);
  if (count > 6) store<u8>(ptr, i8x16.extract_lane_u(v, 6), 6);
}

@inline
function store8(ptr: usize, v: v128, count: i32): void {
  if (count >= 8) v128.store64_lane(ptr, v, 0);
  else storePartial8(ptr, v, count);
}

/**
 * Grouped convolution (and fully connected, as a 1x1 convolution). A work item is one tile of
 * up to 4 output pixels times one block of 8 output channels (item = tile * groups * blocks +
 * group * blocks + block), so that threads can split layers with few pixels (a 7x7 map, a
 * fully connected layer on one row) as evenly as large ones. Words at `p`: [table, weights,
 * bias, output, taps, pairs, groups, groupOutputChannels, blocks, outputChannels,
 * groupInputBytes, <output stage: 6 words>, input, pixels, raw, inputZeroPoint, rawPixelBytes].
 *
 * With rawPixelBytes set (1x1 convolutions whose output pixel p reads input pixel p), the
 * kernel widens each tile's pixels from the uint8 input at `raw` into `input` as it enters the
 * tile, while they are in cache, instead of a separate centerU8 pass over the whole input.
 *
 * Weights: per (group, block of 8 output channels), per tap, per pair of input channels, 16
 * int16 [m0c0 m0c1 m1c0 m1c1 m2c0 m2c1 m3c0 m3c1 | m4c0 ... m7c1]; an odd channel count is
 * padded with zero weights. i32x4.dot_i16x8_s multiplies the splatted input pair by them and
 * adds each channel's two products: exact, as |x - xzp|, |w - wzp| <= 255.
 */
export function q8Conv(p: usize, itemStart: i32, itemEnd: i32): void {
  const table = load<u32>(p), weights = load<u32>(p, 4), bias = load<u32>(p, 8), output = load<u32>(p, 12);
  const taps = load<i32>(p, 16), pairs = load<i32>(p, 20), groups = load<i32>(p, 24);
  const groupOutputChannels = load<i32>(p, 28), blocks = load<i32>(p, 32), outputChannels = load<i32>(p, 36);
  const groupInputBytes = load<i32>(p, 40), input = load<u32>(p, 68), pixels = load<i32>(p, 72);
  const raw = load<u32>(p, 76), inputZeroPoint = load<i32>(p, 80), rawPixelBytes = load<i32>(p, 84);
  const multiplier = stageMultiplier(p + 44), shift = stageShift(p + 44), zeroPoint = stageZeroPoint(p + 44);
  const mask = stageMask(shift), min = stageMin(p + 44), max = stageMax(p + 44);
  const shortOffset = stageOffset(p + 44), short = stageIsShort(p + 44);
  const blockBytes = taps * pairs * 32;
  const blocksPerTile = groups * blocks;
  // The item's tile, group and block, advanced by counting: a division per item costs as much
  // as a small layer's arithmetic.
  if (itemStart >= itemEnd) return;
  let px = (itemStart / blocksPerTile) * 4, block = itemStart % blocksPerTile;
  let g = block / blocks, blk = block % blocks;
  for (let item = itemStart; item < itemEnd; item++, block++, blk++) {
    if (blk == blocks) {
      blk = 0;
      if (++g == groups) {
        g = 0;
        block = 0;
        px += 4;
      }
    }
    if (rawPixelBytes != 0 && (item == itemStart || block == 0)) {
      // Entering a tile: widen its pixels. A tile split between two threads' ranges is widened
      // by both, which write the same values.
      const last = px + 4 < pixels ? px + 4 : pixels;
      center(raw, input, inputZeroPoint, px * rawPixelBytes, last * rawPixelBytes);
    }
    const inputOffset = input + <u32>(g * groupInputBytes);
    const count = groupOutputChannels - blk * 8;
    const out0 = output + <u32>(px * outputChannels + g * groupOutputChannels + blk * 8);
    const b0 = v128.load(bias + <u32>block * 32), b1 = v128.load(bias + <u32>block * 32, 16);
    if (px + 4 <= pixels) {
      // Four pixels at a time: each weight vector loaded once serves four pixels.
      const row0 = table + <u32>(px * taps) * 4;
      const row1 = row0 + <u32>taps * 4, row2 = row1 + <u32>taps * 4, row3 = row2 + <u32>taps * 4;
      let wp = weights + <u32>(block * blockBytes);
      let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
      for (let t = 0; t < taps; t++) {
        let x0 = load<u32>(row0 + <u32>t * 4) + inputOffset;
        let x1 = load<u32>(row1 + <u32>t * 4) + inputOffset;
        let x2 = load<u32>(row2 + <u32>t * 4) + inputOffset;
        let x3 = load<u32>(row3 + <u32>t * 4) + inputOffset;
        let c = 0;
        // Two channel pairs per step: fewer address updates per dot product.
        for (; c + 2 <= pairs; c += 2) {
          const w0 = v128.load(wp), w1 = v128.load(wp, 16), w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
          let v = v128.load32_splat(x0);
          a00 = i32x4.add(a00, i32x4.dot_i16x8_s(v, w0));
          a01 = i32x4.add(a01, i32x4.dot_i16x8_s(v, w1));
          v = v128.load32_splat(x0, 4);
          a00 = i32x4.add(a00, i32x4.dot_i16x8_s(v, w2));
          a01 = i32x4.add(a01, i32x4.dot_i16x8_s(v, w3));
          v = v128.load32_splat(x1);
          a10 = i32x4.add(a10, i32x4.dot_i16x8_s(v, w0));
          a11 = i32x4.add(a11, i32x4.dot_i16x8_s(v, w1));
          v = v128.load32_splat(x1, 4);
          a10 = i32x4.add(a10, i32x4.dot_i16x8_s(v, w2));
          a11 = i32x4.add(a11, i32x4.dot_i16x8_s(v, w3));
          v = v128.load32_splat(x2);
          a20 = i32x4.add(a20, i32x4.dot_i16x8_s(v, w0));
          a21 = i32x4.add(a21, i32x4.dot_i16x8_s(v, w1));
          v = v128.load32_splat(x2, 4);
          a20 = i32x4.add(a20, i32x4.dot_i16x8_s(v, w2));
          a21 = i32x4.add(a21, i32x4.dot_i16x8_s(v, w3));
          v = v128.load32_splat(x3);
          a30 = i32x4.add(a30, i32x4.dot_i16x8_s(v, w0));
          a31 = i32x4.add(a31, i32x4.dot_i16x8_s(v, w1));
          v = v128.load32_splat(x3, 4);
          a30 = i32x4.add(a30, i32x4.dot_i16x8_s(v, w2));
          a31 = i32x4.add(a31, i32x4.dot_i16x8_s(v, w3));
          wp += 64;
          x0 += 8; x1 += 8; x2 += 8; x3 += 8;
        }
        if (c < pairs) {
          const w0 = v128.load(wp), w1 = v128.load(wp, 16);
          let v = v128.load32_splat(x0);
          a00 = i32x4.add(a00, i32x4.dot_i16x8_s(v, w0));
          a01 = i32x4.add(a01, i32x4.dot_i16x8_s(v, w1));
          v = v128.load32_splat(x1);
          a10 = i32x4.add(a10, i32x4.dot_i16x8_s(v, w0));
          a11 = i32x4.add(a11, i32x4.dot_i16x8_s(v, w1));
          v = v128.load32_splat(x2);
          a20 = i32x4.add(a20, i32x4.dot_i16x8_s(v, w0));
          a21 = i32x4.add(a21, i32x4.dot_i16x8_s(v, w1));
          v = v128.load32_splat(x3);
          a30 = i32x4.add(a30, i32x4.dot_i16x8_s(v, w0));
          a31 = i32x4.add(a31, i32x4.dot_i16x8_s(v, w1));
          wp += 32;
        }
      }
      const stride = <u32>outputChannels;
      store8(out0, outputBytes8(a00, a01, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), count);
      store8(out0 + stride, outputBytes8(a10, a11, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), count);
      store8(out0 + stride * 2, outputBytes8(a20, a21, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), count);
      store8(out0 + stride * 3, outputBytes8(a30, a31, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), count);
      continue;
    }
    // The last tile's remaining pixels one at a time.
    for (let q = px; q < pixels; q++) {
      const row = table + <u32>(q * taps) * 4;
      let wp = weights + <u32>(block * blockBytes);
      let a0 = b0, a1 = b1;
      for (let t = 0; t < taps; t++) {
        let x = load<u32>(row + <u32>t * 4) + inputOffset;
        for (let c = 0; c < pairs; c++) {
          const v = v128.load32_splat(x);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v, v128.load(wp)));
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v, v128.load(wp, 16)));
          wp += 32;
          x += 4;
        }
      }
      store8(out0 + <u32>((q - px) * outputChannels), outputBytes8(a0, a1, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), count);
    }
  }
}

/**
 * The 8 channel bytes at `a` and at `b` interleaved, [a0 b0 a1 b1 ... a7 b7]: widened, its halves
 * are the tap pairs of channels 0-3 and 4-7 for a dot with the pair's weights.
 */
@inline
function interleaveBytes(a: usize, b: usize): v128 {
  return i8x16.shuffle(v128.load64_zero(a), v128.load64_zero(b), 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}

/**
 * Fully connected rows (or a 1x1 convolution) with fewer than 4 of them, where every weight fits
 * int8: items [itemStart, itemEnd) are (row, block of 8 outputs), item = row * blocks + block.
 * Such a layer reads each weight once, so it is bound by memory: the weights are packed as int8
 * (w - wzp), half the bytes of q8Conv's int16, and widened on load. Words at `p`: [weights, bias,
 * output, pairs, blocks, outputChannels, <output stage: 6 words, exact form>, input, rowBytes],
 * input holding each row widened to int16 (x - xzp), rowBytes apart.
 *
 * Weights: per block, per pair of inputs, 16 int8 in q8Conv's order [m0c0 m0c1 ... m7c0 m7c1].
 */
export function q8Gemv(p: usize, itemStart: i32, itemEnd: i32): void {
  const weights = load<u32>(p), bias = load<u32>(p, 4), output = load<u32>(p, 8);
  const pairs = load<i32>(p, 12), blocks = load<i32>(p, 16), outputChannels = load<i32>(p, 20);
  const multiplier = stageMultiplier(p + 24), shift = stageShift(p + 24), zeroPoint = stageZeroPoint(p + 24);
  const mask = stageMask(shift), min = stageMin(p + 24), max = stageMax(p + 24);
  const shortOffset = stageOffset(p + 24), short = stageIsShort(p + 24);
  const input = load<u32>(p, 48), rowBytes = load<i32>(p, 52);
  if (itemStart >= itemEnd) return;
  let row = itemStart / blocks, blk = itemStart % blocks;
  for (let item = itemStart; item < itemEnd; item++, blk++) {
    if (blk == blocks) {
      blk = 0;
      row++;
    }
    let x = input + <u32>(row * rowBytes);
    let wp = weights + <u32>(blk * pairs * 16);
    let a0 = v128.load(bias + <u32>blk * 32), a1 = v128.load(bias + <u32>blk * 32, 16);
    let c = 0;
    for (; c + 2 <= pairs; c += 2) {
      const w0 = v128.load(wp), w1 = v128.load(wp, 16);
      let v = v128.load32_splat(x);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v, i16x8.extend_low_i8x16_s(w0)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v, i16x8.extend_high_i8x16_s(w0)));
      v = v128.load32_splat(x, 4);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v, i16x8.extend_low_i8x16_s(w1)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v, i16x8.extend_high_i8x16_s(w1)));
      wp += 32;
      x += 8;
    }
    if (c < pairs) {
      const w0 = v128.load(wp), v = v128.load32_splat(x);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v, i16x8.extend_low_i8x16_s(w0)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v, i16x8.extend_high_i8x16_s(w0)));
    }
    store8(output + <u32>(row * outputChannels + blk * 8), outputBytes8(a0, a1, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), outputChannels - blk * 8);
  }
}

/** A table entry marking a tap in the padding (q8DepthwiseConv reads its zero-point row there). */
const PADDING: u32 = 0xffffffff;

/** The address of a depthwise tap: the input pixel at `entry`, or the zero-point row. */
@inline
function tapAddress(input: usize, zeroRow: usize, entry: u32): usize {
  return select<usize>(zeroRow, input + entry, entry == PADDING);
}

/**
 * Depthwise convolution (one input and one output channel per group) over output pixels
 * [pixelStart, pixelEnd). Words at `p`: [table, weights, bias, output, taps, channels, blocks,
 * <output stage: 6 words>, input, zeroRow].
 *
 * The input is read as it is, uint8, 8 channels at a time widened on load: the input zero point
 * is folded into the bias (bias - xzp * Σ w, in wrapping int32 as the kernel adds), and a tap in
 * the padding (table entry PADDING) reads a row of zero-point bytes, which the fold cancels. So
 * no widened copy of the input is made, and half the bytes are read.
 *
 * Taps are taken in pairs so that i32x4.dot_i16x8_s adds both products of a channel at once:
 * per (tap pair, block of 8 channels) the weights hold [t0c0 t1c0 t0c1 t1c1 t0c2 t1c2 t0c3 t1c3 |
 * t0c4 ... t1c7]; an odd last tap follows, per block, as 8 plain int16 weights. 3x3 kernels, the
 * common case, keep their nine input addresses in locals. The last block of a pixel may read up
 * to 7 bytes past its channels (src/kernels/wasm-heap.ts keeps memory readable past every block).
 */
export function q8DepthwiseConv(p: usize, pixelStart: i32, pixelEnd: i32): void {
  const table = load<u32>(p), weights = load<u32>(p, 4), bias = load<u32>(p, 8), output = load<u32>(p, 12);
  const taps = load<i32>(p, 16), channels = load<i32>(p, 20), blocks = load<i32>(p, 24);
  const input = load<u32>(p, 52), zeroRow = load<u32>(p, 56);
  const multiplier = stageMultiplier(p + 28), shift = stageShift(p + 28), zeroPoint = stageZeroPoint(p + 28);
  const mask = stageMask(shift), min = stageMin(p + 28), max = stageMax(p + 28);
  const shortOffset = stageOffset(p + 28), short = stageIsShort(p + 28);
  const pairs = taps >> 1;
  const pairBytes = <u32>blocks * 32;
  const lastTap = weights + <u32>pairs * pairBytes;
  for (let px = pixelStart; px < pixelEnd; px++) {
    const row = table + <u32>(px * taps) * 4;
    const out = output + <u32>(px * channels);
    if (taps == 9) {
      const i0 = tapAddress(input, zeroRow, load<u32>(row)), i1 = tapAddress(input, zeroRow, load<u32>(row, 4));
      const i2 = tapAddress(input, zeroRow, load<u32>(row, 8)), i3 = tapAddress(input, zeroRow, load<u32>(row, 12));
      const i4 = tapAddress(input, zeroRow, load<u32>(row, 16)), i5 = tapAddress(input, zeroRow, load<u32>(row, 20));
      const i6 = tapAddress(input, zeroRow, load<u32>(row, 24)), i7 = tapAddress(input, zeroRow, load<u32>(row, 28));
      const i8 = tapAddress(input, zeroRow, load<u32>(row, 32));
      for (let blk = 0; blk < blocks; blk++) {
        const offset = <u32>blk * 8;
        const wp = weights + offset * 4;
        let a0 = v128.load(bias + offset * 4), a1 = v128.load(bias + offset * 4, 16);
        let ab = interleaveBytes(i0 + offset, i1 + offset);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(ab), v128.load(wp)));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(ab), v128.load(wp, 16)));
        ab = interleaveBytes(i2 + offset, i3 + offset);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(ab), v128.load(wp + pairBytes)));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(ab), v128.load(wp + pairBytes, 16)));
        ab = interleaveBytes(i4 + offset, i5 + offset);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(ab), v128.load(wp + pairBytes * 2)));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(ab), v128.load(wp + pairBytes * 2, 16)));
        ab = interleaveBytes(i6 + offset, i7 + offset);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(ab), v128.load(wp + pairBytes * 3)));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(ab), v128.load(wp + pairBytes * 3, 16)));
        const x = v128.load8x8_u(i8 + offset), w = v128.load(lastTap + offset * 2);
        a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(x, w));
        a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(x, w));
        store8(out + offset, outputBytes8(a0, a1, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), channels - blk * 8);
      }
      continue;
    }
    // Other kernels: two blocks of channels per pass over the taps, so each tap's address is
    // looked up once per 16 channels.
    let blk = 0;
    for (; blk + 2 <= blocks; blk += 2) {
      const offset = <u32>blk * 8;
      let a0 = v128.load(bias + offset * 4), a1 = v128.load(bias + offset * 4, 16);
      let a2 = v128.load(bias + offset * 4, 32), a3 = v128.load(bias + offset * 4, 48);
      let wp = weights + offset * 4;
      let tap = row;
      for (let t = 0; t < pairs; t++) {
        const ta = tapAddress(input, zeroRow, load<u32>(tap)) + offset, tb = tapAddress(input, zeroRow, load<u32>(tap, 4)) + offset;
        let ab = interleaveBytes(ta, tb);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(ab), v128.load(wp)));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(ab), v128.load(wp, 16)));
        ab = interleaveBytes(ta + 8, tb + 8);
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(ab), v128.load(wp, 32)));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(ab), v128.load(wp, 48)));
        wp += pairBytes;
        tap += 8;
      }
      if (taps & 1) {
        const t = tapAddress(input, zeroRow, load<u32>(tap)) + offset;
        let x = v128.load8x8_u(t), w = v128.load(lastTap + offset * 2);
        a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(x, w));
        a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(x, w));
        x = v128.load8x8_u(t + 8); w = v128.load(lastTap + offset * 2, 16);
        a2 = i32x4.add(a2, i32x4.extmul_low_i16x8_s(x, w));
        a3 = i32x4.add(a3, i32x4.extmul_high_i16x8_s(x, w));
      }
      store8(out + offset, outputBytes8(a0, a1, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), channels - blk * 8);
      store8(out + offset + 8, outputBytes8(a2, a3, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), channels - blk * 8 - 8);
    }
    if (blk < blocks) {
      const offset = <u32>blk * 8;
      let a0 = v128.load(bias + offset * 4), a1 = v128.load(bias + offset * 4, 16);
      let wp = weights + offset * 4;
      let tap = row;
      for (let t = 0; t < pairs; t++) {
        const ab = interleaveBytes(tapAddress(input, zeroRow, load<u32>(tap)) + offset, tapAddress(input, zeroRow, load<u32>(tap, 4)) + offset);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_u(ab), v128.load(wp)));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_u(ab), v128.load(wp, 16)));
        wp += pairBytes;
        tap += 8;
      }
      if (taps & 1) {
        const x = v128.load8x8_u(tapAddress(input, zeroRow, load<u32>(tap)) + offset), w = v128.load(lastTap + offset * 2);
        a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(x, w));
        a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(x, w));
      }
      store8(out + offset, outputBytes8(a0, a1, short, multiplier, mask, shift, zeroPoint, shortOffset, min, max), channels - blk * 8);
    }
  }
}
