// Int8Add on the WebAssembly SIMD kernel (wasm/q8-add.ts); same bytes as addVectors.
import type { AddQuantization } from '../quant/add-requantize.js';
import { runRange } from './thread-pool.js';
import { allocAll, getWasmKernels } from './wasm-module.js';

/** A + B on the wasm kernel, or undefined when it is unavailable or its memory is full. */
export function addVectorsWasm(q: AddQuantization, a: Uint8Array, b: Uint8Array, threads: number): Uint8Array | undefined {
  const k = getWasmKernels();
  if (!k) return undefined;
  const n = a.length;
  const ptrs = allocAll(k, [n, n, n, 64]);
  if (!ptrs) return undefined;
  const [pa, pb, out, params] = ptrs as [number, number, number, number];
  try {
    const { buffer } = k.memory;
    new Uint8Array(buffer, pa, n).set(a);
    new Uint8Array(buffer, pb, n).set(b);
    new Int32Array(buffer, params, 10).set([pa, pb, out, q.zeroPointProduct, q.aMultiplier, q.bMultiplier, q.shift, q.yZeroPoint, q.yMin, q.yMax]);
    runRange(k, 'q8Add', params, n, 2, threads);
    return new Uint8Array(k.memory.buffer, out, n).slice();
  } finally {
    for (const p of ptrs) k.heap.release(p);
  }
}
