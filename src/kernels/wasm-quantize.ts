// Int8Quantize and Int8Dequantize on the WebAssembly SIMD kernels (wasm/f32-quantize.ts); same
// values as quantizeUint8 and dequantizeUint8.
import { float32Bits } from '../quant/float32.js';
import { runRange } from './thread-pool.js';
import { allocAll, getWasmKernels, kernelParams } from './wasm-module.js';
import { placeInput, takeOutput } from './wasm-outputs.js';

/**
 * An element's time in conv multiply-adds: the kernels take some 0.45 and 0.2 ns an element
 * (150,528 elements, one thread). The copies in and out run on the calling thread.
 */
const QUANTIZE_WORK = 9;
const DEQUANTIZE_WORK = 4;

/**
 * float32 -> uint8 with a finite positive float32 `scale`, or undefined when the kernels are
 * unavailable or their memory is full, and for a zero point beyond ±2^23 (the kernel's float
 * arithmetic is exact only within).
 */
export function quantizeWasm(x: Float32Array, scale: number, zeroPoint: number, threads: number): Uint8Array | undefined {
  if (!(Number.isInteger(zeroPoint) && Math.abs(zeroPoint) <= 2 ** 23)) return undefined;
  const k = getWasmKernels();
  if (!k) return undefined;
  const n = x.length;
  const ptrs = allocAll(k, [n * 4, n]);
  if (!ptrs) return undefined;
  const [input, output] = ptrs as [number, number];
  try {
    new Float32Array(k.memory.buffer, input, n).set(x);
    kernelParams(k).set([input, output, float32Bits(scale), zeroPoint]);
    runRange(k, 'f32QuantizeU8', k.params, n, QUANTIZE_WORK, threads);
    ptrs.pop();
    return takeOutput(k, output, n);
  } finally {
    for (const p of ptrs) k.heap.release(p);
  }
}

/**
 * uint8 -> float32, or undefined when the kernels are unavailable or their memory is full, and
 * for a scale or zero point the kernel does not take: it converts q - zeroPoint to float32, exact
 * only up to 2^24 in magnitude, and a NaN the product makes might not have the reference's bits.
 */
export function dequantizeWasm(x: Uint8Array, scale: number, zeroPoint: number, threads: number): Float32Array | undefined {
  if (!Number.isFinite(scale) || !(Number.isInteger(zeroPoint) && zeroPoint >= 255 - 2 ** 24 && zeroPoint <= 2 ** 24)) return undefined;
  const k = getWasmKernels();
  if (!k) return undefined;
  const n = x.length;
  const output = k.heap.alloc(n * 4);
  if (output === undefined) return undefined;
  const ptrs = [output];
  try {
    const input = placeInput(k, x, n, ptrs);
    if (input === undefined) return undefined;
    kernelParams(k).set([input, output, float32Bits(scale), zeroPoint]);
    runRange(k, 'u8DequantizeF32', k.params, n, DEQUANTIZE_WORK, threads);
    // Float tensors are not kept in wasm memory.
    return new Float32Array(k.memory.buffer, output, n).slice();
  } finally {
    for (const p of ptrs) k.heap.release(p);
  }
}
