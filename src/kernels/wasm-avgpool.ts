// Int8AveragePool on the WebAssembly SIMD kernel (wasm/u8-avgpool.ts); same bytes as
// averagePool2dNhwcQ8 and globalAveragePoolNwcQ8.
import type { AvgPoolPlan, GlobalAvgPoolPlan, PoolWindow } from '../../ops/int8-pool.js';
import type { AvgPoolRequantization } from '../quant/avgpool-requantize.js';
import { runRange } from './thread-pool.js';
import { getWasmKernels, kernelParams } from './wasm-module.js';
import { placeInput, takeOutput } from './wasm-outputs.js';

type Window = Pick<PoolWindow, 'kernelH' | 'kernelW' | 'strideH' | 'strideW' | 'padTop' | 'padLeft'>;
type Stage = Pick<AvgPoolPlan, 'inputZeroPoint' | 'outputZeroPoint' | 'outputMin' | 'outputMax'>;

/**
 * Pools an n x h x w x c input in `win`, giving n x outH x outW pixels. An item (a pixel's block
 * of 16 channels, or all of fewer) takes about (taps + 32) · 16 conv multiply-adds of time: some
 * 16 per tap and 512 for the output stage (measured on a 7x7 global pool and 3x3 windows).
 */
function avgPoolWasm(
  x: Uint8Array, n: number, h: number, w: number, c: number, outH: number, outW: number,
  win: Window, stage: Stage, requant: AvgPoolRequantization, threads: number,
): Uint8Array | undefined {
  const k = getWasmKernels();
  if (!k) return undefined;
  const pixels = n * outH * outW;
  const output = k.heap.alloc(pixels * c);
  if (output === undefined) return undefined;
  const ptrs = [output];
  try {
    const input = placeInput(k, x, n * h * w * c, ptrs);
    if (input === undefined) return undefined;
    kernelParams(k).set([
      input, output, h, w, c, outH, outW, win.kernelH, win.kernelW, win.strideH, win.strideW, win.padTop, win.padLeft,
      stage.inputZeroPoint, requant.multiplier, requant.shift, stage.outputZeroPoint, stage.outputMin, stage.outputMax,
    ]);
    const blocks = c < 16 ? 1 : Math.ceil(c / 16);
    runRange(k, 'u8AvgPool', k.params, pixels * blocks, (win.kernelH * win.kernelW + 32) * 16, threads);
    ptrs.splice(ptrs.indexOf(output), 1);
    return takeOutput(k, output, pixels * c);
  } finally {
    for (const p of ptrs) k.heap.release(p);
  }
}

/** Average pooling on the wasm kernel, or undefined when it is unavailable or its memory is full. */
export function averagePool2dNhwcQ8Wasm(plan: AvgPoolPlan, x: Uint8Array, n: number, h: number, w: number, outH: number, outW: number, threads: number): Uint8Array | undefined {
  return avgPoolWasm(x, n, h, w, plan.channels, outH, outW, plan.window, plan, plan.requant, threads);
}

/** Global average pooling over `width` pixels per image: the window covering a 1 x width image. */
export function globalAveragePoolNwcQ8Wasm(plan: GlobalAvgPoolPlan, requant: AvgPoolRequantization, x: Uint8Array, n: number, width: number, threads: number): Uint8Array | undefined {
  const win = { kernelH: 1, kernelW: width, strideH: 1, strideW: 1, padTop: 0, padLeft: 0 };
  return avgPoolWasm(x, n, 1, width, plan.channels, 1, 1, win, plan, requant, threads);
}
