// Strided block copies for the byte-moving ops (concat, slice, resize). A typed-array
// `set(subarray(...))` per block costs an allocation, which is fine for long blocks and ruinous
// for a billion one-byte blocks (a hostile but legal shape): short blocks are copied in a loop.
type Bytes = Uint8Array | Int32Array;

/** Blocks shorter than this are copied element by element. */
const SHORT_BLOCK = 32;

/**
 * Copies `count` blocks of `length` elements: block b goes from src[srcStart + b·srcStride] to
 * dst[dstStart + b·dstStride].
 */
export function copyBlocks(dst: Bytes, dstStart: number, dstStride: number, src: Bytes, srcStart: number, srcStride: number, length: number, count: number): void {
  if (length <= 0 || count <= 0) return;
  if (length >= SHORT_BLOCK) {
    for (let b = 0; b < count; b++) {
      const from = srcStart + b * srcStride;
      dst.set(src.subarray(from, from + length), dstStart + b * dstStride);
    }
    return;
  }
  for (let b = 0; b < count; b++) {
    const from = srcStart + b * srcStride;
    const to = dstStart + b * dstStride;
    for (let k = 0; k < length; k++) dst[to + k] = src[from + k]!;
  }
}
