// QNNPACK's u8maxpool: every tap coordinate clamped into the image (so padding never wins),
// the byte maximum over the window, then the output clamp. Mirrors maxPool2dNhwcU8 in
// ops/int8-pool.ts.

@inline
function clampIndex(i: i32, size: i32): i32 {
  return i < 0 ? 0 : i >= size ? size - 1 : i;
}

/**
 * Output pixels [pixelStart, pixelEnd). Words at `p`: [input, output, h, w, channels, outH,
 * outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, min, max].
 */
export function u8MaxPool(p: usize, pixelStart: i32, pixelEnd: i32): void {
  const input = load<u32>(p), output = load<u32>(p, 4);
  const h = load<i32>(p, 8), w = load<i32>(p, 12), channels = load<i32>(p, 16);
  const outH = load<i32>(p, 20), outW = load<i32>(p, 24), kernelH = load<i32>(p, 28), kernelW = load<i32>(p, 32);
  const strideH = load<i32>(p, 36), strideW = load<i32>(p, 40), padTop = load<i32>(p, 44), padLeft = load<i32>(p, 48);
  const lo = load<i32>(p, 52), hi = load<i32>(p, 56);
  const lov = i8x16.splat(<i8>lo), hiv = i8x16.splat(<i8>hi);
  const vectorEnd = channels & ~15;
  for (let px = pixelStart; px < pixelEnd; px++) {
    const ox = px % outW;
    const rest = px / outW;
    const oy = rest % outH;
    const b = rest / outH;
    const out = output + <u32>px * <u32>channels;
    for (let c = 0; c < vectorEnd; c += 16) {
      let best = i8x16.splat(0);
      for (let ky = 0; ky < kernelH; ky++) {
        const iy = clampIndex(oy * strideH + ky - padTop, h);
        for (let kx = 0; kx < kernelW; kx++) {
          const ix = clampIndex(ox * strideW + kx - padLeft, w);
          best = i8x16.max_u(best, v128.load(input + <u32>(((b * h + iy) * w + ix) * channels + c)));
        }
      }
      v128.store(out + c, i8x16.min_u(i8x16.max_u(best, lov), hiv));
    }
    for (let c = vectorEnd; c < channels; c++) {
      let best = 0;
      for (let ky = 0; ky < kernelH; ky++) {
        const iy = clampIndex(oy * strideH + ky - padTop, h);
        for (let kx = 0; kx < kernelW; kx++) {
          const ix = clampIndex(ox * strideW + kx - padLeft, w);
          const v = <i32>load<u8>(input + <u32>(((b * h + iy) * w + ix) * channels + c));
          if (v > best) best = v;
        }
      }
      store<u8>(out + c, <u8>(best < lo ? lo : best > hi ? hi : best));
    }
  }
}
