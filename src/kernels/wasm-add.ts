// Int8Add on the WebAssembly SIMD kernel (wasm/q8-add.ts); same bytes as addVectors.
import type { AddQuantization } from '../quant/add-requantize.js';
import { runRange } from './thread-pool.js';
import { allocAll, getWasmKernels } from './wasm-module.js';
import { copyOutResident, residentAddress } from './wasm-resident.js';

/** A + B on the wasm kernel, or undefined when it is unavailable or its memory is full. */
export function addVectorsWasm(q: AddQuantization, a: Uint8Array, b: Uint8Array, threads: number): Uint8Array | undefined {
  const k = getWasmKernels();
  if (!k) return undefined;
  const n = a.length;
  const residentA = residentAddress(k, a);
  const residentB = residentAddress(k, b);
  const ptrs = allocAll(k, [residentA === undefined ? n : 0, residentB === undefined ? n : 0, n, 64]);
  if (!ptrs) return undefined;
  const [copiedA, copiedB, out, params] = ptrs as [number, number, number, number];
  try {
    const { buffer } = k.memory;
    if (residentA === undefined) new Uint8Array(buffer, copiedA, n).set(a);
    if (residentB === undefined) new Uint8Array(buffer, copiedB, n).set(b);
    new Int32Array(buffer, params, 10).set([residentA ?? copiedA, residentB ?? copiedB, out, q.zeroPointProduct, q.aMultiplier, q.bMultiplier, q.shift, q.yZeroPoint, q.yMin, q.yMax]);
    runRange(k, 'q8Add', params, n, 2, threads);
    ptrs.splice(ptrs.indexOf(out), 1);
    return copyOutResident(k, out, n);
  } finally {
    for (const p of ptrs) k.heap.release(p);
  }
}
