// Int8MaxPool on the WebAssembly SIMD kernel (wasm/u8-maxpool.ts); same bytes as maxPool2dNhwcU8.
import type { MaxPoolPlan } from '../../ops/int8-pool.js';
import { runRange } from './thread-pool.js';
import { getWasmKernels, kernelParams } from './wasm-module.js';
import { placeInput, takeOutput } from './wasm-outputs.js';

/** Max pooling on the wasm kernel, or undefined when it is unavailable or its memory is full. */
export function maxPool2dNhwcU8Wasm(plan: MaxPoolPlan, x: Uint8Array, n: number, h: number, w: number, outH: number, outW: number, threads: number): Uint8Array | undefined {
  const k = getWasmKernels();
  if (!k) return undefined;
  const c = plan.channels;
  const inputBytes = n * h * w * c;
  const pixels = n * outH * outW;
  const output = k.heap.alloc(pixels * c);
  if (output === undefined) return undefined;
  const ptrs = [output];
  try {
    const input = placeInput(k, x, inputBytes, ptrs);
    if (input === undefined) return undefined;
    const { kernelH, kernelW, strideH, strideW, padTop, padLeft } = plan.window;
    kernelParams(k).set([input, output, h, w, c, outH, outW, kernelH, kernelW, strideH, strideW, padTop, padLeft, plan.outputMin, plan.outputMax]);
    runRange(k, 'u8MaxPool', k.params, pixels, kernelH * kernelW * c, threads);
    ptrs.splice(ptrs.indexOf(output), 1);
    return takeOutput(k, output, pixels * c);
  } finally {
    for (const p of ptrs) k.heap.release(p);
  }
}
