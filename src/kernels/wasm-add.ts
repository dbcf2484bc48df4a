// Int8Add on the WebAssembly SIMD kernel (wasm/q8-add.ts); same bytes as addVectors.
import type { AddQuantization } from '../quant/add-requantize.js';
import { runRange } from './thread-pool.js';
import { getWasmKernels, kernelParams } from './wasm-module.js';
import { placeInput, takeOutput } from './wasm-outputs.js';

/** A + B on the wasm kernel, or undefined when it is unavailable or its memory is full. */
export function addVectorsWasm(q: AddQuantization, a: Uint8Array, b: Uint8Array, threads: number): Uint8Array | undefined {
  const k = getWasmKernels();
  if (!k) return undefined;
  const n = a.length;
  const out = k.heap.alloc(n);
  if (out === undefined) return undefined;
  const ptrs = [out];
  try {
    const inA = placeInput(k, a, n, ptrs);
    const inB = inA === undefined ? undefined : placeInput(k, b, n, ptrs);
    if (inA === undefined || inB === undefined) return undefined;
    kernelParams(k).set([inA, inB, out, q.zeroPointProduct, q.aMultiplier, q.bMultiplier, q.shift, q.yZeroPoint, q.yMin, q.yMax]);
    // An element costs about 16 conv multiply-adds of time (measured on MobileNetV2's adds).
    runRange(k, 'q8Add', k.params, n, 16, threads);
    ptrs.splice(ptrs.indexOf(out), 1);
    return takeOutput(k, out, n);
  } finally {
    for (const p of ptrs) k.heap.release(p);
  }
}
